//! Bulk seeding of customers, each with one live session: many rows per statement and one
//! transaction per chunk, for benchmarks and the demo world (a benchmark needs 200,000 logged-in
//! customers in seconds, not the minutes one durable commit per customer takes). Only what
//! registration stores is written: the phone's lookup HMAC, its masked form, the token's hash.

use cardlife_customers::Session;
use cardlife_kernel::CustomerId;
use sqlx::AssertSqlSafe;

use crate::both::on_pool;
use crate::db::Db;
use crate::error::StoreError;

/// Customers per transaction (and per multi-row statement).
pub const SEED_CHUNK: usize = 500;

/// One customer to seed.
#[derive(Debug)]
pub struct SeedCustomer {
    /// The new customer.
    pub id: CustomerId,
    /// HMAC of the phone under the phone lookup key.
    pub phone_lookup: [u8; 32],
    /// The masked phone.
    pub phone_masked: String,
    /// Their session (only its token hash is stored).
    pub session: Session,
}

fn ns(t: jiff::Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond()).unwrap_or(i64::MAX)
}

fn values(rows: usize, per_row: usize) -> String {
    let mut sql = String::new();
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..per_row {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("${}", r * per_row + c + 1));
        }
        sql.push(')');
    }
    sql
}

/// Inserts `customers` with their sessions, [`SEED_CHUNK`] per transaction. A phone already
/// registered fails its whole chunk (the caller seeds fresh phones).
pub async fn seed_customers(db: &Db, customers: &[SeedCustomer]) -> Result<(), StoreError> {
    for chunk in customers.chunks(SEED_CHUNK) {
        let customers_sql = format!(
            "INSERT INTO customers (id, phone_lookup, phone_masked, created_at_ns) VALUES {}",
            values(chunk.len(), 4)
        );
        let sessions_sql = format!(
            "INSERT INTO customer_sessions \
             (id, customer_id, token_hash, generation, created_at_ns, last_seen_at_ns) VALUES {}",
            values(chunk.len(), 6)
        );
        on_pool!(db, |pool| {
            let mut tx = pool.begin().await?;
            let mut q = sqlx::query(AssertSqlSafe(customers_sql.as_str()));
            for c in chunk {
                q = q
                    .bind(c.id.as_uuid().to_string())
                    .bind(c.phone_lookup.as_slice())
                    .bind(c.phone_masked.as_str())
                    .bind(ns(c.session.created_at()));
            }
            q.execute(&mut *tx).await?;
            let mut q = sqlx::query(AssertSqlSafe(sessions_sql.as_str()));
            for c in chunk {
                let s = &c.session;
                q = q
                    .bind(s.id().as_uuid().to_string())
                    .bind(s.customer().as_uuid().to_string())
                    .bind(s.token_hash().as_bytes().as_slice())
                    .bind(i64::try_from(s.generation().0).unwrap_or(i64::MAX))
                    .bind(ns(s.created_at()))
                    .bind(ns(s.last_seen_at()));
            }
            q.execute(&mut *tx).await?;
            tx.commit().await?;
            Ok::<(), StoreError>(())
        })?;
    }
    Ok(())
}
