//! The claims writer's two batch statements with **one** bound value each: the batch's rows
//! packed end to end in a blob and cut apart in SQL, as the session reads are
//! (`crate::customers::session_lookup`). With a parameter per value the query text changed with
//! every batch size (prepared afresh each time) and sqlx resolved every parameter's name by a
//! linear walk of the statement's list — quadratic in the batch, and the largest SQLite symbols
//! of the flash-sale profile (docs/benchmarks.md, "flash-sale"). Now each text is fixed, so each
//! connection keeps it prepared, and a batch of any size binds two values.
//!
//! A claim is a fixed 80-byte head — seq (10 digits), nth (10), claimed-at in nanoseconds (20),
//! customer id as hyphenated text (36), key length in bytes (4) — then the key's bytes (none for
//! no key). A recursive CTE walks the records by their lengths. A customer list is 36-byte ids
//! end to end.

use cardlife_kernel::CustomerId;

use super::flash_sale::ClaimRecord;
use crate::error::StoreError;

/// The length of a hyphenated id.
const ID_LEN: usize = 36;
/// The longest key a record can carry (its length has four digits).
const KEY_LEN_MAX: usize = 9_999;

/// Claims of one sale (`$1`) from the packed records (`$2`), on SQLite.
pub(super) const INSERT_SQLITE: &str = "WITH RECURSIVE r(off, len) AS (\
    SELECT 1, CAST(CAST(substr($2, 77, 4) AS TEXT) AS INTEGER) WHERE length($2) >= 80 \
    UNION ALL SELECT off + 80 + len, \
    CAST(CAST(substr($2, off + 80 + len + 76, 4) AS TEXT) AS INTEGER) FROM r \
    WHERE off + 80 + len < length($2)) \
    INSERT INTO flash_sale_claims \
    (sale_id, seq, customer_id, nth, idempotency_key, claimed_at_ns) \
    SELECT $1, CAST(CAST(substr($2, off, 10) AS TEXT) AS INTEGER), \
    CAST(substr($2, off + 40, 36) AS TEXT), \
    CAST(CAST(substr($2, off + 10, 10) AS TEXT) AS INTEGER), \
    CASE WHEN len = 0 THEN NULL ELSE CAST(substr($2, off + 80, len) AS TEXT) END, \
    CAST(CAST(substr($2, off + 20, 20) AS TEXT) AS INTEGER) FROM r";

/// The same on PostgreSQL.
pub(super) const INSERT_POSTGRES: &str = "WITH RECURSIVE r(off, len) AS (\
    SELECT 1, convert_from(substring($2::bytea FROM 77 FOR 4), 'UTF8')::int \
    WHERE length($2::bytea) >= 80 \
    UNION ALL SELECT off + 80 + len, \
    convert_from(substring($2::bytea FROM off + 80 + len + 76 FOR 4), 'UTF8')::int FROM r \
    WHERE off + 80 + len < length($2::bytea)) \
    INSERT INTO flash_sale_claims \
    (sale_id, seq, customer_id, nth, idempotency_key, claimed_at_ns) \
    SELECT $1, convert_from(substring($2::bytea FROM off FOR 10), 'UTF8')::bigint, \
    convert_from(substring($2::bytea FROM off + 40 FOR 36), 'UTF8'), \
    convert_from(substring($2::bytea FROM off + 10 FOR 10), 'UTF8')::bigint, \
    CASE WHEN len = 0 THEN NULL \
    ELSE convert_from(substring($2::bytea FROM off + 80 FOR len), 'UTF8') END, \
    convert_from(substring($2::bytea FROM off + 20 FOR 20), 'UTF8')::bigint FROM r";

/// Units each of the packed customers (`$2`) already won in sale `$1`, on SQLite.
pub(super) const WON_SQLITE: &str = "WITH RECURSIVE h(i) AS (SELECT 0 UNION ALL \
    SELECT i + 1 FROM h WHERE i + 1 < length($2) / 36) \
    SELECT customer_id, COUNT(*) AS n FROM flash_sale_claims WHERE sale_id = $1 \
    AND customer_id IN (SELECT CAST(substr($2, i * 36 + 1, 36) AS TEXT) FROM h) \
    GROUP BY customer_id";

/// The same on PostgreSQL.
pub(super) const WON_POSTGRES: &str = "SELECT customer_id, COUNT(*) AS n \
    FROM flash_sale_claims WHERE sale_id = $1 AND customer_id IN \
    (SELECT convert_from(substring($2::bytea FROM i * 36 + 1 FOR 36), 'UTF8') \
    FROM generate_series(0, length($2::bytea) / 36 - 1) AS i) \
    GROUP BY customer_id";

/// `customers`' ids end to end.
pub(super) fn customers(customers: &[CustomerId]) -> Vec<u8> {
    let mut out = Vec::with_capacity(customers.len() * ID_LEN);
    for c in customers {
        out.extend_from_slice(c.as_uuid().hyphenated().to_string().as_bytes());
    }
    out
}

/// `claims` as records (see the module's head).
pub(super) fn claims(claims: &[ClaimRecord]) -> Result<Vec<u8>, StoreError> {
    let mut out = Vec::with_capacity(claims.len() * 120);
    for c in claims {
        let key = c.idempotency_key.as_deref().unwrap_or("");
        if key.len() > KEY_LEN_MAX {
            return Err(StoreError::Corrupt("idempotency key too long to pack"));
        }
        let at = c.claimed_at.as_nanosecond().max(0);
        let head = format!(
            "{:010}{:010}{:020}{}{:04}",
            c.seq,
            c.nth,
            at,
            c.customer.as_uuid().hyphenated(),
            key.len()
        );
        debug_assert_eq!(head.len(), 80);
        out.extend_from_slice(head.as_bytes());
        out.extend_from_slice(key.as_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use jiff::Timestamp;

    use super::*;

    #[test]
    fn a_claim_packs_as_its_head_then_its_key() {
        let customer = CustomerId::from_uuid(uuid::Uuid::from_u128(7));
        let at = Timestamp::from_nanosecond(1_790_000_000_000_000_001).unwrap();
        let keyed = ClaimRecord {
            seq: 12,
            customer,
            nth: 1,
            idempotency_key: Some("k-1".to_owned()),
            claimed_at: at,
        };
        let bare = ClaimRecord {
            idempotency_key: None,
            ..keyed.clone()
        };
        let packed = claims(&[keyed, bare]).unwrap();
        let head = "0000000012000000000101790000000000000001\
                    00000000-0000-0000-0000-000000000007";
        assert_eq!(&packed[..76], head.as_bytes());
        assert_eq!(&packed[76..83], b"0003k-1");
        assert_eq!(&packed[83..159], head.as_bytes());
        assert_eq!(&packed[159..], b"0000");
    }
}
