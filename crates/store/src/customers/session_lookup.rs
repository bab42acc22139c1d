//! Many sessions read by token hash in one query with **one** bound parameter: the hashes
//! packed end to end in one blob (32 bytes each). Binding a parameter per hash made sqlx resolve
//! each parameter's name on every execution (`sqlite3_bind_parameter_name`, the largest single
//! symbol in the flash-sale profile, docs/benchmarks.md); one blob costs one bind whatever the
//! batch, and the query text no longer depends on the batch size.
//!
//! SQLite cuts the blob with a recursive CTE and `substr` (on a blob it counts bytes);
//! PostgreSQL with `generate_series` and `substring`. Either way the hashes form a small set the
//! `token_hash` index is probed with.

use cardlife_customers::{Session, SessionGeneration, SessionId, SessionTokenHash};
use sqlx::Row;

use super::{CustomerStore, bytes32, customer_id, generation_of, instant};
use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// The length of one packed hash, in bytes.
const HASH_LEN: usize = 32;

const SQLITE: &str = "WITH RECURSIVE h(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM h \
                      WHERE i + 1 < length($1) / 32) \
                      SELECT s.id, s.customer_id, s.token_hash, s.generation, s.created_at_ns, \
                      s.last_seen_at_ns, s.ended_at_ns, c.session_generation, \
                      (SELECT n FROM session_change_seq) AS change_seq \
                      FROM customer_sessions s JOIN customers c ON c.id = s.customer_id \
                      WHERE s.token_hash IN (SELECT substr($1, i * 32 + 1, 32) FROM h)";

const POSTGRES: &str = "SELECT s.id, s.customer_id, s.token_hash, s.generation, \
                        s.created_at_ns, s.last_seen_at_ns, s.ended_at_ns, \
                        c.session_generation, \
                        (SELECT n FROM session_change_seq) AS change_seq \
                        FROM customer_sessions s JOIN customers c ON c.id = s.customer_id \
                        WHERE s.token_hash IN \
                        (SELECT substring($1::bytea FROM i * 32 + 1 FOR 32) \
                        FROM generate_series(0, length($1::bytea) / 32 - 1) AS i)";

/// A session found by its token hash, with its customer's current generation.
pub type Found = (SessionTokenHash, (Session, SessionGeneration));

pub(super) fn found_from<R: Row>(r: &R) -> Result<Found, StoreError>
where
    for<'r> &'r str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let id: String = r.try_get("id")?;
    let customer: String = r.try_get("customer_id")?;
    let hash =
        SessionTokenHash::from_bytes(bytes32(r.try_get("token_hash")?, "session token hash")?);
    let session = Session::from_parts(
        id.parse::<uuid::Uuid>()
            .map(SessionId::from_uuid)
            .map_err(|_| StoreError::Corrupt("session id"))?,
        customer_id(&customer)?,
        hash,
        generation_of(r.try_get("generation")?)?,
        instant(r.try_get("created_at_ns")?)?,
        instant(r.try_get("last_seen_at_ns")?)?,
        r.try_get::<Option<i64>, _>("ended_at_ns")?
            .map(instant)
            .transpose()?,
    );
    Ok((
        hash,
        (session, generation_of(r.try_get("session_generation")?)?),
    ))
}

impl CustomerStore {
    /// The sessions holding any of these token hashes (unknown ones left out, repeats allowed),
    /// each with its customer's current generation, in one query with one bound parameter; with
    /// the session-change log's head as the same query saw it (`None` when nothing was found):
    /// what was read is current as of that change.
    pub async fn sessions_by_packed_tokens_at(
        &self,
        token_hashes: &[SessionTokenHash],
    ) -> Result<(Vec<Found>, Option<i64>), StoreError> {
        if token_hashes.is_empty() {
            return Ok((Vec::new(), None));
        }
        let mut packed = Vec::with_capacity(token_hashes.len() * HASH_LEN);
        for h in token_hashes {
            packed.extend_from_slice(h.as_bytes());
        }
        let sql = match &self.db {
            Db::Sqlite(_) => SQLITE,
            Db::Postgres(_) => POSTGRES,
        };
        on_pool!(&self.db, |pool| {
            let rows = sqlx::query(sql).bind(packed).fetch_all(pool).await?;
            let head = match rows.first() {
                Some(r) => Some(r.try_get::<i64, _>("change_seq")?),
                None => None,
            };
            let found = rows.iter().map(found_from).collect::<Result<_, _>>()?;
            Ok((found, head))
        })
    }
}
