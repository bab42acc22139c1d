//! A revolving personal credit line (随借随还, docs/loans.md): draw any amount up to what is
//! available, repay any amount at any time, interest every day on the drawn balance.
//!
//! - **Daily interest**: each calendar day's interest is half-up(drawn balance at the start of
//!   the day × annual rate / day-count basis), rounded to the fen *per day*, so the interest
//!   of a span does not depend on how often it is accrued: `days × half-up(B × r / basis)`
//!   while the balance stays `B`. A draw or repayment on day `d` changes the balance from `d`
//!   on (the day of a draw bears interest; the day of a repayment does not).
//! - **Repayment allocation**: interest accrued first, then principal. A repayment above the
//!   payoff (everything owed on that date) is refused without any change.
//! - **Limit**: the drawn principal never exceeds the line's limit; interest does not use the
//!   limit.
//! - **Postings** use the loan chart: a draw debits principal receivable and credits the
//!   disbursement clearing; interest debits interest receivable and credits interest income; a
//!   repayment debits the repayment clearing and credits the receivables it pays.

use cardlife_kernel::{CustomerId, Money, Rate, round_half_up_to_fen};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::chart::{LoanAccount as A, LoanWhy, Posting, post};
use super::{DayCount, DebitAccount, LoanError, ONLINE_UNSECURED_CAP};

/// How one line repayment was allocated, and its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineRepayment {
    /// Interest paid.
    pub interest: Money,
    /// Principal paid.
    pub principal: Money,
    /// Every ledger movement: the interest accrued to the date, then the repayment.
    pub postings: Vec<Posting>,
}

/// A revolving credit line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditLine {
    holder: CustomerId,
    limit: Money,
    annual_rate: Rate,
    day_count: DayCount,
    drawn: Money,
    interest: Money,
    accrued_to: Date,
}

impl CreditLine {
    /// Opens a line of `limit` on `on`. The limit must be above zero and within the online
    /// unsecured cap; the rate must not be negative.
    pub fn open(
        holder: CustomerId,
        limit: Money,
        annual_rate: Rate,
        day_count: DayCount,
        on: Date,
    ) -> Result<Self, LoanError> {
        if annual_rate.is_negative() {
            return Err(LoanError::NegativeRate { rate: annual_rate });
        }
        if !limit.is_positive() || limit > ONLINE_UNSECURED_CAP {
            return Err(LoanError::CustomerCapOutOfRange {
                cap: limit,
                limit: ONLINE_UNSECURED_CAP,
            });
        }
        let zero = Money::zero(limit.currency());
        Ok(Self {
            holder,
            limit,
            annual_rate,
            day_count,
            drawn: zero,
            interest: zero,
            accrued_to: on,
        })
    }

    /// One day's interest on the current drawn balance, half-up to the fen.
    pub fn daily_interest(&self) -> Result<Money, LoanError> {
        let exact = Decimal::from(self.drawn.fen())
            .checked_mul(self.annual_rate.as_decimal())
            .and_then(|x| x.checked_div(Decimal::from(self.day_count.basis())))
            .ok_or(LoanError::Money(cardlife_kernel::MoneyError::Overflow))?;
        Ok(Money::new(
            round_half_up_to_fen(exact)?,
            self.drawn.currency(),
        ))
    }

    /// Accrues the interest of every day from the last accrual up to (not including) `on`.
    pub fn accrue(&mut self, on: Date) -> Result<Vec<Posting>, LoanError> {
        if on < self.accrued_to {
            return Err(LoanError::DateInPast {
                date: on,
                last: self.accrued_to,
            });
        }
        let days = i64::from(self.accrued_to.until(on)?.get_days());
        let interest = self.daily_interest()?.checked_mul_int(days)?;
        self.interest = self.interest.checked_add(interest)?;
        self.accrued_to = on;
        let mut out = Vec::new();
        post(
            &mut out,
            A::Interest,
            A::InterestIncome,
            interest,
            LoanWhy::Interest,
        );
        Ok(out)
    }

    /// Draws `amount` on `on` to the holder's own debit account. All or nothing.
    pub fn draw(
        &mut self,
        on: Date,
        amount: Money,
        to: DebitAccount,
    ) -> Result<Vec<Posting>, LoanError> {
        if !amount.is_positive() {
            return Err(LoanError::DrawNotPositive { amount });
        }
        if to.owner != self.holder {
            return Err(LoanError::NotHoldersAccount);
        }
        let mut next = self.clone();
        let mut out = next.accrue(on)?;
        let available = next.available()?;
        if amount > available {
            return Err(LoanError::LineExceeded { amount, available });
        }
        next.drawn = next.drawn.checked_add(amount)?;
        post(
            &mut out,
            A::Principal,
            A::Disbursement,
            amount,
            LoanWhy::Disburse,
        );
        *self = next;
        Ok(out)
    }

    /// Repays `amount` on `on`: accrued interest first, then principal. All or nothing.
    pub fn repay(&mut self, on: Date, amount: Money) -> Result<LineRepayment, LoanError> {
        if !amount.is_positive() {
            return Err(LoanError::RepaymentNotPositive { amount });
        }
        let mut next = self.clone();
        let mut postings = next.accrue(on)?;
        let payoff = next.payoff()?;
        if amount > payoff {
            return Err(LoanError::Overpayment { amount, payoff });
        }
        let interest = amount.min(next.interest)?;
        let principal = amount.checked_sub(interest)?;
        next.interest = next.interest.checked_sub(interest)?;
        next.drawn = next.drawn.checked_sub(principal)?;
        post(
            &mut postings,
            A::Repayment,
            A::Interest,
            interest,
            LoanWhy::Repay,
        );
        post(
            &mut postings,
            A::Repayment,
            A::Principal,
            principal,
            LoanWhy::Repay,
        );
        *self = next;
        Ok(LineRepayment {
            interest,
            principal,
            postings,
        })
    }

    /// What can still be drawn: the limit less the drawn principal.
    pub fn available(&self) -> Result<Money, LoanError> {
        Ok(self.limit.checked_sub(self.drawn)?)
    }

    /// Everything owed as of the last accrual: drawn principal + accrued interest.
    pub fn payoff(&self) -> Result<Money, LoanError> {
        Ok(self.drawn.checked_add(self.interest)?)
    }

    /// The drawn principal.
    pub const fn drawn(&self) -> Money {
        self.drawn
    }
    /// Interest accrued and unpaid.
    pub const fn interest(&self) -> Money {
        self.interest
    }
    /// The limit.
    pub const fn limit(&self) -> Money {
        self.limit
    }
    /// The nominal annual rate.
    pub const fn annual_rate(&self) -> Rate {
        self.annual_rate
    }
    /// The day count.
    pub const fn day_count(&self) -> DayCount {
        self.day_count
    }
    /// Interest has been accrued for every day before this date.
    pub const fn accrued_to(&self) -> Date {
        self.accrued_to
    }
    /// Whose line it is.
    pub const fn holder(&self) -> CustomerId {
        self.holder
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use cardlife_kernel::{AccountId, Id};
    use jiff::civil::date;

    fn yuan(s: &str) -> Money {
        Money::parse_cny(s).unwrap()
    }

    fn line(holder: CustomerId, rate: &str, dc: DayCount) -> CreditLine {
        CreditLine::open(
            holder,
            yuan("50000.00"),
            Rate::parse(rate).unwrap(),
            dc,
            date(2026, 4, 1),
        )
        .unwrap()
    }

    fn own(holder: CustomerId) -> DebitAccount {
        DebitAccount {
            owner: holder,
            account: AccountId::generate(),
        }
    }

    #[test]
    fn interest_is_daily_on_the_drawn_balance_to_the_fen() {
        let holder = Id::generate();
        let mut l = line(holder, "0.0365", DayCount::Actual365);
        l.draw(date(2026, 4, 1), yuan("10000.00"), own(holder))
            .unwrap();
        // 10,000.00 × 3.65% / 365 = 1.00 a day; 10 days to 04-11.
        let r = l.repay(date(2026, 4, 11), yuan("5010.00")).unwrap();
        assert_eq!(r.interest, yuan("10.00"));
        assert_eq!(r.principal, yuan("5000.00"));
        // 5,000.00 → 0.50 a day; 3 days, then pay off exactly.
        l.accrue(date(2026, 4, 14)).unwrap();
        assert_eq!(l.interest(), yuan("1.50"));
        let r = l.repay(date(2026, 4, 14), yuan("5001.50")).unwrap();
        assert_eq!(r.principal, yuan("5000.00"));
        assert_eq!(l.payoff().unwrap(), yuan("0.00"));
    }

    #[test]
    fn each_day_is_rounded_so_accruing_often_or_rarely_gives_the_same_interest() {
        let holder = Id::generate();
        let mut daily = line(holder, "0.0425", DayCount::Actual360);
        daily
            .draw(date(2026, 4, 1), yuan("1234.56"), own(holder))
            .unwrap();
        let mut once = daily.clone();
        for d in 2..=30 {
            daily.accrue(date(2026, 4, d)).unwrap();
        }
        once.accrue(date(2026, 4, 30)).unwrap();
        // 1,234.56 × 4.25% / 360 = 0.14574… → 0.15 a day × 29 days.
        assert_eq!(daily.interest(), yuan("4.35"));
        assert_eq!(once.interest(), daily.interest());
    }

    #[test]
    fn a_draw_above_the_available_line_or_a_repayment_above_payoff_changes_nothing() {
        let holder = Id::generate();
        let mut l = line(holder, "0.0365", DayCount::Actual365);
        l.draw(date(2026, 4, 1), yuan("49000.00"), own(holder))
            .unwrap();
        let before = l.clone();
        assert!(matches!(
            l.draw(date(2026, 4, 2), yuan("1000.01"), own(holder)),
            Err(LoanError::LineExceeded { .. })
        ));
        assert!(matches!(
            l.repay(date(2026, 4, 2), yuan("49004.91")),
            Err(LoanError::Overpayment { .. })
        ));
        assert!(matches!(
            l.draw(date(2026, 4, 2), yuan("1.00"), own(Id::generate())),
            Err(LoanError::NotHoldersAccount)
        ));
        assert_eq!(l, before);
        // 49,000.00 × 3.65% / 365 = 4.90 for the one day: 49,004.90 pays off.
        l.repay(date(2026, 4, 2), yuan("49004.90")).unwrap();
        assert!(l.payoff().unwrap().is_zero());
    }

    #[test]
    fn postings_keep_the_receivables_equal_to_what_is_owed() {
        let holder = Id::generate();
        let mut l = line(holder, "0.0365", DayCount::Actual365);
        let mut all = l
            .draw(date(2026, 4, 1), yuan("10000.00"), own(holder))
            .unwrap();
        all.extend(l.repay(date(2026, 4, 6), yuan("2000.00")).unwrap().postings);
        let net = |acc: A| -> i64 {
            all.iter()
                .map(|p| {
                    if p.debit == acc {
                        p.amount.fen()
                    } else if p.credit == acc {
                        -p.amount.fen()
                    } else {
                        0
                    }
                })
                .sum()
        };
        assert_eq!(net(A::Principal), l.drawn().fen());
        assert_eq!(net(A::Interest), l.interest().fen());
        assert_eq!(l.drawn(), yuan("8005.00"));
    }

    #[test]
    fn a_negative_rate_or_a_limit_above_the_cap_is_refused() {
        let holder = Id::generate();
        assert!(matches!(
            CreditLine::open(
                holder,
                yuan("100.00"),
                Rate::parse("-0.01").unwrap(),
                DayCount::Actual360,
                date(2026, 4, 1)
            ),
            Err(LoanError::NegativeRate { .. })
        ));
        assert!(matches!(
            CreditLine::open(
                holder,
                yuan("200000.01"),
                Rate::parse("0.01").unwrap(),
                DayCount::Actual360,
                date(2026, 4, 1)
            ),
            Err(LoanError::CustomerCapOutOfRange { .. })
        ));
    }
}
