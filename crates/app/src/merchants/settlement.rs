//! The T+1 settlement job and the per-merchant reconciliation file (docs/merchants.md,
//! "Settlement").
//!
//! For each merchant and each closed business day D (Asia/Shanghai) not yet settled, in date
//! order: the day's captures (by capture instant), refunds (by refund instant) and the fee stored
//! on each capture become a `payments::settlement::DayActivity`; `payments::settlement` nets them
//! (a deficit is carried to the next day, never taken). Then, on the ledger, from the merchant's
//! payable account: the fees split by `payments::mdr::split_fee` to the issuer, network and
//! acquirer fee accounts, and the payout to the merchant's settlement account. Every transfer id
//! derives from (purpose, merchant, D), so a rerun answers `exists`; the day's row is written
//! last, once every transfer is in. The reconciliation file is rebuilt from the same rows, so it
//! ties out to those transfers to the fen.

use cardlife_kernel::{Currency, MerchantId, Money, Rate};
use cardlife_ledger::{Account, AccountFlags, CreateTransferResult, Transfer, TransferFlags};
use cardlife_payments::mdr::{
    FeePlan, FeeSchedule, InterchangePolicy, MerchantSector, PaymentType, split_fee,
};
use cardlife_payments::order::PaymentOrderId;
use cardlife_payments::settlement::{
    CalendarDays, DayActivity, Movement, MovementKind, reconciliation_csv,
};
use cardlife_store::merchants::MerchantRecord;
use cardlife_store::merchants::settlement::{SettlementRecord, SettlementStore};
use cardlife_store::tx::Tx;
use jiff::ToSpan;
use jiff::civil::Date;

use super::funding::{LEDGER_CNY, derived_id, ensure_accounts};
use super::{MerchantsError, webhooks};
use crate::{App, AppError};

/// Account code of a merchant's settlement account (where payouts land).
pub const CODE_MERCHANT_SETTLEMENT: u16 = 31;
/// Account code of the acquirer's fee income.
pub const CODE_ACQUIRER_FEE_INCOME: u16 = 40;
/// Account code of network fees owed to the card network.
pub const CODE_NETWORK_FEES: u16 = 41;
/// Account code of interchange owed to issuers.
pub const CODE_ISSUER_FEES: u16 = 42;
/// Transfer code of the issuer's share of a day's fees.
pub const CODE_FEE_ISSUER: u16 = 311;
/// Transfer code of the network's share.
pub const CODE_FEE_NETWORK: u16 = 312;
/// Transfer code of the acquirer's share.
pub const CODE_FEE_ACQUIRER: u16 = 313;
/// Transfer code of a payout to the merchant's settlement account.
pub const CODE_PAYOUT: u16 = 314;
/// The most days one merchant settles in one run (a long-idle merchant catches up over runs).
pub const DAYS_PER_RUN_MAX: u32 = 400;
/// The most settled days one listing returns.
pub const SETTLEMENT_PAGE_MAX: u32 = 400;

/// The merchant's settlement account on the ledger.
pub fn merchant_settlement_account(merchant: MerchantId) -> u128 {
    derived_id("merchant-settlement", merchant.as_uuid().as_bytes(), 0)
}

/// The acquirer's fee income account.
pub fn acquirer_fee_account() -> u128 {
    derived_id("acquirer-fee-income", b"", 0)
}

/// The account of network fees owed.
pub fn network_fee_account() -> u128 {
    derived_id("network-fees", b"", 0)
}

/// The account of interchange owed to issuers.
pub fn issuer_fee_account() -> u128 {
    derived_id("issuer-fees", b"", 0)
}

/// One settled merchant-day, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementView {
    /// The merchant.
    pub merchant: MerchantId,
    /// The business date settled.
    pub business_date: String,
    /// When the payout is made.
    pub settlement_date: String,
    /// Σ captures.
    pub captures: Money,
    /// Σ refunds.
    pub refunds: Money,
    /// Σ fees.
    pub fees: Money,
    /// Carried in from the day before (≤ 0).
    pub carried_in: Money,
    /// carried_in + captures − refunds − fees.
    pub net: Money,
    /// Moved to the settlement account.
    pub payout: Money,
    /// Carried to the next day (≤ 0).
    pub carried_out: Money,
    /// The issuer's share of the fees.
    pub issuer_fees: Money,
    /// The network's share.
    pub network_fees: Money,
    /// The acquirer's share.
    pub acquirer_fees: Money,
    /// Movement lines in the reconciliation file.
    pub lines: i64,
    /// The merchant's payable ledger account.
    pub payable_account: u128,
    /// The merchant's settlement ledger account.
    pub settlement_account: u128,
}

fn view(r: SettlementRecord, payable_account: u128) -> SettlementView {
    SettlementView {
        merchant: r.merchant,
        settlement_account: merchant_settlement_account(r.merchant),
        business_date: r.business_date,
        settlement_date: r.settlement_date,
        captures: Money::cny(r.captures_fen),
        refunds: Money::cny(r.refunds_fen),
        fees: Money::cny(r.fees_fen),
        carried_in: Money::cny(r.carried_in_fen),
        net: Money::cny(r.net_fen),
        payout: Money::cny(r.payout_fen),
        carried_out: Money::cny(r.carried_out_fen),
        issuer_fees: Money::cny(r.issuer_fen),
        network_fees: Money::cny(r.network_fen),
        acquirer_fees: Money::cny(r.acquirer_fen),
        lines: r.lines,
        payable_account,
    }
}

/// A day's movements and how its fees split.
struct Day {
    activity: DayActivity,
    issuer: i64,
    network: i64,
    acquirer: i64,
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

fn next_day(d: Date) -> Result<Date, AppError> {
    d.checked_add(1.day()).map_err(|_| corrupt("business date"))
}

impl App {
    fn settlement_store(&self) -> SettlementStore {
        SettlementStore::new(self.db().clone())
    }

    fn zone(&self) -> &cardlife_kernel::BusinessZone {
        &self.merchants().config.limit_policy.zone
    }

    /// Settles every merchant's closed business days up to and including `through` (which must
    /// be before today). Idempotent per (merchant, day): a day already settled is skipped, and a
    /// run interrupted half-way finishes the same transfers on the next run. Answers the days
    /// settled by this run.
    pub async fn settle_through(&self, through: Date) -> Result<Vec<SettlementView>, AppError> {
        let today = self.zone().date_of(self.clock().now());
        if through >= today {
            return Err(MerchantsError::SettlementDayOpen.into());
        }
        let store = self.settlement_store();
        let merchants = store.settling_merchants().await?;
        if merchants.is_empty() {
            // Nothing to settle: open no accounts either.
            return Ok(Vec::new());
        }
        ensure_accounts(
            self.ledger_service(),
            vec![
                Account::new(
                    acquirer_fee_account(),
                    LEDGER_CNY,
                    CODE_ACQUIRER_FEE_INCOME,
                    AccountFlags::NONE,
                ),
                Account::new(
                    network_fee_account(),
                    LEDGER_CNY,
                    CODE_NETWORK_FEES,
                    AccountFlags::NONE,
                ),
                Account::new(
                    issuer_fee_account(),
                    LEDGER_CNY,
                    CODE_ISSUER_FEES,
                    AccountFlags::NONE,
                ),
            ],
        )
        .await?;
        let mut settled = Vec::new();
        for (id, applied_at) in merchants {
            let m = self.merchant_record(id).await?;
            ensure_accounts(
                self.ledger_service(),
                vec![Account::new(
                    merchant_settlement_account(id),
                    LEDGER_CNY,
                    CODE_MERCHANT_SETTLEMENT,
                    AccountFlags::NONE,
                )],
            )
            .await?;
            let latest = store.latest(id).await?;
            let (mut day, mut carried) = match &latest {
                Some(l) => (
                    next_day(
                        l.business_date
                            .parse::<Date>()
                            .map_err(|_| corrupt("business date"))?,
                    )?,
                    l.carried_out_fen,
                ),
                None => (self.zone().date_of(applied_at), 0),
            };
            let mut n = 0;
            while day <= through && n < DAYS_PER_RUN_MAX {
                let record = self.settle_day(&m, day, carried).await?;
                carried = record.carried_out_fen;
                settled.push(view(record, m.payable_account));
                day = next_day(day)?;
                n += 1;
            }
        }
        Ok(settled)
    }

    /// The day's captures, refunds and fees, and the fees' split.
    async fn day_activity(
        &self,
        m: &MerchantRecord,
        day: Date,
        carried_in: i64,
    ) -> Result<Day, AppError> {
        let from = self.zone().start_of(day);
        let to = self.zone().start_of(next_day(day)?);
        let store = self.settlement_store();
        let policy = InterchangePolicy::default();
        let mut movements = Vec::new();
        let (mut issuer, mut network, mut acquirer) = (0i64, 0i64, 0i64);
        for c in store.captures(m.id, from, to).await? {
            let reference = PaymentOrderId::from_uuid(c.order).to_string();
            movements.push(Movement {
                kind: MovementKind::Capture,
                reference: reference.clone(),
                amount: Money::cny(c.captured_fen),
            });
            if c.mdr_fen > 0 {
                movements.push(Movement {
                    kind: MovementKind::Fee,
                    reference,
                    amount: Money::cny(c.mdr_fen),
                });
                // Split what was charged, whichever payment type's schedule charged it.
                let split = split_fee(
                    &charged(c.mdr_fen)?,
                    &policy,
                    MerchantSector::Standard,
                    PaymentType::Credit,
                    Money::cny(c.captured_fen),
                )
                .map_err(|_| corrupt("order fee"))?;
                // The stored fee is what the merchant was charged; the shares never exceed it.
                let i = split
                    .issuer_net()
                    .map_err(|_| corrupt("order fee"))?
                    .fen()
                    .clamp(0, c.mdr_fen);
                let nw = split
                    .network_total()
                    .map_err(|_| corrupt("order fee"))?
                    .fen()
                    .clamp(0, c.mdr_fen - i);
                issuer = issuer.checked_add(i).ok_or(corrupt("fee total"))?;
                network = network.checked_add(nw).ok_or(corrupt("fee total"))?;
                acquirer = acquirer
                    .checked_add(c.mdr_fen - i - nw)
                    .ok_or(corrupt("fee total"))?;
            }
        }
        // Special-purpose plans (专项分期) paid to the merchant that day settle as captures
        // without a fee.
        let special = cardlife_store::special_installments::SpecialStore::new(self.db().clone());
        for d in special.disbursements(m.id.as_uuid(), from, to).await? {
            movements.push(Movement {
                kind: MovementKind::Capture,
                reference: format!("special:{}:{}", d.account, d.plan),
                amount: Money::cny(d.amount_fen),
            });
        }
        // Completed group buys paid to the merchant that day (docs/rewards.md, "Group buying"):
        // captures without a fee (the group price is the merchant's whole).
        for (group, fen) in self
            .group_buy_store()
            .payouts(m.id.as_uuid(), from, to)
            .await?
        {
            movements.push(Movement {
                kind: MovementKind::Capture,
                reference: cardlife_rewards::ids::GroupBuyId::from_uuid(group).to_string(),
                amount: Money::cny(fen),
            });
        }
        for r in store.refunds(m.id, from, to).await? {
            movements.push(Movement {
                kind: MovementKind::Refund,
                reference: format!("{}:{}", PaymentOrderId::from_uuid(r.order), r.number),
                amount: Money::cny(r.cash_fen),
            });
        }
        Ok(Day {
            activity: DayActivity {
                merchant: m.id,
                business_date: day,
                currency: Currency::Cny,
                carried_in: Money::cny(carried_in),
                movements,
            },
            issuer,
            network,
            acquirer,
        })
    }

    async fn settle_day(
        &self,
        m: &MerchantRecord,
        day: Date,
        carried_in: i64,
    ) -> Result<SettlementRecord, AppError> {
        let d = self.day_activity(m, day, carried_in).await?;
        let (s, _) = reconciliation_csv(&d.activity, &CalendarDays)
            .map_err(|_| corrupt("settlement day"))?;
        let owner = [
            m.id.as_uuid().as_bytes().as_slice(),
            day.to_string().as_bytes(),
        ]
        .concat();
        let legs = [
            (
                "settle-issuer",
                issuer_fee_account(),
                d.issuer,
                CODE_FEE_ISSUER,
            ),
            (
                "settle-network",
                network_fee_account(),
                d.network,
                CODE_FEE_NETWORK,
            ),
            (
                "settle-acquirer",
                acquirer_fee_account(),
                d.acquirer,
                CODE_FEE_ACQUIRER,
            ),
            (
                "settle-payout",
                merchant_settlement_account(m.id),
                s.payout.fen(),
                CODE_PAYOUT,
            ),
        ];
        let transfers: Vec<Transfer> = legs
            .iter()
            .filter(|(_, _, amount, _)| *amount > 0)
            .map(|(purpose, credit, amount, code)| Transfer {
                id: derived_id(purpose, &owner, 0),
                debit_account_id: m.payable_account,
                credit_account_id: *credit,
                amount: u64::try_from(*amount).unwrap_or(0),
                ledger: LEDGER_CNY,
                code: *code,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            })
            .collect();
        if !transfers.is_empty() {
            let results = self.ledger_service().create_transfers(transfers).await?;
            if let Some(bad) = results
                .iter()
                .find(|r| !matches!(r, CreateTransferResult::Ok | CreateTransferResult::Exists))
            {
                return Err(MerchantsError::Funding(format!("{bad:?}")).into());
            }
        }
        let record = SettlementRecord {
            merchant: m.id,
            business_date: day.to_string(),
            settlement_date: s.settlement_date.to_string(),
            captures_fen: s.captures.fen(),
            refunds_fen: s.refunds.fen(),
            fees_fen: s.fees.fen(),
            carried_in_fen: s.carried_in.fen(),
            net_fen: s.net.fen(),
            payout_fen: s.payout.fen(),
            carried_out_fen: s.carried_out.fen(),
            issuer_fen: d.issuer,
            network_fen: d.network,
            acquirer_fen: d.acquirer,
            lines: i64::try_from(d.activity.movements.len()).unwrap_or(i64::MAX),
            settled_at: self.clock().now(),
        };
        // A concurrent run may have written the same day: the transfers are the same ones.
        let mut tx = Tx::begin(self.db()).await?;
        if SettlementStore::insert(&mut tx, &record).await? {
            let data = serde_json::json!({
                "business_date": record.business_date,
                "settlement_date": record.settlement_date,
                "captures": Money::cny(record.captures_fen).to_string(),
                "refunds": Money::cny(record.refunds_fen).to_string(),
                "fees": Money::cny(record.fees_fen).to_string(),
                "net": Money::cny(record.net_fen).to_string(),
                "payout": Money::cny(record.payout_fen).to_string(),
            });
            let subject = format!("{}:{}", m.id, record.business_date);
            webhooks::enqueue(
                &mut tx,
                m.id,
                "settlement.completed",
                &subject,
                data,
                record.settled_at,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(record)
    }

    /// The merchant's settled days, newest first.
    pub async fn merchant_settlements(
        &self,
        merchant: MerchantId,
        limit: u32,
    ) -> Result<Vec<SettlementView>, AppError> {
        let m = self.merchant_record(merchant).await?;
        let rows = self
            .settlement_store()
            .of_merchant(merchant, limit.clamp(1, SETTLEMENT_PAGE_MAX))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| view(r, m.payable_account))
            .collect())
    }

    /// The reconciliation file of one settled day of the merchant (`payments::settlement`'s
    /// columns); a day not settled (or not a date) answers not found.
    pub async fn reconciliation_file(
        &self,
        merchant: MerchantId,
        business_date: &str,
    ) -> Result<String, AppError> {
        let not_found = || AppError::from(MerchantsError::NotFound("settlement"));
        let day = business_date.parse::<Date>().map_err(|_| not_found())?;
        let row = self
            .settlement_store()
            .day(merchant, &day.to_string())
            .await?
            .ok_or_else(not_found)?;
        let m = self.merchant_record(merchant).await?;
        let d = self.day_activity(&m, day, row.carried_in_fen).await?;
        let (s, csv) = reconciliation_csv(&d.activity, &CalendarDays)
            .map_err(|_| corrupt("settlement day"))?;
        if s.net.fen() != row.net_fen {
            return Err(corrupt("settled day changed after settlement"));
        }
        Ok(csv)
    }
}

/// A plan whose fee on any payment is exactly `fee_fen` (rate 0, minimum = cap = the fee): how
/// the stored fee of a capture is split between issuer, network and acquirer.
fn charged(fee_fen: i64) -> Result<FeePlan, AppError> {
    let fee = Money::cny(fee_fen);
    let s = FeeSchedule::new(Rate::ZERO, fee, Some(fee)).map_err(|_| corrupt("order fee"))?;
    Ok(FeePlan {
        credit: s,
        debit: s,
    })
}
