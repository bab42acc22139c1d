//! The points mall (docs/rewards.md, "Points mall"): items priced in points or points + cash,
//! stock, orders and refunds that return both parts. The rules are the domain [`Mall`]'s, run
//! on what the store holds under the buyer's points lock; the points move like every other points
//! change (lots, movement, ledger outbox — see [`super::points`]) and the cash part is charged
//! to the buyer's card through the payments seam ([`CardFunding`]), paid to the mall's own
//! account on the CNY ledger.
//!
//! An order: (1) the rules run once on a snapshot, writing nothing, so an order that cannot be
//! placed is refused before any card is touched; (2) the cash part is authorised; (3) one
//! transaction runs the rules again on fresh figures, lowers the stock, takes the points FIFO and
//! writes the order — if it now refuses (another order took the last unit), the authorisation is
//! voided; (4) the cash is captured. A refund re-credits the points (each part with its original
//! lot's expiry), restores the stock and records it in one transaction, then refunds the cash.

use cardlife_kernel::{BusinessZone, Currency, CustomerId, MerchantId, Money, Points};
use cardlife_ledger::{Account, AccountFlags};
use cardlife_rewards::RewardsError;
pub use cardlife_rewards::ids::{MallItemId, MallOrderId};
use cardlife_rewards::mall::{Mall, MallItem, MallOrder, MallPrice};
use cardlife_rewards::points::{LotId, LotTake};
use cardlife_store::Durability;
use cardlife_store::rewards::mall::{MallItemRecord, MallOrderRecord, MallStore, TakeRecord};
use cardlife_store::tx::Tx;
use jiff::Timestamp;

use super::points::{NewMovement, load, refused, save};
use crate::merchants::funding::{AuthId, FundingRequest, LEDGER_CNY, derived_id, ensure_accounts};
use crate::{App, AppError};

/// Account code of the mall's sales account on the CNY ledger.
pub const CODE_MALL_SALES: u16 = 33;

/// An item to list.
#[derive(Debug, Clone)]
pub struct NewMallItem {
    /// Name in Chinese (1–100 characters).
    pub name_zh: String,
    /// Name in English (1–100 characters).
    pub name_en: String,
    /// Points per unit (≥ 1).
    pub points: i64,
    /// Cash per unit (zero for points only).
    pub cash: Money,
    /// Units.
    pub stock: u32,
    /// Most units one customer may hold.
    pub per_customer_limit: u32,
    /// On sale from.
    pub starts_at: Timestamp,
    /// On sale until (exclusive).
    pub ends_at: Timestamp,
}

/// An item of the mall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallItemView {
    /// Its id.
    pub id: MallItemId,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// Points per unit.
    pub points: Points,
    /// Cash per unit (zero for points only).
    pub cash: Money,
    /// Units listed.
    pub stock: u32,
    /// Units left.
    pub remaining: u32,
    /// Most units one customer may hold.
    pub per_customer_limit: u32,
    /// On sale from.
    pub starts_at: Timestamp,
    /// On sale until (exclusive).
    pub ends_at: Timestamp,
}

/// An order of the mall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MallOrderView {
    /// Its id.
    pub id: MallOrderId,
    /// The item.
    pub item: MallItemId,
    /// Units ordered.
    pub quantity: u32,
    /// Units refunded.
    pub refunded: u32,
    /// Points paid for the whole order.
    pub points: Points,
    /// Cash paid for the whole order.
    pub cash: Money,
    /// Points given back by refunds.
    pub points_refunded: Points,
    /// Cash given back by refunds.
    pub cash_refunded: Money,
    /// When placed.
    pub created_at: Timestamp,
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Storage(cardlife_store::StoreError::Corrupt(what))
}

fn count(v: i64, what: &'static str) -> Result<u32, AppError> {
    u32::try_from(v).map_err(|_| corrupt(what))
}

fn price(points: i64, cash_fen: i64) -> MallPrice {
    if cash_fen > 0 {
        MallPrice::PointsAndCash {
            points: Points::new(points),
            cash: Money::cny(cash_fen),
        }
    } else {
        MallPrice::PointsOnly(Points::new(points))
    }
}

fn domain_item(r: &MallItemRecord) -> Result<MallItem, AppError> {
    Ok(MallItem {
        id: MallItemId::from_uuid(r.id),
        name: r.name_en.clone(),
        price: price(r.points, r.cash_fen),
        stock: count(r.stock, "mall stock")?,
        per_customer_limit: count(r.per_customer_limit, "mall limit")?,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
    })
}

fn item_view(r: MallItemRecord) -> Result<MallItemView, AppError> {
    Ok(MallItemView {
        id: MallItemId::from_uuid(r.id),
        points: Points::new(r.points),
        cash: Money::cny(r.cash_fen),
        stock: count(r.stock, "mall stock")?,
        remaining: count(r.remaining, "mall stock")?,
        per_customer_limit: count(r.per_customer_limit, "mall limit")?,
        starts_at: r.starts_at,
        ends_at: r.ends_at,
        name_zh: r.name_zh,
        name_en: r.name_en,
    })
}

fn order_view(r: &MallOrderRecord) -> Result<MallOrderView, AppError> {
    let times_points = |n: i64| Points::new(r.unit_points.saturating_mul(n));
    let times_cash = |n: i64| Money::cny(r.unit_cash_fen.saturating_mul(n));
    Ok(MallOrderView {
        id: MallOrderId::from_uuid(r.id),
        item: MallItemId::from_uuid(r.item),
        quantity: count(r.quantity, "mall quantity")?,
        refunded: count(r.refunded, "mall refunded")?,
        points: times_points(r.quantity),
        cash: times_cash(r.quantity),
        points_refunded: times_points(r.refunded),
        cash_refunded: times_cash(r.refunded),
        created_at: r.created_at,
    })
}

fn check_name(name: &str) -> Result<(), AppError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 || name.chars().any(char::is_control) {
        return Err(refused(RewardsError::InvalidConfig {
            reason: "a mall item's names are 1 to 100 printable characters",
        }));
    }
    Ok(())
}

/// The merchant the mall's cash parts are paid to.
fn mall_merchant() -> MerchantId {
    MerchantId::from_u128(derived_id("points-mall", b"merchant", 0))
}

/// The mall's sales account on the CNY ledger.
pub fn mall_sales_account() -> u128 {
    derived_id("points-mall", b"sales", 0)
}

fn uuid_of_auth(text: &str) -> Option<AuthId> {
    u128::from_str_radix(text, 16).ok().map(AuthId)
}

impl App {
    fn mall_store(&self) -> MallStore {
        MallStore::new(self.db().clone())
    }

    /// Lists an item (an operator action); the terms are checked by the domain mall.
    pub async fn list_mall_item(&self, new: NewMallItem) -> Result<MallItemView, AppError> {
        check_name(&new.name_zh)?;
        check_name(&new.name_en)?;
        if new.cash.currency() != Currency::Cny || new.cash.is_negative() {
            return Err(refused(RewardsError::InvalidConfig {
                reason: "a mall item's cash part is a non-negative CNY amount",
            }));
        }
        let record = MallItemRecord {
            id: MallItemId::generate().as_uuid(),
            name_zh: new.name_zh.trim().to_owned(),
            name_en: new.name_en.trim().to_owned(),
            points: new.points,
            cash_fen: new.cash.fen(),
            stock: i64::from(new.stock),
            remaining: i64::from(new.stock),
            per_customer_limit: i64::from(new.per_customer_limit),
            starts_at: new.starts_at,
            ends_at: new.ends_at,
        };
        Mall::new(BusinessZone::shanghai())
            .list(domain_item(&record)?)
            .map_err(refused)?;
        self.mall_store()
            .insert_item(&record, self.clock().now())
            .await?;
        item_view(record)
    }

    /// Every item of the mall.
    pub async fn mall_items(&self) -> Result<Vec<MallItemView>, AppError> {
        self.mall_store()
            .items()
            .await?
            .into_iter()
            .map(item_view)
            .collect()
    }

    /// One item.
    pub async fn mall_item(&self, id: MallItemId) -> Result<MallItemView, AppError> {
        let r = self.mall_store().item(id.as_uuid()).await?;
        item_view(r.ok_or_else(|| refused(RewardsError::MallItemNotFound))?)
    }

    /// The customer's orders, newest first.
    pub async fn my_mall_orders(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<MallOrderView>, AppError> {
        self.mall_store()
            .orders_of(customer)
            .await?
            .iter()
            .map(order_view)
            .collect()
    }

    /// One order of the customer's (another customer's answers not found).
    pub async fn my_mall_order(
        &self,
        customer: CustomerId,
        id: MallOrderId,
    ) -> Result<MallOrderView, AppError> {
        let r = self.mall_store().order_of(customer, id.as_uuid()).await?;
        order_view(&r.ok_or_else(|| refused(RewardsError::MallOrderNotFound))?)
    }

    /// Runs the domain order inside `tx` on fresh figures. With `write`, lowers the stock and
    /// writes the order, its takes and the points change.
    async fn place_in(
        &self,
        tx: &mut Tx,
        customer: CustomerId,
        record: &MallItemRecord,
        quantity: u32,
        auth: Option<AuthId>,
        write: bool,
    ) -> Result<MallOrder, AppError> {
        let now = self.clock().now();
        let mut held = load(tx, customer).await?;
        let units = MallStore::held_in(tx, customer, record.id).await?;
        let item = domain_item(record)?;
        let mut mall = Mall::restore(
            BusinessZone::shanghai(),
            vec![(item, count(record.remaining, "mall stock")?)],
            vec![(
                MallItemId::from_uuid(record.id),
                customer,
                count(units, "mall holdings")?,
            )],
            Vec::new(),
        )
        .map_err(refused)?;
        let order = mall
            .order(
                customer,
                MallItemId::from_uuid(record.id),
                quantity,
                &mut held.account,
                now,
            )
            .map_err(refused)?;
        if !write {
            return Ok(order);
        }
        if !MallStore::move_stock(tx, record.id, -i64::from(quantity)).await? {
            return Err(refused(RewardsError::OutOfStock {
                requested: quantity,
                available: 0,
            }));
        }
        let stored = MallOrderRecord {
            id: order.id.as_uuid(),
            customer,
            item: record.id,
            quantity: i64::from(quantity),
            refunded: 0,
            unit_points: record.points,
            unit_cash_fen: record.cash_fen,
            funding_auth_id: auth.map(|a| format!("{:032x}", a.0)),
            created_at: now,
        };
        let takes: Vec<TakeRecord> = order
            .redeemed_from
            .iter()
            .enumerate()
            .map(|(n, t)| TakeRecord {
                n: n as i64,
                lot_no: t.lot.0 as i64,
                points: t.points.value(),
                returned: 0,
            })
            .collect();
        MallStore::insert_order(tx, &stored, &takes).await?;
        let today = BusinessZone::shanghai().date_of(now);
        let movement = NewMovement {
            kind: "redemption",
            reference: format!("mall:{}", order.id.as_uuid()),
            points: -order.points.value(),
            amount_fen: None,
        };
        save(tx, &held, &[movement], today, now).await?;
        Ok(order)
    }

    /// Orders `quantity` units of `item` for `customer`: takes the points FIFO by expiry and
    /// charges the cash part to the customer's card. `attempt` identifies the request (its
    /// idempotency key), so a retried authorisation is the same authorisation.
    pub async fn order_mall_item(
        &self,
        customer: CustomerId,
        item: MallItemId,
        quantity: u32,
        attempt: &str,
    ) -> Result<MallOrderView, AppError> {
        let record = self
            .mall_store()
            .item(item.as_uuid())
            .await?
            .ok_or_else(|| refused(RewardsError::MallItemNotFound))?;
        // (1) Check on a snapshot; nothing written.
        let mut tx = Tx::begin(self.db()).await?;
        let planned = self
            .place_in(&mut tx, customer, &record, quantity, None, false)
            .await?;
        drop(tx);
        // (2) Authorise the cash part.
        let cash = planned.cash;
        let request = FundingRequest {
            customer,
            amount: cash,
            merchant: mall_merchant(),
            merchant_account: mall_sales_account(),
            idempotency_key: derived_id(
                "mall-order",
                format!("{customer}\0{attempt}").as_bytes(),
                0,
            ),
            paid_with: None,
            durability: Durability::Synced,
        };
        let auth = if cash.is_positive() {
            ensure_accounts(
                self.ledger_service(),
                vec![Account::new(
                    mall_sales_account(),
                    LEDGER_CNY,
                    CODE_MALL_SALES,
                    AccountFlags::NONE,
                )],
            )
            .await?;
            Some(self.merchants().funding.authorise(request).await?)
        } else {
            None
        };
        // (3) Place it for real.
        let mut tx = Tx::begin(self.db()).await?;
        let placed = match self
            .place_in(&mut tx, customer, &record, quantity, auth, true)
            .await
        {
            Ok(order) => {
                tx.commit().await?;
                order
            }
            Err(e) => {
                drop(tx);
                if let Some(auth) = auth {
                    self.merchants().funding.void(auth, request).await?;
                }
                return Err(e);
            }
        };
        self.post_points_logged(customer).await;
        // (4) Capture the cash.
        if let Some(auth) = auth {
            self.merchants().funding.capture(auth, request).await?;
        }
        self.my_mall_order(customer, placed.id).await
    }

    /// Refunds `quantity` units of the customer's order: re-credits their points (each part
    /// with its original lot's expiry, or a grace period if that has passed), restores the
    /// stock and returns the cash part to the card.
    pub async fn refund_mall_order(
        &self,
        customer: CustomerId,
        order: MallOrderId,
        quantity: u32,
    ) -> Result<MallOrderView, AppError> {
        let store = self.mall_store();
        let stored = store
            .order_of(customer, order.as_uuid())
            .await?
            .ok_or_else(|| refused(RewardsError::MallOrderNotFound))?;
        let item = store
            .item(stored.item)
            .await?
            .ok_or_else(|| refused(RewardsError::MallItemNotFound))?;
        let takes = store.takes(stored.id).await?;
        let now = self.clock().now();
        let today = BusinessZone::shanghai().date_of(now);
        let mut tx = Tx::begin(self.db()).await?;
        let mut held = load(&mut tx, customer).await?;
        let domain_order = MallOrder {
            id: order,
            customer,
            item: MallItemId::from_uuid(item.id),
            unit_price: price(stored.unit_points, stored.unit_cash_fen),
            quantity: count(stored.quantity, "mall quantity")?,
            refunded: count(stored.refunded, "mall refunded")?,
            points: Points::new(stored.unit_points.saturating_mul(stored.quantity)),
            cash: Money::cny(stored.unit_cash_fen.saturating_mul(stored.quantity)),
            redeemed_from: takes
                .iter()
                .map(|t| LotTake {
                    lot: LotId(t.lot_no as u64),
                    points: Points::new(t.points),
                })
                .collect(),
            returned: takes.iter().map(|t| Points::new(t.returned)).collect(),
        };
        let mut mall = Mall::restore(
            BusinessZone::shanghai(),
            vec![(domain_item(&item)?, count(item.remaining, "mall stock")?)],
            vec![(
                MallItemId::from_uuid(item.id),
                customer,
                domain_order.open_quantity(),
            )],
            vec![domain_order],
        )
        .map_err(refused)?;
        let refund = mall
            .refund(order, quantity, &mut held.account, today)
            .map_err(refused)?;
        let after = mall
            .order_by_id(order)
            .ok_or_else(|| refused(RewardsError::MallOrderNotFound))?;
        let new_takes: Vec<TakeRecord> = takes
            .iter()
            .zip(&after.returned)
            .map(|(t, r)| TakeRecord {
                returned: r.value(),
                ..*t
            })
            .collect();
        let refunded = stored.refunded + i64::from(quantity);
        if !MallStore::record_refund(&mut tx, stored.id, stored.refunded, refunded, &new_takes)
            .await?
            || !MallStore::move_stock(&mut tx, item.id, i64::from(quantity)).await?
        {
            return Err(AppError::Merchants(
                crate::merchants::MerchantsError::Conflict,
            ));
        }
        let movement = NewMovement {
            kind: "recredit",
            reference: format!("mall-refund:{}:{refunded}", order.as_uuid()),
            points: refund.points.value(),
            amount_fen: None,
        };
        save(&mut tx, &held, &[movement], today, now).await?;
        tx.commit().await?;
        self.post_points_logged(customer).await;
        if refund.cash.is_positive() {
            let request = FundingRequest {
                customer,
                amount: refund.cash,
                merchant: mall_merchant(),
                merchant_account: mall_sales_account(),
                idempotency_key: derived_id(
                    "mall-refund",
                    order.as_uuid().as_bytes(),
                    refunded as u64,
                ),
                paid_with: stored.funding_auth_id.as_deref().and_then(uuid_of_auth),
                durability: Durability::Synced,
            };
            self.merchants().funding.refund(request).await?;
        }
        self.my_mall_order(customer, order).await
    }
}
