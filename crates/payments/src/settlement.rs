//! T+1 merchant settlement and the per-merchant daily reconciliation file (docs/domain.md §7).
//!
//! - A merchant's [`DayActivity`] is its captures, refunds and fees for one business date, plus
//!   any negative balance carried in from earlier days.
//! - `net = carried_in + captures − refunds − fees`. A positive net is paid out on the settlement
//!   date. A negative net (refunds and fees above captures) is **carried, not paid out**: nothing
//!   is taken from the merchant's settlement account; the deficit becomes the next day's
//!   `carried_in` and is netted against its captures. So `payout = max(net, 0)` and
//!   `carried_out = min(net, 0)`, and `payout + carried_out = net` always.
//! - Settlement date = the first business day after the business date (T+1). Business days come
//!   from a [`BusinessCalendar`]; the default [`CalendarDays`] counts every calendar day.
//! - The reconciliation CSV ([`reconciliation_csv`]) has a header, one line per movement in the
//!   order given (amounts signed from the merchant's side: captures +, refunds and fees −), a
//!   `carried_in` line when one applies, and a `total` line whose reference is the settlement
//!   date and whose amount is the net: the lines above it sum to it exactly.
//!
//! ```text
//! business_date,merchant_id,kind,reference,amount,currency
//! 2026-04-01,mer_…,capture,ord_…,100.00,CNY
//! 2026-04-01,mer_…,refund,ord_…,-20.00,CNY
//! 2026-04-01,mer_…,fee,ord_…,-0.60,CNY
//! 2026-04-01,mer_…,total,2026-04-02,79.40,CNY
//! ```
//!
//! References are 1–64 characters of `[A-Za-z0-9_.:-]` starting with a letter or digit, so no
//! field needs quoting and no cell can start a spreadsheet formula. [`check_reconciliation`]
//! reads a file back (never panicking on any input) and checks it against the expected day:
//! every expected movement exactly once, nothing else, and a total that ties out.

use std::collections::HashMap;

use cardlife_kernel::{Currency, MerchantId, Money};
use jiff::ToSpan;
use jiff::civil::Date;

use crate::error::{ReconciliationError, SettlementError};

/// The longest movement reference, in characters.
pub const REFERENCE_CHARS_MAX: usize = 64;
/// The most lines a reconciliation file may have, header and total included.
pub const RECONCILIATION_LINES_MAX: usize = 2_000_000;
/// How many days [`settle`] looks ahead for a business day before giving up.
pub const BUSINESS_DAY_SEARCH_DAYS: i32 = 366;
/// The header line of the reconciliation file.
pub const CSV_HEADER: &str = "business_date,merchant_id,kind,reference,amount,currency";

/// Which days settle.
pub trait BusinessCalendar {
    /// Whether money moves on `date`.
    fn is_business_day(&self, date: Date) -> bool;
}

/// Every calendar day is a business day: the default.
#[derive(Debug, Clone, Copy, Default)]
pub struct CalendarDays;

impl BusinessCalendar for CalendarDays {
    fn is_business_day(&self, _date: Date) -> bool {
        true
    }
}

/// What a movement is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MovementKind {
    /// A captured payment, owed to the merchant.
    Capture,
    /// A refund, taken back from the merchant.
    Refund,
    /// An MDR fee, charged to the merchant.
    Fee,
}

impl MovementKind {
    /// Its name in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Capture => "capture",
            Self::Refund => "refund",
            Self::Fee => "fee",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [Self::Capture, Self::Refund, Self::Fee]
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// +1 for money owed to the merchant, −1 for money taken from it.
    fn sign(self) -> i64 {
        match self {
            Self::Capture => 1,
            Self::Refund | Self::Fee => -1,
        }
    }
}

/// One movement: a kind, its reference (an order or refund id) and its magnitude.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Movement {
    /// What it is.
    pub kind: MovementKind,
    /// The order, refund or fee it comes from.
    pub reference: String,
    /// Its magnitude (not negative); the kind gives the sign.
    pub amount: Money,
}

impl Movement {
    /// The amount as the merchant sees it: captures +, refunds and fees −.
    pub fn signed(&self) -> Result<Money, SettlementError> {
        Ok(self.amount.checked_mul_int(self.kind.sign())?)
    }
}

/// A merchant's movements for one business date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayActivity {
    /// The merchant.
    pub merchant: MerchantId,
    /// The business date being settled.
    pub business_date: Date,
    /// The settlement currency.
    pub currency: Currency,
    /// A negative balance carried from earlier days (zero or below).
    pub carried_in: Money,
    /// The day's movements.
    pub movements: Vec<Movement>,
}

/// The result of settling one merchant-day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settlement {
    /// The merchant.
    pub merchant: MerchantId,
    /// The business date settled.
    pub business_date: Date,
    /// When the payout is made (T+1).
    pub settlement_date: Date,
    /// Σ captures.
    pub captures: Money,
    /// Σ refunds.
    pub refunds: Money,
    /// Σ fees.
    pub fees: Money,
    /// Carried in from earlier days (≤ 0).
    pub carried_in: Money,
    /// carried_in + captures − refunds − fees.
    pub net: Money,
    /// Paid to the merchant: max(net, 0).
    pub payout: Money,
    /// Carried to the next day: min(net, 0).
    pub carried_out: Money,
}

/// Settles one merchant-day.
pub fn settle(
    day: &DayActivity,
    calendar: &impl BusinessCalendar,
) -> Result<Settlement, SettlementError> {
    let zero = Money::zero(day.currency);
    if day.carried_in.checked_sub(zero)?.is_positive() {
        return Err(SettlementError::PositiveCarriedIn {
            carried_in: day.carried_in,
        });
    }
    let (mut captures, mut refunds, mut fees) = (zero, zero, zero);
    for m in &day.movements {
        check_reference(&m.reference)?;
        if m.amount.is_negative() {
            return Err(SettlementError::NegativeMovement {
                reference: m.reference.clone(),
            });
        }
        let total = match m.kind {
            MovementKind::Capture => &mut captures,
            MovementKind::Refund => &mut refunds,
            MovementKind::Fee => &mut fees,
        };
        *total = total.checked_add(m.amount)?;
    }
    let net = day
        .carried_in
        .checked_add(captures)?
        .checked_sub(refunds)?
        .checked_sub(fees)?;
    let settlement = Settlement {
        merchant: day.merchant,
        business_date: day.business_date,
        settlement_date: next_business_day(day.business_date, calendar)?,
        captures,
        refunds,
        fees,
        carried_in: day.carried_in,
        net,
        payout: net.max(zero)?,
        carried_out: net.min(zero)?,
    };
    debug_assert_eq!(
        settlement.payout.checked_add(settlement.carried_out),
        Ok(net)
    );
    Ok(settlement)
}

fn next_business_day(
    date: Date,
    calendar: &impl BusinessCalendar,
) -> Result<Date, SettlementError> {
    let not_found = SettlementError::NoBusinessDay {
        business_date: date,
        horizon_days: BUSINESS_DAY_SEARCH_DAYS,
    };
    (1..=BUSINESS_DAY_SEARCH_DAYS)
        .map_while(|n| date.checked_add(n.days()).ok())
        .find(|d| calendar.is_business_day(*d))
        .ok_or(not_found)
}

fn check_reference(reference: &str) -> Result<(), SettlementError> {
    let ok = (1..=REFERENCE_CHARS_MAX).contains(&reference.len())
        && reference.bytes().enumerate().all(|(i, b)| {
            b.is_ascii_alphanumeric() || (i > 0 && matches!(b, b'_' | b'.' | b':' | b'-'))
        });
    if ok {
        Ok(())
    } else {
        Err(SettlementError::InvalidReference {
            reference: reference.to_owned(),
            max: REFERENCE_CHARS_MAX,
        })
    }
}

/// Settles the day and writes its reconciliation file.
pub fn reconciliation_csv(
    day: &DayActivity,
    calendar: &impl BusinessCalendar,
) -> Result<(Settlement, String), SettlementError> {
    let settlement = settle(day, calendar)?;
    let mut csv = String::new();
    let mut line = |kind: &str, reference: &str, amount: Money| {
        csv.push_str(&format!(
            "{},{},{kind},{reference},{amount},{}\n",
            day.business_date, day.merchant, day.currency
        ));
    };
    for m in &day.movements {
        line(m.kind.as_str(), &m.reference, m.signed()?);
    }
    if !day.carried_in.is_zero() {
        line(CARRIED_IN, CARRIED_IN_REFERENCE, day.carried_in);
    }
    line(
        TOTAL,
        &settlement.settlement_date.to_string(),
        settlement.net,
    );
    Ok((settlement, format!("{CSV_HEADER}\n{csv}")))
}

const CARRIED_IN: &str = "carried_in";
const CARRIED_IN_REFERENCE: &str = "previous";
const TOTAL: &str = "total";

/// One parsed line of the file.
struct Line<'a> {
    kind: &'a str,
    reference: &'a str,
    amount: Money,
}

/// Checks `csv` against the expected day; returns the settlement it ties out to.
pub fn check_reconciliation(
    csv: &str,
    day: &DayActivity,
    calendar: &impl BusinessCalendar,
) -> Result<Settlement, ReconciliationError> {
    let expected = settle(day, calendar)?;
    let mut lines = csv
        .lines()
        .enumerate()
        .map(|(i, l)| (i.saturating_add(1), l));
    if lines.next().map(|(_, l)| l) != Some(CSV_HEADER) {
        return Err(ReconciliationError::BadHeader);
    }
    let mut pending = pending_movements(day)?;
    let mut sum = Money::zero(day.currency);
    let mut carried_seen = false;
    let mut total: Option<(usize, Money, &str)> = None;
    for (n, text) in lines {
        if n > RECONCILIATION_LINES_MAX {
            return Err(ReconciliationError::TooManyLines {
                max: RECONCILIATION_LINES_MAX,
            });
        }
        if total.is_some() {
            return Err(ReconciliationError::MissingTotal);
        }
        let line = parse_line(n, text, day)?;
        match line.kind {
            TOTAL => total = Some((n, line.amount, line.reference)),
            CARRIED_IN => {
                if carried_seen || line.amount != day.carried_in || day.carried_in.is_zero() {
                    return Err(ReconciliationError::CarriedInMismatch {
                        expected: day.carried_in,
                    });
                }
                carried_seen = true;
                sum = sum.checked_add(line.amount)?;
            }
            _ => {
                take_movement(&mut pending, n, &line)?;
                sum = sum.checked_add(line.amount)?;
            }
        }
    }
    // Report the first missing movement in the day's own order, so the error is stable.
    for m in &day.movements {
        let key = (m.kind.as_str(), m.reference.as_str(), m.signed()?.fen());
        if pending.get(&key).is_some_and(|count| *count > 0) {
            return Err(ReconciliationError::MissingMovement {
                kind: m.kind.as_str(),
                reference: m.reference.clone(),
            });
        }
    }
    if carried_seen == day.carried_in.is_zero() {
        return Err(ReconciliationError::CarriedInMismatch {
            expected: day.carried_in,
        });
    }
    let (_, stated, settles_on) = total.ok_or(ReconciliationError::MissingTotal)?;
    for computed in [sum, expected.net] {
        if stated != computed {
            return Err(ReconciliationError::TotalMismatch { stated, computed });
        }
    }
    if settles_on != expected.settlement_date.to_string() {
        return Err(ReconciliationError::SettlementDateMismatch {
            expected: expected.settlement_date,
        });
    }
    Ok(expected)
}

fn parse_line<'a>(
    n: usize,
    text: &'a str,
    day: &DayActivity,
) -> Result<Line<'a>, ReconciliationError> {
    let malformed = |reason| ReconciliationError::MalformedLine { line: n, reason };
    let fields: Vec<&str> = text.splitn(7, ',').collect();
    let [date, merchant, kind, reference, amount, currency] = fields[..] else {
        return Err(malformed("expected 6 comma-separated fields"));
    };
    if date != day.business_date.to_string()
        || merchant != day.merchant.to_string()
        || currency != day.currency.code()
    {
        return Err(ReconciliationError::ForeignLine { line: n });
    }
    let amount = Money::parse(amount, day.currency)
        .map_err(|_| malformed("amount is not a money amount"))?;
    let sign_ok = match kind {
        TOTAL => true,
        CARRIED_IN => !amount.is_positive(),
        _ => match MovementKind::parse(kind) {
            Some(k) => amount.fen().signum() != -k.sign(),
            None => return Err(malformed("unknown kind")),
        },
    };
    if !sign_ok {
        return Err(malformed("amount has the wrong sign for its kind"));
    }
    Ok(Line {
        kind,
        reference,
        amount,
    })
}

/// Expected movements not yet seen in the file, counted by (kind, reference, signed fen).
type Pending<'a> = HashMap<(&'static str, &'a str, i64), usize>;

fn pending_movements(day: &DayActivity) -> Result<Pending<'_>, ReconciliationError> {
    let mut pending = Pending::new();
    for m in &day.movements {
        let count = pending
            .entry((m.kind.as_str(), m.reference.as_str(), m.signed()?.fen()))
            .or_insert(0);
        *count = count.saturating_add(1);
    }
    Ok(pending)
}

/// Crosses off the expected movement this line shows, or reports it as unexpected.
fn take_movement<'a>(
    pending: &mut Pending<'a>,
    n: usize,
    line: &Line<'a>,
) -> Result<(), ReconciliationError> {
    let kind = MovementKind::parse(line.kind).map_or("", MovementKind::as_str);
    match pending.get_mut(&(kind, line.reference, line.amount.fen())) {
        Some(count) if *count > 0 => {
            *count -= 1;
            Ok(())
        }
        _ => Err(ReconciliationError::UnexpectedMovement { line: n }),
    }
}

#[cfg(test)]
mod tests;
