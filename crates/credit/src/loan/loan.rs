//! The loan state machine: booked → active (disbursed) → closed. Rules in the module docs.

use cardlife_kernel::{AccountId, CustomerId, Money, round_half_up_to_fen};
use jiff::ToSpan;
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::chart::{LoanAccount as A, LoanWhy, Posting, post};
use super::{LoanError, LoanProduct};
use crate::quote::{LoanQuote, Periods, RepaymentMethod};

/// How the principal is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoanMethod {
    /// A [`LoanQuote`] schedule (equal installment or equal principal).
    Amortizing(RepaymentMethod),
    /// Interest every month, all principal with the last payment (term ≤ 12 months).
    InterestOnly,
}

/// What a prepayment keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PrepaymentMode {
    /// Same due dates; the payment is re-quoted on the remaining principal.
    KeepTerm,
    /// Same level payment (or level principal); the fewest months that do not exceed it.
    KeepPayment,
}

/// Where a loan stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LoanStatus {
    /// Booked with consent, not yet paid out.
    Booked,
    /// Paid out, something still owed.
    Active,
    /// Everything repaid.
    Closed,
}

impl LoanStatus {
    /// The contract name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Booked => "booked",
            Self::Active => "active",
            Self::Closed => "closed",
        }
    }
}

/// The holder's own debit account a loan is paid out to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebitAccount {
    /// Whose account it is.
    pub owner: CustomerId,
    /// The account.
    pub account: AccountId,
}

/// One scheduled period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Installment {
    /// 1-based period number.
    pub period: u32,
    /// The due date.
    pub due: Date,
    /// Principal due on that date.
    pub principal: Money,
    /// Interest due on that date.
    pub interest: Money,
    /// Principal repaid so far.
    pub principal_paid: Money,
    /// Interest repaid so far.
    pub interest_paid: Money,
    /// Whether the interest has fallen due (been posted as receivable).
    pub interest_recognised: bool,
    /// Penalty interest has been accrued on this period's overdue principal up to this date.
    pub penalty_to: Date,
}

impl Installment {
    fn principal_left(&self) -> Result<Money, LoanError> {
        Ok(self.principal.checked_sub(self.principal_paid)?)
    }
    fn interest_left(&self) -> Result<Money, LoanError> {
        Ok(self.interest.checked_sub(self.interest_paid)?)
    }
}

/// What the loan is owed, by receivable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoanBalance {
    /// Principal not yet repaid (due or not).
    pub principal: Money,
    /// Interest fallen due and unpaid.
    pub interest: Money,
    /// Penalty interest accrued and unpaid.
    pub penalty: Money,
}

/// Amounts past due on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overdue {
    /// The oldest unpaid due date.
    pub since: Date,
    /// Days past it.
    pub days: i64,
    /// Principal past due.
    pub principal: Money,
    /// Interest past due.
    pub interest: Money,
}

/// How one repayment was allocated, and its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repayment {
    /// Penalty interest paid.
    pub penalty: Money,
    /// Interest due paid.
    pub interest: Money,
    /// Principal due paid.
    pub principal: Money,
    /// Interest accrued to the date and settled by a prepayment.
    pub accrued_interest: Money,
    /// Principal prepaid.
    pub prepaid: Money,
    /// Every ledger movement: accruals on the date, then the repayment.
    pub postings: Vec<Posting>,
}

/// A consumer loan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loan {
    product: LoanProduct,
    holder: CustomerId,
    amount: Money,
    method: LoanMethod,
    level: Money,
    status: LoanStatus,
    plan: Vec<(Money, Money)>,
    rows: Vec<Installment>,
    principal: Money,
    interest: Money,
    penalty: Money,
    disbursed_to: Option<DebitAccount>,
    last_event: Option<Date>,
    interest_from: Option<Date>,
}

impl Loan {
    /// Books an accepted quote. `consent` must be `true`; `outstanding` is the principal the
    /// holder already owes on the product's kind of loan (for the per-customer cap).
    pub fn book(
        product: LoanProduct,
        holder: CustomerId,
        quote: &LoanQuote,
        consent: bool,
        outstanding: Money,
    ) -> Result<Self, LoanError> {
        check_booking(
            &product,
            quote.amount(),
            quote.periods().get(),
            product.max_term(),
            consent,
            outstanding,
        )?;
        if quote.annual_rate() != product.annual_rate() {
            return Err(LoanError::RateMismatch {
                quoted: quote.annual_rate(),
                product: product.annual_rate(),
            });
        }
        let plan = quote
            .schedule()
            .iter()
            .map(|r| (r.principal, r.interest))
            .collect();
        let method = quote.method();
        let level = level_of(quote);
        Ok(Self::new(
            product,
            holder,
            quote.amount(),
            LoanMethod::Amortizing(method),
            level,
            plan,
        ))
    }

    /// Books an interest-only loan with the principal due with the last payment.
    pub fn book_interest_only(
        product: LoanProduct,
        holder: CustomerId,
        amount: Money,
        months: Periods,
        consent: bool,
        outstanding: Money,
    ) -> Result<Self, LoanError> {
        check_booking(
            &product,
            amount,
            months.get(),
            product.bullet_max_term(),
            consent,
            outstanding,
        )?;
        let plan = bullet_plan(&product, amount, months.get() as usize)?;
        let level = plan
            .first()
            .map_or(Ok(amount), |(p, i)| p.checked_add(*i))?;
        Ok(Self::new(
            product,
            holder,
            amount,
            LoanMethod::InterestOnly,
            level,
            plan,
        ))
    }

    fn new(
        product: LoanProduct,
        holder: CustomerId,
        amount: Money,
        method: LoanMethod,
        level: Money,
        plan: Vec<(Money, Money)>,
    ) -> Self {
        let zero = Money::zero(amount.currency());
        Self {
            product,
            holder,
            amount,
            method,
            level,
            status: LoanStatus::Booked,
            plan,
            rows: Vec::new(),
            principal: zero,
            interest: zero,
            penalty: zero,
            disbursed_to: None,
            last_event: None,
            interest_from: None,
        }
    }

    /// Pays the principal out to the holder's own debit account on `on`; due dates are the same
    /// day of each following month (clamped to the month's end).
    pub fn disburse(&mut self, on: Date, to: DebitAccount) -> Result<Vec<Posting>, LoanError> {
        self.expect(LoanStatus::Booked, "disburse")?;
        if to.owner != self.holder {
            return Err(LoanError::NotHoldersAccount);
        }
        let mut rows = Vec::with_capacity(self.plan.len());
        for (k, (principal, interest)) in self.plan.iter().enumerate() {
            let months = i64::try_from(k + 1).map_err(|e| LoanError::Date(e.to_string()))?;
            let due = on.checked_add(months.months())?;
            rows.push(Installment {
                period: u32::try_from(k + 1).map_err(|e| LoanError::Date(e.to_string()))?,
                due,
                principal: *principal,
                interest: *interest,
                principal_paid: Money::zero(principal.currency()),
                interest_paid: Money::zero(principal.currency()),
                interest_recognised: false,
                penalty_to: due,
            });
        }
        self.rows = rows;
        self.principal = self.amount;
        self.status = LoanStatus::Active;
        self.disbursed_to = Some(to);
        self.last_event = Some(on);
        self.interest_from = Some(on);
        let mut out = Vec::new();
        post(
            &mut out,
            A::Principal,
            A::Disbursement,
            self.amount,
            LoanWhy::Disburse,
        );
        Ok(out)
    }

    /// Brings the loan to `on`: interest of every period due on or before `on` falls due, and
    /// penalty interest accrues on overdue principal for the days since it was last accrued.
    pub fn accrue(&mut self, on: Date) -> Result<Vec<Posting>, LoanError> {
        self.expect_active("accrue")?;
        if let Some(last) = self.last_event
            && on < last
        {
            return Err(LoanError::DateInPast { date: on, last });
        }
        let mut out = Vec::new();
        let basis = self.product.day_count().basis();
        let rate = self.product.penalty_rate();
        let (mut interest, mut penalty) = (self.zero(), self.zero());
        for row in &mut self.rows {
            if row.due <= on && !row.interest_recognised {
                row.interest_recognised = true;
                interest = interest.checked_add(row.interest)?;
            }
            let left = row.principal_left()?;
            if row.due < on && left.is_positive() && row.penalty_to < on {
                let days = i64::from(row.penalty_to.until(on)?.get_days());
                penalty = penalty.checked_add(day_interest(left, rate, days, basis)?)?;
                row.penalty_to = on;
            }
        }
        post(
            &mut out,
            A::Interest,
            A::InterestIncome,
            interest,
            LoanWhy::Interest,
        );
        post(
            &mut out,
            A::Penalty,
            A::PenaltyIncome,
            penalty,
            LoanWhy::Penalty,
        );
        self.interest = self.interest.checked_add(interest)?;
        self.penalty = self.penalty.checked_add(penalty)?;
        self.last_event = Some(on);
        Ok(out)
    }

    /// Repays `amount` on `on`: penalty → interest due → principal due (oldest first) → the rest
    /// prepays (settling interest accrued to `on`, then rescheduling by `mode`). All or nothing.
    pub fn repay(
        &mut self,
        on: Date,
        amount: Money,
        mode: PrepaymentMode,
    ) -> Result<Repayment, LoanError> {
        if !amount.is_positive() {
            return Err(LoanError::RepaymentNotPositive { amount });
        }
        let mut next = self.clone();
        let mut postings = next.accrue(on)?;
        let mut left = amount;
        let penalty = left.min(next.penalty)?;
        left = left.checked_sub(penalty)?;
        next.penalty = next.penalty.checked_sub(penalty)?;
        let (mut interest, mut principal) = (next.zero(), next.zero());
        for row in next.rows.iter_mut().filter(|r| r.interest_recognised) {
            let x = left.min(row.interest_left()?)?;
            row.interest_paid = row.interest_paid.checked_add(x)?;
            interest = interest.checked_add(x)?;
            left = left.checked_sub(x)?;
        }
        for row in next.rows.iter_mut().filter(|r| r.due <= on) {
            let x = left.min(row.principal_left()?)?;
            row.principal_paid = row.principal_paid.checked_add(x)?;
            principal = principal.checked_add(x)?;
            left = left.checked_sub(x)?;
        }
        next.interest = next.interest.checked_sub(interest)?;
        next.principal = next.principal.checked_sub(principal)?;
        let (mut accrued, mut prepaid) = (next.zero(), next.zero());
        if left.is_positive() {
            let not_due = next.principal;
            let paid = amount.checked_sub(left)?;
            if not_due.is_zero() {
                return Err(LoanError::Overpayment {
                    amount,
                    payoff: paid,
                });
            }
            accrued = next.accrued_interest(on)?;
            if left <= accrued {
                return Err(LoanError::PrepaymentNotAboveAccruedInterest {
                    available: left,
                    accrued,
                });
            }
            prepaid = left.checked_sub(accrued)?;
            if prepaid > not_due {
                let payoff = paid.checked_add(accrued)?.checked_add(not_due)?;
                return Err(LoanError::Overpayment { amount, payoff });
            }
            post(
                &mut postings,
                A::Interest,
                A::InterestIncome,
                accrued,
                LoanWhy::Interest,
            );
            next.principal = not_due.checked_sub(prepaid)?;
            next.reschedule(on, mode)?;
            next.interest_from = Some(on);
        }
        post(
            &mut postings,
            A::Repayment,
            A::Penalty,
            penalty,
            LoanWhy::Repay,
        );
        post(
            &mut postings,
            A::Repayment,
            A::Interest,
            interest.checked_add(accrued)?,
            LoanWhy::Repay,
        );
        post(
            &mut postings,
            A::Repayment,
            A::Principal,
            principal.checked_add(prepaid)?,
            LoanWhy::Repay,
        );
        if next.principal.is_zero() && next.interest.is_zero() && next.penalty.is_zero() {
            next.status = LoanStatus::Closed;
        }
        *self = next;
        Ok(Repayment {
            penalty,
            interest,
            principal,
            accrued_interest: accrued,
            prepaid,
            postings,
        })
    }

    /// Interest on the principal not yet due from the later of the last due date, the
    /// disbursement and the last prepayment, to `on`, by the product's day count.
    pub fn accrued_interest(&self, on: Date) -> Result<Money, LoanError> {
        let mut from = self.interest_from.unwrap_or(on);
        for row in self.rows.iter().filter(|r| r.due <= on) {
            from = from.max(row.due);
        }
        let not_due = self.not_due_principal(on)?;
        let days = i64::from(from.until(on)?.get_days()).max(0);
        day_interest(
            not_due,
            self.product.annual_rate().as_decimal(),
            days,
            self.product.day_count().basis(),
        )
    }

    /// Past-due amounts on `on` (a due date is on time on the day itself), or `None`.
    pub fn overdue(&self, on: Date) -> Result<Option<Overdue>, LoanError> {
        let mut found: Option<Overdue> = None;
        for row in self.rows.iter().filter(|r| r.due < on) {
            let p = row.principal_left()?;
            let i = row.interest_left()?;
            if p.is_zero() && i.is_zero() {
                continue;
            }
            let o = found.get_or_insert(Overdue {
                since: row.due,
                days: i64::from(row.due.until(on)?.get_days()),
                principal: self.zero(),
                interest: self.zero(),
            });
            o.principal = o.principal.checked_add(p)?;
            o.interest = o.interest.checked_add(i)?;
        }
        Ok(found)
    }

    /// What is owed now, by receivable (principal counts due and not yet due).
    pub const fn balance(&self) -> LoanBalance {
        LoanBalance {
            principal: self.principal,
            interest: self.interest,
            penalty: self.penalty,
        }
    }

    /// The whole outstanding balance: principal + interest due + penalty.
    pub fn outstanding(&self) -> Result<Money, LoanError> {
        Ok(self
            .principal
            .checked_add(self.interest)?
            .checked_add(self.penalty)?)
    }

    /// The schedule (empty until disbursed).
    pub fn installments(&self) -> &[Installment] {
        &self.rows
    }
    /// The status.
    pub const fn status(&self) -> LoanStatus {
        self.status
    }
    /// The amount lent.
    pub const fn amount(&self) -> Money {
        self.amount
    }
    /// How it is repaid.
    pub const fn method(&self) -> LoanMethod {
        self.method
    }
    /// The level payment (equal installment), level principal (equal principal) or first
    /// payment (interest-only) that keep-payment prepayments keep.
    pub const fn level(&self) -> Money {
        self.level
    }
    /// Where it was paid out.
    pub const fn disbursed_to(&self) -> Option<DebitAccount> {
        self.disbursed_to
    }

    fn zero(&self) -> Money {
        Money::zero(self.amount.currency())
    }

    fn not_due_principal(&self, on: Date) -> Result<Money, LoanError> {
        let mut sum = self.zero();
        for row in self.rows.iter().filter(|r| r.due > on) {
            sum = sum.checked_add(row.principal_left()?)?;
        }
        Ok(sum)
    }

    fn expect(&self, status: LoanStatus, action: &'static str) -> Result<(), LoanError> {
        if self.status == status {
            Ok(())
        } else {
            Err(LoanError::WrongStatus {
                action,
                status: self.status.as_str(),
            })
        }
    }

    fn expect_active(&self, action: &'static str) -> Result<(), LoanError> {
        self.expect(LoanStatus::Active, action)
    }

    /// Replaces the rows due after `on` with a schedule of `self.principal` (all of which is not
    /// yet due), the first period's interest counted by day count from `on`.
    fn reschedule(&mut self, on: Date, mode: PrepaymentMode) -> Result<(), LoanError> {
        let dues: Vec<Date> = self
            .rows
            .iter()
            .filter(|r| r.due > on)
            .map(|r| r.due)
            .collect();
        self.rows.retain(|r| r.due <= on);
        let b = self.principal;
        if b.is_zero() || dues.is_empty() {
            return Ok(());
        }
        let plan: Vec<(Money, Money)> = match self.method {
            LoanMethod::InterestOnly => bullet_plan(&self.product, b, dues.len())?,
            LoanMethod::Amortizing(method) => {
                let rate = self.product.annual_rate();
                let requote = |n: usize| -> Result<LoanQuote, LoanError> {
                    let n = u32::try_from(n)
                        .map_err(|_| LoanError::Money(cardlife_kernel::MoneyError::Overflow))?;
                    Ok(LoanQuote::new(b, Periods::new(n)?, rate, method)?)
                };
                let quote = match mode {
                    PrepaymentMode::KeepTerm => requote(dues.len())?,
                    PrepaymentMode::KeepPayment => {
                        let mut chosen = None;
                        for n in 1..=dues.len() {
                            let q = requote(n)?;
                            if level_of(&q) <= self.level {
                                chosen = Some(q);
                                break;
                            }
                        }
                        match chosen {
                            Some(q) => q,
                            None => requote(dues.len())?,
                        }
                    }
                };
                if mode == PrepaymentMode::KeepTerm {
                    self.level = level_of(&quote);
                }
                quote
                    .schedule()
                    .iter()
                    .map(|r| (r.principal, r.interest))
                    .collect()
            }
        };
        let base = self.rows.len();
        for (k, ((principal, interest), due)) in plan.into_iter().zip(dues).enumerate() {
            let interest = if k == 0 {
                let days = i64::from(on.until(due)?.get_days());
                day_interest(
                    b,
                    self.product.annual_rate().as_decimal(),
                    days,
                    self.product.day_count().basis(),
                )?
            } else {
                interest
            };
            self.rows.push(Installment {
                period: u32::try_from(base + k + 1).map_err(|e| LoanError::Date(e.to_string()))?,
                due,
                principal,
                interest,
                principal_paid: self.zero(),
                interest_paid: self.zero(),
                interest_recognised: false,
                penalty_to: due,
            });
        }
        Ok(())
    }
}

fn check_booking(
    product: &LoanProduct,
    amount: Money,
    months: u32,
    max: u32,
    consent: bool,
    outstanding: Money,
) -> Result<(), LoanError> {
    if !consent {
        return Err(LoanError::NoConsent);
    }
    if months > max {
        return Err(LoanError::TermTooLong { months, max });
    }
    product.check_amount(amount, outstanding)
}

/// The amount a keep-payment prepayment keeps: A for equal installment, the level principal for
/// equal principal.
fn level_of(quote: &LoanQuote) -> Money {
    let first = quote.schedule()[0];
    match quote.method() {
        RepaymentMethod::EqualInstallment => first.payment,
        RepaymentMethod::EqualPrincipal => first.principal,
    }
}

/// Interest-only rows: half-up(B × annual / 12) each month, all of B with the last.
fn bullet_plan(
    product: &LoanProduct,
    amount: Money,
    months: usize,
) -> Result<Vec<(Money, Money)>, LoanError> {
    let exact = Decimal::from(amount.fen())
        .checked_mul(product.annual_rate().as_decimal())
        .and_then(|x| x.checked_div(Decimal::from(12)))
        .ok_or(LoanError::Money(cardlife_kernel::MoneyError::Overflow))?;
    let interest = Money::new(round_half_up_to_fen(exact)?, amount.currency());
    let zero = Money::zero(amount.currency());
    Ok((1..=months)
        .map(|k| (if k == months { amount } else { zero }, interest))
        .collect())
}

/// half-up(base × annual × days / basis), computed exactly and rounded once.
fn day_interest(base: Money, annual: Decimal, days: i64, basis: i64) -> Result<Money, LoanError> {
    let exact = Decimal::from(base.fen())
        .checked_mul(annual)
        .and_then(|x| x.checked_mul(Decimal::from(days)))
        .and_then(|x| x.checked_div(Decimal::from(basis)))
        .ok_or(LoanError::Money(cardlife_kernel::MoneyError::Overflow))?;
    Ok(Money::new(round_half_up_to_fen(exact)?, base.currency()))
}
