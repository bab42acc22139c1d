//! Referral (人传人, docs/rewards.md, "Referral"): each customer's invite code and link; an
//! invitee binds to one inviter, once; the invitee's first card payment of at least
//! [`MIN_SPEND_FEN`] rewards both sides in points — one level only (the inviter's own inviter
//! earns nothing) — unless the abuse hook refuses (the same device seen on both sides). The rules
//! are the domain's [`ReferralProgram`], rebuilt for the pair from the store on each use.

use cardlife_kernel::{CustomerId, Money, Points};
use cardlife_rewards::ids::{DeviceId, TriggerEventId};
use cardlife_rewards::referral::{
    AbuseReason, InviteCode, ReferralProgram, ReferralRules, SharedSignals, Signals, SpendOutcome,
};
use cardlife_rewards::{RewardsError, campaign::Grant};
use cardlife_store::rewards::referral::{ReferralRecord, ReferralStore};

use super::points::refused;
use crate::merchants::funding::derived_id;
use crate::{App, AppError};

/// The least payment that qualifies, in fen (100.00 CNY).
pub const MIN_SPEND_FEN: i64 = 10_000;
/// Points the inviter earns.
pub const INVITER_POINTS: i64 = 500;
/// Points the invitee earns.
pub const INVITEE_POINTS: i64 = 200;
/// Programme data mixed into invite codes.
const CODE_KEY: u64 = 0x00CA_4D11_FE00_0001;
/// The longest device fingerprint kept.
pub const DEVICE_LEN_MAX: usize = 128;

fn rules() -> ReferralRules {
    ReferralRules {
        code_key: CODE_KEY,
        min_spend: Money::cny(MIN_SPEND_FEN),
        inviter_reward: Grant::Points(Points::new(INVITER_POINTS)),
        invitee_reward: Grant::Points(Points::new(INVITEE_POINTS)),
    }
}

/// Someone the customer invited, and where their referral stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteeView {
    /// `pending`, `rewarded` or `refused`.
    pub state: String,
    /// Why it was refused (`same_device`).
    pub reason: Option<String>,
}

/// The customer's referral page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralView {
    /// Their invite code.
    pub code: String,
    /// The share link.
    pub link: String,
    /// The people they invited, oldest first.
    pub invited: Vec<InviteeView>,
    /// Their own binding's state, if someone invited them.
    pub invited_by: Option<String>,
}

fn device_id(text: &str) -> DeviceId {
    DeviceId::from_u128(derived_id("device", text.as_bytes(), 0))
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

fn check_device(device: Option<&str>) -> Result<(), AppError> {
    match device {
        Some(d)
            if d.is_empty()
                || d.len() > DEVICE_LEN_MAX
                || !d.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            Err(refused(RewardsError::InvalidConfig {
                reason: "a device fingerprint is 1 to 128 visible ASCII characters",
            }))
        }
        _ => Ok(()),
    }
}

impl App {
    fn referral_store(&self) -> ReferralStore {
        ReferralStore::new(self.db().clone())
    }

    /// The customer's code, issued on first use (the domain derives it; a taken code tries the
    /// next nonce).
    async fn invite_code(&self, customer: CustomerId) -> Result<String, AppError> {
        let store = self.referral_store();
        for nonce in 0..16 {
            if let Some(code) = store.code_of(customer).await? {
                return Ok(code);
            }
            let code = InviteCode::derive(customer, CODE_KEY, nonce);
            store.insert_code(customer, code.as_str()).await?;
        }
        store.code_of(customer).await?.ok_or(corrupt("invite code"))
    }

    /// The customer's code, link and invitees; `device` (a fingerprint the app sends) is noted.
    pub async fn my_referral(
        &self,
        customer: CustomerId,
        device: Option<&str>,
    ) -> Result<ReferralView, AppError> {
        check_device(device)?;
        let store = self.referral_store();
        if let Some(d) = device {
            store.note_device(customer, d).await?;
        }
        let code = self.invite_code(customer).await?;
        let link = InviteCode::parse(&code)
            .ok_or(corrupt("invite code"))?
            .link("/app/register");
        let invited = store
            .invited_by(customer)
            .await?
            .into_iter()
            .map(|r| InviteeView {
                state: r.state,
                reason: r.reason,
            })
            .collect();
        let invited_by = store.referral_of(customer).await?.map(|r| r.state);
        Ok(ReferralView {
            code,
            link,
            invited,
            invited_by,
        })
    }

    /// Binds `invitee` to the owner of `code` (once; not to itself nor to someone it invited).
    pub async fn bind_referral(
        &self,
        invitee: CustomerId,
        code: &str,
        device: Option<&str>,
    ) -> Result<ReferralView, AppError> {
        check_device(device)?;
        let parsed =
            InviteCode::parse(code).ok_or_else(|| refused(RewardsError::UnknownInviteCode))?;
        let store = self.referral_store();
        let inviter = store
            .owner_of(parsed.as_str())
            .await?
            .ok_or_else(|| refused(RewardsError::UnknownInviteCode))?;
        let mut program = self.program_for(inviter).await?;
        if store.referral_of(invitee).await?.is_some() {
            return Err(refused(RewardsError::AlreadyReferred));
        }
        let code = program.code_for(inviter);
        program.register(&code, invitee).map_err(refused)?;
        if !store.bind(inviter, invitee, self.clock().now()).await? {
            return Err(refused(RewardsError::AlreadyReferred));
        }
        if let Some(d) = device {
            store.note_device(invitee, d).await?;
        }
        self.my_referral(invitee, None).await
    }

    /// The domain programme holding `inviter`'s own binding (so binding back to one's invitee
    /// is refused).
    async fn program_for(&self, inviter: CustomerId) -> Result<ReferralProgram, AppError> {
        let mut program = ReferralProgram::new(rules()).map_err(refused)?;
        if let Some(own) = self.referral_store().referral_of(inviter).await? {
            let up = program.code_for(own.inviter);
            program.register(&up, inviter).map_err(refused)?;
        }
        Ok(program)
    }

    async fn signals(&self, customer: CustomerId) -> Result<Signals, AppError> {
        let devices = self.referral_store().devices(customer).await?;
        Ok(Signals {
            devices: devices.iter().map(|d| device_id(d)).collect(),
            // Every card is bound to one customer (card numbers are unique in the store), so
            // there is no card to share yet; the domain hook compares them once there is.
            cards: Vec::new(),
        })
    }

    /// After a captured payment of `amount` by `payer` (order `order`): settles the payer's
    /// pending referral. Idempotent: the grants are points movements keyed by the invitee, and
    /// the binding is settled once.
    pub(crate) async fn referral_after_spend(
        &self,
        payer: CustomerId,
        order: uuid::Uuid,
        amount: Money,
    ) -> Result<(), AppError> {
        let store = self.referral_store();
        let Some(binding): Option<ReferralRecord> = store.referral_of(payer).await? else {
            return Ok(());
        };
        if binding.state != "pending" {
            return Ok(());
        }
        let mut program = self.program_for(binding.inviter).await?;
        let code = program.code_for(binding.inviter);
        program.register(&code, payer).map_err(refused)?;
        let check = SharedSignals {
            inviter: self.signals(binding.inviter).await?,
            invitee: self.signals(payer).await?,
        };
        let event = TriggerEventId::from_uuid(order);
        let now = self.clock().now();
        match program.on_spend(payer, event, amount, &check) {
            SpendOutcome::Rewarded(award) => {
                let points = |g: &Grant| match g {
                    Grant::Points(p) => p.value(),
                    _ => 0,
                };
                let reference = format!("referral:{payer}");
                self.credit_points(
                    award.inviter,
                    "referral",
                    &format!("{reference}:inviter"),
                    points(&award.inviter_reward),
                )
                .await?;
                self.credit_points(
                    award.invitee,
                    "referral",
                    &format!("{reference}:invitee"),
                    points(&award.invitee_reward),
                )
                .await?;
                store
                    .settle(payer, "rewarded", None, &event.to_string(), now)
                    .await?;
            }
            SpendOutcome::Refused(reason) => {
                let why = match reason {
                    AbuseReason::SameDevice(_) => "same_device",
                    AbuseReason::SameCard(_) => "same_card",
                    AbuseReason::Other(_) => "other",
                };
                store
                    .settle(payer, "refused", Some(why), &event.to_string(), now)
                    .await?;
            }
            SpendOutcome::NotReferred
            | SpendOutcome::BelowMinimum
            | SpendOutcome::AlreadySettled => {}
        }
        Ok(())
    }
}
