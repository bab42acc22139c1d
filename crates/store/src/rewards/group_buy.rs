//! Group buying (docs/rewards.md, "Group buying"): offers, groups, members and the places each
//! customer holds in an offer. A join runs in one [`Tx`] that first locks the group's row
//! ([`GroupBuyStore::lock_group`]: an `UPDATE … RETURNING`, a row lock on PostgreSQL, the write
//! lock on SQLite), so joins of one group are serialized and `CHECK (members <= size)` stands
//! behind the domain rule. A customer's places are raised by a statement conditional on the
//! offer's limit ([`GroupBuyStore::take_place`]).

use cardlife_kernel::CustomerId;
use jiff::Timestamp;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;
use crate::tx::{Tx, on_tx};

/// An offer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRecord {
    /// The offer.
    pub id: uuid::Uuid,
    /// The merchant paid for completed groups.
    pub merchant: uuid::Uuid,
    /// What is sold.
    pub title: String,
    /// Members a group needs.
    pub size: i64,
    /// What each member pays, fen.
    pub price_fen: i64,
    /// How long a group stays open once started, seconds.
    pub window_secs: i64,
    /// Groups may be started from.
    pub starts_at: Timestamp,
    /// Groups may be started until (exclusive).
    pub ends_at: Timestamp,
    /// Whether an incomplete group with a member completes at its deadline.
    pub virtual_completion: bool,
    /// Most places one customer may hold in the offer's groups.
    pub per_customer_limit: i64,
    /// The operator who set it up.
    pub created_by: String,
    /// When.
    pub created_at: Timestamp,
}

/// A group as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The group.
    pub id: uuid::Uuid,
    /// Its offer.
    pub offer: uuid::Uuid,
    /// `forming`, `completed` or `failed`.
    pub state: String,
    /// Members needed.
    pub size: i64,
    /// Members so far.
    pub members: i64,
    /// Completed with places filled by the platform.
    pub virtual_fill: bool,
    /// Who started it.
    pub started_by: CustomerId,
    /// When.
    pub started_at: Timestamp,
    /// First instant it refuses joins and is settled.
    pub deadline: Timestamp,
    /// When it completed or failed.
    pub closed_at: Option<Timestamp>,
    /// When every member's money reached the merchant or went back to the card.
    pub settled_at: Option<Timestamp>,
}

/// A member as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    /// The group.
    pub group: uuid::Uuid,
    /// Who.
    pub customer: CustomerId,
    /// Joining order (1 = the starter).
    pub n: i64,
    /// The offer.
    pub offer: uuid::Uuid,
    /// What they paid, fen.
    pub paid_fen: i64,
    /// The card funding idempotency key of the payment (32 hex digits).
    pub funding_key: String,
    /// The card authorisation (32 hex digits).
    pub funding_auth_id: String,
    /// The authorisation was captured.
    pub captured: bool,
    /// The payment went back (refunded, or voided if never captured).
    pub refunded: bool,
    /// When they joined.
    pub joined_at: Timestamp,
}

/// The group-buying tables.
#[derive(Debug, Clone)]
pub struct GroupBuyStore {
    db: Db,
}

fn ns(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn instant(v: i64) -> Result<Timestamp, StoreError> {
    Timestamp::from_nanosecond(i128::from(v)).map_err(|_| StoreError::Corrupt("instant"))
}

fn uuid_of(text: &str, what: &'static str) -> Result<uuid::Uuid, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(what))
}

type OfferRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    i64,
    String,
    i64,
);
type GroupRow = (
    String,
    String,
    String,
    i64,
    i64,
    i64,
    String,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
);
type MemberRow = (
    String,
    String,
    i64,
    String,
    i64,
    String,
    String,
    i64,
    i64,
    i64,
);

const OFFER_COLUMNS: &str = "SELECT id, merchant_id, title, size, price_fen, window_secs, \
     starts_at_ns, ends_at_ns, virtual_completion, per_customer_limit, created_by, created_at_ns \
     FROM group_buy_offers";
const GROUP_COLUMNS: &str = "SELECT id, offer_id, state, size, members, virtual_fill, \
     started_by, started_at_ns, deadline_ns, closed_at_ns, settled_at_ns FROM group_buy_groups";
const MEMBER_COLUMNS: &str = "SELECT group_id, customer_id, n, offer_id, paid_fen, funding_key, \
     funding_auth_id, captured, refunded, joined_at_ns FROM group_buy_members";

fn offer_from(r: OfferRow) -> Result<OfferRecord, StoreError> {
    Ok(OfferRecord {
        id: uuid_of(&r.0, "group buy offer id")?,
        merchant: uuid_of(&r.1, "merchant id")?,
        title: r.2,
        size: r.3,
        price_fen: r.4,
        window_secs: r.5,
        starts_at: instant(r.6)?,
        ends_at: instant(r.7)?,
        virtual_completion: r.8 == 1,
        per_customer_limit: r.9,
        created_by: r.10,
        created_at: instant(r.11)?,
    })
}

fn group_from(r: GroupRow) -> Result<GroupRecord, StoreError> {
    Ok(GroupRecord {
        id: uuid_of(&r.0, "group id")?,
        offer: uuid_of(&r.1, "group buy offer id")?,
        state: r.2,
        size: r.3,
        members: r.4,
        virtual_fill: r.5 == 1,
        started_by: CustomerId::from_uuid(uuid_of(&r.6, "customer id")?),
        started_at: instant(r.7)?,
        deadline: instant(r.8)?,
        closed_at: r.9.map(instant).transpose()?,
        settled_at: r.10.map(instant).transpose()?,
    })
}

fn member_from(r: MemberRow) -> Result<MemberRecord, StoreError> {
    Ok(MemberRecord {
        group: uuid_of(&r.0, "group id")?,
        customer: CustomerId::from_uuid(uuid_of(&r.1, "customer id")?),
        n: r.2,
        offer: uuid_of(&r.3, "group buy offer id")?,
        paid_fen: r.4,
        funding_key: r.5,
        funding_auth_id: r.6,
        captured: r.7 == 1,
        refunded: r.8 == 1,
        joined_at: instant(r.9)?,
    })
}

impl GroupBuyStore {
    /// The group-buying tables of `db` (migrated).
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Writes a new offer inside `tx` (with its audit entry).
    pub async fn insert_offer(tx: &mut Tx, o: &OfferRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO group_buy_offers (id, merchant_id, title, size, price_fen, \
                   window_secs, starts_at_ns, ends_at_ns, virtual_completion, per_customer_limit, \
                   created_by, created_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(o.id.to_string())
                .bind(o.merchant.to_string())
                .bind(&o.title)
                .bind(o.size)
                .bind(o.price_fen)
                .bind(o.window_secs)
                .bind(ns(o.starts_at))
                .bind(ns(o.ends_at))
                .bind(i64::from(o.virtual_completion))
                .bind(o.per_customer_limit)
                .bind(&o.created_by)
                .bind(ns(o.created_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Every offer, newest first (at most `limit`).
    pub async fn offers(&self, limit: i64) -> Result<Vec<OfferRecord>, StoreError> {
        let sql = format!("{OFFER_COLUMNS} ORDER BY created_at_ns DESC, id LIMIT $1");
        let rows: Vec<OfferRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(offer_from).collect()
    }

    /// An offer by id.
    pub async fn offer(&self, id: uuid::Uuid) -> Result<Option<OfferRecord>, StoreError> {
        let sql = format!("{OFFER_COLUMNS} WHERE id = $1");
        let row: Option<OfferRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(offer_from).transpose()
    }

    /// A group by id.
    pub async fn group(&self, id: uuid::Uuid) -> Result<Option<GroupRecord>, StoreError> {
        let sql = format!("{GROUP_COLUMNS} WHERE id = $1");
        let row: Option<GroupRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(id.to_string())
                .fetch_optional(pool)
                .await
        })?;
        row.map(group_from).transpose()
    }

    /// Groups still forming whose deadline is after `now`, oldest first (at most `limit`).
    pub async fn forming(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<GroupRecord>, StoreError> {
        let sql = format!(
            "{GROUP_COLUMNS} WHERE state = 'forming' AND deadline_ns > $1 \
             ORDER BY started_at_ns, id LIMIT $2"
        );
        let rows: Vec<GroupRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(ns(now))
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(group_from).collect()
    }

    /// Groups the sweep has work on at `now`: forming past their deadline, or closed with money
    /// not yet settled (at most `limit`).
    pub async fn due(&self, now: Timestamp, limit: i64) -> Result<Vec<GroupRecord>, StoreError> {
        let sql = format!(
            "{GROUP_COLUMNS} WHERE (state = 'forming' AND deadline_ns <= $1) \
             OR (state <> 'forming' AND settled_at_ns IS NULL) \
             ORDER BY deadline_ns, id LIMIT $2"
        );
        let rows: Vec<GroupRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(ns(now))
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(group_from).collect()
    }

    /// The members of a group in joining order.
    pub async fn members(&self, group: uuid::Uuid) -> Result<Vec<MemberRecord>, StoreError> {
        let sql = format!("{MEMBER_COLUMNS} WHERE group_id = $1 ORDER BY n");
        let rows: Vec<MemberRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(group.to_string())
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(member_from).collect()
    }

    /// The customer's memberships, newest first (at most `limit`).
    pub async fn memberships_of(
        &self,
        customer: CustomerId,
        limit: i64,
    ) -> Result<Vec<MemberRecord>, StoreError> {
        let sql = format!(
            "{MEMBER_COLUMNS} WHERE customer_id = $1 ORDER BY joined_at_ns DESC, group_id LIMIT $2"
        );
        let rows: Vec<MemberRow> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(customer.as_uuid().to_string())
                .bind(limit)
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter().map(member_from).collect()
    }

    /// Places the customer holds in the offer's groups.
    pub async fn held(&self, customer: CustomerId, offer: uuid::Uuid) -> Result<i64, StoreError> {
        let sql = "SELECT held FROM group_buy_holdings WHERE customer_id = $1 AND offer_id = $2";
        let n: Option<i64> = on_pool!(&self.db, |pool| {
            sqlx::query_scalar(sql)
                .bind(customer.as_uuid().to_string())
                .bind(offer.to_string())
                .fetch_optional(pool)
                .await
        })?;
        Ok(n.unwrap_or(0))
    }

    /// Locks the group's row inside `tx` and reads it; `None` when there is no such group.
    pub async fn lock_group(
        tx: &mut Tx,
        group: uuid::Uuid,
    ) -> Result<Option<GroupRecord>, StoreError> {
        let lock = "UPDATE group_buy_groups SET members = members WHERE id = $1";
        let sql = format!("{GROUP_COLUMNS} WHERE id = $1");
        let id = group.to_string();
        let row: Option<GroupRow> = on_tx!(tx, |conn| {
            sqlx::query(lock).bind(&id).execute(&mut *conn).await?;
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(&id)
                .fetch_optional(&mut *conn)
                .await
        })?;
        row.map(group_from).transpose()
    }

    /// The members of a group inside `tx`, in joining order.
    pub async fn members_in(
        tx: &mut Tx,
        group: uuid::Uuid,
    ) -> Result<Vec<MemberRecord>, StoreError> {
        let sql = format!("{MEMBER_COLUMNS} WHERE group_id = $1 ORDER BY n");
        let rows: Vec<MemberRow> = on_tx!(tx, |conn| {
            sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(group.to_string())
                .fetch_all(conn)
                .await
        })?;
        rows.into_iter().map(member_from).collect()
    }

    /// Writes a new group inside `tx`.
    pub async fn insert_group(tx: &mut Tx, g: &GroupRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO group_buy_groups (id, offer_id, state, size, members, virtual_fill, \
                   started_by, started_at_ns, deadline_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(g.id.to_string())
                .bind(g.offer.to_string())
                .bind(&g.state)
                .bind(g.size)
                .bind(g.members)
                .bind(i64::from(g.virtual_fill))
                .bind(g.started_by.as_uuid().to_string())
                .bind(ns(g.started_at))
                .bind(ns(g.deadline))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Writes a group's state, members count and closing instant inside `tx`.
    pub async fn update_group(tx: &mut Tx, g: &GroupRecord) -> Result<(), StoreError> {
        let sql = "UPDATE group_buy_groups SET state = $2, members = $3, virtual_fill = $4, \
                   closed_at_ns = $5 WHERE id = $1";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(g.id.to_string())
                .bind(&g.state)
                .bind(g.members)
                .bind(i64::from(g.virtual_fill))
                .bind(g.closed_at.map(ns))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Writes a new member inside `tx`.
    pub async fn insert_member(tx: &mut Tx, m: &MemberRecord) -> Result<(), StoreError> {
        let sql = "INSERT INTO group_buy_members (group_id, customer_id, n, offer_id, paid_fen, \
                   funding_key, funding_auth_id, captured, refunded, joined_at_ns) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(m.group.to_string())
                .bind(m.customer.as_uuid().to_string())
                .bind(m.n)
                .bind(m.offer.to_string())
                .bind(m.paid_fen)
                .bind(&m.funding_key)
                .bind(&m.funding_auth_id)
                .bind(i64::from(m.captured))
                .bind(i64::from(m.refunded))
                .bind(ns(m.joined_at))
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Takes one more place for the customer in the offer inside `tx`; `false` (nothing written)
    /// when they already hold `limit`.
    pub async fn take_place(
        tx: &mut Tx,
        customer: CustomerId,
        offer: uuid::Uuid,
        limit: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO group_buy_holdings (customer_id, offer_id, held) VALUES ($1, $2, 1) \
                   ON CONFLICT (customer_id, offer_id) DO UPDATE \
                   SET held = group_buy_holdings.held + 1 WHERE group_buy_holdings.held < $3";
        let n = on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(customer.as_uuid().to_string())
                .bind(offer.to_string())
                .bind(limit)
                .execute(conn)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1 && limit >= 1)
    }

    /// Gives back the places of a failed group's members inside `tx`.
    pub async fn give_back_places(
        tx: &mut Tx,
        group: uuid::Uuid,
        offer: uuid::Uuid,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE group_buy_holdings SET held = held - 1 WHERE offer_id = $1 AND held > 0 \
                   AND customer_id IN (SELECT customer_id FROM group_buy_members WHERE group_id = $2)";
        on_tx!(tx, |conn| {
            sqlx::query(sql)
                .bind(offer.to_string())
                .bind(group.to_string())
                .execute(conn)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Records that the member's authorisation was captured.
    pub async fn mark_captured(
        &self,
        group: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<(), StoreError> {
        self.mark(group, customer, "captured").await
    }

    /// Records that the member's payment went back to the card.
    pub async fn mark_refunded(
        &self,
        group: uuid::Uuid,
        customer: CustomerId,
    ) -> Result<(), StoreError> {
        self.mark(group, customer, "refunded").await
    }

    async fn mark(
        &self,
        group: uuid::Uuid,
        customer: CustomerId,
        column: &'static str,
    ) -> Result<(), StoreError> {
        let sql = match column {
            "captured" => {
                "UPDATE group_buy_members SET captured = 1 WHERE group_id = $1 AND customer_id = $2"
            }
            _ => {
                "UPDATE group_buy_members SET refunded = 1 WHERE group_id = $1 AND customer_id = $2"
            }
        };
        on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(group.to_string())
                .bind(customer.as_uuid().to_string())
                .execute(pool)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Records that every member's money is settled (paid out or given back); `false` when it
    /// was recorded before.
    pub async fn mark_settled(
        &self,
        group: uuid::Uuid,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE group_buy_groups SET settled_at_ns = $2 \
                   WHERE id = $1 AND state <> 'forming' AND settled_at_ns IS NULL";
        let n = on_pool!(&self.db, |pool| {
            sqlx::query(sql)
                .bind(group.to_string())
                .bind(ns(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Completed groups of the merchant's offers settled in `[from, to)`, with the money paid
    /// to the merchant for each (for the T+1 settlement), in settling order.
    pub async fn payouts(
        &self,
        merchant: uuid::Uuid,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<(uuid::Uuid, i64)>, StoreError> {
        let sql = "SELECT g.id, CAST(SUM(m.paid_fen) AS BIGINT) FROM group_buy_groups g \
                   JOIN group_buy_offers o ON o.id = g.offer_id \
                   JOIN group_buy_members m ON m.group_id = g.id \
                   WHERE o.merchant_id = $1 AND g.state = 'completed' \
                   AND g.settled_at_ns >= $2 AND g.settled_at_ns < $3 \
                   GROUP BY g.id, g.settled_at_ns ORDER BY g.settled_at_ns, g.id";
        let rows: Vec<(String, i64)> = on_pool!(&self.db, |pool| {
            sqlx::query_as(sql)
                .bind(merchant.to_string())
                .bind(ns(from))
                .bind(ns(to))
                .fetch_all(pool)
                .await
        })?;
        rows.into_iter()
            .map(|(id, fen)| Ok((uuid_of(&id, "group id")?, fen)))
            .collect()
    }
}
