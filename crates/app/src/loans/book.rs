//! Loan quotes, booking with explicit consent, repayments, prepayments, reads and the daily
//! job (docs/loans.md). Each write replays the loan's history, applies one operation to a copy,
//! appends the event (refused without change if another writer got there first) and mirrors
//! its postings to the ledger.

use cardlife_credit::loan::{
    DayCount, DebitAccount, Loan, LoanError, LoanMethod, LoanProduct, LoanStatus, Posting,
    PrepaymentMode,
};
use cardlife_credit::quote::{Annualised, LoanQuote, Periods, RepaymentMethod, format_percent};
use cardlife_kernel::{AccountId, BusinessZone, CustomerId, Money, Rate};
use cardlife_store::StoreError;
use cardlife_store::loans::{Booked, EventRecord, LoanRecord, LoanStore, LoanSummary, QuoteRecord};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::{
    InstallmentView, LOAN_PRODUCT, LoanQuoteOut, LoanRefusal, LoanView, OverdueView, QuoteRowView,
};
use crate::{App, AppError, Missing};

/// The terms of a loan, as quoted and as booked.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Terms {
    pub(crate) method: LoanMethod,
    pub(crate) amount: Money,
    pub(crate) periods: Periods,
    pub(crate) annual_rate: Rate,
}

pub(crate) fn method_name(m: LoanMethod) -> &'static str {
    match m {
        LoanMethod::Amortizing(r) => r.as_str(),
        LoanMethod::InterestOnly => "interest_only",
    }
}

fn parse_method(text: &str) -> Result<LoanMethod, AppError> {
    if text == "interest_only" {
        return Ok(LoanMethod::InterestOnly);
    }
    text.parse::<RepaymentMethod>()
        .map(LoanMethod::Amortizing)
        .map_err(|_| {
            LoanRefusal::UnknownMethod {
                given: text.to_owned(),
            }
            .into()
        })
}

/// Parses `keep_term` or `keep_payment`.
pub fn parse_mode(text: &str) -> Result<PrepaymentMode, AppError> {
    match text {
        "keep_term" => Ok(PrepaymentMode::KeepTerm),
        "keep_payment" => Ok(PrepaymentMode::KeepPayment),
        _ => Err(LoanRefusal::UnknownPrepaymentMode {
            given: text.to_owned(),
        }
        .into()),
    }
}

const fn mode_name(m: PrepaymentMode) -> &'static str {
    match m {
        PrepaymentMode::KeepTerm => "keep_term",
        PrepaymentMode::KeepPayment => "keep_payment",
    }
}

pub(crate) const fn day_count_name(d: DayCount) -> &'static str {
    match d {
        DayCount::Actual360 => "actual_360",
        DayCount::Actual365 => "actual_365",
    }
}

/// A replayed history is inconsistent: the store was written by something else.
pub(crate) fn corrupt(_: LoanError) -> AppError {
    AppError::Storage(StoreError::Corrupt("loan event history"))
}

/// Books `terms` for `holder` (not yet disbursed): the one place a loan is made from terms.
fn book(
    product: LoanProduct,
    holder: CustomerId,
    terms: &Terms,
    consent: bool,
    outstanding: Money,
) -> Result<Loan, AppError> {
    Ok(match terms.method {
        LoanMethod::Amortizing(m) => {
            let quote = LoanQuote::new(terms.amount, terms.periods, terms.annual_rate, m)?;
            Loan::book(product, holder, &quote, consent, outstanding)?
        }
        LoanMethod::InterestOnly => Loan::book_interest_only(
            product,
            holder,
            terms.amount,
            terms.periods,
            consent,
            outstanding,
        )?,
    })
}

/// The schedule a loan of `terms` would have, its total interest and annualised rate.
fn schedule_of(terms: &Terms) -> Result<(Vec<QuoteRowView>, Money, Annualised), AppError> {
    let rows: Vec<(Money, Money)> = match terms.method {
        LoanMethod::Amortizing(m) => {
            let q = LoanQuote::new(terms.amount, terms.periods, terms.annual_rate, m)?;
            q.schedule()
                .iter()
                .map(|r| (r.principal, r.interest))
                .collect()
        }
        LoanMethod::InterestOnly => {
            let exact = Decimal::from(terms.amount.fen()) * terms.annual_rate.as_decimal()
                / Decimal::from(12);
            let interest = Money::cny(
                cardlife_kernel::round_half_up_to_fen(exact)
                    .map_err(|e| AppError::Loan(LoanError::Money(e)))?,
            );
            let n = terms.periods.get();
            (1..=n)
                .map(|k| {
                    let p = if k == n { terms.amount } else { Money::cny(0) };
                    (p, interest)
                })
                .collect()
        }
    };
    let mut balance = terms.amount;
    let mut total = Money::cny(0);
    let mut out = Vec::with_capacity(rows.len());
    let mut payments = Vec::with_capacity(rows.len());
    for (k, (principal, interest)) in rows.into_iter().enumerate() {
        balance = balance.checked_sub(principal).map_err(LoanError::from)?;
        total = total.checked_add(interest).map_err(LoanError::from)?;
        let payment = principal.checked_add(interest).map_err(LoanError::from)?;
        payments.push(payment);
        out.push(QuoteRowView {
            period: u32::try_from(k + 1).unwrap_or(u32::MAX),
            payment,
            interest,
            principal,
            balance,
        });
    }
    let annualised = Annualised::solve(terms.amount, &payments)?;
    Ok((out, total, annualised))
}

fn rate_of(text: &str) -> Result<Rate, AppError> {
    Rate::parse(text).map_err(|_| AppError::Storage(StoreError::Corrupt("rate")))
}

fn terms_of(method: &str, amount_fen: i64, periods: u32, rate: &str) -> Result<Terms, AppError> {
    Ok(Terms {
        method: parse_method(method)
            .map_err(|_| AppError::Storage(StoreError::Corrupt("loan method")))?,
        amount: Money::cny(amount_fen),
        periods: Periods::new(periods)
            .map_err(|_| AppError::Storage(StoreError::Corrupt("loan periods")))?,
        annual_rate: rate_of(rate)?,
    })
}

impl App {
    pub(crate) fn loan_store(&self) -> LoanStore {
        LoanStore::new(self.db().clone())
    }

    /// Today's business date (Asia/Shanghai) by the injected clock.
    pub fn business_date(&self) -> Date {
        BusinessZone::shanghai().today(self.clock().as_ref())
    }

    async fn outstanding_of(&self, customer: CustomerId) -> Result<Money, AppError> {
        Ok(Money::cny(
            self.loan_store().outstanding_principal(customer).await?,
        ))
    }

    /// Quotes a loan for `customer` and stores the quote for booking. `annual_rate`, when
    /// sent, must be the product's rate (it is shown back, never chosen by the caller).
    pub async fn create_loan_quote(
        &self,
        customer: CustomerId,
        product: &str,
        amount: Money,
        periods: u32,
        method: &str,
        annual_rate: Option<Rate>,
    ) -> Result<LoanQuoteOut, AppError> {
        if product != LOAN_PRODUCT {
            return Err(LoanRefusal::UnknownProduct {
                given: product.to_owned(),
            }
            .into());
        }
        let p = self.loans_config().loan;
        if let Some(r) = annual_rate {
            if r.is_negative() {
                return Err(LoanError::NegativeRate { rate: r }.into());
            }
            if r != p.annual_rate() {
                return Err(LoanRefusal::RateNotOffered {
                    asked: r.to_string(),
                    offered: p.annual_rate().to_string(),
                }
                .into());
            }
        }
        let terms = Terms {
            method: parse_method(method)?,
            amount,
            periods: Periods::new(periods)?,
            annual_rate: p.annual_rate(),
        };
        let outstanding = self.outstanding_of(customer).await?;
        // A dry run of the booking: the term, amount range and per-customer cap, now.
        book(p, customer, &terms, true, outstanding)?;
        let now = self.clock().now();
        let record = QuoteRecord {
            id: uuid::Uuid::now_v7(),
            customer,
            product: product.to_owned(),
            method: method_name(terms.method).to_owned(),
            amount_fen: amount.fen(),
            periods,
            annual_rate: p.annual_rate().to_string(),
            expires_at: now
                .checked_add(self.loans_config().quote_ttl)
                .unwrap_or(now),
            created_at: now,
        };
        self.loan_store().insert_quote(&record).await?;
        self.quote_out(&record, &terms)
    }

    fn quote_out(&self, record: &QuoteRecord, terms: &Terms) -> Result<LoanQuoteOut, AppError> {
        let (schedule, total_interest, annualised) = schedule_of(terms)?;
        let monthly = terms.annual_rate.as_decimal() / Decimal::from(12) * Decimal::ONE_HUNDRED;
        Ok(LoanQuoteOut {
            apr_percent: format_percent(annualised.apr_percent()),
            ear_percent: format_percent(annualised.ear_percent()),
            id: record.id.to_string(),
            product: record.product.clone(),
            method: record.method.clone(),
            amount: terms.amount,
            periods: terms.periods.get(),
            total_repayment: terms
                .amount
                .checked_add(total_interest)
                .map_err(LoanError::from)?,
            total_interest,
            annual_rate: record.annual_rate.clone(),
            monthly_rate_percent: format!("{:.4}", monthly.round_dp(4)),
            day_count: day_count_name(self.loans_config().loan.day_count()).to_owned(),
            schedule,
            expires_at: record.expires_at.to_string(),
        })
    }

    /// Books and disburses the quote `quote_id` to the customer's own debit card. `consent`
    /// must be exactly `Some(true)`; a quote expired, used or not theirs is refused.
    pub async fn book_loan(
        &self,
        customer: CustomerId,
        quote_id: &str,
        consent: Option<bool>,
        debit_card_id: &str,
    ) -> Result<LoanView, AppError> {
        if consent != Some(true) {
            return Err(LoanRefusal::ConsentRequired.into());
        }
        let quote_id: uuid::Uuid = quote_id
            .parse()
            .map_err(|_| AppError::NotFound(Missing::LoanQuote))?;
        let quote = self
            .loan_store()
            .quote(quote_id, customer)
            .await?
            .ok_or(AppError::NotFound(Missing::LoanQuote))?;
        let now = self.clock().now();
        if self.loan_store().quote_booked(quote_id).await? {
            return Err(LoanRefusal::QuoteUsed.into());
        }
        if now >= quote.expires_at {
            return Err(LoanRefusal::QuoteExpired.into());
        }
        let card = self.own_debit_card(customer, debit_card_id).await?;
        let terms = terms_of(
            &quote.method,
            quote.amount_fen,
            quote.periods,
            &quote.annual_rate,
        )?;
        let outstanding = self.outstanding_of(customer).await?;
        let mut loan = book(
            self.loans_config().loan,
            customer,
            &terms,
            true,
            outstanding,
        )?;
        let today = self.business_date();
        let to = DebitAccount {
            owner: customer,
            account: AccountId::from_uuid(card.id),
        };
        let postings = loan.disburse(today, to)?;
        let id = uuid::Uuid::now_v7();
        let record = LoanRecord {
            id,
            customer,
            quote_id,
            product: quote.product.clone(),
            method: quote.method.clone(),
            amount_fen: quote.amount_fen,
            periods: quote.periods,
            annual_rate: quote.annual_rate.clone(),
            debit_card_id: card.id,
            booked_on: today,
            events: 1,
            summary: summary_of(&loan, today, 0)?,
            created_at: now,
        };
        let first = EventRecord {
            seq: 1,
            kind: "disburse".to_owned(),
            on: today,
            amount_fen: Some(quote.amount_fen),
            mode: None,
            debit_card_id: Some(card.id),
        };
        // The cap was checked above on what was owed then; the store checks it again inside
        // the booking's own transaction, so a concurrent booking cannot slip past it.
        let cap = self.loans_config().loan.customer_cap();
        match self
            .loan_store()
            .insert_loan(&record, &first, now, cap.fen())
            .await?
        {
            Booked::Inserted => {}
            Booked::QuoteUsed => return Err(LoanRefusal::QuoteUsed.into()),
            Booked::CapExceeded { outstanding_fen } => {
                return Err(LoanError::CustomerCapExceeded {
                    outstanding: Money::cny(outstanding_fen),
                    amount: Money::cny(quote.amount_fen),
                    cap,
                }
                .into());
            }
        }
        self.mirror_accounts(id).await?;
        self.mirror_postings(id, 1, &postings).await?;
        self.loan_view(&record, &loan, today)
    }

    /// Rebuilds a loan from its history; the postings of every event, by `seq`.
    async fn replay(&self, record: &LoanRecord) -> Result<(Loan, Vec<Vec<Posting>>), AppError> {
        let events = self.loan_store().events(record.id).await?;
        let terms = terms_of(
            &record.method,
            record.amount_fen,
            record.periods,
            &record.annual_rate,
        )?;
        let zero = Money::cny(0);
        let mut loan = book(
            self.loans_config().loan,
            record.customer,
            &terms,
            true,
            zero,
        )?;
        let mut all = Vec::with_capacity(events.len());
        for e in &events {
            let amount = Money::cny(e.amount_fen.unwrap_or(0));
            let postings = match e.kind.as_str() {
                "disburse" => loan.disburse(
                    e.on,
                    DebitAccount {
                        owner: record.customer,
                        account: AccountId::from_uuid(record.debit_card_id),
                    },
                ),
                "accrue" => loan.accrue(e.on),
                "repay" | "prepay" => {
                    let mode = e
                        .mode
                        .as_deref()
                        .map_or(Ok(PrepaymentMode::KeepTerm), parse_mode)?;
                    loan.repay(e.on, amount, mode).map(|r| r.postings)
                }
                _ => return Err(AppError::Storage(StoreError::Corrupt("loan event kind"))),
            }
            .map_err(corrupt)?;
            all.push(postings);
        }
        Ok((loan, all))
    }

    async fn own_loan(&self, customer: CustomerId, id: &str) -> Result<LoanRecord, AppError> {
        let id: uuid::Uuid = id.parse().map_err(|_| AppError::NotFound(Missing::Loan))?;
        self.loan_store()
            .loan(id, customer)
            .await?
            .ok_or(AppError::NotFound(Missing::Loan))
    }

    /// The customer's loan `id` as it stands today.
    pub async fn loan(&self, customer: CustomerId, id: &str) -> Result<LoanView, AppError> {
        let record = self.own_loan(customer, id).await?;
        let (loan, _) = self.replay(&record).await?;
        self.loan_view(&record, &loan, self.business_date())
    }

    /// The customer's loans, oldest first.
    pub async fn loans_of(&self, customer: CustomerId) -> Result<Vec<LoanView>, AppError> {
        let today = self.business_date();
        let mut out = Vec::new();
        for record in self.loan_store().loans_of(customer).await? {
            let (loan, _) = self.replay(&record).await?;
            out.push(self.loan_view(&record, &loan, today)?);
        }
        Ok(out)
    }

    /// Repays `amount` today from the customer's own debit card: penalty → interest due →
    /// principal due; anything beyond prepays by `mode` (keep the term when `None`).
    pub async fn repay_loan(
        &self,
        customer: CustomerId,
        id: &str,
        amount: Money,
        debit_card_id: &str,
        mode: Option<PrepaymentMode>,
    ) -> Result<LoanView, AppError> {
        let record = self.own_loan(customer, id).await?;
        let card = self.own_debit_card(customer, debit_card_id).await?;
        let (mut loan, _) = self.replay(&record).await?;
        let today = self.business_date();
        let repayment = loan.repay(today, amount, mode.unwrap_or(PrepaymentMode::KeepTerm))?;
        let event = EventRecord {
            seq: record.events + 1,
            kind: if mode.is_some() { "prepay" } else { "repay" }.to_owned(),
            on: today,
            amount_fen: Some(amount.fen()),
            mode: mode.map(|m| mode_name(m).to_owned()),
            debit_card_id: Some(card.id),
        };
        self.append(&record, &loan, &event, today, &repayment.postings)
            .await?;
        self.loan_view(&record, &loan, today)
    }

    /// Appends `event` (leaving `loan`) and mirrors its postings.
    async fn append(
        &self,
        record: &LoanRecord,
        loan: &Loan,
        event: &EventRecord,
        today: Date,
        postings: &[Posting],
    ) -> Result<(), AppError> {
        let summary = summary_of(loan, today, record.summary.worst_days_past_due)?;
        let now = self.clock().now();
        if !self
            .loan_store()
            .append_loan_event(record.id, event, &summary, now)
            .await?
        {
            return Err(LoanRefusal::ConcurrentUpdate.into());
        }
        self.mirror_postings(record.id, event.seq, postings).await
    }

    /// Brings every open loan to `date`: interest falling due, penalty on overdue principal,
    /// each as an event mirrored to the ledger; re-posts earlier events' postings (a no-op
    /// unless a mirror failed). Returns (loans accrued, loans overdue, postings made).
    pub(crate) async fn close_day_loans(
        &self,
        date: Date,
    ) -> Result<(usize, usize, usize), AppError> {
        let (mut accrued, mut overdue, mut posted) = (0, 0, 0);
        for record in self.loan_store().active_loans().await? {
            let (mut loan, history) = self.replay(&record).await?;
            self.mirror_accounts(record.id).await?;
            for (k, postings) in history.iter().enumerate() {
                let seq = i64::try_from(k + 1).unwrap_or(i64::MAX);
                self.mirror_postings(record.id, seq, postings).await?;
            }
            if loan.status() != LoanStatus::Active {
                continue;
            }
            let mut next = loan.clone();
            let postings = match next.accrue(date) {
                Ok(p) => p,
                // A day already closed (or a later event): nothing to do for this loan.
                Err(LoanError::DateInPast { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            if next.overdue(date)?.is_some() {
                overdue += 1;
            }
            if postings.is_empty() {
                continue;
            }
            loan = next;
            let event = EventRecord {
                seq: record.events + 1,
                kind: "accrue".to_owned(),
                on: date,
                amount_fen: None,
                mode: None,
                debit_card_id: None,
            };
            self.append(&record, &loan, &event, date, &postings).await?;
            accrued += 1;
            posted += postings.len();
        }
        Ok((accrued, overdue, posted))
    }

    fn loan_view(
        &self,
        record: &LoanRecord,
        loan: &Loan,
        today: Date,
    ) -> Result<LoanView, AppError> {
        let terms = terms_of(
            &record.method,
            record.amount_fen,
            record.periods,
            &record.annual_rate,
        )?;
        let (_, _, annualised) = schedule_of(&terms)?;
        // Show the loan as of today: interest fallen due and penalty accrued to today.
        let mut now = loan.clone();
        let mut payoff = Money::cny(0);
        if now.status() == LoanStatus::Active && now.accrue(today).is_ok() {
            payoff = now
                .outstanding()?
                .checked_add(now.accrued_interest(today)?)
                .map_err(LoanError::from)?;
        }
        let b = now.balance();
        let overdue = now.overdue(today)?.map(|o| OverdueView {
            since: o.since.to_string(),
            days: o.days,
            principal: o.principal,
            interest: o.interest,
        });
        let schedule = now
            .installments()
            .iter()
            .map(|r| {
                Ok(InstallmentView {
                    period: r.period,
                    due: r.due.to_string(),
                    principal: r.principal,
                    interest: r.interest,
                    payment: r
                        .principal
                        .checked_add(r.interest)
                        .map_err(LoanError::from)?,
                    principal_paid: r.principal_paid,
                    interest_paid: r.interest_paid,
                })
            })
            .collect::<Result<Vec<_>, AppError>>()?;
        Ok(LoanView {
            id: record.id.to_string(),
            status: now.status().as_str().to_owned(),
            apr_percent: format_percent(annualised.apr_percent()),
            product: record.product.clone(),
            method: record.method.clone(),
            amount: Money::cny(record.amount_fen),
            periods: record.periods,
            annual_rate: record.annual_rate.clone(),
            booked_on: record.booked_on.to_string(),
            quote_id: record.quote_id.to_string(),
            debit_card_id: record.debit_card_id.to_string(),
            principal: b.principal,
            interest_due: b.interest,
            penalty: b.penalty,
            payoff_today: payoff,
            overdue,
            schedule,
        })
    }
}

/// The cached summary of `loan` as of `today`.
fn summary_of(loan: &Loan, today: Date, worst: i64) -> Result<LoanSummary, AppError> {
    let b = loan.balance();
    let dpd = loan.overdue(today)?.map_or(0, |o| o.days);
    Ok(LoanSummary {
        status: loan.status().as_str().to_owned(),
        principal_fen: b.principal.fen(),
        interest_fen: b.interest.fen(),
        penalty_fen: b.penalty.fen(),
        days_past_due: dpd,
        worst_days_past_due: worst.max(dpd),
    })
}

impl App {
    /// A stored quote of `customer`'s, as it was answered (another's or an unknown id is not
    /// found): the consent page shows it again after a refused booking (docs/web.md).
    pub async fn loan_quote(
        &self,
        customer: CustomerId,
        id: &str,
    ) -> Result<LoanQuoteOut, AppError> {
        let id: uuid::Uuid = id
            .parse()
            .map_err(|_| AppError::NotFound(Missing::LoanQuote))?;
        let record = self
            .loan_store()
            .quote(id, customer)
            .await?
            .ok_or(AppError::NotFound(Missing::LoanQuote))?;
        let terms = terms_of(
            &record.method,
            record.amount_fen,
            record.periods,
            &record.annual_rate,
        )?;
        self.quote_out(&record, &terms)
    }
}
