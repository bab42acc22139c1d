//! The money of group buying (docs/rewards.md, "Group buying"): members' captured payments sit
//! on the group-buy holding account (code 35) until their group closes; a completed group's
//! money moves to the merchant's payable account (transfer code 331), where the T+1 settlement
//! finds it; a failed group's members are refunded through the card funding seam, which moves
//! the money back from holding to the card. The deadline sweep
//! ([`App::settle_due_group_buys`]) closes groups whose window has ended and finishes any money
//! step left undone. Every transfer id derives from the group and the member's place, and the
//! refunds' funding keys from the same, so running the sweep again changes nothing.

use cardlife_kernel::{CustomerId, MerchantId, Money};
use cardlife_ledger::{Account, AccountFlags, CreateTransferResult, Transfer, TransferFlags};
use cardlife_rewards::group_buy::GroupState;
use cardlife_store::Durability;
use cardlife_store::rewards::group_buy::{GroupBuyStore, GroupRecord, MemberRecord, OfferRecord};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::group_buy::{GroupStatus, corrupt, restore, status_of};
use crate::merchants::MerchantsError;
use crate::merchants::funding::{
    AuthId, CODE_MERCHANT_PAYABLE, FundingRequest, LEDGER_CNY, derived_id, ensure_accounts,
    merchant_payable_account,
};
use crate::{App, AppError};

/// Account code of the group-buy holding (clearing) account on the CNY ledger.
pub const CODE_GROUP_BUY_HOLDING: u16 = 35;
/// Transfer code: a completed group's money, holding → the merchant's payable account.
pub const CODE_GROUP_BUY_PAYOUT: u16 = 331;
/// Groups one sweep run handles (the rest wait for the next run).
const SWEEP_MAX: i64 = 500;

/// The group-buy holding account.
pub fn holding_account() -> u128 {
    derived_id("group-buy", b"holding", 0)
}

/// What one sweep run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupBuySweep {
    /// Groups completed at their deadline (virtual completion).
    pub completed: u32,
    /// Groups failed at their deadline.
    pub failed: u32,
    /// Members refunded (or their authorisation voided) by this run.
    pub refunded: u32,
    /// Groups whose money was settled by this run.
    pub settled: u32,
}

fn hex(text: &str) -> Result<u128, AppError> {
    u128::from_str_radix(text, 16).map_err(|_| corrupt("group member funding"))
}

/// The authorisation and the request that paid a member's place.
pub(super) fn request_of(
    m: &MemberRecord,
    offer: &OfferRecord,
) -> Result<(AuthId, FundingRequest), AppError> {
    let auth = AuthId(hex(&m.funding_auth_id)?);
    Ok((
        auth,
        FundingRequest {
            customer: m.customer,
            amount: Money::cny(m.paid_fen),
            merchant: MerchantId::from_uuid(offer.merchant),
            merchant_account: holding_account(),
            idempotency_key: hex(&m.funding_key)?,
            paid_with: None,
            durability: Durability::Synced,
        },
    ))
}

fn place(g: &GroupRecord, m: &MemberRecord) -> Vec<u8> {
    [g.id.as_bytes().as_slice(), &m.n.to_be_bytes()].concat()
}

impl App {
    /// Moves every captured member's money of a completed group from holding to the merchant's
    /// payable account (idempotent per member), and records the group settled once every
    /// member's is there.
    pub(super) async fn pay_out_group(
        &self,
        g: &GroupRecord,
        offer: &OfferRecord,
    ) -> Result<bool, AppError> {
        let store = self.group_buy_store();
        let members = store.members(g.id).await?;
        let payable = merchant_payable_account(MerchantId::from_uuid(offer.merchant));
        ensure_accounts(
            self.ledger_service(),
            vec![Account::new(
                payable,
                LEDGER_CNY,
                CODE_MERCHANT_PAYABLE,
                AccountFlags::NONE,
            )],
        )
        .await?;
        let transfers: Vec<Transfer> = members
            .iter()
            .filter(|m| m.captured)
            .map(|m| Transfer {
                id: derived_id("group-buy-payout", &place(g, m), 0),
                debit_account_id: holding_account(),
                credit_account_id: payable,
                amount: u64::try_from(m.paid_fen).unwrap_or(0),
                ledger: LEDGER_CNY,
                code: CODE_GROUP_BUY_PAYOUT,
                flags: TransferFlags::NONE,
                ..Transfer::default()
            })
            .collect();
        if !transfers.is_empty() {
            let results = self.ledger_service().create_transfers(transfers).await?;
            if let Some(bad) = results
                .iter()
                .find(|r| !matches!(r, CreateTransferResult::Ok | CreateTransferResult::Exists))
            {
                return Err(MerchantsError::Funding(format!("{bad:?}")).into());
            }
        }
        if members.iter().all(|m| m.captured) {
            return Ok(store.mark_settled(g.id, self.clock().now()).await?);
        }
        Ok(false)
    }

    /// Gives every member of a failed group back what they paid: a refund through the card
    /// funding seam if it was captured, a void if not. Answers how many went back now.
    async fn refund_group(&self, g: &GroupRecord, offer: &OfferRecord) -> Result<u32, AppError> {
        let store = self.group_buy_store();
        let mut n = 0;
        for m in store.members(g.id).await? {
            if m.refunded {
                continue;
            }
            let (auth, request) = request_of(&m, offer)?;
            if m.captured {
                let refund = FundingRequest {
                    idempotency_key: derived_id("group-buy-refund", &place(g, &m), 0),
                    paid_with: Some(auth),
                    ..request
                };
                self.merchants().funding.refund(refund).await?;
            } else {
                self.merchants().funding.void(auth, request).await?;
            }
            store.mark_refunded(g.id, m.customer).await?;
            n += 1;
        }
        Ok(n)
    }

    /// Closes a forming group whose deadline has come: completes it virtually if its terms
    /// allow and it has a member, else fails it and gives the members' places back. The group
    /// after (unchanged if another run closed it first).
    async fn close_group(&self, id: uuid::Uuid, now: Timestamp) -> Result<GroupRecord, AppError> {
        let mut tx = Tx::begin(self.db()).await?;
        let mut g = GroupBuyStore::lock_group(&mut tx, id)
            .await?
            .ok_or_else(|| corrupt("group"))?;
        if status_of(&g.state)? != GroupStatus::Forming || now < g.deadline {
            return Ok(g);
        }
        let offer = self.stored_offer(g.offer).await?;
        let members = GroupBuyStore::members_in(&mut tx, id).await?;
        let mut domain = restore(&g, &offer, &members)?;
        domain.settle(now);
        match domain.state() {
            GroupState::Completed { at, virtual_fill } => {
                g.state = "completed".to_owned();
                g.virtual_fill = virtual_fill;
                g.closed_at = Some(at);
            }
            GroupState::Failed { at } => {
                g.state = "failed".to_owned();
                g.closed_at = Some(at);
                GroupBuyStore::give_back_places(&mut tx, id, offer.id).await?;
            }
            GroupState::Open => return Ok(g),
        }
        GroupBuyStore::update_group(&mut tx, &g).await?;
        tx.commit().await?;
        Ok(g)
    }

    /// The deadline sweep, by the injected clock's `now`: closes every group whose window has
    /// ended (virtual completion or failure) and finishes each closed group's money — captures
    /// left undone, the payout to the merchant, the refunds. Idempotent: a second run finds
    /// nothing to do, and every money step is keyed so a repeat changes nothing.
    pub async fn settle_due_group_buys(&self, now: Timestamp) -> Result<GroupBuySweep, AppError> {
        let mut sweep = GroupBuySweep::default();
        for due in self.group_buy_store().due(now, SWEEP_MAX).await? {
            let was_forming = status_of(&due.state)? == GroupStatus::Forming;
            let g = if was_forming {
                self.close_group(due.id, now).await?
            } else {
                due
            };
            let offer = self.stored_offer(g.offer).await?;
            match status_of(&g.state)? {
                GroupStatus::Forming => continue,
                GroupStatus::Completed => {
                    sweep.completed += u32::from(was_forming);
                    self.capture_left(&g).await?;
                    sweep.settled += u32::from(self.pay_out_group(&g, &offer).await?);
                }
                GroupStatus::Failed => {
                    sweep.failed += u32::from(was_forming);
                    sweep.refunded += self.refund_group(&g, &offer).await?;
                    let done = self
                        .group_buy_store()
                        .mark_settled(g.id, self.clock().now())
                        .await?;
                    sweep.settled += u32::from(done);
                }
            }
        }
        Ok(sweep)
    }

    /// Captures the authorisations of a completed group's members that a failed join left
    /// uncaptured.
    async fn capture_left(&self, g: &GroupRecord) -> Result<(), AppError> {
        let left: Vec<CustomerId> = self
            .group_buy_store()
            .members(g.id)
            .await?
            .into_iter()
            .filter(|m| !m.captured)
            .map(|m| m.customer)
            .collect();
        for customer in left {
            self.settle_member_capture(g.id, customer).await?;
        }
        Ok(())
    }
}
