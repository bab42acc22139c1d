//! The credit account's state: every posted balance item (a purchase, a cash advance, a fee,
//! a billed interest amount) with what is still outstanding and which statement billed it;
//! the overpayment (溢缴款); pending authorisations; temporary limits; arrears (rule 11).

use std::collections::VecDeque;

use cardlife_kernel::Money;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::error::BillingError;

/// A bucket of the receivable; each item belongs to one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    /// Cash-advance fees and late fees. Never bear interest.
    Fee,
    /// Billed interest. Bears interest when its statement is not paid in full.
    Interest,
    /// Installment principal and installment fees, posted when a period is billed (and an
    /// upfront fee or a settlement when it is booked). Principal is treated as a purchase for
    /// interest; installment fees never bear interest.
    Installment,
    /// Cash-advance principal. Bears interest from the transaction date.
    Cash,
    /// Purchase principal. Free period unless its statement is not paid in full.
    Purchase,
}

impl Bucket {
    /// Rule 9's order within a statement.
    pub const DEFAULT_ORDER: [Self; 5] = [
        Self::Fee,
        Self::Interest,
        Self::Installment,
        Self::Cash,
        Self::Purchase,
    ];

    /// Whether repaying it repays principal (rule 9's overdue orders).
    pub fn is_principal(self) -> bool {
        matches!(self, Self::Installment | Self::Cash | Self::Purchase)
    }
}

/// Whether an item still has its interest-free period (rule 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreePeriod {
    /// Its statement's paid-in-full test has not run yet: interest accrues as `deferred`.
    Undecided,
    /// Its statement was paid in full: no interest, ever.
    Kept,
    /// Its statement was not paid in full (or it is cash): interest accrues as `known`.
    Lost,
}

/// One posted balance item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Order of posting, for "oldest first" inside a bucket.
    pub seq: u64,
    /// Its bucket.
    pub bucket: Bucket,
    /// The transaction date (interest on cash runs from here).
    pub txn_date: Date,
    /// The posting date.
    pub posted: Date,
    /// Index of the statement that billed it; `None` while unbilled.
    pub statement: Option<usize>,
    /// The amount posted.
    pub amount: Money,
    /// What is still owed.
    pub outstanding: Money,
    /// Its free-period status.
    pub free: FreePeriod,
    /// Exact interest (in fen) accrued while `Undecided`: billed only if the free period is lost.
    pub deferred: Decimal,
    /// Exact interest (in fen) accrued and known, not yet billed.
    pub known: Decimal,
    /// The 1-based file index of the event that caused it (purchases), for conversions.
    pub event: Option<usize>,
    /// The installment plan it belongs to (installment items only).
    pub plan: Option<PlanPart>,
    /// The hold id of the authorisation it posted from (purchases and cash advances).
    pub hold: Option<u128>,
}

/// Which part of an installment plan an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanPart {
    /// The plan's 1-based number.
    pub plan: usize,
    /// An installment fee (never bears interest) rather than principal.
    pub fee: bool,
}

impl Item {
    /// Whether it is an installment fee (its own ledger account; never bears interest).
    pub fn is_installment_fee(&self) -> bool {
        self.plan.is_some_and(|p| p.fee)
    }
}

/// A temporary limit (临时调额), valid through `until`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TempLimit {
    /// Added to the credit limit.
    pub amount: Money,
    /// First valid day.
    pub from: Date,
    /// Last valid day.
    pub until: Date,
}

/// Part of a missed minimum not yet covered (rule 11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrear {
    /// The last on-time day of the statement whose minimum was missed; day 1 is the next day.
    pub last_on_time: Date,
    /// What is still to be paid to cover it.
    pub remaining: Money,
}

/// The account's status. Only an active account authorises purchases and cash advances; a
/// frozen one still accepts payments and refunds (repayment must stay possible); a closed one
/// accepts nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountStatus {
    /// In use.
    #[default]
    Active,
    /// Frozen by the bank: authorisations declined (`account_frozen`), repayment accepted.
    Frozen,
    /// Closed (at zero balance): every later event is refused.
    Closed,
}

impl AccountStatus {
    /// `"active"`, `"frozen"` or `"closed"`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Frozen => "frozen",
            Self::Closed => "closed",
        }
    }
}

/// A delinquency bucket: M1 = 1–30 days past due, M2 = 31–60, … M6+.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DelinquencyBucket {
    /// Not past due.
    Current,
    /// `M(n)`, n in 1..=6 (6 means M6+).
    M(u8),
}

impl DelinquencyBucket {
    /// The bucket of `days_past_due`.
    pub fn of(days_past_due: i64) -> Self {
        if days_past_due <= 0 {
            return Self::Current;
        }
        let n = (days_past_due - 1) / 30 + 1;
        Self::M(u8::try_from(n.min(6)).unwrap_or(6))
    }

    /// `"current"`, `"M1"`, … `"M6+"`.
    pub fn label(self) -> String {
        match self {
            Self::Current => "current".into(),
            Self::M(6) => "M6+".into(),
            Self::M(n) => format!("M{n}"),
        }
    }
}

/// The account's balances.
#[derive(Debug, Clone)]
pub struct CreditAccount {
    /// Every posted item, in posting order (repaid ones included).
    pub items: Vec<Item>,
    /// Credit balance (溢缴款), never negative.
    pub overpayment: Money,
    /// Temporary limits granted.
    pub temp_limits: Vec<TempLimit>,
    /// Missed minimums not yet covered, oldest first.
    pub arrears: VecDeque<Arrear>,
    next_seq: u64,
}

impl Default for CreditAccount {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            overpayment: Money::cny(0),
            temp_limits: Vec::new(),
            arrears: VecDeque::new(),
            next_seq: 0,
        }
    }
}

impl CreditAccount {
    /// Appends a posted item; returns its index.
    pub fn push(&mut self, bucket: Bucket, txn_date: Date, posted: Date, amount: Money) -> usize {
        let free = match bucket {
            Bucket::Cash => FreePeriod::Lost,
            Bucket::Fee => FreePeriod::Kept,
            _ => FreePeriod::Undecided,
        };
        self.next_seq += 1;
        self.items.push(Item {
            seq: self.next_seq,
            bucket,
            txn_date,
            posted,
            statement: None,
            amount,
            outstanding: amount,
            free,
            deferred: Decimal::ZERO,
            known: Decimal::ZERO,
            event: None,
            plan: None,
            hold: None,
        });
        self.items.len() - 1
    }

    /// Everything owed on posted items minus the overpayment (negative for a credit balance).
    pub fn posted_balance(&self) -> Result<Money, BillingError> {
        let owed = self.outstanding_where(|_| true)?;
        Ok(owed.checked_sub(self.overpayment)?)
    }

    /// The outstanding total of the items matching `keep`.
    pub fn outstanding_where(&self, keep: impl Fn(&Item) -> bool) -> Result<Money, BillingError> {
        self.items
            .iter()
            .filter(|i| keep(i))
            .try_fold(Money::cny(0), |acc, i| acc.checked_add(i.outstanding))
            .map_err(BillingError::from)
    }

    /// The temporary limits valid on `day`, summed.
    pub fn temp_limit_on(&self, day: Date) -> Result<Money, BillingError> {
        self.temp_limits
            .iter()
            .filter(|t| t.from <= day && day <= t.until)
            .try_fold(Money::cny(0), |acc, t| acc.checked_add(t.amount))
            .map_err(BillingError::from)
    }

    /// Days past due on `today` (rule 11): from the oldest uncovered missed minimum.
    pub fn days_past_due(&self, today: Date) -> i64 {
        self.arrears
            .front()
            .and_then(|a| a.last_on_time.until(today).ok())
            .map_or(0, |span| i64::from(span.get_days()).max(0))
    }

    /// Applies a credit to the arrears, oldest first; a fully covered arrear is dropped.
    pub fn cover_arrears(&mut self, mut credit: Money) -> Result<(), BillingError> {
        while credit.is_positive() {
            let Some(front) = self.arrears.front_mut() else {
                break;
            };
            let used = credit.min(front.remaining)?;
            front.remaining = front.remaining.checked_sub(used)?;
            credit = credit.checked_sub(used)?;
            if !front.remaining.is_positive() {
                self.arrears.pop_front();
            }
        }
        Ok(())
    }

    /// The uncovered arrears, summed.
    pub fn arrears_total(&self) -> Result<Money, BillingError> {
        self.arrears
            .iter()
            .try_fold(Money::cny(0), |acc, a| acc.checked_add(a.remaining))
            .map_err(BillingError::from)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::civil::date;

    #[test]
    fn delinquency_buckets_run_m1_to_m6_plus() {
        let cases = [
            (0, "current"),
            (1, "M1"),
            (30, "M1"),
            (31, "M2"),
            (60, "M2"),
            (61, "M3"),
            (150, "M5"),
            (151, "M6+"),
            (999, "M6+"),
        ];
        for (days, label) in cases {
            assert_eq!(DelinquencyBucket::of(days).label(), label, "{days}");
        }
    }

    #[test]
    fn days_past_due_counts_from_the_oldest_uncovered_arrear_and_resets_when_covered() {
        let mut a = CreditAccount::default();
        a.arrears.push_back(Arrear {
            last_on_time: date(2026, 4, 28),
            remaining: Money::cny(20_000),
        });
        a.arrears.push_back(Arrear {
            last_on_time: date(2026, 5, 28),
            remaining: Money::cny(24_600),
        });
        assert_eq!(a.days_past_due(date(2026, 4, 28)), 0);
        assert_eq!(a.days_past_due(date(2026, 4, 29)), 1);
        assert_eq!(a.days_past_due(date(2026, 6, 1)), 34);
        a.cover_arrears(Money::cny(20_000)).unwrap();
        assert_eq!(a.days_past_due(date(2026, 6, 1)), 4);
        a.cover_arrears(Money::cny(24_599)).unwrap();
        assert_eq!(a.days_past_due(date(2026, 6, 1)), 4);
        a.cover_arrears(Money::cny(1)).unwrap();
        assert_eq!(a.days_past_due(date(2026, 6, 1)), 0);
    }
}
