//! Group buying (拼团, docs/rewards.md "Group buying"): operators set up offers, cardholders
//! start or join groups and pay the group price by card; the k-th join completes the group.
//! The rules are the domain's [`GroupBuy`], run on what the store holds under the group's lock.
//!
//! A join: (1) the rules run once on a snapshot, writing nothing, so a join that cannot succeed
//! is refused before any card is touched; (2) the price is authorised on the card, payable to
//! the group-buy holding account; (3) one transaction locks the group's row, runs the rules
//! again on fresh members, takes a place under the per-customer limit and writes the member —
//! if it now refuses (another join took the last place), the authorisation is voided and
//! nothing is charged; (4) the authorisation is captured and marked so; (5) if the group is
//! complete, the members' money moves from holding to the merchant (see
//! [`super::group_buy_money`]). A failure after (3) leaves a member whose money the deadline
//! sweep finishes: it captures (or, for a failed group, voids) what was left authorised.

use cardlife_kernel::{CustomerId, MerchantId, Money, TransferId};
use cardlife_ledger::{Account, AccountFlags};
use cardlife_rewards::RewardsError;
use cardlife_rewards::group_buy::{GroupBuy, GroupBuyTerms};
pub use cardlife_rewards::ids::{GroupBuyId, GroupBuyOfferId};
use cardlife_store::Durability;
use cardlife_store::audit;
use cardlife_store::rewards::group_buy::{GroupBuyStore, GroupRecord, MemberRecord, OfferRecord};
use cardlife_store::tx::Tx;
use jiff::{SignedDuration, Timestamp};

use super::coupons::operator_audit;
use super::group_buy_money::{CODE_GROUP_BUY_HOLDING, holding_account, request_of};
use super::points::refused;
use crate::merchants::funding::{AuthId, FundingRequest, LEDGER_CNY, derived_id, ensure_accounts};
use crate::merchants::operators::{Operator, Role};
use crate::{App, AppError};

/// The most offers, groups or memberships one listing shows.
pub const GROUP_BUY_LIST_MAX: i64 = 200;
/// The longest a group may stay open: 30 days.
pub const WINDOW_MAX_SECS: i64 = 30 * 24 * 3600;

/// An offer an operator sets up.
#[derive(Debug, Clone)]
pub struct NewGroupBuyOffer {
    /// The approved merchant paid for completed groups.
    pub merchant: MerchantId,
    /// What is sold (1–60 printable characters).
    pub title: String,
    /// Members a group needs (2..=50).
    pub size: u32,
    /// What each member pays (positive CNY).
    pub price: Money,
    /// How long a group stays open once started (60 s to 30 days).
    pub window_secs: i64,
    /// Groups may be started from.
    pub starts_at: Timestamp,
    /// Groups may be started until (exclusive).
    pub ends_at: Timestamp,
    /// Whether an incomplete group with a member completes at its deadline.
    pub virtual_completion: bool,
    /// Most places one customer may hold in the offer's groups (1..=100).
    pub per_customer_limit: u32,
}

/// An offer, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupBuyOfferView {
    /// `gbo_…`.
    pub id: GroupBuyOfferId,
    /// The merchant paid.
    pub merchant: MerchantId,
    /// What is sold.
    pub title: String,
    /// Members a group needs.
    pub size: u32,
    /// What each member pays.
    pub price: Money,
    /// How long a group stays open, seconds.
    pub window_secs: i64,
    /// Groups may be started from.
    pub starts_at: Timestamp,
    /// Until (exclusive).
    pub ends_at: Timestamp,
    /// Virtual completion.
    pub virtual_completion: bool,
    /// Places per customer.
    pub per_customer_limit: u32,
}

/// Where a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupStatus {
    /// Accepting members.
    Forming,
    /// Formed (by k members, or virtually at the deadline).
    Completed,
    /// Did not form; every member is refunded.
    Failed,
}

impl GroupStatus {
    /// `forming`, `completed` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Forming => "forming",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

/// A group, as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupView {
    /// `grp_…`.
    pub id: GroupBuyId,
    /// Its offer.
    pub offer: GroupBuyOfferId,
    /// The offer's title.
    pub title: String,
    /// What each member pays.
    pub price: Money,
    /// Where it is.
    pub status: GroupStatus,
    /// Members needed.
    pub size: u32,
    /// Members so far.
    pub members: u32,
    /// Completed with places filled by the platform.
    pub virtual_fill: bool,
    /// First instant it refuses joins.
    pub deadline: Timestamp,
    /// When it completed or failed.
    pub closed_at: Option<Timestamp>,
    /// Every member's money has reached the merchant or gone back to the card.
    pub settled: bool,
}

impl GroupView {
    /// Places still empty.
    pub fn missing(&self) -> u32 {
        self.size.saturating_sub(self.members)
    }
}

/// A customer's place in a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MyGroupView {
    /// The group.
    pub group: GroupView,
    /// What they paid.
    pub paid: Money,
    /// Their payment went back to the card (the group failed).
    pub refunded: bool,
    /// When they joined.
    pub joined_at: Timestamp,
}

/// The group a join is for: a new one of an offer, or an existing one.
#[derive(Debug, Clone, Copy)]
enum Target {
    Start(GroupBuyId),
    Join(GroupBuyId),
}

impl Target {
    fn id(self) -> GroupBuyId {
        match self {
            Self::Start(id) | Self::Join(id) => id,
        }
    }
}

pub(super) fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

fn count(v: i64, what: &'static str) -> Result<u32, AppError> {
    u32::try_from(v).map_err(|_| corrupt(what))
}

fn invalid(reason: &'static str) -> AppError {
    refused(RewardsError::InvalidConfig { reason })
}

fn offer_view(r: OfferRecord) -> Result<GroupBuyOfferView, AppError> {
    Ok(GroupBuyOfferView {
        id: GroupBuyOfferId::from_uuid(r.id),
        merchant: MerchantId::from_uuid(r.merchant),
        size: count(r.size, "group size")?,
        price: Money::cny(r.price_fen),
        window_secs: r.window_secs,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        virtual_completion: r.virtual_completion,
        per_customer_limit: count(r.per_customer_limit, "group buy limit")?,
        title: r.title,
    })
}

pub(super) fn status_of(state: &str) -> Result<GroupStatus, AppError> {
    match state {
        "forming" => Ok(GroupStatus::Forming),
        "completed" => Ok(GroupStatus::Completed),
        "failed" => Ok(GroupStatus::Failed),
        _ => Err(corrupt("group state")),
    }
}

fn group_view(g: &GroupRecord, offer: &OfferRecord) -> Result<GroupView, AppError> {
    Ok(GroupView {
        id: GroupBuyId::from_uuid(g.id),
        offer: GroupBuyOfferId::from_uuid(offer.id),
        title: offer.title.clone(),
        price: Money::cny(offer.price_fen),
        status: status_of(&g.state)?,
        size: count(g.size, "group size")?,
        members: count(g.members, "group members")?,
        virtual_fill: g.virtual_fill,
        deadline: g.deadline,
        closed_at: g.closed_at,
        settled: g.settled_at.is_some(),
    })
}

/// The payment's id as the domain sees it (derived from the card funding key).
fn payment_of(m: &MemberRecord) -> TransferId {
    TransferId::from_u128(u128::from_str_radix(&m.funding_key, 16).unwrap_or(1))
}

/// The domain group as the store holds it: opened with the offer's terms and the stored members
/// replayed in joining order (each joined before the deadline, so each replays).
pub(super) fn restore(
    g: &GroupRecord,
    offer: &OfferRecord,
    members: &[MemberRecord],
) -> Result<GroupBuy, AppError> {
    let mut group = GroupBuy::open(GroupBuyTerms {
        id: GroupBuyId::from_uuid(g.id),
        size: count(g.size, "group size")?,
        price: Money::cny(offer.price_fen),
        deadline: g.deadline,
        virtual_completion: offer.virtual_completion,
    })
    .map_err(refused)?;
    for m in members {
        group
            .join(m.customer, payment_of(m), m.joined_at)
            .map_err(|_| corrupt("group members"))?;
    }
    Ok(group)
}

fn check_terms(new: &NewGroupBuyOffer) -> Result<(), AppError> {
    let n = new.title.trim().chars().count();
    if n == 0
        || n > 60
        || new
            .title
            .chars()
            .any(|c| c.is_control() || c == '<' || c == '>')
    {
        return Err(invalid(
            "a group buy's title is 1 to 60 printable characters",
        ));
    }
    if !(2..=50).contains(&new.size) {
        return Err(invalid("a group needs 2 to 50 members"));
    }
    if new.price.currency() != cardlife_kernel::Currency::Cny || !new.price.is_positive() {
        return Err(invalid("a group price is a positive CNY amount"));
    }
    if !(60..=WINDOW_MAX_SECS).contains(&new.window_secs) {
        return Err(invalid("a group's window is 60 seconds to 30 days"));
    }
    if new.ends_at <= new.starts_at {
        return Err(invalid("an offer ends after it starts"));
    }
    if !(1..=100).contains(&new.per_customer_limit) {
        return Err(invalid("the per-customer limit is 1 to 100"));
    }
    Ok(())
}

impl App {
    pub(crate) fn group_buy_store(&self) -> GroupBuyStore {
        GroupBuyStore::new(self.db().clone())
    }

    /// Sets up an offer (campaign manager or admin) for an approved merchant. Bad terms change
    /// nothing.
    pub async fn create_group_buy_offer(
        &self,
        by: &Operator,
        new: NewGroupBuyOffer,
    ) -> Result<GroupBuyOfferView, AppError> {
        by.require(Role::CampaignManager)?;
        check_terms(&new)?;
        let merchant = self.merchant_store().merchant(new.merchant).await?;
        if merchant.is_none_or(|m| m.status != "approved") {
            return Err(invalid("the merchant is not an approved merchant"));
        }
        let now = self.clock().now();
        let record = OfferRecord {
            id: GroupBuyOfferId::generate().as_uuid(),
            merchant: new.merchant.as_uuid(),
            title: new.title.trim().to_owned(),
            size: i64::from(new.size),
            price_fen: new.price.fen(),
            window_secs: new.window_secs,
            starts_at: new.starts_at,
            ends_at: new.ends_at,
            virtual_completion: new.virtual_completion,
            per_customer_limit: i64::from(new.per_customer_limit),
            created_by: by.id.to_string(),
            created_at: now,
        };
        let mut tx = Tx::begin(self.db()).await?;
        GroupBuyStore::insert_offer(&mut tx, &record).await?;
        let detail = serde_json::json!({
            "merchant": new.merchant.to_string(), "title": record.title, "size": new.size,
            "price": new.price.to_string(), "window_secs": new.window_secs,
        });
        let id = GroupBuyOfferId::from_uuid(record.id).to_string();
        let entry = operator_audit(by, now, "group_buy.create", "group_buy_offer", id, detail);
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        offer_view(record)
    }

    /// Offers on sale now, newest first.
    pub async fn group_buy_offers_on_sale(&self) -> Result<Vec<GroupBuyOfferView>, AppError> {
        let now = self.clock().now();
        self.group_buy_store()
            .offers(GROUP_BUY_LIST_MAX)
            .await?
            .into_iter()
            .filter(|o| o.starts_at <= now && now < o.ends_at)
            .map(offer_view)
            .collect()
    }

    /// Groups forming now (their deadline not reached), oldest first.
    pub async fn forming_group_buys(&self) -> Result<Vec<GroupView>, AppError> {
        let store = self.group_buy_store();
        let mut out = Vec::new();
        for g in store
            .forming(self.clock().now(), GROUP_BUY_LIST_MAX)
            .await?
        {
            let offer = self.stored_offer(g.offer).await?;
            out.push(group_view(&g, &offer)?);
        }
        Ok(out)
    }

    /// The customer's groups, newest first.
    pub async fn my_group_buys(&self, customer: CustomerId) -> Result<Vec<MyGroupView>, AppError> {
        let store = self.group_buy_store();
        let mut out = Vec::new();
        for m in store.memberships_of(customer, GROUP_BUY_LIST_MAX).await? {
            out.push(self.my_group_of(&m).await?);
        }
        Ok(out)
    }

    /// The customer's place in one group (not a member: not found).
    pub async fn my_group_buy(
        &self,
        customer: CustomerId,
        group: GroupBuyId,
    ) -> Result<MyGroupView, AppError> {
        let members = self.group_buy_store().members(group.as_uuid()).await?;
        let m = members
            .iter()
            .find(|m| m.customer == customer)
            .ok_or_else(|| refused(RewardsError::GroupBuyNotFound))?;
        self.my_group_of(m).await
    }

    async fn my_group_of(&self, m: &MemberRecord) -> Result<MyGroupView, AppError> {
        let g = self
            .group_buy_store()
            .group(m.group)
            .await?
            .ok_or_else(|| corrupt("group of a member"))?;
        let offer = self.stored_offer(g.offer).await?;
        Ok(MyGroupView {
            group: group_view(&g, &offer)?,
            paid: Money::cny(m.paid_fen),
            refunded: m.refunded,
            joined_at: m.joined_at,
        })
    }

    pub(super) async fn stored_offer(&self, id: uuid::Uuid) -> Result<OfferRecord, AppError> {
        self.group_buy_store()
            .offer(id)
            .await?
            .ok_or_else(|| refused(RewardsError::GroupBuyNotFound))
    }

    /// Starts a group of `offer` with the customer as its first member, paying the group price
    /// by card. `attempt` identifies the request (its idempotency key).
    pub async fn start_group_buy(
        &self,
        customer: CustomerId,
        offer: GroupBuyOfferId,
        attempt: &str,
    ) -> Result<MyGroupView, AppError> {
        let offer = self.stored_offer(offer.as_uuid()).await?;
        self.enter(
            customer,
            &offer,
            Target::Start(GroupBuyId::generate()),
            attempt,
        )
        .await
    }

    /// Joins an open group, paying the group price by card; the k-th join completes it.
    pub async fn join_group_buy(
        &self,
        customer: CustomerId,
        group: GroupBuyId,
        attempt: &str,
    ) -> Result<MyGroupView, AppError> {
        let g = self
            .group_buy_store()
            .group(group.as_uuid())
            .await?
            .ok_or_else(|| refused(RewardsError::GroupBuyNotFound))?;
        let offer = self.stored_offer(g.offer).await?;
        self.enter(customer, &offer, Target::Join(group), attempt)
            .await
    }

    /// Steps (1)–(5) of the module comment.
    async fn enter(
        &self,
        customer: CustomerId,
        offer: &OfferRecord,
        target: Target,
        attempt: &str,
    ) -> Result<MyGroupView, AppError> {
        let key = derived_id(
            "group-buy-join",
            format!("{customer}\0{attempt}").as_bytes(),
            0,
        );
        // (1) The rules on a snapshot; nothing written.
        let mut tx = Tx::begin(self.db()).await?;
        self.join_in(&mut tx, customer, offer, target, None).await?;
        drop(tx);
        // (2) Authorise the price, payable to the holding account.
        let request = FundingRequest {
            customer,
            amount: Money::cny(offer.price_fen),
            merchant: MerchantId::from_uuid(offer.merchant),
            merchant_account: holding_account(),
            idempotency_key: key,
            paid_with: None,
            durability: Durability::Synced,
        };
        ensure_accounts(
            self.ledger_service(),
            vec![Account::new(
                holding_account(),
                LEDGER_CNY,
                CODE_GROUP_BUY_HOLDING,
                AccountFlags::NONE,
            )],
        )
        .await?;
        let auth = self.merchants().funding.authorise(request).await?;
        // (3) Join for real under the group's lock; a refusal now voids the authorisation.
        let mut tx = Tx::begin(self.db()).await?;
        let joined = self
            .join_in(&mut tx, customer, offer, target, Some((auth, key)))
            .await;
        let committed = match joined {
            Ok(()) => tx.commit().await.map_err(AppError::from),
            Err(e) => {
                drop(tx);
                Err(e)
            }
        };
        if let Err(e) = committed {
            self.merchants().funding.void(auth, request).await?;
            return Err(e);
        }
        let member = self
            .group_buy_store()
            .members(target.id().as_uuid())
            .await?
            .into_iter()
            .find(|m| m.customer == customer)
            .ok_or_else(|| corrupt("member"))?;
        self.finish_join(member).await
    }

    /// Steps (4) and (5): capture, then pay the merchant if the group is complete.
    async fn finish_join(&self, m: MemberRecord) -> Result<MyGroupView, AppError> {
        let offer = self.stored_offer(m.offer).await?;
        let member = if m.captured || m.refunded {
            m
        } else {
            self.settle_member_capture(m.group, m.customer).await?
        };
        let g = self
            .group_buy_store()
            .group(member.group)
            .await?
            .ok_or_else(|| corrupt("group of a member"))?;
        if status_of(&g.state)? == GroupStatus::Completed && g.settled_at.is_none() {
            self.pay_out_group(&g, &offer).await?;
        }
        self.my_group_of(&member).await
    }

    /// Captures a member's authorisation (idempotent) and records it; the member after.
    pub(super) async fn settle_member_capture(
        &self,
        group: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<MemberRecord, AppError> {
        let store = self.group_buy_store();
        let members = store.members(group).await?;
        let mut m = members
            .into_iter()
            .find(|m| m.customer == customer)
            .ok_or_else(|| corrupt("member"))?;
        if !m.captured {
            let offer = self.stored_offer(m.offer).await?;
            let (auth, request) = request_of(&m, &offer)?;
            self.merchants().funding.capture(auth, request).await?;
            store.mark_captured(group, customer).await?;
            m.captured = true;
        }
        Ok(m)
    }

    /// Runs the join rules inside `tx` on fresh figures. With `paid` (the authorisation and its
    /// funding key), takes the customer's place and writes the member and the group.
    async fn join_in(
        &self,
        tx: &mut Tx,
        customer: CustomerId,
        offer: &OfferRecord,
        target: Target,
        paid: Option<(AuthId, u128)>,
    ) -> Result<(), AppError> {
        let now = self.clock().now();
        let mut g = match target {
            Target::Start(id) => {
                if now < offer.starts_at || now >= offer.ends_at {
                    return Err(refused(RewardsError::NotOnSale {
                        starts_at: offer.starts_at,
                        ends_at: offer.ends_at,
                    }));
                }
                GroupRecord {
                    id: id.as_uuid(),
                    offer: offer.id,
                    state: "forming".to_owned(),
                    size: offer.size,
                    members: 0,
                    virtual_fill: false,
                    started_by: customer,
                    started_at: now,
                    deadline: now
                        .checked_add(SignedDuration::from_secs(offer.window_secs))
                        .map_err(|_| invalid("a group's window is 60 seconds to 30 days"))?,
                    closed_at: None,
                    settled_at: None,
                }
            }
            Target::Join(id) => GroupBuyStore::lock_group(tx, id.as_uuid())
                .await?
                .ok_or_else(|| refused(RewardsError::GroupBuyNotFound))?,
        };
        match status_of(&g.state)? {
            GroupStatus::Forming => {}
            GroupStatus::Completed => return Err(refused(RewardsError::GroupFull)),
            GroupStatus::Failed => return Err(refused(RewardsError::GroupClosed)),
        }
        let members = GroupBuyStore::members_in(tx, g.id).await?;
        let mut domain = restore(&g, offer, &members)?;
        let payment = TransferId::from_u128(paid.map_or(1, |(_, key)| key));
        let outcome = domain.join(customer, payment, now).map_err(refused)?;
        let limit = offer.per_customer_limit;
        let Some((auth, key)) = paid else {
            let held = self.group_buy_store().held(customer, offer.id).await?;
            if held >= limit {
                return Err(over_limit(limit, held));
            }
            return Ok(());
        };
        if !GroupBuyStore::take_place(tx, customer, offer.id, limit).await? {
            return Err(over_limit(limit, limit));
        }
        let n = i64::try_from(members.len()).map_err(|_| corrupt("group members"))? + 1;
        g.members = n;
        if matches!(outcome, cardlife_rewards::group_buy::JoinOutcome::Completed) {
            g.state = "completed".to_owned();
            g.closed_at = Some(now);
        }
        match target {
            Target::Start(_) => GroupBuyStore::insert_group(tx, &g).await?,
            Target::Join(_) => GroupBuyStore::update_group(tx, &g).await?,
        }
        GroupBuyStore::insert_member(
            tx,
            &MemberRecord {
                group: g.id,
                customer,
                n,
                offer: offer.id,
                paid_fen: offer.price_fen,
                funding_key: format!("{key:032x}"),
                funding_auth_id: format!("{:032x}", auth.0),
                captured: false,
                refunded: false,
                joined_at: now,
            },
        )
        .await?;
        Ok(())
    }
}

fn over_limit(limit: i64, held: i64) -> AppError {
    refused(RewardsError::OverCustomerLimit {
        limit: u32::try_from(limit).unwrap_or(u32::MAX),
        held: u32::try_from(held).unwrap_or(u32::MAX),
        requested: 1,
    })
}
