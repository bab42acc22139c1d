//! The draw-and-repay-anytime credit line (随借随还, docs/loans.md): opening with consent,
//! draws to and repayments from the holder's own debit card, daily interest by the day job.

use cardlife_credit::loan::{CreditLine, DebitAccount, LoanError, Posting};
use cardlife_credit::quote::format_percent;
use cardlife_kernel::{AccountId, CustomerId, Money, Rate};
use cardlife_store::StoreError;
use cardlife_store::loans::{EventRecord, LineRecord};
use jiff::civil::Date;
use rust_decimal::Decimal;

use super::book::{corrupt, day_count_name};
use super::{LINE_PRODUCT, LineView, LoanRefusal};
use crate::{App, AppError, Missing};

impl App {
    /// Opens a line of `limit` (the product's largest when `None`) with explicit consent.
    pub async fn open_credit_line(
        &self,
        customer: CustomerId,
        consent: Option<bool>,
        limit: Option<Money>,
    ) -> Result<LineView, AppError> {
        if consent != Some(true) {
            return Err(LoanRefusal::ConsentRequired.into());
        }
        let cfg = self.loans_config();
        let limit = limit.unwrap_or(cfg.line_limit_max);
        if !limit.is_positive() || limit > cfg.line_limit_max {
            return Err(LoanError::AmountOutOfRange {
                amount: limit,
                min: Money::cny(1),
                max: cfg.line_limit_max,
            }
            .into());
        }
        let today = self.business_date();
        let line = CreditLine::open(customer, limit, cfg.line_rate, cfg.line_day_count, today)?;
        let now = self.clock().now();
        let record = LineRecord {
            id: uuid::Uuid::now_v7(),
            customer,
            product: LINE_PRODUCT.to_owned(),
            limit_fen: limit.fen(),
            annual_rate: cfg.line_rate.to_string(),
            opened_on: today,
            drawn_fen: 0,
            interest_fen: 0,
            events: 1,
            created_at: now,
        };
        let first = EventRecord {
            seq: 1,
            kind: "open".to_owned(),
            on: today,
            amount_fen: Some(limit.fen()),
            mode: None,
            debit_card_id: None,
        };
        self.loan_store().insert_line(&record, &first, now).await?;
        self.mirror_accounts(record.id).await?;
        self.line_view(&record, &line, today)
    }

    async fn replay_line(
        &self,
        record: &LineRecord,
    ) -> Result<(CreditLine, Vec<Vec<Posting>>), AppError> {
        let rate = Rate::parse(&record.annual_rate)
            .map_err(|_| AppError::Storage(StoreError::Corrupt("rate")))?;
        let mut line = CreditLine::open(
            record.customer,
            Money::cny(record.limit_fen),
            rate,
            self.loans_config().line_day_count,
            record.opened_on,
        )
        .map_err(corrupt)?;
        let own = DebitAccount {
            owner: record.customer,
            account: AccountId::from_u128(0),
        };
        let mut all = Vec::new();
        for e in self.loan_store().events(record.id).await? {
            let amount = Money::cny(e.amount_fen.unwrap_or(0));
            let postings = match e.kind.as_str() {
                "open" => Ok(Vec::new()),
                "draw" => line.draw(e.on, amount, own),
                "repay" => line.repay(e.on, amount).map(|r| r.postings),
                "accrue" => line.accrue(e.on),
                _ => return Err(AppError::Storage(StoreError::Corrupt("line event kind"))),
            }
            .map_err(corrupt)?;
            all.push(postings);
        }
        Ok((line, all))
    }

    async fn own_line(&self, customer: CustomerId, id: &str) -> Result<LineRecord, AppError> {
        let id: uuid::Uuid = id
            .parse()
            .map_err(|_| AppError::NotFound(Missing::CreditLine))?;
        self.loan_store()
            .line(id, customer)
            .await?
            .ok_or(AppError::NotFound(Missing::CreditLine))
    }

    /// The customer's line `id` as it stands today.
    pub async fn credit_line(&self, customer: CustomerId, id: &str) -> Result<LineView, AppError> {
        let record = self.own_line(customer, id).await?;
        let (line, _) = self.replay_line(&record).await?;
        self.line_view(&record, &line, self.business_date())
    }

    /// The customer's lines.
    pub async fn credit_lines_of(&self, customer: CustomerId) -> Result<Vec<LineView>, AppError> {
        let today = self.business_date();
        let mut out = Vec::new();
        for record in self.loan_store().lines_of(customer).await? {
            let (line, _) = self.replay_line(&record).await?;
            out.push(self.line_view(&record, &line, today)?);
        }
        Ok(out)
    }

    /// Draws `amount` today to the customer's own debit card, within the line and the
    /// per-customer cap.
    pub async fn draw_credit_line(
        &self,
        customer: CustomerId,
        id: &str,
        amount: Money,
        debit_card_id: &str,
    ) -> Result<LineView, AppError> {
        let record = self.own_line(customer, id).await?;
        let card = self.own_debit_card(customer, debit_card_id).await?;
        let (mut line, _) = self.replay_line(&record).await?;
        let outstanding = Money::cny(self.loan_store().outstanding_principal(customer).await?);
        let cap = self.loans_config().loan.customer_cap();
        if amount.is_positive() && outstanding.checked_add(amount).map_err(LoanError::from)? > cap {
            return Err(LoanError::CustomerCapExceeded {
                outstanding,
                amount,
                cap,
            }
            .into());
        }
        let today = self.business_date();
        let own = DebitAccount {
            owner: customer,
            account: AccountId::from_uuid(card.id),
        };
        let postings = line.draw(today, amount, own)?;
        self.append_line(
            &record,
            &line,
            "draw",
            today,
            Some(amount),
            Some(card.id),
            &postings,
        )
        .await?;
        self.line_view(&record, &line, today)
    }

    /// Repays `amount` today from the customer's own debit card: interest, then principal.
    pub async fn repay_credit_line(
        &self,
        customer: CustomerId,
        id: &str,
        amount: Money,
        debit_card_id: &str,
    ) -> Result<LineView, AppError> {
        let record = self.own_line(customer, id).await?;
        let card = self.own_debit_card(customer, debit_card_id).await?;
        let (mut line, _) = self.replay_line(&record).await?;
        let today = self.business_date();
        let repayment = line.repay(today, amount)?;
        self.append_line(
            &record,
            &line,
            "repay",
            today,
            Some(amount),
            Some(card.id),
            &repayment.postings,
        )
        .await?;
        self.line_view(&record, &line, today)
    }

    #[allow(clippy::too_many_arguments)]
    async fn append_line(
        &self,
        record: &LineRecord,
        line: &CreditLine,
        kind: &str,
        on: Date,
        amount: Option<Money>,
        card: Option<uuid::Uuid>,
        postings: &[Posting],
    ) -> Result<(), AppError> {
        let event = EventRecord {
            seq: record.events + 1,
            kind: kind.to_owned(),
            on,
            amount_fen: amount.map(Money::fen),
            mode: None,
            debit_card_id: card,
        };
        let appended = self
            .loan_store()
            .append_line_event(
                record.id,
                &event,
                line.drawn().fen(),
                line.interest().fen(),
                self.clock().now(),
            )
            .await?;
        if !appended {
            return Err(LoanRefusal::ConcurrentUpdate.into());
        }
        self.mirror_postings(record.id, event.seq, postings).await
    }

    /// Posts the daily interest of every drawn line up to `date` (and re-posts earlier events).
    /// Returns (lines accrued, postings made).
    pub(crate) async fn close_day_lines(&self, date: Date) -> Result<(usize, usize), AppError> {
        let (mut accrued, mut posted) = (0, 0);
        for record in self.loan_store().drawn_lines().await? {
            let (mut line, history) = self.replay_line(&record).await?;
            for (k, postings) in history.iter().enumerate() {
                let seq = i64::try_from(k + 1).unwrap_or(i64::MAX);
                self.mirror_postings(record.id, seq, postings).await?;
            }
            let postings = match line.accrue(date) {
                Ok(p) => p,
                Err(LoanError::DateInPast { .. }) => continue,
                Err(e) => return Err(e.into()),
            };
            if postings.is_empty() {
                continue;
            }
            self.append_line(&record, &line, "accrue", date, None, None, &postings)
                .await?;
            accrued += 1;
            posted += postings.len();
        }
        Ok((accrued, posted))
    }

    fn line_view(
        &self,
        record: &LineRecord,
        line: &CreditLine,
        today: Date,
    ) -> Result<LineView, AppError> {
        let mut now = line.clone();
        now.accrue(today).ok();
        let basis = Decimal::from(line.day_count().basis());
        let annual = line.annual_rate().as_decimal();
        Ok(LineView {
            id: record.id.to_string(),
            annual_rate_percent: format_percent(annual * Decimal::ONE_HUNDRED),
            daily_rate_percent: format!(
                "{:.6}",
                (annual / basis * Decimal::ONE_HUNDRED).round_dp(6)
            ),
            day_count: day_count_name(line.day_count()).to_owned(),
            limit: line.limit(),
            available: now.available()?,
            drawn: now.drawn(),
            interest: now.interest(),
            daily_interest: now.daily_interest()?,
            payoff_today: now.payoff()?,
            opened_on: record.opened_on.to_string(),
        })
    }
}
