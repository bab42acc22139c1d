//! The points mall (积分商城), docs/domain.md §6: items priced in points or points + cash, with
//! stock, a per-customer limit and a sale window; orders redeem points and refunds give them back.
//!
//! - [`Mall::order`] checks, in this order, that the item is on sale (`starts_at ≤ now <
//!   ends_at`), that there is stock, that the customer stays within the per-customer limit and
//!   that the customer has enough points usable on the business date of `now`; then it redeems
//!   the points FIFO through [`PointsAccount::redeem`] and returns a [`MallOrder`] carrying the
//!   cash part to charge. A failed order changes nothing (neither the mall nor the account).
//! - [`Mall::refund`] refunds some or all units of an order, at any time (the sale window does
//!   not apply): it returns the cash part refunded, re-credits the points and restores the stock.
//! - The per-customer limit counts units *held*: ordered and not refunded. A refund frees room.
//!
//! Validity of re-credited points: the order keeps its redemption records (which lot gave how
//! many points). A refund re-credits each part as a **new lot with the original lot's expiry**
//! (permanent stays permanent), so a refund never extends nor shortens the life of points.
//! If the original lot has already expired by the refund date, the points come back valid for
//! [`REFUND_GRACE_DAYS`] days from the refund date instead (the customer did not choose to let
//! them lapse; a grace period lets them be used). A partial refund gives back the points of the
//! latest-redeemed records first (undoing the FIFO in reverse: the longest-lived points first).
//!
//! Invariants, for any sequence of orders and refunds: stock never goes below zero (it is a
//! `u32` and every change is checked), Σ points redeemed − Σ points re-credited = the points held
//! by open orders, and a fully refunded order has returned exactly its cash and its points.
//!
//! Points-only items charge no cash: their cash part is zero CNY.

use std::collections::{BTreeMap, HashMap};

use cardlife_kernel::{BusinessZone, Currency, CustomerId, Money, Points, PointsError};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::error::RewardsError;
use crate::ids::{MallItemId, MallOrderId};
use crate::points::{LotId, LotTake, LotValidity, PointsAccount};

/// Days re-credited points stay valid when their original lot has expired by the refund date.
pub const REFUND_GRACE_DAYS: i32 = 30;

/// The price of one unit of a mall item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MallPrice {
    /// Points only.
    PointsOnly(Points),
    /// Points plus a cash part (积分 + 现金).
    PointsAndCash {
        /// Points per unit.
        points: Points,
        /// Cash per unit.
        cash: Money,
    },
}

impl MallPrice {
    /// Points per unit.
    pub fn points(self) -> Points {
        match self {
            Self::PointsOnly(points) | Self::PointsAndCash { points, .. } => points,
        }
    }

    /// Cash per unit (zero CNY for points-only).
    pub fn cash(self) -> Money {
        match self {
            Self::PointsOnly(_) => Money::zero(Currency::Cny),
            Self::PointsAndCash { cash, .. } => cash,
        }
    }
}

/// An item of the mall, as configured.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallItem {
    /// Its id.
    pub id: MallItemId,
    /// Display name.
    pub name: String,
    /// Price of one unit.
    pub price: MallPrice,
    /// Units available when the item is listed.
    pub stock: u32,
    /// Most units one customer may hold (ordered and not refunded).
    pub per_customer_limit: u32,
    /// First instant it is on sale.
    pub starts_at: Timestamp,
    /// First instant it is no longer on sale.
    pub ends_at: Timestamp,
}

/// An order: what was bought, what it cost and where its points came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallOrder {
    /// Its id.
    pub id: MallOrderId,
    /// The buyer.
    pub customer: CustomerId,
    /// The item.
    pub item: MallItemId,
    /// The price of one unit when ordered.
    pub unit_price: MallPrice,
    /// Units ordered.
    pub quantity: u32,
    /// Units refunded so far.
    pub refunded: u32,
    /// Points redeemed for the whole order.
    pub points: Points,
    /// Cash part to charge for the whole order.
    pub cash: Money,
    /// The redemption records: points taken from each lot, in FIFO order.
    pub redeemed_from: Vec<LotTake>,
    /// Points given back so far for each record of `redeemed_from` (same index).
    pub returned: Vec<Points>,
}

impl MallOrder {
    /// Units ordered and not yet refunded.
    pub fn open_quantity(&self) -> u32 {
        self.quantity - self.refunded
    }

    /// Points held by the order: redeemed and not yet re-credited.
    pub fn points_held(&self) -> Result<Points, PointsError> {
        let returned = self
            .returned
            .iter()
            .try_fold(Points::ZERO, |acc, &p| acc.checked_add(p))?;
        self.points.checked_sub(returned)
    }
}

/// A new lot credited by a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recredit {
    /// The new lot.
    pub lot: LotId,
    /// The redeemed-from lot whose points it gives back.
    pub from: LotId,
    /// Points credited.
    pub points: Points,
    /// Its expiry: the original lot's, or the grace period's (see the module docs).
    pub expires_at: Option<Date>,
}

/// The outcome of a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MallRefund {
    /// The order.
    pub order: MallOrderId,
    /// Units refunded.
    pub quantity: u32,
    /// Cash part to refund.
    pub cash: Money,
    /// Points re-credited (Σ of `recredited`).
    pub points: Points,
    /// The new lots.
    pub recredited: Vec<Recredit>,
}

#[derive(Debug, Clone)]
struct Listing {
    item: MallItem,
    stock: u32,
}

/// The mall: items with their stock, orders, and units held per customer.
#[derive(Debug, Clone)]
pub struct Mall {
    zone: BusinessZone,
    listings: BTreeMap<MallItemId, Listing>,
    orders: HashMap<MallOrderId, MallOrder>,
    held: HashMap<(MallItemId, CustomerId), u32>,
}

impl Mall {
    /// An empty mall whose orders redeem points on business dates in `zone`.
    pub fn new(zone: BusinessZone) -> Self {
        Self {
            zone,
            listings: BTreeMap::new(),
            orders: HashMap::new(),
            held: HashMap::new(),
        }
    }

    /// A mall rebuilt from what a store holds: items with their stock now, units held per
    /// (item, customer), and orders. The items are checked as [`Mall::list`] checks them.
    pub fn restore(
        zone: BusinessZone,
        items: Vec<(MallItem, u32)>,
        held: Vec<(MallItemId, CustomerId, u32)>,
        orders: Vec<MallOrder>,
    ) -> Result<Self, RewardsError> {
        let mut mall = Self::new(zone);
        for (item, stock) in items {
            let id = item.id;
            mall.list(item)?;
            if let Some(listing) = mall.listings.get_mut(&id) {
                listing.stock = stock;
            }
        }
        for (item, customer, n) in held {
            mall.held.insert((item, customer), n);
        }
        for o in orders {
            if o.returned.len() != o.redeemed_from.len() || o.refunded > o.quantity {
                return Err(RewardsError::InvalidConfig {
                    reason: "a stored mall order is inconsistent",
                });
            }
            mall.orders.insert(o.id, o);
        }
        Ok(mall)
    }

    /// Lists an item; its price must be positive, its limit at least 1, its window non-empty.
    pub fn list(&mut self, item: MallItem) -> Result<(), RewardsError> {
        let invalid = |reason| Err(RewardsError::InvalidConfig { reason });
        if item.price.points().value() <= 0 {
            return invalid("a mall item's points price must be positive");
        }
        if let MallPrice::PointsAndCash { cash, .. } = item.price
            && cash.fen() <= 0
        {
            return invalid("a mall item's cash part must be positive (else it is points-only)");
        }
        if item.per_customer_limit == 0 {
            return invalid("a mall item's per-customer limit must be at least 1");
        }
        if item.ends_at <= item.starts_at {
            return invalid("a mall item's sale window must end after it starts");
        }
        if self.listings.contains_key(&item.id) {
            return invalid("a mall item with this id is already listed");
        }
        let stock = item.stock;
        self.listings.insert(item.id, Listing { item, stock });
        Ok(())
    }

    /// The item as listed.
    pub fn item(&self, item: MallItemId) -> Option<&MallItem> {
        self.listings.get(&item).map(|l| &l.item)
    }

    /// Units of the item in stock now.
    pub fn stock(&self, item: MallItemId) -> Option<u32> {
        self.listings.get(&item).map(|l| l.stock)
    }

    /// Units of the item the customer holds (ordered and not refunded).
    pub fn held_by(&self, customer: CustomerId, item: MallItemId) -> u32 {
        self.held.get(&(item, customer)).copied().unwrap_or(0)
    }

    /// The order.
    pub fn order_by_id(&self, order: MallOrderId) -> Option<&MallOrder> {
        self.orders.get(&order)
    }

    /// All orders, in no particular order.
    pub fn orders(&self) -> impl Iterator<Item = &MallOrder> {
        self.orders.values()
    }

    /// Orders `quantity` units of `item` for `customer`, redeeming from `account` (the
    /// customer's) on the business date of `now`; all or nothing.
    pub fn order(
        &mut self,
        customer: CustomerId,
        item: MallItemId,
        quantity: u32,
        account: &mut PointsAccount,
        now: Timestamp,
    ) -> Result<MallOrder, RewardsError> {
        if quantity == 0 {
            return Err(RewardsError::ZeroQuantity);
        }
        let listing = self
            .listings
            .get(&item)
            .ok_or(RewardsError::MallItemNotFound)?;
        let terms = &listing.item;
        if now < terms.starts_at || now >= terms.ends_at {
            return Err(RewardsError::NotOnSale {
                starts_at: terms.starts_at,
                ends_at: terms.ends_at,
            });
        }
        if quantity > listing.stock {
            return Err(RewardsError::OutOfStock {
                requested: quantity,
                available: listing.stock,
            });
        }
        let held = self.held_by(customer, item);
        if u64::from(held) + u64::from(quantity) > u64::from(terms.per_customer_limit) {
            return Err(RewardsError::OverCustomerLimit {
                limit: terms.per_customer_limit,
                held,
                requested: quantity,
            });
        }
        let unit_price = terms.price;
        let points = times(unit_price.points(), quantity)?;
        let cash = unit_price.cash().checked_mul_int(i64::from(quantity))?;
        let today = self.zone.date_of(now);
        let available = account.usable_on(today);
        if points > available {
            return Err(RewardsError::InsufficientPoints {
                requested: points,
                available,
            });
        }
        let redeemed_from = account.redeem(points, today)?;
        // Cannot fail from here on: stock and limit were checked above.
        if let Some(listing) = self.listings.get_mut(&item) {
            listing.stock -= quantity;
        }
        *self.held.entry((item, customer)).or_insert(0) += quantity;
        let order = MallOrder {
            id: MallOrderId::generate(),
            customer,
            item,
            unit_price,
            quantity,
            refunded: 0,
            points,
            cash,
            returned: vec![Points::ZERO; redeemed_from.len()],
            redeemed_from,
        };
        self.orders.insert(order.id, order.clone());
        Ok(order)
    }

    /// Refunds `quantity` units of `order` on business date `today`: returns the cash part,
    /// re-credits the points into `account` (the buyer's, the one redeemed from) as described
    /// in the module docs, and restores the stock; all or nothing.
    pub fn refund(
        &mut self,
        order: MallOrderId,
        quantity: u32,
        account: &mut PointsAccount,
        today: Date,
    ) -> Result<MallRefund, RewardsError> {
        if quantity == 0 {
            return Err(RewardsError::ZeroQuantity);
        }
        let o = self
            .orders
            .get(&order)
            .ok_or(RewardsError::MallOrderNotFound)?;
        if quantity > o.open_quantity() {
            return Err(RewardsError::RefundExceedsOrder {
                requested: quantity,
                refundable: o.open_quantity(),
            });
        }
        let points = times(o.unit_price.points(), quantity)?;
        let cash = o.unit_price.cash().checked_mul_int(i64::from(quantity))?;
        let stock = self
            .listings
            .get(&o.item)
            .ok_or(RewardsError::MallItemNotFound)?
            .stock
            .checked_add(quantity)
            .ok_or(RewardsError::InvalidConfig {
                reason: "mall stock overflow",
            })?;

        // Plan every credit before changing anything: latest-redeemed records first.
        let mut left = points.value();
        let mut plan = Vec::new();
        for (i, take) in o.redeemed_from.iter().enumerate().rev() {
            if left == 0 {
                break;
            }
            let outstanding = take.points.checked_sub(o.returned[i])?.value();
            let n = left.min(outstanding);
            if n > 0 {
                let lot = account
                    .lots()
                    .iter()
                    .find(|l| l.id == take.lot)
                    .ok_or(RewardsError::UnknownLot { lot: take.lot.0 })?;
                plan.push((
                    i,
                    take.lot,
                    Points::new(n),
                    recredit_validity(lot.expires_at, today)?,
                ));
                left -= n;
            }
        }
        assert_eq!(
            left, 0,
            "refund: an open unit's points are always held by the order"
        );
        account.totals().earned.checked_add(points)?;

        let mut recredited = Vec::with_capacity(plan.len());
        let mut returned = o.returned.clone();
        for (i, from, n, validity) in plan {
            let lot = account.credit(n, today, validity, None)?;
            returned[i] = returned[i].checked_add(n)?;
            recredited.push(Recredit {
                lot,
                from,
                points: n,
                expires_at: validity.expires_at(today)?,
            });
        }
        let (item, customer) = (o.item, o.customer);
        if let Some(o) = self.orders.get_mut(&order) {
            o.refunded += quantity;
            o.returned = returned;
        }
        if let Some(listing) = self.listings.get_mut(&item) {
            listing.stock = stock;
        }
        if let Some(held) = self.held.get_mut(&(item, customer)) {
            *held -= quantity;
        }
        Ok(MallRefund {
            order,
            quantity,
            cash,
            points,
            recredited,
        })
    }
}

/// `unit × quantity`, checked.
fn times(unit: Points, quantity: u32) -> Result<Points, RewardsError> {
    unit.value()
        .checked_mul(i64::from(quantity))
        .map(Points::new)
        .ok_or(RewardsError::Points(PointsError::Overflow))
}

/// The validity, counted from `today`, that gives a re-credited lot the original lot's expiry;
/// a grace period if that expiry has passed.
fn recredit_validity(expires_at: Option<Date>, today: Date) -> Result<LotValidity, RewardsError> {
    match expires_at {
        None => Ok(LotValidity::Permanent),
        Some(at) if at > today => {
            let days = today
                .until(at)
                .map_err(|_| RewardsError::InvalidConfig {
                    reason: "points expiry is out of the calendar's range",
                })?
                .get_days();
            Ok(LotValidity::Days(days))
        }
        Some(_) => Ok(LotValidity::Days(REFUND_GRACE_DAYS)),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use jiff::ToSpan;
    use jiff::civil::date;
    use jiff::tz::TimeZone;
    use proptest::prelude::*;

    fn p(n: i64) -> Points {
        Points::new(n)
    }

    fn d(day: i64) -> Date {
        date(2026, 1, 1).checked_add(day.days()).unwrap()
    }

    /// Noon UTC of day `day` (business zone UTC in these tests).
    fn at(day: i64) -> Timestamp {
        let zone = BusinessZone::from_time_zone(TimeZone::UTC);
        zone.start_of(d(day)).checked_add(12.hours()).unwrap()
    }

    fn customer(n: u128) -> CustomerId {
        CustomerId::from_u128(n)
    }

    const CUP: MallItemId = MallItemId::from_u128(1);
    const KETTLE: MallItemId = MallItemId::from_u128(2);

    fn mall() -> Mall {
        let mut mall = Mall::new(BusinessZone::from_time_zone(TimeZone::UTC));
        mall.list(MallItem {
            id: CUP,
            name: "Cup".into(),
            price: MallPrice::PointsOnly(p(1000)),
            stock: 5,
            per_customer_limit: 3,
            starts_at: at(0),
            ends_at: at(30),
        })
        .unwrap();
        mall.list(MallItem {
            id: KETTLE,
            name: "Kettle".into(),
            price: MallPrice::PointsAndCash {
                points: p(2000),
                cash: Money::cny(4_900),
            },
            stock: 10,
            per_customer_limit: 10,
            starts_at: at(0),
            ends_at: at(30),
        })
        .unwrap();
        mall
    }

    fn account(points: i64) -> PointsAccount {
        let mut acct = PointsAccount::new();
        acct.credit(p(points), d(-10), LotValidity::Permanent, None)
            .unwrap();
        acct
    }

    #[test]
    fn a_points_and_cash_order_redeems_the_points_and_charges_the_cash_part() {
        let mut mall = mall();
        let mut acct = account(10_000);
        let order = mall
            .order(customer(1), KETTLE, 2, &mut acct, at(1))
            .unwrap();
        assert_eq!(order.points, p(4000));
        assert_eq!(order.cash, Money::cny(9_800));
        assert_eq!(acct.balance(), p(6000));
        assert_eq!(mall.stock(KETTLE), Some(8));
        assert_eq!(mall.held_by(customer(1), KETTLE), 2);
    }

    #[test]
    fn a_points_only_order_charges_zero_cash() {
        let mut mall = mall();
        let mut acct = account(10_000);
        let order = mall.order(customer(1), CUP, 1, &mut acct, at(1)).unwrap();
        assert_eq!(order.cash, Money::cny(0));
        assert_eq!(order.points, p(1000));
    }

    #[test]
    fn an_order_outside_the_sale_window_is_not_on_sale() {
        let mut mall = mall();
        let mut acct = account(10_000);
        for now in [at(-1), at(30)] {
            assert_eq!(
                mall.order(customer(1), CUP, 1, &mut acct, now),
                Err(RewardsError::NotOnSale {
                    starts_at: at(0),
                    ends_at: at(30)
                })
            );
        }
        assert_eq!(acct.balance(), p(10_000));
    }

    #[test]
    fn an_order_for_more_than_the_stock_is_out_of_stock() {
        let mut mall = mall();
        let mut a = account(100_000);
        mall.order(customer(1), CUP, 3, &mut a, at(1)).unwrap();
        mall.order(customer(2), CUP, 1, &mut a, at(1)).unwrap();
        assert_eq!(
            mall.order(customer(3), CUP, 2, &mut a, at(1)),
            Err(RewardsError::OutOfStock {
                requested: 2,
                available: 1
            })
        );
    }

    #[test]
    fn an_order_over_the_per_customer_limit_is_refused_until_a_refund_frees_room() {
        let mut mall = mall();
        let mut acct = account(100_000);
        let first = mall.order(customer(1), CUP, 2, &mut acct, at(1)).unwrap();
        assert_eq!(
            mall.order(customer(1), CUP, 2, &mut acct, at(1)),
            Err(RewardsError::OverCustomerLimit {
                limit: 3,
                held: 2,
                requested: 2
            })
        );
        mall.refund(first.id, 1, &mut acct, d(2)).unwrap();
        mall.order(customer(1), CUP, 2, &mut acct, at(2)).unwrap();
    }

    #[test]
    fn an_order_beyond_the_usable_points_is_refused_and_changes_nothing() {
        let mut mall = mall();
        let mut acct = account(1500);
        assert_eq!(
            mall.order(customer(1), CUP, 2, &mut acct, at(1)),
            Err(RewardsError::InsufficientPoints {
                requested: p(2000),
                available: p(1500)
            })
        );
        assert_eq!(acct.balance(), p(1500));
        assert_eq!(mall.stock(CUP), Some(5));
        assert_eq!(mall.held_by(customer(1), CUP), 0);
    }

    #[test]
    fn a_zero_quantity_and_unknown_ids_are_refused() {
        let mut mall = mall();
        let mut acct = account(10_000);
        assert_eq!(
            mall.order(customer(1), CUP, 0, &mut acct, at(1)),
            Err(RewardsError::ZeroQuantity)
        );
        assert_eq!(
            mall.order(customer(1), MallItemId::from_u128(9), 1, &mut acct, at(1)),
            Err(RewardsError::MallItemNotFound)
        );
        assert_eq!(
            mall.refund(MallOrderId::from_u128(9), 1, &mut acct, d(1)),
            Err(RewardsError::MallOrderNotFound)
        );
    }

    #[test]
    fn a_refund_of_more_than_the_open_units_exceeds_the_order() {
        let mut mall = mall();
        let mut acct = account(100_000);
        let order = mall
            .order(customer(1), KETTLE, 3, &mut acct, at(1))
            .unwrap();
        mall.refund(order.id, 2, &mut acct, d(2)).unwrap();
        assert_eq!(
            mall.refund(order.id, 2, &mut acct, d(2)),
            Err(RewardsError::RefundExceedsOrder {
                requested: 2,
                refundable: 1
            })
        );
    }

    #[test]
    fn a_refund_returns_the_cash_part_recredits_the_points_and_restores_stock() {
        let mut mall = mall();
        let mut acct = account(10_000);
        let order = mall
            .order(customer(1), KETTLE, 3, &mut acct, at(1))
            .unwrap();
        let refund = mall.refund(order.id, 1, &mut acct, d(2)).unwrap();
        assert_eq!(refund.cash, Money::cny(4_900));
        assert_eq!(refund.points, p(2000));
        assert_eq!(acct.balance(), p(6000));
        assert_eq!(mall.stock(KETTLE), Some(8));
        assert_eq!(mall.order_by_id(order.id).unwrap().open_quantity(), 2);
    }

    #[test]
    fn recredited_points_keep_the_expiry_of_the_lot_they_were_redeemed_from() {
        let mut mall = mall();
        let mut acct = PointsAccount::new();
        acct.credit(p(600), d(0), LotValidity::Days(100), None)
            .unwrap();
        acct.credit(p(1000), d(0), LotValidity::Permanent, None)
            .unwrap();
        let order = mall.order(customer(1), CUP, 1, &mut acct, at(1)).unwrap();
        let refund = mall.refund(order.id, 1, &mut acct, d(5)).unwrap();
        let expiries: Vec<_> = refund
            .recredited
            .iter()
            .map(|r| (r.points, r.expires_at))
            .collect();
        // Reverse of FIFO: the permanent lot's 400 first, then the 600 expiring on d(100).
        assert_eq!(expiries, vec![(p(400), None), (p(600), Some(d(100)))]);
        for r in &refund.recredited {
            let lot = acct.lots().iter().find(|l| l.id == r.lot).unwrap();
            assert_eq!(lot.expires_at, r.expires_at);
            assert_eq!(lot.remaining, r.points);
        }
    }

    #[test]
    fn points_whose_lot_expired_before_the_refund_come_back_for_the_grace_period() {
        let mut mall = mall();
        let mut acct = PointsAccount::new();
        acct.credit(p(1000), d(0), LotValidity::Days(3), None)
            .unwrap();
        let order = mall.order(customer(1), CUP, 1, &mut acct, at(1)).unwrap();
        let refund = mall.refund(order.id, 1, &mut acct, d(10)).unwrap();
        let grace = d(10)
            .checked_add(i64::from(REFUND_GRACE_DAYS).days())
            .unwrap();
        assert_eq!(refund.recredited[0].expires_at, Some(grace));
        assert_eq!(acct.usable_on(d(10)), p(1000));
    }

    #[test]
    fn listing_an_inconsistent_item_is_refused() {
        let mut mall = mall();
        let base = mall.item(CUP).unwrap().clone();
        let bad = [
            MallItem {
                id: MallItemId::from_u128(10),
                price: MallPrice::PointsOnly(p(0)),
                ..base.clone()
            },
            MallItem {
                id: MallItemId::from_u128(11),
                price: MallPrice::PointsAndCash {
                    points: p(10),
                    cash: Money::cny(0),
                },
                ..base.clone()
            },
            MallItem {
                id: MallItemId::from_u128(12),
                per_customer_limit: 0,
                ..base.clone()
            },
            MallItem {
                id: MallItemId::from_u128(13),
                ends_at: base.starts_at,
                ..base.clone()
            },
            base,
        ];
        for item in bad {
            assert!(matches!(
                mall.list(item),
                Err(RewardsError::InvalidConfig { .. })
            ));
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Order {
            customer: u8,
            kettle: bool,
            qty: u32,
            day: i64,
        },
        Refund {
            pick: usize,
            qty: u32,
            day: i64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u8..3, any::<bool>(), 0u32..4, 0i64..40).prop_map(|(customer, kettle, qty, day)| {
                Op::Order {
                    customer,
                    kettle,
                    qty,
                    day,
                }
            }),
            (any::<usize>(), 0u32..4, 0i64..60).prop_map(|(pick, qty, day)| Op::Refund {
                pick,
                qty,
                day
            }),
        ]
    }

    proptest! {
        #[test]
        fn any_sequence_of_orders_and_refunds_keeps_stock_and_points_balanced(
            ops in proptest::collection::vec(op(), 1..40),
        ) {
            let mut mall = mall();
            let mut accounts: Vec<PointsAccount> = (0..3)
                .map(|_| {
                    let mut a = PointsAccount::new();
                    a.credit(p(5000), d(-5), LotValidity::Days(20), None).unwrap();
                    a.credit(p(5000), d(-5), LotValidity::Permanent, None).unwrap();
                    a
                })
                .collect();
            let mut ids: Vec<MallOrderId> = Vec::new();
            let mut refunded_cash: HashMap<MallOrderId, i64> = HashMap::new();
            let mut refunded_points: HashMap<MallOrderId, i64> = HashMap::new();
            for op in ops {
                match op {
                    Op::Order { customer: c, kettle, qty, day } => {
                        let item = if kettle { KETTLE } else { CUP };
                        if let Ok(o) = mall.order(customer(u128::from(c)), item, qty,
                            &mut accounts[usize::from(c)], at(day)) {
                            ids.push(o.id);
                        }
                    }
                    Op::Refund { pick, qty, day } => {
                        if ids.is_empty() { continue; }
                        let id = ids[pick % ids.len()];
                        let c = mall.order_by_id(id).unwrap().customer.as_u128() as usize;
                        if let Ok(r) = mall.refund(id, qty, &mut accounts[c], d(day)) {
                            *refunded_cash.entry(id).or_insert(0) += r.cash.fen();
                            *refunded_points.entry(id).or_insert(0) += r.points.value();
                        }
                    }
                }
                for item in [CUP, KETTLE] {
                    let open: u32 = mall.orders().filter(|o| o.item == item)
                        .map(MallOrder::open_quantity).sum();
                    prop_assert_eq!(mall.stock(item).unwrap() + open,
                        mall.item(item).unwrap().stock);
                }
                let held: i64 = mall.orders().map(|o| o.points_held().unwrap().value()).sum();
                let redeemed: i64 = accounts.iter().map(|a| a.totals().redeemed.value()).sum();
                let recredited: i64 =
                    accounts.iter().map(|a| a.totals().earned.value() - 10_000).sum();
                prop_assert_eq!(redeemed - recredited, held);
            }
            for o in mall.orders().filter(|o| o.open_quantity() == 0) {
                prop_assert_eq!(refunded_cash.get(&o.id).copied().unwrap_or(0), o.cash.fen());
                prop_assert_eq!(refunded_points.get(&o.id).copied().unwrap_or(0), o.points.value());
                prop_assert_eq!(o.points_held().unwrap(), Points::ZERO);
                prop_assert_eq!(&o.returned, &o.redeemed_from.iter().map(|t| t.points)
                    .collect::<Vec<_>>());
            }
        }
    }
}
