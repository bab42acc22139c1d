//! What the operator console shows (docs/web.md, "Operator console"): the dashboard's figures
//! and the customers list with a 360 view. Every read names the operator and checks the role,
//! like the merchants context's operator use cases.

use cardlife_customers::{LifecycleFacts, LifecyclePolicy};
pub use cardlife_customers::{LifecycleStage, ValueTier};
use cardlife_kernel::{CustomerId, Money};
pub use cardlife_store::audit::AuditRecord;
use cardlife_store::console::{ConsoleStore, DAY_NS, ZONE_OFFSET_NS};
pub use cardlife_store::console::{CustomerRow, LoanRow, PaymentRow};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use cardlife_store::merchants::MerchantStore;

use crate::merchants::operators::{Operator, Role};
use crate::merchants::{MerchantView, MerchantsError, QUEUE_PAGE_MAX};
use crate::{App, AppError};

/// Business days the dashboard covers, today included.
pub const DASHBOARD_DAYS: i64 = 14;
/// The most customers the list shows.
pub const CUSTOMERS_SHOWN_MAX: u32 = 100;

/// Who may see the dashboard: every operator role.
pub const DASHBOARD_ROLES: &[Role] = &[
    Role::Viewer,
    Role::CampaignManager,
    Role::MerchantReviewer,
    Role::RiskOfficer,
];
/// Who may read the merchants under review (as the review queue).
pub const REVIEW_READERS: &[Role] = &[Role::MerchantReviewer, Role::RiskOfficer, Role::Viewer];
/// Who may decide on merchants.
pub const REVIEWERS: &[Role] = &[Role::MerchantReviewer];
/// Who may read the audit log.
pub const AUDITORS: &[Role] = &[Role::RiskOfficer];

/// Who may see customers: viewers and risk officers (and admins).
pub const CUSTOMER_ROLES: &[Role] = &[Role::Viewer, Role::RiskOfficer];

/// One business day on the dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayFigures {
    /// `MM-DD` in the business zone.
    pub label: String,
    /// Customers registered.
    pub registrations: i64,
    /// Payments captured.
    pub payments: i64,
    /// What they captured.
    pub amount: Money,
    /// The MDR fees on them (the bank's revenue).
    pub revenue: Money,
}

/// The dashboard's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// The last [`DASHBOARD_DAYS`] business days, oldest first, every day present.
    pub days: Vec<DayFigures>,
    /// Payments captured in those days by hour of the business day, 0–23.
    pub by_hour: [i64; 24],
}

impl Dashboard {
    /// Payments over the whole period.
    pub fn total_payments(&self) -> i64 {
        self.days.iter().map(|d| d.payments).sum()
    }
}

/// A customer's 360 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer360 {
    /// Masked phone, registration, lifecycle stage and value.
    pub customer: CustomerSummary,
    /// Loans and credit lines.
    pub loans: Vec<LoanRow>,
    /// Bound debit cards, masked, with when they were bound.
    pub debit_cards: Vec<(String, Timestamp)>,
    /// Payments.
    pub payments: Vec<PaymentRow>,
    /// The newest risk decisions about them (docs/risk.md).
    pub risk: Vec<crate::risk::DecisionView>,
    /// Their card accounts with the cards (masked) and the newest statements.
    pub accounts: Vec<CardAccountRow>,
    /// What they hold in rewards, when the rewards context runs.
    pub rewards: Option<RewardsHeld>,
}

/// How many statements of each account the 360 view shows (newest first).
pub const STATEMENTS_SHOWN_MAX: usize = 3;

/// One card account in the 360 view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAccountRow {
    /// The account as of today.
    pub account: cardlife_store::credit::AccountView,
    /// Its cards, masked (first 6 + last 4).
    pub cards: Vec<String>,
    /// Its newest statements.
    pub statements: Vec<cardlife_store::credit::StatementView>,
}

/// The rewards a customer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RewardsHeld {
    /// Points usable today.
    pub points: cardlife_kernel::Points,
    /// Coupons claimed and still usable.
    pub coupons_available: usize,
    /// The membership tier's code.
    pub tier: String,
}

/// A customer in the console: the stored row, their lifecycle stage and value tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    /// Masked phone, registration and the facts counted.
    pub row: CustomerRow,
    /// Where they are in the loop.
    pub stage: LifecycleStage,
    /// By spending in the activity window.
    pub value: ValueTier,
}

/// The start of the spending window ending `now`.
fn window_start(now: Timestamp) -> Timestamp {
    now.checked_sub(LifecyclePolicy::DEFAULT.activity_window)
        .unwrap_or(now)
}

fn summary(row: CustomerRow, now: Timestamp) -> CustomerSummary {
    let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
    let facts = LifecycleFacts {
        credit_accounts: count(row.credit_accounts),
        last_paid_at: row.last_paid_at,
        window_spend: Money::cny(row.window_spend_fen),
        open_financing: count(row.open_financing),
        days_past_due: count(row.days_past_due),
    };
    let policy = LifecyclePolicy::DEFAULT;
    CustomerSummary {
        stage: facts.stage(&policy, now),
        value: facts.value(&policy),
        row,
    }
}

fn day_label(day: i64) -> String {
    Timestamp::from_second(day.saturating_mul(86_400))
        .map(|t| t.to_zoned(TimeZone::UTC).strftime("%m-%d").to_string())
        .unwrap_or_default()
}

impl App {
    fn console_store(&self) -> ConsoleStore {
        ConsoleStore::new(self.db().clone())
    }

    /// The dashboard: registrations, payments, amount and revenue per business day, and
    /// payments by hour of day, over the last [`DASHBOARD_DAYS`] days.
    pub async fn dashboard(&self, by: &Operator) -> Result<Dashboard, AppError> {
        by.require_any(DASHBOARD_ROLES)?;
        let today = ConsoleStore::day_of(self.clock().now());
        let first = today - (DASHBOARD_DAYS - 1);
        let since_ns = first * DAY_NS - ZONE_OFFSET_NS;
        let since =
            Timestamp::from_nanosecond(i128::from(since_ns)).map_err(|_| AppError::Unavailable)?;
        let store = self.console_store();
        let registrations = store.registrations_by_day(since).await?;
        let payments = store.payments_by_day(since).await?;
        let hours = store.payments_by_hour(since).await?;
        let days = (first..=today)
            .map(|day| {
                let p = payments.iter().find(|p| p.day == day);
                DayFigures {
                    label: day_label(day),
                    registrations: registrations
                        .iter()
                        .find(|(d, _)| *d == day)
                        .map_or(0, |(_, n)| *n),
                    payments: p.map_or(0, |p| p.count),
                    amount: Money::cny(p.map_or(0, |p| p.amount_fen)),
                    revenue: Money::cny(p.map_or(0, |p| p.fee_fen)),
                }
            })
            .collect();
        let mut by_hour = [0i64; 24];
        for (hour, n) in hours {
            if let Some(slot) = usize::try_from(hour).ok().and_then(|h| by_hour.get_mut(h)) {
                *slot = n;
            }
        }
        Ok(Dashboard { days, by_hour })
    }

    /// Merchants in `status` (`pending`, `approved`, `rejected`, `suspended`), oldest first,
    /// for the review pages (the roles that read the review queue).
    pub async fn merchants_in(
        &self,
        by: &Operator,
        status: &str,
    ) -> Result<Vec<MerchantView>, AppError> {
        by.require_any(REVIEW_READERS)?;
        let rows = MerchantStore::new(self.db().clone())
            .by_status(status, QUEUE_PAGE_MAX)
            .await?;
        Ok(rows.into_iter().map(MerchantView::from).collect())
    }

    /// The newest customers, each with their lifecycle stage and value tier.
    pub async fn console_customers(&self, by: &Operator) -> Result<Vec<CustomerSummary>, AppError> {
        by.require_any(CUSTOMER_ROLES)?;
        let now = self.clock().now();
        let rows = self
            .console_store()
            .customers(CUSTOMERS_SHOWN_MAX, window_start(now))
            .await?;
        Ok(rows.into_iter().map(|r| summary(r, now)).collect())
    }

    /// One customer's 360 view: masked phone, registration, loans, debit cards, payments, risk
    /// decisions.
    pub async fn customer_360(
        &self,
        by: &Operator,
        id: CustomerId,
    ) -> Result<Customer360, AppError> {
        by.require_any(CUSTOMER_ROLES)?;
        let store = self.console_store();
        let now = self.clock().now();
        let customer = store
            .customer(id, window_start(now))
            .await?
            .ok_or(MerchantsError::NotFound("customer"))?;
        Ok(Customer360 {
            customer: summary(customer, now),
            loans: store.loans_of(id).await?,
            debit_cards: store.debit_cards_of(id).await?,
            payments: store.payments_of(id).await?,
            risk: self.customer_risk_decisions(id).await?,
            accounts: self.card_accounts_360(id).await?,
            rewards: self.rewards_360(id).await?,
        })
    }

    async fn card_accounts_360(&self, id: CustomerId) -> Result<Vec<CardAccountRow>, AppError> {
        let Ok(credit) = self.credit() else {
            return Ok(Vec::new());
        };
        let mut rows = Vec::new();
        for account in self.credit_accounts(id).await? {
            let cards = credit
                .cards(account.id, id.as_uuid())
                .await?
                .into_iter()
                .map(|c| format!("{}******{}", c.first6, c.last4))
                .collect();
            let mut statements = credit.statements(account.id, id.as_uuid()).await?;
            statements.truncate(STATEMENTS_SHOWN_MAX);
            rows.push(CardAccountRow {
                account,
                cards,
                statements,
            });
        }
        Ok(rows)
    }

    async fn rewards_360(&self, id: CustomerId) -> Result<Option<RewardsHeld>, AppError> {
        let points = match self.my_points(id).await {
            Ok(p) => p.balance,
            Err(AppError::Unavailable) => return Ok(None),
            Err(e) => return Err(e),
        };
        let coupons = self.my_coupons(id).await?;
        let tier = self.my_membership(id).await?.tier.code;
        Ok(Some(RewardsHeld {
            points,
            coupons_available: coupons.iter().filter(|c| c.state == "available").count(),
            tier,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::day_label;

    #[test]
    fn a_day_number_is_labelled_with_its_date() {
        // 2026-04-01 is day 20544 since 1970-01-01.
        assert_eq!(day_label(20_544), "04-01");
        assert_eq!(day_label(0), "01-01");
    }
}
