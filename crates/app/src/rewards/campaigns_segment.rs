//! The profile a campaign's target segment is evaluated on, derived at the event
//! (docs/rewards.md, "Target segments"): the lifecycle stage and value tier the operator console
//! shows (the same facts and the same pure rule, `cardlife_customers::LifecycleFacts`) and the
//! BINs of the customer's credit cards. A segment that targets everybody needs none of it, so
//! nothing is read for it.

use cardlife_customers::{LifecycleFacts, LifecyclePolicy};
use cardlife_kernel::{CustomerId, Money};
use cardlife_rewards::CardBin;
use cardlife_rewards::campaign::{CustomerStage, LifecycleStage, Profile, Segment, ValueBand};
use cardlife_store::console::ConsoleStore;

use crate::{App, AppError};

impl App {
    /// `customer`'s profile for `segment` at an event whose coarse stage is `stage`: only what
    /// the segment restricts is read.
    pub(crate) async fn segment_profile(
        &self,
        customer: CustomerId,
        stage: LifecycleStage,
        segment: &Segment,
    ) -> Result<Profile, AppError> {
        let mut profile = Profile::at_stage(stage);
        if !segment.customer_stages.is_empty() || !segment.value_tiers.is_empty() {
            let (stage, value) = self.lifecycle_of(customer).await?;
            profile.customer_stage = stage;
            profile.value = value;
        }
        if !segment.card_bins.is_empty() {
            profile.card_bins = self.card_bins_of(customer).await?;
        }
        Ok(profile)
    }

    async fn lifecycle_of(
        &self,
        customer: CustomerId,
    ) -> Result<(Option<CustomerStage>, Option<ValueBand>), AppError> {
        let policy = LifecyclePolicy::DEFAULT;
        let now = self.clock().now();
        let since = now.checked_sub(policy.activity_window).unwrap_or(now);
        let Some(row) = ConsoleStore::new(self.db().clone())
            .customer(customer, since)
            .await?
        else {
            return Ok((None, None));
        };
        let count = |n: i64| u32::try_from(n.max(0)).unwrap_or(u32::MAX);
        let facts = LifecycleFacts {
            credit_accounts: count(row.credit_accounts),
            last_paid_at: row.last_paid_at,
            window_spend: Money::cny(row.window_spend_fen),
            open_financing: count(row.open_financing),
            days_past_due: count(row.days_past_due),
        };
        Ok((
            CustomerStage::parse(facts.stage(&policy, now).code()),
            ValueBand::parse(facts.value(&policy).code()),
        ))
    }

    async fn card_bins_of(&self, customer: CustomerId) -> Result<Vec<CardBin>, AppError> {
        let Ok(credit) = self.credit() else {
            return Ok(Vec::new());
        };
        let mut bins = Vec::new();
        for account in credit
            .accounts_of(customer.as_uuid(), self.business_date())
            .await
            .map_err(AppError::Credit)?
        {
            for card in credit
                .cards(account.id, customer.as_uuid())
                .await
                .map_err(AppError::Credit)?
            {
                if let Ok(bin) = CardBin::parse(&card.first6) {
                    bins.push(bin);
                }
            }
        }
        Ok(bins)
    }
}
