//! Points use cases (docs/rewards.md, "Points"): accrual when a card payment is captured,
//! pro-rata claw-back when it is refunded, the daily expiry job with advance notices, the
//! customer's view, and posting every movement to the points ledger.
//!
//! **The lots are the truth; the ledger follows from an outbox.** A change of a customer's points
//! runs in one transaction that locks the customer's totals row, rebuilds the domain
//! [`PointsAccount`] from the stored lots, applies the rule (credit, redeem FIFO, expire, claw
//! back), and writes the changed lots, the totals and one movement row per change. The movement's
//! id is the points-ledger transfer id, derived from what caused it (`accrual` of `order:<id>`,
//! …), so a repeat is recognised in the table (`UNIQUE (kind, reference)`) and on the ledger
//! (`exists`). After the commit the customer's unposted movements are posted in order and marked;
//! a movement left unposted by a crash is posted by the next change of that customer or by the
//! daily job, so the ledger's customer balances and the programme's liability always catch up
//! with the lots, never run ahead of them.

use std::collections::BTreeSet;

use cardlife_kernel::{CustomerId, Money, Points, PointsError, TransferId};
use cardlife_ledger::{CreateTransferResult, Transfer, TransferFlags};
use cardlife_rewards::points::{
    AccrualRule, Lot, LotId, LotValidity, PointsAccount, PointsTotals, Spend, TxnKind,
    clawback_points,
};
use cardlife_rewards::{Mcc, TierCode};
use cardlife_store::batch::Batch;
use cardlife_store::durability::Durability;
use cardlife_store::rewards::points::{
    Credited, LotRecord, MovementRecord, NewLotRecord, NoticeRecord, PointsStore, TotalsRecord,
};
use cardlife_store::tx::Tx;
use jiff::civil::Date;
use jiff::{Timestamp, ToSpan};

use super::points_ledger::{self, LEDGER_POINTS};
use crate::merchants::funding::ensure_accounts;
use crate::{App, AppError};

/// Days before a lot lapses that the customer is told (the advance notice).
pub const NOTICE_DAYS: i32 = 30;
/// Movements shown in a customer's history.
pub const HISTORY_ROWS: i64 = 50;
/// Movements posted to the ledger per batch.
const POST_BATCH: i64 = 4_096;

/// The programme's accrual rule: ICBC's 1 point per whole CNY with the default exclusions
/// (docs/domain.md §6); no monthly cap, so month-to-date never matters.
pub fn programme_rule() -> AccrualRule {
    AccrualRule::per_cny(1)
}

/// How long earned points stay valid: five years (ICBC).
pub fn programme_validity() -> LotValidity {
    LotValidity::Years(5)
}

/// One lot, as a customer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotView {
    /// Its number.
    pub lot: u64,
    /// When earned.
    pub earned_on: Date,
    /// First date unusable; `None` = permanent.
    pub expires_on: Option<Date>,
    /// Points credited.
    pub original: Points,
    /// Points left.
    pub remaining: Points,
}

/// One movement, as a customer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementView {
    /// `accrual`, `redemption`, `expiry`, `clawback`, `recredit`.
    pub kind: String,
    /// Signed: + credited, − taken.
    pub points: i64,
    /// Business date.
    pub business_date: Date,
    /// When.
    pub at: Timestamp,
}

/// Points that lapse soon unless used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiringView {
    /// Points.
    pub points: Points,
    /// First date they are unusable.
    pub expires_on: Date,
}

/// A customer's points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointsView {
    /// Points usable today.
    pub balance: Points,
    /// Lifetime totals.
    pub totals: PointsTotals,
    /// Lots still holding points, soonest expiry first.
    pub lots: Vec<LotView>,
    /// Advance notices of points lapsing within [`NOTICE_DAYS`].
    pub expiring: Vec<ExpiringView>,
    /// Latest movements, newest first.
    pub history: Vec<MovementView>,
}

/// What one run of the daily points job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpiryReport {
    /// Customers whose lots lapsed.
    pub customers_expired: u64,
    /// Points lapsed.
    pub points_expired: i64,
    /// Notices written.
    pub notices: u64,
    /// Movements posted to the ledger.
    pub posted: u64,
}

/// The ledger against the lots, read by [`App::points_check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsCheck {
    /// The programme's outstanding points on the ledger (`debits − credits`).
    pub liability: i128,
    /// Σ `balance` over the customers' totals rows.
    pub balances: i64,
    /// Σ `remaining` over all lots.
    pub lots: i64,
}

impl PointsCheck {
    /// Whether the ledger's liability equals what customers hold, by both counts.
    pub fn holds(&self) -> bool {
        self.liability == i128::from(self.balances) && self.balances == self.lots
    }
}

/// A change to record with a customer's points.
#[derive(Debug, Clone)]
pub(crate) struct NewMovement {
    pub kind: &'static str,
    pub reference: String,
    pub points: i64,
    pub amount_fen: Option<i64>,
}

/// A customer's points loaded under the lock of a transaction.
#[derive(Debug)]
pub(crate) struct Held {
    pub customer: CustomerId,
    pub account: PointsAccount,
    before: Vec<Lot>,
}

/// A rewards rule's refusal as the app's error.
pub(crate) fn refused(e: impl Into<cardlife_rewards::RewardsError>) -> AppError {
    AppError::Rewards(e.into())
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

fn date_of(text: &str) -> Result<Date, AppError> {
    text.parse().map_err(|_| corrupt("points date"))
}

fn lot_of(r: &LotRecord) -> Result<Lot, AppError> {
    Ok(Lot {
        id: LotId(u64::try_from(r.lot_no).map_err(|_| corrupt("lot number"))?),
        earned_on: date_of(&r.earned_on)?,
        expires_at: r.expires_on.as_deref().map(date_of).transpose()?,
        source: r
            .source
            .as_deref()
            .map(|s| u128::from_str_radix(s, 16).map(TransferId::from_u128))
            .transpose()
            .map_err(|_| corrupt("lot source"))?,
        original: Points::new(r.original),
        remaining: Points::new(r.remaining),
    })
}

fn record_of(l: &Lot) -> Result<LotRecord, AppError> {
    Ok(LotRecord {
        lot_no: i64::try_from(l.id.0).map_err(|_| corrupt("lot number"))?,
        earned_on: l.earned_on.to_string(),
        expires_on: l.expires_at.map(|d| d.to_string()),
        source: l.source.map(|s| format!("{:032x}", s.as_u128())),
        original: l.original.value(),
        remaining: l.remaining.value(),
    })
}

/// Locks and loads `customer`'s points inside `tx`.
pub(crate) async fn load(tx: &mut Tx, customer: CustomerId) -> Result<Held, AppError> {
    let t = PointsStore::lock(tx, customer).await?;
    let lots = PointsStore::lots_in(tx, customer)
        .await?
        .iter()
        .map(lot_of)
        .collect::<Result<Vec<_>, _>>()?;
    let totals = PointsTotals {
        earned: Points::new(t.earned),
        redeemed: Points::new(t.redeemed),
        expired: Points::new(t.expired),
        clawed: Points::new(t.clawed),
    };
    let account = PointsAccount::restore(lots.clone(), totals).map_err(refused)?;
    if account.balance().value() != t.balance {
        return Err(corrupt("points balance"));
    }
    Ok(Held {
        customer,
        account,
        before: lots,
    })
}

/// Writes what changed in `held` since [`load`] and `movements`, inside `tx`.
pub(crate) async fn save(
    tx: &mut Tx,
    held: &Held,
    movements: &[NewMovement],
    today: Date,
    now: Timestamp,
) -> Result<(), AppError> {
    let changed = held
        .account
        .lots()
        .iter()
        .enumerate()
        .filter(|(i, l)| held.before.get(*i) != Some(*l))
        .map(|(_, l)| record_of(l))
        .collect::<Result<Vec<_>, _>>()?;
    let t = held.account.totals();
    let totals = TotalsRecord {
        earned: t.earned.value(),
        redeemed: t.redeemed.value(),
        expired: t.expired.value(),
        clawed: t.clawed.value(),
        balance: held.account.balance().value(),
    };
    let rows: Vec<MovementRecord> = movements
        .iter()
        .filter(|m| m.points != 0)
        .map(|m| MovementRecord {
            id: points_ledger::movement_id(m.kind, &m.reference),
            customer: held.customer,
            kind: m.kind.to_owned(),
            reference: m.reference.clone(),
            points: m.points,
            amount_fen: m.amount_fen,
            business_date: today.to_string(),
            at: now,
        })
        .collect();
    PointsStore::save(tx, held.customer, totals, &changed, &rows).await?;
    Ok(())
}

/// The reference of the accrual of a payment order.
fn order_reference(order: uuid::Uuid) -> String {
    format!("order:{order}")
}

impl App {
    pub(crate) fn points_store(&self) -> PointsStore {
        PointsStore::new(self.db().clone())
    }

    /// Credits the points a captured card payment earns (idempotent per order). Returns the
    /// points credited now (zero when excluded, or when this order was accrued before).
    pub async fn accrue_points(
        &self,
        customer: CustomerId,
        order: uuid::Uuid,
        amount: Money,
        mcc: &str,
    ) -> Result<Points, AppError> {
        let code: u16 = mcc.parse().map_err(|_| corrupt("merchant category code"))?;
        let mcc = Mcc::new(code).map_err(refused)?;
        let today = self.today();
        let spend = Spend {
            amount,
            mcc,
            kind: TxnKind::Purchase,
            date: today,
            card_tier: TierCode::new("standard"),
            campaigns: Vec::new(),
            birthday_month: None,
        };
        let points = programme_rule()
            .accrue(&spend, Points::ZERO)
            .map_err(refused)?
            .points();
        if points.value() <= 0 {
            return Ok(Points::ZERO);
        }
        let credited = self
            .credit_lot(
                customer,
                NewMovement {
                    kind: "accrual",
                    reference: order_reference(order),
                    points: points.value(),
                    amount_fen: Some(amount.fen()),
                },
                Durability::Carried,
            )
            .await?;
        Ok(if credited { points } else { Points::ZERO })
    }

    /// Credits `points` to `customer` as a new lot of the programme's validity, once per
    /// (`kind`, `reference`); returns whether this call credited them.
    pub(crate) async fn credit_points(
        &self,
        customer: CustomerId,
        kind: &'static str,
        reference: &str,
        points: i64,
    ) -> Result<bool, AppError> {
        if points <= 0 {
            return Ok(false);
        }
        let movement = NewMovement {
            kind,
            reference: reference.to_owned(),
            points,
            amount_fen: None,
        };
        self.credit_lot(customer, movement, Durability::Synced)
            .await
    }

    /// Credits `movement.points` (> 0) to `customer` as a new lot of the programme's validity,
    /// once per (kind, reference), then posts it. A credit reads nothing the rule needs — it
    /// appends a lot and raises the totals — so it is one batch of four statements for the group
    /// writer (`PointsStore::credit_batch`), committed with whatever else is queued, instead of
    /// a transaction that locks the totals, reads every lot and writes them back. An accrual's
    /// lot carries its own transfer as its source (a claw-back takes from it first).
    ///
    /// `durability`: an accrual is [`Durability::Carried`] — the ledger commit that posts it
    /// syncs it, and the payment's follow-up row, synced with the capture, runs it again after a
    /// crash that lost both. Returns whether this call credited the points.
    async fn credit_lot(
        &self,
        customer: CustomerId,
        movement: NewMovement,
        durability: Durability,
    ) -> Result<bool, AppError> {
        let today = self.today();
        let id = points_ledger::movement_id(movement.kind, &movement.reference);
        let expires_on = programme_validity().expires_at(today).map_err(refused)?;
        let lot = NewLotRecord {
            earned_on: today.to_string(),
            expires_on: expires_on.map(|d| d.to_string()),
            source: (movement.kind == "accrual").then(|| format!("{id:032x}")),
        };
        let record = MovementRecord {
            id,
            customer,
            kind: movement.kind.to_owned(),
            reference: movement.reference,
            points: movement.points,
            amount_fen: movement.amount_fen,
            business_date: today.to_string(),
            at: self.clock().now(),
        };
        let batch = PointsStore::credit_batch(&record, &lot);
        let outcome = self
            .grouped()
            .commit_as(batch, durability, |mut ran| {
                match PointsStore::credited(&mut ran) {
                    Ok(Credited::Now) => Ok(()),
                    other => Err(other),
                }
            })
            .await?;
        match outcome {
            Ok(()) => {}
            Err(Ok(Credited::Before)) => return Ok(false),
            Err(Ok(_)) => return Err(refused(PointsError::Overflow)),
            Err(Err(e)) => return Err(e.into()),
        }
        if let Err(e) = self.post_credit(&record).await {
            tracing::error!(error = %e, "posting a points credit failed; it stays queued");
        }
        Ok(true)
    }

    /// Sends `movements`' transfers to the points ledger, opening the programme's account and
    /// the customers' where new; returns the ids the ledger took (`ok`, or `exists`: posted
    /// before), for the caller to mark.
    async fn post_transfers(&self, movements: &[MovementRecord]) -> Result<Vec<u128>, AppError> {
        let customers: BTreeSet<CustomerId> = movements.iter().map(|m| m.customer).collect();
        let accounts = std::iter::once(points_ledger::programme_account(
            points_ledger::programme_id(),
        ))
        .chain(
            customers
                .iter()
                .map(|c| points_ledger::customer_account(points_ledger::customer_id(*c))),
        )
        .collect();
        ensure_accounts(self.ledger_service(), accounts).await?;
        let transfers: Vec<Transfer> = movements.iter().map(transfer_of).collect();
        let results = self.ledger_service().create_transfers(transfers).await?;
        Ok(movements
            .iter()
            .zip(&results)
            .filter(|(_, r)| matches!(r, CreateTransferResult::Ok | CreateTransferResult::Exists))
            .map(|(m, _)| m.id)
            .collect())
    }

    /// Posts one credit's transfer and marks it posted. A credit never takes from an account,
    /// so it may go to the ledger ahead of movements a crash left unposted (the daily job posts
    /// those, in order). The mark is carried: lost, the movement is posted again and the ledger
    /// answers `exists`.
    async fn post_credit(&self, m: &MovementRecord) -> Result<(), AppError> {
        if self
            .post_transfers(std::slice::from_ref(m))
            .await?
            .is_empty()
        {
            return Err(AppError::LedgerRefused("a points movement"));
        }
        let mut batch = Batch::new();
        batch.push(PointsStore::posted_stmt(m.id));
        self.grouped()
            .commit_as(batch, Durability::Carried, |ran| ran.finish())
            .await??;
        Ok(())
    }

    /// Claws back the points of a refunded card payment, pro rata: the refund that takes the
    /// order's refunded cash from `before` to `after` takes back
    /// `floor(after × earned ÷ amount) − floor(before × earned ÷ amount)`, so successive partial
    /// refunds add up to exactly what a full refund takes. Taken from the order's own lot first,
    /// then the newest; what the customer no longer holds is not taken (never below zero).
    /// Idempotent per (order, refund number). Returns the points taken.
    pub async fn claw_back_points(
        &self,
        customer: CustomerId,
        order: uuid::Uuid,
        refund_number: u32,
        before: Money,
        after: Money,
    ) -> Result<Points, AppError> {
        let reference = format!("refund:{order}:{refund_number}");
        let today = self.today();
        let mut tx = Tx::begin(self.db()).await?;
        let Some(accrual) =
            PointsStore::movement_in(&mut tx, "accrual", &order_reference(order)).await?
        else {
            return Ok(Points::ZERO);
        };
        if PointsStore::movement_in(&mut tx, "clawback", &reference)
            .await?
            .is_some()
        {
            return Ok(Points::ZERO);
        }
        let earned = Points::new(accrual.points);
        let amount = Money::cny(accrual.amount_fen.ok_or(corrupt("accrual amount"))?);
        let due = clawback_points(earned, amount, after)
            .map_err(refused)?
            .checked_sub(clawback_points(earned, amount, before).map_err(refused)?)
            .map_err(refused)?;
        if due.value() <= 0 {
            return Ok(Points::ZERO);
        }
        let mut held = load(&mut tx, customer).await?;
        let outcome = held
            .account
            .claw_back(due, Some(TransferId::from_u128(accrual.id)), today)
            .map_err(refused)?;
        let taken = due.checked_sub(outcome.shortfall).map_err(refused)?;
        let movement = NewMovement {
            kind: "clawback",
            reference,
            points: -taken.value(),
            amount_fen: None,
        };
        save(&mut tx, &held, &[movement], today, self.clock().now()).await?;
        tx.commit().await?;
        self.post_points_logged(customer).await;
        Ok(taken)
    }

    /// The customer's points: usable balance, lots, notices and the latest movements.
    pub async fn my_points(&self, customer: CustomerId) -> Result<PointsView, AppError> {
        let store = self.points_store();
        let today = self.today();
        let t = store.totals(customer).await?;
        let lots = store
            .lots(customer)
            .await?
            .iter()
            .map(lot_of)
            .collect::<Result<Vec<_>, _>>()?;
        let totals = PointsTotals {
            earned: Points::new(t.earned),
            redeemed: Points::new(t.redeemed),
            expired: Points::new(t.expired),
            clawed: Points::new(t.clawed),
        };
        let account = PointsAccount::restore(lots, totals).map_err(refused)?;
        let mut live: Vec<&Lot> = account
            .lots()
            .iter()
            .filter(|l| l.is_usable_on(today) && !l.remaining.is_zero())
            .collect();
        live.sort_by_key(|l| (l.expires_at.is_none(), l.expires_at, l.id));
        let expiring = store
            .notices(customer, &today.to_string())
            .await?
            .iter()
            .map(|n| {
                Ok(ExpiringView {
                    points: Points::new(n.points),
                    expires_on: date_of(&n.expires_on)?,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        let history = store
            .movements(customer, HISTORY_ROWS)
            .await?
            .into_iter()
            .map(|m| {
                Ok(MovementView {
                    business_date: date_of(&m.business_date)?,
                    kind: m.kind,
                    points: m.points,
                    at: m.at,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(PointsView {
            balance: account.usable_on(today),
            totals,
            lots: live
                .into_iter()
                .map(|l| LotView {
                    lot: l.id.0,
                    earned_on: l.earned_on,
                    expires_on: l.expires_at,
                    original: l.original,
                    remaining: l.remaining,
                })
                .collect(),
            expiring,
            history,
        })
    }

    /// The daily points job for business date `on`: lapses every lot with `expires_at ≤ on`
    /// (one `expiry` movement per customer), writes a notice for every lot lapsing within
    /// [`NOTICE_DAYS`] (once per lot), then posts whatever is unposted. Idempotent per date.
    pub async fn run_points_expiry(&self, on: Date) -> Result<ExpiryReport, AppError> {
        let store = self.points_store();
        let horizon = on
            .checked_add(i64::from(NOTICE_DAYS).days())
            .unwrap_or(Date::MAX);
        let mut report = ExpiryReport::default();
        let now = self.clock().now();
        for customer in store.customers_expiring_by(&horizon.to_string()).await? {
            let mut tx = Tx::begin(self.db()).await?;
            let mut held = load(&mut tx, customer).await?;
            let lapsed = held.account.expire(on).map_err(refused)?;
            let points: i64 = lapsed.iter().map(|t| t.points.value()).sum();
            let mut movements = Vec::new();
            if let Some(first) = lapsed.first() {
                movements.push(NewMovement {
                    kind: "expiry",
                    reference: format!("{on}:{customer}:{}", first.lot.0),
                    points: -points,
                    amount_fen: None,
                });
                report.customers_expired += 1;
                report.points_expired += points;
            }
            let notices: Vec<NoticeRecord> = held
                .account
                .expiring_within(on, NOTICE_DAYS)
                .into_iter()
                .map(|n| {
                    Ok(NoticeRecord {
                        lot_no: i64::try_from(n.lot.0).map_err(|_| corrupt("lot number"))?,
                        points: n.points.value(),
                        expires_on: n.expires_at.to_string(),
                        noticed_on: on.to_string(),
                    })
                })
                .collect::<Result<_, AppError>>()?;
            save(&mut tx, &held, &movements, on, now).await?;
            PointsStore::notice(&mut tx, customer, &notices).await?;
            tx.commit().await?;
            report.notices += notices.len() as u64;
        }
        report.posted = self.post_points(None).await?;
        Ok(report)
    }

    /// Posts unposted movements (of `customer`, or of everyone) to the points ledger, oldest
    /// first, and marks them. Returns how many were posted.
    pub async fn post_points(&self, customer: Option<CustomerId>) -> Result<u64, AppError> {
        let store = self.points_store();
        let mut posted = 0u64;
        loop {
            let batch = store.unposted(customer, POST_BATCH).await?;
            if batch.is_empty() {
                return Ok(posted);
            }
            let done = self.post_transfers(&batch).await?;
            store.mark_posted(&done).await?;
            posted += done.len() as u64;
            if done.len() < batch.len() {
                return Err(AppError::LedgerRefused("a points movement"));
            }
        }
    }

    /// [`Self::post_points`] for one customer after a change; a failure is logged (the
    /// movements stay in the outbox for the next change or the daily job).
    pub(crate) async fn post_points_logged(&self, customer: CustomerId) {
        if let Err(e) = self.post_points(Some(customer)).await {
            tracing::error!(error = %e, "posting points movements failed; they stay queued");
        }
    }

    /// Posts the outbox, then reads the programme's liability on the ledger against the lots.
    pub async fn points_check(&self) -> Result<PointsCheck, AppError> {
        self.post_points(None).await?;
        let (balances, lots) = self.points_store().sums().await?;
        let liability = match self
            .ledger_service()
            .reader()
            .account(points_ledger::programme_id())
            .await?
        {
            Some(a) => i128::from(a.debits_posted) - i128::from(a.credits_posted),
            None => 0,
        };
        Ok(PointsCheck {
            liability,
            balances,
            lots,
        })
    }

    /// The customer's balance on the points ledger (`credits − debits`, posted).
    pub async fn points_on_ledger(&self, customer: CustomerId) -> Result<i128, AppError> {
        Ok(
            match self
                .ledger_service()
                .reader()
                .account(points_ledger::customer_id(customer))
                .await?
            {
                Some(a) => i128::from(a.credits_posted) - i128::from(a.debits_posted),
                None => 0,
            },
        )
    }
}

fn transfer_of(m: &MovementRecord) -> Transfer {
    let programme = points_ledger::programme_id();
    let customer = points_ledger::customer_id(m.customer);
    let (debit, credit) = if m.points > 0 {
        (programme, customer)
    } else {
        (customer, programme)
    };
    Transfer {
        id: m.id,
        debit_account_id: debit,
        credit_account_id: credit,
        amount: m.points.unsigned_abs(),
        user_data_128: m.customer.as_uuid().as_u128(),
        ledger: LEDGER_POINTS,
        code: points_ledger::code_of(&m.kind),
        flags: TransferFlags::NONE,
        ..Transfer::default()
    }
}
