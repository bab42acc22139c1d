//! The day loop (rule 13): each day, in order, (1) receive the day's events and allocate its
//! payments, (2) post what is due today, charges before credits, (3) post a late fee due
//! today, (4) accrue the day's interest, then run the paid-in-full test of a statement whose
//! last on-time day is today, and (5) cut the statement on a statement date. Installment
//! bookings and settlements are received in step 1; plans bill their periods in step 5.

use cardlife_kernel::{Money, round_half_up_to_fen};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::account::{
    AccountStatus, Arrear, Bucket, CreditAccount, FreePeriod, PlanPart, TempLimit,
};
use super::allocation::{Stage, order, split};
use super::cycle::{CycleDates, add_days, next_statement_after};
use super::dormancy::DormancyFacts;
use super::error::{BillingError, DeclineCode, InstallmentRefusal};
use super::event::{Event, EventKind, PurchaseRef, Terms};
use super::installment::{Plan, Source};
use super::interest;
use super::postings::{
    Counter, INSTALLMENT_FEE_RECEIVABLE, INSTALLMENT_UNBILLED, Postings, Why, receivable,
    receivable_of,
};
use super::product::{Product, ProductVersions};
use super::statement::{CycleTotals, LineKind, Statement, minimum_payment};
use crate::quote::{InstallmentQuote, Periods};

mod special;
use special::SpecialBooking;

/// A rejected event: its 1-based index, its date and why.
fn invalid(index: usize, date: Date, reason: String) -> BillingError {
    BillingError::InvalidEvent {
        index,
        date,
        reason,
    }
}

/// An installment event refused by rule `refusal`: its 1-based index, its date and why.
fn refused(index: usize, date: Date, refusal: InstallmentRefusal, reason: String) -> BillingError {
    BillingError::Installment {
        index,
        date,
        refusal,
        reason,
    }
}

/// A received item waiting for its posting date (`None`: an authorisation waiting for its
/// capture, reversal or expiry).
#[derive(Debug, Clone, Copy)]
struct Queued {
    bucket: Option<Bucket>,
    txn_date: Date,
    post_on: Option<Date>,
    amount: Money,
    hold: Option<u128>,
    event: Option<usize>,
    /// A refund of one purchase: that purchase's hold.
    refunds: Option<u128>,
}

/// The end state of a run.
#[derive(Debug)]
pub struct Outcome {
    /// Every statement cut, in date order.
    pub statements: Vec<Statement>,
    /// The last day processed.
    pub as_of: Date,
    /// Everything owed at the end of `as_of` (billed and unbilled, unbilled installment
    /// principal included; accrued interest excluded).
    pub balance: Money,
    /// Installment principal booked and not yet billed (part of `balance`).
    pub installments_unbilled: Money,
    /// Limit + valid temporary limit − balance − pending authorisations (rule 10; `balance`
    /// already holds the unbilled installment principal).
    pub available_credit: Money,
    /// Pending authorisations.
    pub pending: Money,
    /// Days past due at `as_of` (rule 11).
    pub days_past_due: i64,
    /// Every installment plan booked, settled ones included.
    pub plans: Vec<Plan>,
    /// The card's ledger.
    pub postings: Postings,
    /// The account's status at `as_of`.
    pub status: AccountStatus,
    /// The opening date.
    pub opened: Date,
    /// The date of the latest customer-initiated event (rule 12), if any.
    pub last_customer_activity: Option<Date>,
}

impl Outcome {
    /// What rule 12's dormancy test needs, for [`super::dormancy::is_dormant`].
    pub fn dormancy_facts(&self) -> DormancyFacts {
        DormancyFacts {
            opened: self.opened,
            last_customer_activity: self.last_customer_activity,
            balance: self.balance,
            status: self.status,
        }
    }

    /// Everything that disagrees between the engine and its ledger: the ledger's own
    /// invariants, each statement balance against the ledger at its cut, and the account
    /// balance and pending authorisations at the end. Empty when all reconcile.
    pub fn reconciliation_problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .postings
            .check()
            .violations
            .iter()
            .map(ToString::to_string)
            .collect();
        for s in &self.statements {
            if s.balance != s.ledger_balance {
                problems.push(format!(
                    "statement {}: balance {} but the ledger says {}",
                    s.statement_date, s.balance, s.ledger_balance
                ));
            }
        }
        match (
            self.postings.owed_in_all(),
            self.postings.pending(),
            self.postings.installments_unbilled(),
        ) {
            (Ok(owed), Ok(pending), Ok(unbilled)) => {
                if unbilled != self.installments_unbilled {
                    problems.push(format!(
                        "unbilled installment principal {} but the ledger says {unbilled}",
                        self.installments_unbilled
                    ));
                }
                if owed != self.balance {
                    problems.push(format!(
                        "balance {} but the ledger says {owed}",
                        self.balance
                    ));
                }
                if pending != self.pending {
                    problems.push(format!(
                        "pending {} but the ledger holds {pending}",
                        self.pending
                    ));
                }
            }
            (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => problems.push(e.to_string()),
        }
        problems
    }
}

/// A payment or refund as received, for the statement lines (docs/domain.md, interpretations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreditLine {
    /// The day it was received (payments) or posted (refunds).
    pub date: Date,
    /// Its amount.
    pub amount: Money,
    /// `true` for a refund, `false` for a payment.
    pub refund: bool,
    /// The index of the statement that shows it, once cut.
    pub statement: Option<usize>,
}

/// Where an account stands on a day, for a caller that keeps the engine running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    /// Everything owed (posted balance and unbilled installment principal; negative for a
    /// credit balance).
    pub balance: Money,
    /// Rule 10's available credit.
    pub available_credit: Money,
    /// Pending authorisations.
    pub pending: Money,
    /// The credit balance (溢缴款).
    pub overpayment: Money,
    /// Valid temporary limits.
    pub temp_limit: Money,
    /// Rule 11.
    pub days_past_due: i64,
    /// The status.
    pub status: AccountStatus,
}

/// A pending authorisation, as held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorisation {
    /// Its hold's transfer id in the card's ledger.
    pub hold: u128,
    /// The amount held.
    pub amount: Money,
    /// A cash advance.
    pub cash: bool,
    /// The day it was authorised.
    pub date: Date,
}

/// A posted, unbilled purchase a purchase installment may convert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvertiblePurchase {
    /// Its hold's transfer id in the card's ledger: how a conversion names it.
    pub hold: u128,
    /// The transaction date.
    pub transaction_date: Date,
    /// The posting date.
    pub posted: Date,
    /// What is still owed of it: what a conversion converts.
    pub amount: Money,
}

/// The billing engine of one card account.
#[derive(Debug, Clone)]
pub struct Engine {
    /// The product's versions.
    versions: ProductVersions,
    /// The version in force on the day being processed (set at the start of each day).
    product: Product,
    /// Its 1-based number.
    version: usize,
    opened: Date,
    credit_limit: Money,
    account: CreditAccount,
    postings: Postings,
    statements: Vec<Statement>,
    cycle: CycleTotals,
    next_statement: Date,
    queue: Vec<Queued>,
    late_fees: Vec<(Date, Money)>,
    plans: Vec<Plan>,
    /// The 1-based file index of each purchase event received, in order.
    purchase_events: Vec<usize>,
    /// What has been refunded of each purchase named by a refund, by hold.
    refunded: Vec<(u128, Money)>,
    status: AccountStatus,
    closed_on: Option<Date>,
    /// The last day the card is valid (the last day of its expiry month), if it expires.
    card_expires: Option<Date>,
    last_customer_activity: Option<Date>,
    /// The day open for events (between [`Engine::begin_day`] and [`Engine::end_day`]).
    today: Option<Date>,
    /// Events received so far (the next one's 1-based index is this + 1).
    received: usize,
    /// The hold of the latest authorisation received.
    last_hold: Option<u128>,
    credit_lines: Vec<CreditLine>,
    /// Days past due just before each credit that found the account past due, with its day:
    /// between credits the figure only grows, so these and today's give the worst of a window.
    dpd_before_credits: Vec<(Date, i64)>,
}

/// How the holder has paid (what an offer weighs, `crate::offer::Standing`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentRecord {
    /// Statements whose grace period ended in the 12 months up to the day asked (`today`
    /// excluded), and how many of those had their minimum payment met by the last on-time day.
    pub decided_12m: u32,
    /// Of those, met on time.
    pub on_time_12m: u32,
    /// The most days past due reached in those 12 months, today included.
    pub worst_days_past_due_12m: i64,
}

impl Engine {
    /// An account opened on `opened` with `credit_limit`, on a validated product.
    pub fn open(product: Product, opened: Date, credit_limit: Money) -> Result<Self, BillingError> {
        product.validate()?;
        Self::open_versioned(ProductVersions::single(product), opened, credit_limit)
    }

    /// An account opened on `opened` with `credit_limit`, on a versioned product whose first
    /// version is in force on the opening date. Each day runs under the version in force that
    /// day.
    pub fn open_versioned(
        versions: ProductVersions,
        opened: Date,
        credit_limit: Money,
    ) -> Result<Self, BillingError> {
        versions.check_opening(opened)?;
        let product = versions.version_on(opened).clone();
        let version = versions.number_on(opened);
        if !credit_limit.is_positive() {
            return Err(BillingError::InvalidAccount(
                "credit_limit must be positive".into(),
            ));
        }
        let next_statement = next_statement_after(opened, product.statement_day)?;
        Ok(Self {
            versions,
            product,
            version,
            opened,
            credit_limit,
            account: CreditAccount::default(),
            postings: Postings::open(opened)?,
            statements: Vec::new(),
            cycle: CycleTotals::default(),
            next_statement,
            queue: Vec::new(),
            late_fees: Vec::new(),
            plans: Vec::new(),
            purchase_events: Vec::new(),
            refunded: Vec::new(),
            status: AccountStatus::Active,
            closed_on: None,
            card_expires: None,
            last_customer_activity: None,
            today: None,
            received: 0,
            last_hold: None,
            credit_lines: Vec::new(),
            dpd_before_credits: Vec::new(),
        })
    }

    /// The card expires at the end of `month` of `year`: authorisations dated after the last
    /// day of that month are declined (`card_expired`).
    pub fn with_card_expiry(mut self, year: i16, month: i8) -> Result<Self, BillingError> {
        let first = Date::new(year, month, 1).map_err(|e| {
            BillingError::InvalidAccount(format!("card_expires {year:04}-{month:02}: {e}"))
        })?;
        self.card_expires = Some(first.last_of_month());
        Ok(self)
    }

    /// Runs every day from the opening date through `until`, applying `events` (in date order).
    pub fn run(mut self, events: &[Event], until: Date) -> Result<Outcome, BillingError> {
        self.validate_events(events, until)?;
        let mut next = 0;
        let mut day = self.opened;
        while day <= until {
            self.begin_day(day)?;
            while let Some(e) = events.get(next).filter(|e| e.date == day) {
                next += 1;
                self.receive(e)?;
            }
            self.end_day(day)?;
            day = add_days(day, 1)?;
        }
        self.finish(until)
    }

    /// Opens `day` for events: the product version in force that day, then authorisations
    /// older than `authorisation_expiry_days` expire (their holds are voided).
    pub fn begin_day(&mut self, day: Date) -> Result<(), BillingError> {
        self.enter(day);
        self.today = Some(day);
        self.expire_authorisations(day)
    }

    /// Receives one event of the open day (step 1). On an error the engine may be part-way
    /// through the event: a caller that keeps running must apply it to a clone first.
    pub fn receive(&mut self, e: &Event) -> Result<(), BillingError> {
        self.received += 1;
        let index = self.received;
        if self.today != Some(e.date) {
            return Err(invalid(
                index,
                e.date,
                format!("the day open for events is {:?}", self.today),
            ));
        }
        if e.kind.amount().is_some_and(|a| !a.is_positive()) {
            return Err(invalid(index, e.date, "the amount must be positive".into()));
        }
        if let EventKind::TempLimit { until, .. } = e.kind
            && until < e.date
        {
            return Err(invalid(
                index,
                e.date,
                "a temporary limit must end on or after its start".into(),
            ));
        }
        self.receive_at(index, e)
    }

    /// Receives an authorisation in place, without a clone: every way it can be refused (the
    /// day, the amount, the status, the card's expiry, the available credit, the cash limit)
    /// is found before anything changes but the event counter and the last customer activity,
    /// and those two are put back, so after `Err` the engine is exactly as it was. `None` for
    /// the other events (apply those to a clone). An error that is not a refusal
    /// ([`BillingError::refused_unchanged`] false) may have left the engine part-way: rebuild it.
    pub fn receive_in_place(&mut self, e: &Event) -> Option<Result<(), BillingError>> {
        if !matches!(e.kind, EventKind::Authorise { .. }) {
            return None;
        }
        let before = (self.received, self.last_customer_activity);
        let result = self.receive(e);
        if result.as_ref().is_err_and(BillingError::refused_unchanged) {
            (self.received, self.last_customer_activity) = before;
        }
        Some(result)
    }

    /// Closes `day`: posts what is due, late fees, accrues interest, runs the paid-in-full
    /// test and cuts the statement on a statement date (steps 2–5).
    pub fn end_day(&mut self, day: Date) -> Result<(), BillingError> {
        self.post_due(day)?;
        self.post_late_fees(day)?;
        interest::accrue_day(&mut self.account.items, self.product.daily_rate)?;
        self.decide(day)?;
        if day == self.next_statement {
            self.cut(day)?;
        }
        self.today = None;
        Ok(())
    }

    /// Closes every day before `day` not yet closed and opens `day` (the opening date first,
    /// when nothing was opened yet). A `day` already open is a no-op; an earlier one is refused.
    pub fn advance_to(&mut self, day: Date) -> Result<(), BillingError> {
        let mut current = match self.today {
            Some(d) => d,
            None => {
                self.begin_day(self.opened)?;
                self.opened
            }
        };
        if day < current {
            return Err(BillingError::InvalidAccount(format!(
                "{day} is before the day open for events, {current}"
            )));
        }
        while current < day {
            self.end_day(current)?;
            current = add_days(current, 1)?;
            self.begin_day(current)?;
        }
        Ok(())
    }

    /// The day open for events, if any.
    pub fn today(&self) -> Option<Date> {
        self.today
    }

    /// The opening date.
    pub fn opened(&self) -> Date {
        self.opened
    }

    /// The permanent credit limit.
    pub fn credit_limit(&self) -> Money {
        self.credit_limit
    }

    /// The last day the card is valid, if it expires.
    pub fn card_expires(&self) -> Option<Date> {
        self.card_expires
    }

    /// The product version in force on the open day.
    pub fn product(&self) -> &Product {
        &self.product
    }

    /// The product version in force on `date` (a quote's day may be ahead of the open day).
    pub fn product_on(&self, date: Date) -> &Product {
        self.versions.version_on(date)
    }

    /// The hold id of the latest authorisation received ([`EventKind::Authorise`]).
    pub fn last_hold(&self) -> Option<u128> {
        self.last_hold
    }

    /// Every installment plan booked so far, settled ones included, in booking order.
    pub fn plans(&self) -> &[Plan] {
        &self.plans
    }

    /// Every statement cut so far, in date order.
    pub fn statements(&self) -> &[Statement] {
        &self.statements
    }

    /// The charges (posted items) billed on statement `index`, in posting order.
    pub fn statement_items(&self, index: usize) -> impl Iterator<Item = &super::account::Item> {
        self.account
            .items
            .iter()
            .filter(move |i| i.statement == Some(index))
    }

    /// The payments and refunds shown on statement `index`, in order of receipt.
    pub fn statement_credits(&self, index: usize) -> impl Iterator<Item = &CreditLine> {
        self.credit_lines
            .iter()
            .filter(move |c| c.statement == Some(index))
    }

    /// The pending authorisations (captured ones wait for today's posting and are not listed).
    pub fn authorisations(&self) -> impl Iterator<Item = Authorisation> + '_ {
        self.queue
            .iter()
            .filter(|q| q.post_on.is_none())
            .filter_map(|q| {
                Some(Authorisation {
                    hold: q.hold?,
                    amount: q.amount,
                    cash: q.bucket == Some(Bucket::Cash),
                    date: q.txn_date,
                })
            })
    }

    /// Balances, available credit, delinquency and status on `day`.
    pub fn summary(&self, day: Date) -> Result<Summary, BillingError> {
        Ok(Summary {
            balance: self
                .account
                .posted_balance()?
                .checked_add(self.installments_unbilled()?)?,
            available_credit: self.available(day)?,
            pending: self.pending()?,
            overpayment: self.account.overpayment,
            temp_limit: self.account.temp_limit_on(day)?,
            days_past_due: self.account.days_past_due(day),
            status: self.status,
        })
    }

    /// What rule 12's dormancy test needs.
    pub fn dormancy_facts(&self) -> Result<DormancyFacts, BillingError> {
        Ok(DormancyFacts {
            opened: self.opened,
            last_customer_activity: self.last_customer_activity,
            balance: self
                .account
                .posted_balance()?
                .checked_add(self.installments_unbilled()?)?,
            status: self.status,
        })
    }

    /// The card's ledger, to take its changes for a mirror.
    pub fn postings_mut(&mut self) -> &mut Postings {
        &mut self.postings
    }

    /// The card's ledger, read-only.
    pub fn postings(&self) -> &Postings {
        &self.postings
    }

    /// Voids the holds of authorisations dated `authorisation_expiry_days` or more before `day`.
    fn expire_authorisations(&mut self, day: Date) -> Result<(), BillingError> {
        let days = self.product.authorisation_expiry_days;
        let mut expired = Vec::new();
        for q in self.queue.iter().filter(|q| q.post_on.is_none()) {
            if add_days(q.txn_date, days)? <= day {
                expired.extend(q.hold);
            }
        }
        for hold in expired {
            self.postings.void_hold(hold, day)?;
            self.queue.retain(|q| q.hold != Some(hold));
        }
        Ok(())
    }

    /// Makes the version in force on `day` the current product.
    fn enter(&mut self, day: Date) {
        let number = self.versions.number_on(day);
        if number != self.version {
            self.version = number;
            self.product = self.versions.version_on(day).clone();
        }
    }

    fn validate_events(&self, events: &[Event], until: Date) -> Result<(), BillingError> {
        if until < self.opened {
            return Err(BillingError::InvalidAccount(format!(
                "run.until {until} is before the opening date {}",
                self.opened
            )));
        }
        let mut last = self.opened;
        for (i, e) in events.iter().enumerate() {
            let bad = |reason: &str| BillingError::InvalidEvent {
                index: i + 1,
                date: e.date,
                reason: reason.into(),
            };
            if e.date < last {
                return Err(bad(
                    "events must be in date order, on or after the opening date",
                ));
            }
            if e.date > until {
                return Err(bad("the event is after run.until"));
            }
            if e.kind.amount().is_some_and(|a| !a.is_positive()) {
                return Err(bad("the amount must be positive"));
            }
            if let Some(t) = e.kind.terms() {
                Periods::new(t.periods).map_err(|err| bad(&err.to_string()))?;
                if t.rate.is_negative() {
                    return Err(bad("the installment rate must not be negative"));
                }
            }
            if let EventKind::PurchaseInstallment {
                purchase: PurchaseRef::Nth(0),
                ..
            }
            | EventKind::SettleInstallment { plan: 0 } = e.kind
            {
                return Err(bad("purchase and plan numbers are 1-based"));
            }
            if let EventKind::TempLimit { until: end, .. } = e.kind
                && end < e.date
            {
                return Err(bad("a temporary limit must end on or after its start"));
            }
            last = e.date;
        }
        Ok(())
    }

    fn finish(self, as_of: Date) -> Result<Outcome, BillingError> {
        let installments_unbilled = self.installments_unbilled()?;
        let balance = self
            .account
            .posted_balance()?
            .checked_add(installments_unbilled)?;
        let pending = self.pending()?;
        let available_credit = self.available(as_of)?;
        Ok(Outcome {
            statements: self.statements,
            as_of,
            balance,
            installments_unbilled,
            available_credit,
            pending,
            days_past_due: self.account.days_past_due(as_of),
            plans: self.plans,
            postings: self.postings,
            status: self.status,
            opened: self.opened,
            last_customer_activity: self.last_customer_activity,
        })
    }

    /// Installment principal booked and not yet billed, over every plan.
    fn installments_unbilled(&self) -> Result<Money, BillingError> {
        self.plans
            .iter()
            .try_fold(Money::cny(0), |acc, p| acc.checked_add(p.unbilled))
            .map_err(BillingError::from)
    }

    fn pending(&self) -> Result<Money, BillingError> {
        self.queue
            .iter()
            .filter(|q| q.hold.is_some())
            .try_fold(Money::cny(0), |acc, q| acc.checked_add(q.amount))
            .map_err(BillingError::from)
    }

    /// Rule 10: limit + valid temporary limit − posted balance − pending authorisations −
    /// unbilled installment principal; special-purpose principal (专项分期), billed or not,
    /// occupies its own limit instead, so it is taken back out.
    fn available(&self, day: Date) -> Result<Money, BillingError> {
        Ok(self
            .credit_limit
            .checked_add(self.account.temp_limit_on(day)?)?
            .checked_sub(self.account.posted_balance()?)?
            .checked_sub(self.pending()?)?
            .checked_sub(self.installments_unbilled()?)?
            .checked_add(self.special_outside_limit()?)?)
    }

    // ----- step 1: receive -----

    fn receive_at(&mut self, index: usize, e: &Event) -> Result<(), BillingError> {
        let lag = self.product.posting_lag_days;
        self.check_status(index, e)?;
        if e.kind.is_customer_initiated() {
            self.last_customer_activity = Some(e.date);
        }
        match e.kind {
            EventKind::Freeze => {
                self.status = AccountStatus::Frozen;
                Ok(())
            }
            EventKind::Unfreeze => {
                self.status = AccountStatus::Active;
                Ok(())
            }
            EventKind::Close => self.close(index, e.date),
            EventKind::Payment { amount } => {
                self.credit(e.date, amount, Counter::Repayment, Why::Payment)
            }
            EventKind::Refund { amount } => {
                self.queue.push(Queued {
                    bucket: None,
                    txn_date: e.date,
                    post_on: Some(add_days(e.date, lag)?),
                    amount,
                    hold: None,
                    event: None,
                    refunds: None,
                });
                Ok(())
            }
            EventKind::PurchaseRefund { hold, amount } => {
                self.queue.push(Queued {
                    bucket: None,
                    txn_date: e.date,
                    post_on: Some(add_days(e.date, lag)?),
                    amount,
                    hold: None,
                    event: None,
                    refunds: Some(hold),
                });
                Ok(())
            }
            EventKind::Purchase { amount } => {
                self.purchase_events.push(index);
                let post_on = add_days(e.date, lag)?;
                self.authorise(index, e.date, Bucket::Purchase, amount, Some(post_on))
            }
            EventKind::Authorise { amount, cash } => {
                let bucket = if cash { Bucket::Cash } else { Bucket::Purchase };
                self.authorise(index, e.date, bucket, amount, None)
            }
            EventKind::Capture { hold, amount } => self.capture(index, e.date, hold, amount),
            EventKind::Reverse { hold } => self.reverse(index, e.date, hold),
            EventKind::BillInstallment { amount, terms } => {
                self.book_bill(index, e.date, amount, terms)
            }
            EventKind::PurchaseInstallment { purchase, terms } => {
                self.book_purchase(index, e.date, purchase, terms)
            }
            EventKind::CashInstallment { amount, terms } => {
                self.book_cash(index, e.date, amount, terms)
            }
            EventKind::HardshipInstallment { amount, terms } => {
                self.book_hardship(index, e.date, amount, terms)
            }
            EventKind::SpecialInstallment {
                amount,
                terms,
                purpose,
                merchant,
                limit,
            } => self.book_special(
                index,
                e.date,
                SpecialBooking {
                    amount,
                    terms,
                    purpose,
                    merchant,
                    limit,
                },
            ),
            EventKind::SettleInstallment { plan } => self.settle(index, e.date, plan),
            EventKind::CashAdvance { amount } => {
                let post_on = add_days(e.date, lag)?;
                self.authorise(index, e.date, Bucket::Cash, amount, Some(post_on))
            }
            EventKind::TempLimit { amount, until } => {
                self.account.temp_limits.push(TempLimit {
                    amount,
                    from: e.date,
                    until,
                });
                Ok(())
            }
        }
    }

    /// What the account's status allows: a closed account refuses everything (a payment with
    /// its own error, an authorisation with `account_closed`); a frozen one declines purchases
    /// and cash advances (`account_frozen`) and accepts the rest; `freeze` needs an active
    /// account and `unfreeze` a frozen one. Then an authorisation after the card's expiry is
    /// declined (`card_expired`).
    fn check_status(&self, index: usize, e: &Event) -> Result<(), BillingError> {
        let day = e.date;
        let authorisation = matches!(
            e.kind,
            EventKind::Purchase { .. }
                | EventKind::CashAdvance { .. }
                | EventKind::Authorise { .. }
                | EventKind::CashInstallment { .. }
                | EventKind::SpecialInstallment { .. }
        );
        let declined = |code: DeclineCode, reason: String| BillingError::Declined {
            index,
            date: day,
            code,
            reason,
        };
        if self.status == AccountStatus::Closed {
            let on = self.closed_on.unwrap_or(day);
            if matches!(e.kind, EventKind::Payment { .. }) {
                return Err(BillingError::PaymentOnClosedAccount {
                    index,
                    date: day,
                    closed_on: on,
                });
            }
            if authorisation {
                return Err(declined(
                    DeclineCode::AccountClosed,
                    format!("the account was closed on {on}"),
                ));
            }
            return Err(invalid(
                index,
                day,
                format!("the account was closed on {on}: no event is accepted after closing"),
            ));
        }
        match self.status {
            AccountStatus::Frozen if authorisation => {
                return Err(declined(
                    DeclineCode::AccountFrozen,
                    "the account is frozen".into(),
                ));
            }
            AccountStatus::Frozen if e.kind == EventKind::Freeze => {
                return Err(invalid(index, day, "the account is already frozen".into()));
            }
            AccountStatus::Active if e.kind == EventKind::Unfreeze => {
                return Err(invalid(
                    index,
                    day,
                    "unfreeze needs a frozen account; it is active".into(),
                ));
            }
            _ => {}
        }
        if let Some(last) = self.card_expires
            && authorisation
            && day > last
        {
            return Err(declined(
                DeclineCode::CardExpired,
                format!("the card expired after {last}"),
            ));
        }
        Ok(())
    }

    /// Closing needs a zero balance and nothing that could still change it: no pending
    /// authorisation or refund, no unbilled installment principal, no accrued interest (known
    /// or deferred), no late fee to post and no uncovered arrears.
    fn close(&mut self, index: usize, day: Date) -> Result<(), BillingError> {
        let refuse = |reason: String| BillingError::CloseRefused {
            index,
            date: day,
            reason,
        };
        let balance = self
            .account
            .posted_balance()?
            .checked_add(self.installments_unbilled()?)?;
        if balance.is_positive() {
            return Err(refuse(format!("the balance is {balance}, not zero")));
        }
        if balance.is_negative() {
            return Err(refuse(format!(
                "the balance is {balance} (a credit balance to refund first), not zero"
            )));
        }
        if !self.queue.is_empty() {
            return Err(refuse(format!(
                "{} transaction(s) are pending (authorised or refunded, not yet posted)",
                self.queue.len()
            )));
        }
        let accrued = self
            .account
            .items
            .iter()
            .any(|i| !i.known.is_zero() || !i.deferred.is_zero());
        if accrued {
            return Err(refuse(
                "interest has accrued and is not yet billed or decided".into(),
            ));
        }
        if let Some((on, fee)) = self.late_fees.iter().find(|(on, _)| *on >= day) {
            return Err(refuse(format!(
                "a late fee of {fee} is due to post on {on}"
            )));
        }
        let arrears = self.account.arrears_total()?;
        if arrears.is_positive() {
            return Err(refuse(format!("{arrears} of missed minimums is uncovered")));
        }
        self.status = AccountStatus::Closed;
        self.closed_on = Some(day);
        Ok(())
    }

    fn cash_fee(&self, amount: Money) -> Result<Money, BillingError> {
        let exact = Decimal::from(amount.fen()) * Product::fraction(self.product.cash_fee_pct);
        Ok(Money::cny(round_half_up_to_fen(exact)?).max(self.product.cash_fee_min)?)
    }

    fn authorise(
        &mut self,
        index: usize,
        day: Date,
        bucket: Bucket,
        amount: Money,
        post_on: Option<Date>,
    ) -> Result<(), BillingError> {
        let decline = |code: DeclineCode| {
            move |asked: Money, available: Money| BillingError::CreditLimitExceeded {
                index,
                date: day,
                amount: asked.to_string(),
                available: available.to_string(),
                code,
            }
        };
        let available = self.available(day)?;
        let asked = if bucket == Bucket::Cash {
            amount.checked_add(self.cash_fee(amount)?)?
        } else {
            amount
        };
        if asked > available {
            return Err(decline(DeclineCode::InsufficientCredit)(asked, available));
        }
        if bucket == Bucket::Cash {
            self.check_cash_limit(amount, &decline(DeclineCode::CashLimitExceeded))?;
        }
        let hold = self.postings.hold(bucket, amount, day)?;
        self.last_hold = Some(hold);
        self.queue.push(Queued {
            bucket: Some(bucket),
            txn_date: day,
            post_on,
            amount,
            hold: Some(hold),
            event: Some(index),
            refunds: None,
        });
        Ok(())
    }

    /// Captures `amount` of a pending authorisation: it posts today (step 2), at most what
    /// is held; the ledger releases the rest of the hold.
    fn capture(
        &mut self,
        index: usize,
        day: Date,
        hold: u128,
        amount: Money,
    ) -> Result<(), BillingError> {
        let Some(q) = self
            .queue
            .iter_mut()
            .find(|q| q.hold == Some(hold) && q.post_on.is_none())
        else {
            return Err(BillingError::UnknownAuthorisation {
                index,
                date: day,
                hold,
            });
        };
        if amount > q.amount {
            return Err(BillingError::CaptureExceedsAuthorisation {
                index,
                date: day,
                amount: amount.to_string(),
                authorised: q.amount.to_string(),
            });
        }
        q.amount = amount;
        q.post_on = Some(day);
        Ok(())
    }

    /// Reverses a pending authorisation: its whole hold is voided today.
    fn reverse(&mut self, index: usize, day: Date, hold: u128) -> Result<(), BillingError> {
        let Some(at) = self
            .queue
            .iter()
            .position(|q| q.hold == Some(hold) && q.post_on.is_none())
        else {
            return Err(BillingError::UnknownAuthorisation {
                index,
                date: day,
                hold,
            });
        };
        self.queue.remove(at);
        self.postings.void_hold(hold, day)
    }

    /// Cash advances may use at most `cash_limit_pct` of the permanent limit.
    fn check_cash_limit(
        &self,
        amount: Money,
        decline: &dyn Fn(Money, Money) -> BillingError,
    ) -> Result<(), BillingError> {
        let exact =
            Decimal::from(self.credit_limit.fen()) * Product::fraction(self.product.cash_limit_pct);
        let cash_limit = Money::cny(round_half_up_to_fen(exact)?);
        let used = self
            .account
            .outstanding_where(|i| i.bucket == Bucket::Cash)?;
        let pending = self
            .queue
            .iter()
            .filter(|q| q.bucket == Some(Bucket::Cash))
            .try_fold(Money::cny(0), |acc, q| acc.checked_add(q.amount))?;
        let room = cash_limit.checked_sub(used)?.checked_sub(pending)?;
        if amount > room {
            return Err(decline(amount, room));
        }
        Ok(())
    }

    /// A payment or refund: allocated at once by rule 9, the excess to the overpayment.
    fn credit(
        &mut self,
        day: Date,
        amount: Money,
        source: Counter,
        why: Why,
    ) -> Result<(), BillingError> {
        let stage = Stage::of(self.account.days_past_due(day));
        let sequence = order(&self.account.items, stage, &self.product.allocation_order);
        let (parts, left) = split(&self.account.items, &sequence, amount)?;
        for (i, part) in parts {
            let item = &mut self.account.items[i];
            item.outstanding = item.outstanding.checked_sub(part)?;
            let to = receivable_of(item);
            self.postings
                .move_money(source as u128, to, part, why, day)?;
        }
        if left.is_positive() {
            self.account.overpayment = self.account.overpayment.checked_add(left)?;
            let to = Counter::Overpayment as u128;
            self.postings
                .move_money(source as u128, to, left, why, day)?;
        }
        self.cycle.payments_credits = self.cycle.payments_credits.checked_add(amount)?;
        self.credit_lines.push(CreditLine {
            date: day,
            amount,
            refund: why == Why::Refund,
            statement: None,
        });
        if let Some(s) = self.statements.last_mut()
            && s.statement_date < day
            && day <= s.last_on_time
        {
            s.credits_to_grace = s.credits_to_grace.checked_add(amount)?;
        }
        self.cover_arrears(day, amount)
    }

    /// Applies a credit to the arrears, noting how far past due the account was just before.
    fn cover_arrears(&mut self, day: Date, amount: Money) -> Result<(), BillingError> {
        let dpd = self.account.days_past_due(day);
        if dpd > 0 {
            self.dpd_before_credits.push((day, dpd));
        }
        self.account.cover_arrears(amount)
    }

    /// How the holder has paid in the 12 months up to `today`.
    pub fn payment_record(&self, today: Date) -> Result<PaymentRecord, BillingError> {
        let from = today.checked_sub(jiff::Span::new().months(12))?;
        let mut record = PaymentRecord {
            decided_12m: 0,
            on_time_12m: 0,
            worst_days_past_due_12m: self.account.days_past_due(today),
        };
        for s in self
            .statements
            .iter()
            .filter(|s| from <= s.last_on_time && s.last_on_time < today)
        {
            record.decided_12m += 1;
            let met = s.paid_in_full == Some(true) || s.credits_to_grace >= s.minimum_payment;
            record.on_time_12m += u32::from(met);
        }
        for &(_, dpd) in self.dpd_before_credits.iter().filter(|(d, _)| from <= *d) {
            record.worst_days_past_due_12m = record.worst_days_past_due_12m.max(dpd);
        }
        Ok(record)
    }

    // ----- steps 2 and 3: posting -----

    fn post_due(&mut self, day: Date) -> Result<(), BillingError> {
        let (due, rest): (Vec<Queued>, Vec<Queued>) =
            self.queue.iter().partition(|q| q.post_on == Some(day));
        self.queue = rest;
        for q in due.iter().filter(|q| q.bucket.is_some()) {
            self.post_charge(q, day)?;
        }
        for q in due.iter().filter(|q| q.bucket.is_none()) {
            self.credit(day, q.amount, Counter::Merchant, Why::Refund)?;
            if let Some(hold) = q.refunds {
                self.note_refund(hold, q.amount, day)?;
            }
        }
        Ok(())
    }

    fn post_charge(&mut self, q: &Queued, day: Date) -> Result<(), BillingError> {
        if let Some(hold) = q.hold {
            self.postings.post_hold_part(hold, q.amount, day)?;
        }
        let bucket = q.bucket.unwrap_or(Bucket::Purchase);
        let i = self.account.push(bucket, q.txn_date, day, q.amount);
        self.account.items[i].event = q.event;
        self.account.items[i].hold = q.hold;
        if bucket == Bucket::Cash {
            self.cycle.cash_advances = self.cycle.cash_advances.checked_add(q.amount)?;
            // No free period: the days between the advance and its posting bear interest too.
            let rate_days = self.versions.rate_days(q.txn_date, day)?;
            self.account.items[i].known = interest::exact_over(q.amount, rate_days)?;
            self.absorb(i, day)?;
            let fee = self.cash_fee(q.amount)?;
            self.post_fee(fee, q.txn_date, day, Why::CashFee)
        } else {
            self.cycle.purchases = self.cycle.purchases.checked_add(q.amount)?;
            self.absorb(i, day)
        }
    }

    fn post_fee(
        &mut self,
        fee: Money,
        txn_date: Date,
        day: Date,
        why: Why,
    ) -> Result<(), BillingError> {
        if fee.is_zero() {
            return Ok(());
        }
        let i = self.account.push(Bucket::Fee, txn_date, day, fee);
        self.cycle.fees = self.cycle.fees.checked_add(fee)?;
        let (to, from) = (receivable(Bucket::Fee), Counter::FeeIncome as u128);
        self.postings.move_money(to, from, fee, why, day)?;
        self.absorb(i, day)
    }

    /// An overpayment absorbs a charge as it posts.
    fn absorb(&mut self, i: usize, day: Date) -> Result<(), BillingError> {
        let item = &mut self.account.items[i];
        let take = self.account.overpayment.min(item.outstanding)?;
        if !take.is_positive() {
            return Ok(());
        }
        item.outstanding = item.outstanding.checked_sub(take)?;
        self.account.overpayment = self.account.overpayment.checked_sub(take)?;
        let to = receivable_of(item);
        self.postings
            .move_money(Counter::Overpayment as u128, to, take, Why::Absorb, day)
    }

    fn post_late_fees(&mut self, day: Date) -> Result<(), BillingError> {
        let (due, rest): (Vec<_>, Vec<_>) = self.late_fees.iter().partition(|(d, _)| *d == day);
        self.late_fees = rest;
        for (_, fee) in due {
            self.post_fee(fee, day, day, Why::LateFee)?;
        }
        Ok(())
    }

    // ----- step 4 (end): the paid-in-full test -----

    fn decide(&mut self, day: Date) -> Result<(), BillingError> {
        let index = self.statements.len().wrapping_sub(1);
        let Some(s) = self.statements.get(index) else {
            return Ok(());
        };
        if s.last_on_time != day || s.paid_in_full.is_some() {
            return Ok(());
        }
        let paid = s.passes_paid_in_full(self.product.tolerance)?;
        let late_fee = s.late_fee(&self.product, paid)?;
        let shortfall = s.minimum_payment.checked_sub(s.credits_to_grace)?;
        let p = &self.product;
        interest::decide(
            &mut self.account.items,
            index,
            paid,
            p.revolving_interest,
            &self.versions,
            day,
        )?;
        if let Some(fee) = late_fee {
            self.late_fees.push((add_days(day, 1)?, fee));
            let new = shortfall.checked_sub(self.account.arrears_total()?)?;
            if new.is_positive() {
                self.account.arrears.push_back(Arrear {
                    last_on_time: day,
                    remaining: new,
                });
            }
        }
        if let Some(s) = self.statements.get_mut(index) {
            s.paid_in_full = Some(paid);
        }
        Ok(())
    }

    // ----- step 5: the statement -----

    fn cut(&mut self, day: Date) -> Result<(), BillingError> {
        let interest = interest::bill(&mut self.account.items)?;
        if interest.is_positive() {
            let i = self.account.push(Bucket::Interest, day, day, interest);
            self.cycle.post(LineKind::Interest, interest)?;
            let (to, from) = (
                receivable(Bucket::Interest),
                Counter::InterestIncome as u128,
            );
            self.postings
                .move_money(to, from, interest, Why::Interest, day)?;
            self.absorb(i, day)?;
        }
        self.bill_plans(day)?;
        let index = self.statements.len();
        for item in self
            .account
            .items
            .iter_mut()
            .filter(|i| i.statement.is_none())
        {
            item.statement = Some(index);
        }
        for line in self
            .credit_lines
            .iter_mut()
            .filter(|c| c.statement.is_none())
        {
            line.statement = Some(index);
        }
        let previous = self.statements.last();
        let previous_balance = previous.map_or(Money::cny(0), |s| s.balance);
        let balance = self.cycle.balance(previous_balance)?;
        let from_items = self.account.posted_balance()?;
        if balance != from_items {
            return Err(BillingError::Invariant(format!(
                "statement {day}: rule 3 gives {balance}, the items owe {from_items}"
            )));
        }
        let minimum = minimum_payment(
            &self.product,
            &self.account,
            index,
            balance,
            previous,
            &self.cycle,
            self.credit_limit,
        )?;
        let dates = CycleDates::of(day, &self.product)?;
        self.statements.push(Statement {
            statement_date: day,
            due_date: dates.due,
            last_on_time: dates.last_on_time,
            previous_balance,
            totals: self.cycle,
            balance,
            minimum_payment: minimum,
            credits_to_grace: Money::cny(0),
            converted: Money::cny(0),
            paid_in_full: None,
            ledger_balance: self.postings.owed()?,
            product_version: self.version,
        });
        self.cycle = CycleTotals::default();
        self.next_statement = next_statement_after(day, self.product.statement_day)?;
        Ok(())
    }

    // ----- installments (docs/domain.md §4) -----

    /// The plan's schedule, within the product's installment amounts.
    fn quote(
        &self,
        index: usize,
        day: Date,
        amount: Money,
        terms: Terms,
    ) -> Result<InstallmentQuote, BillingError> {
        let no = |refusal: InstallmentRefusal, reason: String| refused(index, day, refusal, reason);
        let (min, max) = (self.product.installment_min, self.product.installment_max);
        if amount < min {
            return Err(no(
                InstallmentRefusal::BelowMinimum,
                format!("installment {amount} is below the product minimum {min}"),
            ));
        }
        if amount > max {
            return Err(no(
                InstallmentRefusal::AboveMaximum,
                format!("installment {amount} is above the product maximum {max}"),
            ));
        }
        self.quote_terms(index, day, amount, terms)
    }

    /// The plan's schedule (the amount already checked against its product range).
    fn quote_terms(
        &self,
        index: usize,
        day: Date,
        amount: Money,
        terms: Terms,
    ) -> Result<InstallmentQuote, BillingError> {
        let no = |refusal: InstallmentRefusal, reason: String| refused(index, day, refusal, reason);
        let periods = Periods::new(terms.periods)
            .map_err(|e| no(InstallmentRefusal::Terms, e.to_string()))?;
        InstallmentQuote::new(amount, periods, terms.rate, terms.fee_mode)
            .map_err(|e| no(InstallmentRefusal::Terms, format!("installment: {e}")))
    }

    /// A bill installment: `amount` of the latest statement, between its statement date
    /// (exclusive) and its due date (inclusive). Only billed purchase principal is convertible,
    /// never the part of the statement above the permanent limit; the converted part counts as
    /// paid for the statement and shows as a credit of the cycle.
    fn book_bill(
        &mut self,
        index: usize,
        day: Date,
        amount: Money,
        terms: Terms,
    ) -> Result<(), BillingError> {
        use InstallmentRefusal as R;
        let bad = |refusal: R, reason: String| refused(index, day, refusal, reason);
        let zero = Money::cny(0);
        let Some(s) = self.statements.last() else {
            return Err(bad(
                R::WindowClosed,
                "a bill installment needs a statement, and none has been cut yet".into(),
            ));
        };
        if !(s.statement_date < day && day <= s.due_date) {
            return Err(bad(
                R::WindowClosed,
                format!(
                    "a bill installment must be requested after the statement date and by the \
                     due date: the latest statement, {}, was due {}",
                    s.statement_date, s.due_date
                ),
            ));
        }
        let unpaid = s.balance.checked_sub(s.credits_to_grace)?.max(zero)?;
        if amount > unpaid {
            let paid = s.credits_to_grace.checked_sub(s.converted)?;
            return Err(bad(
                R::ExceedsUnconverted,
                format!(
                    "bill installment {amount} exceeds the {unpaid} of the {} statement still \
                     unpaid and unconverted (balance {}, paid {paid}, already installed {})",
                    s.statement_date, s.balance, s.converted
                ),
            ));
        }
        let within_limit = s
            .balance
            .min(self.credit_limit)?
            .checked_sub(s.converted)?
            .max(zero)?;
        if amount > within_limit {
            let over = s.balance.checked_sub(self.credit_limit)?;
            return Err(bad(
                R::OverPermanentLimit,
                format!(
                    "bill installment {amount} exceeds the {within_limit} installable: the {over} \
                     of the {} statement above the permanent limit {} is not installable (rule 10)",
                    s.statement_date, self.credit_limit
                ),
            ));
        }
        let convertible = self
            .account
            .outstanding_where(|i| i.bucket == Bucket::Purchase && i.statement.is_some())?;
        if amount > convertible {
            return Err(bad(
                R::NotConvertible,
                format!(
                    "bill installment {amount} exceeds the {convertible} convertible: only billed \
                     purchase principal is convertible (not fees, interest, cash advances or \
                     installments)"
                ),
            ));
        }
        let quote = self.quote(index, day, amount, terms)?;
        let items = &self.account.items;
        let mut billed: Vec<usize> = (0..items.len())
            .filter(|&i| {
                items[i].bucket == Bucket::Purchase
                    && items[i].statement.is_some()
                    && items[i].outstanding.is_positive()
            })
            .collect();
        billed.sort_by_key(|&i| (items[i].statement, items[i].seq));
        let mut left = amount;
        for i in billed {
            if !left.is_positive() {
                break;
            }
            let item = &mut self.account.items[i];
            let take = left.min(item.outstanding)?;
            item.outstanding = item.outstanding.checked_sub(take)?;
            left = left.checked_sub(take)?;
            let from = receivable(Bucket::Purchase);
            self.postings.move_money(
                INSTALLMENT_UNBILLED,
                from,
                take,
                Why::InstallmentBooking,
                day,
            )?;
        }
        let statement = self.statements.len() - 1;
        if let Some(s) = self.statements.last_mut() {
            s.converted = s.converted.checked_add(amount)?;
            s.credits_to_grace = s.credits_to_grace.checked_add(amount)?;
        }
        self.cycle.payments_credits = self.cycle.payments_credits.checked_add(amount)?;
        self.add_plan(Source::Bill { statement }, day, quote)
    }

    /// The item a purchase reference names, and how to name it in a refusal.
    fn find_purchase(
        &self,
        index: usize,
        day: Date,
        purchase: PurchaseRef,
    ) -> Result<(usize, String), BillingError> {
        use InstallmentRefusal as R;
        let bad = |refusal: R, reason: String| refused(index, day, refusal, reason);
        let not_posted = |what: &str| {
            bad(
                R::PurchaseNotPosted,
                format!(
                    "{what} is not posted yet: a purchase is convertible from its posting date \
                     until its statement"
                ),
            )
        };
        match purchase {
            PurchaseRef::Nth(n) => {
                let Some(&event) = self.purchase_events.get(n.wrapping_sub(1)) else {
                    return Err(bad(
                        R::PurchaseUnknown,
                        format!(
                            "purchase {n} has not been received ({} purchase(s) so far)",
                            self.purchase_events.len()
                        ),
                    ));
                };
                let what = format!("purchase {n} (event {event})");
                let i = self
                    .account
                    .items
                    .iter()
                    .position(|it| it.event == Some(event))
                    .ok_or_else(|| not_posted(&what))?;
                Ok((i, what))
            }
            PurchaseRef::Hold(hold) => {
                let what = format!("purchase {hold}");
                let posted = self
                    .account
                    .items
                    .iter()
                    .position(|it| it.hold == Some(hold) && it.bucket == Bucket::Purchase);
                if let Some(i) = posted {
                    return Ok((i, what));
                }
                let queued = self
                    .queue
                    .iter()
                    .any(|q| q.hold == Some(hold) && q.bucket == Some(Bucket::Purchase));
                if queued {
                    return Err(not_posted(&what));
                }
                Err(bad(
                    R::PurchaseUnknown,
                    format!("{what} is not a purchase on this card"),
                ))
            }
        }
    }

    /// A purchase installment: a purchase, posted and not yet billed, leaves the purchase
    /// bucket (and this cycle's purchases) whole.
    fn book_purchase(
        &mut self,
        index: usize,
        day: Date,
        purchase: PurchaseRef,
        terms: Terms,
    ) -> Result<(), BillingError> {
        use InstallmentRefusal as R;
        let bad = |refusal: R, reason: String| refused(index, day, refusal, reason);
        let (i, what) = self.find_purchase(index, day, purchase)?;
        let (event, hold) = (self.account.items[i].event, self.account.items[i].hold);
        let event = event.unwrap_or(0);
        if let Some(p) = self.plans.iter().find(|p| {
            matches!(p.source, Source::Purchase { event: e, hold: h } if e == event && h == hold)
        }) {
            return Err(bad(
                R::PurchaseConverted,
                format!("{what} is already converted by installment plan {}", p.number),
            ));
        }
        if let Some(st) = self.account.items[i].statement {
            let date = self.statements.get(st).map(|s| s.statement_date);
            return Err(bad(
                R::PurchaseBilled,
                format!(
                    "{what} is already billed (statement {}): convert it with a bill installment",
                    date.map_or_else(|| "?".into(), |d| d.to_string())
                ),
            ));
        }
        let amount = self.account.items[i].outstanding;
        if !amount.is_positive() || self.refunded_in_full(&self.account.items[i]) {
            return Err(bad(
                R::PurchaseRepaid,
                format!("{what} is already repaid or refunded: nothing to convert"),
            ));
        }
        let quote = self.quote(index, day, amount, terms)?;
        let item = &mut self.account.items[i];
        item.outstanding = Money::cny(0);
        // It leaves the purchase bucket: no revolving interest, ever.
        item.deferred = Decimal::ZERO;
        item.known = Decimal::ZERO;
        let from = receivable(Bucket::Purchase);
        self.postings.move_money(
            INSTALLMENT_UNBILLED,
            from,
            amount,
            Why::InstallmentBooking,
            day,
        )?;
        self.cycle.purchases = self.cycle.purchases.checked_sub(amount)?;
        self.add_plan(Source::Purchase { event, hold }, day, quote)
    }

    /// A cash installment: `amount`, within the available credit, is paid out through cash
    /// clearing today (to the holder's own debit card) straight into unbilled installment
    /// principal, so it never bears revolving interest or a cash-advance fee.
    fn book_cash(
        &mut self,
        index: usize,
        day: Date,
        amount: Money,
        terms: Terms,
    ) -> Result<(), BillingError> {
        let available = self.available(day)?;
        if amount > available {
            return Err(BillingError::CreditLimitExceeded {
                index,
                date: day,
                amount: amount.to_string(),
                available: available.to_string(),
                code: DeclineCode::InsufficientCredit,
            });
        }
        let quote = self.quote(index, day, amount, terms)?;
        self.postings.move_money(
            INSTALLMENT_UNBILLED,
            Counter::Cash as u128,
            amount,
            Why::InstallmentBooking,
            day,
        )?;
        self.add_plan(Source::Cash, day, quote)
    }

    /// A hardship plan: only while the account is past due; `amount`, at most its billed
    /// purchase and cash principal still owed, leaves those items oldest first (no more
    /// revolving interest on it), shows as a credit of the cycle and covers the missed
    /// minimums, oldest first.
    fn book_hardship(
        &mut self,
        index: usize,
        day: Date,
        amount: Money,
        terms: Terms,
    ) -> Result<(), BillingError> {
        use InstallmentRefusal as R;
        let bad = |refusal: R, reason: String| refused(index, day, refusal, reason);
        if self.account.days_past_due(day) == 0 {
            return Err(bad(
                R::NotDelinquent,
                "a hardship plan is only for an account past due".into(),
            ));
        }
        let principal = |i: &super::account::Item| {
            matches!(i.bucket, Bucket::Purchase | Bucket::Cash) && i.statement.is_some()
        };
        let convertible = self.account.outstanding_where(principal)?;
        if amount > convertible {
            return Err(bad(
                R::NotConvertible,
                format!(
                    "hardship plan {amount} exceeds the {convertible} of billed purchase and cash \
                     principal still owed (fees and interest are not restructured)"
                ),
            ));
        }
        let quote = self.quote(index, day, amount, terms)?;
        let items = &self.account.items;
        let mut billed: Vec<usize> = (0..items.len())
            .filter(|&i| principal(&items[i]) && items[i].outstanding.is_positive())
            .collect();
        billed.sort_by_key(|&i| (items[i].statement, items[i].seq));
        let mut left = amount;
        for i in billed {
            if !left.is_positive() {
                break;
            }
            let item = &mut self.account.items[i];
            let take = left.min(item.outstanding)?;
            item.outstanding = item.outstanding.checked_sub(take)?;
            left = left.checked_sub(take)?;
            let from = receivable(item.bucket);
            self.postings.move_money(
                INSTALLMENT_UNBILLED,
                from,
                take,
                Why::InstallmentBooking,
                day,
            )?;
        }
        // Like a bill installment, the restructured principal shows as a credit of the cycle.
        self.cycle.payments_credits = self.cycle.payments_credits.checked_add(amount)?;
        self.cover_arrears(day, amount)?;
        self.add_plan(Source::Hardship, day, quote)
    }

    /// The posted, unbilled purchases a purchase installment may convert today: still owed
    /// (what is owed is what converts), not converted, not refunded in full, each named by its
    /// hold.
    pub fn convertible_purchases(&self) -> Vec<ConvertiblePurchase> {
        self.account
            .items
            .iter()
            .filter(|it| {
                it.bucket == Bucket::Purchase
                    && it.statement.is_none()
                    && it.outstanding.is_positive()
                    && !self.refunded_in_full(it)
            })
            .filter_map(|it| {
                Some(ConvertiblePurchase {
                    hold: it.hold?,
                    transaction_date: it.txn_date,
                    posted: it.posted,
                    amount: it.outstanding,
                })
            })
            .collect()
    }

    /// Whether the refunds naming `item`'s purchase reach its whole amount.
    fn refunded_in_full(&self, item: &super::account::Item) -> bool {
        self.refunded
            .iter()
            .any(|(h, sum)| Some(*h) == item.hold && *sum >= item.amount)
    }

    /// A refund of `amount` of the purchase with `hold` has posted: once its refunds reach the
    /// purchase's whole amount, a running plan that converted it is cancelled — its principal
    /// not yet billed posts today (the refund just credited covers it) and its fees not yet
    /// billed are waived; fees already charged stay.
    fn note_refund(&mut self, hold: u128, amount: Money, day: Date) -> Result<(), BillingError> {
        let total = match self.refunded.iter_mut().find(|(h, _)| *h == hold) {
            Some((_, sum)) => {
                *sum = sum.checked_add(amount)?;
                *sum
            }
            None => {
                self.refunded.push((hold, amount));
                amount
            }
        };
        let Some(k) = self.plans.iter().position(|p| {
            matches!(p.source, Source::Purchase { hold: Some(h), .. } if h == hold)
                && p.next_row().is_some()
        }) else {
            return Ok(());
        };
        if total < self.plans[k].quote.amount() {
            return Ok(());
        }
        let number = self.plans[k].number;
        let remaining = self.plans[k].unbilled;
        let plan = &mut self.plans[k];
        plan.cancelled = Some(day);
        plan.unbilled = Money::cny(0);
        self.post_installment(number, false, remaining, day, Why::InstallmentCancellation)?;
        Ok(())
    }

    fn add_plan(
        &mut self,
        source: Source,
        day: Date,
        quote: InstallmentQuote,
    ) -> Result<(), BillingError> {
        let number = self.plans.len() + 1;
        let upfront = quote.upfront_fee();
        self.plans.push(Plan::new(number, source, day, quote));
        self.post_installment(number, true, upfront, day, Why::InstallmentFee)
            .map(|_| ())
    }

    /// Posts an installment item (principal from 1107, or a fee against fee income) today;
    /// returns its index, or `None` for a zero amount.
    fn post_installment(
        &mut self,
        plan: usize,
        fee: bool,
        amount: Money,
        day: Date,
        why: Why,
    ) -> Result<Option<usize>, BillingError> {
        if !amount.is_positive() {
            return Ok(None);
        }
        let i = self.account.push(Bucket::Installment, day, day, amount);
        let item = &mut self.account.items[i];
        item.plan = Some(PlanPart { plan, fee });
        let (debit, credit) = if fee {
            item.free = FreePeriod::Kept;
            (
                INSTALLMENT_FEE_RECEIVABLE,
                Counter::InstallmentFeeIncome as u128,
            )
        } else {
            (receivable(Bucket::Installment), INSTALLMENT_UNBILLED)
        };
        self.postings.move_money(debit, credit, amount, why, day)?;
        self.cycle.installments = self.cycle.installments.checked_add(amount)?;
        self.absorb(i, day)?;
        Ok(Some(i))
    }

    /// At a statement cut: every running plan bills its next period, fee then principal. The
    /// principal is a purchase posted today, so it takes today's (deferred) interest too.
    fn bill_plans(&mut self, day: Date) -> Result<(), BillingError> {
        for k in 0..self.plans.len() {
            let Some(row) = self.plans[k].next_row() else {
                continue;
            };
            let number = self.plans[k].number;
            self.post_installment(number, true, row.fee, day, Why::InstallmentFee)?;
            let principal = self.post_installment(
                number,
                false,
                row.principal,
                day,
                Why::InstallmentPrincipal,
            )?;
            if let Some(i) = principal {
                let item = &mut self.account.items[i];
                item.deferred = interest::exact(item.outstanding, self.product.daily_rate, 1)?;
            }
            let plan = &mut self.plans[k];
            plan.billed += 1;
            plan.unbilled = plan.unbilled.checked_sub(row.principal)?;
            plan.last_billed = day;
        }
        Ok(())
    }

    /// Early settlement: the remaining principal and the policy's cost post today as
    /// installment items (billed on the next statement); the plan stops occupying the limit.
    fn settle(&mut self, index: usize, day: Date, number: usize) -> Result<(), BillingError> {
        use InstallmentRefusal as R;
        let bad = |refusal: R, reason: String| refused(index, day, refusal, reason);
        let Some(plan) = self.plans.get(number.wrapping_sub(1)) else {
            return Err(bad(
                R::PlanUnknown,
                format!(
                    "installment plan {number} is not booked ({} plan(s) so far)",
                    self.plans.len()
                ),
            ));
        };
        if let Some(on) = plan.settled {
            return Err(bad(
                R::PlanClosed,
                format!("installment plan {number} was already settled on {on}"),
            ));
        }
        if let Some(on) = plan.cancelled {
            return Err(bad(
                R::PlanClosed,
                format!(
                    "installment plan {number} was cancelled on {on}: its purchase was refunded"
                ),
            ));
        }
        if plan.next_row().is_none() {
            return Err(bad(
                R::PlanClosed,
                format!("installment plan {number} is fully billed: nothing left to settle"),
            ));
        }
        let rate_days = self.versions.rate_days(plan.last_billed, day)?;
        let cost = plan.settlement_cost_over(&self.product, rate_days)?;
        let remaining = plan.unbilled;
        if let Some(plan) = self.plans.get_mut(number - 1) {
            plan.settled = Some(day);
            plan.unbilled = Money::cny(0);
        }
        let why = Why::InstallmentSettlement;
        self.post_installment(number, false, remaining, day, why)?;
        self.post_installment(number, true, cost, day, why)?;
        Ok(())
    }
}
