//! The credit tables on either backend: one body of SQL (numbered `$n` parameters, in order)
//! run on SQLite or PostgreSQL.

use super::error::CreditError;
use super::view::StatementView;
use crate::db::Db;

/// Runs `$body` with `$pool` bound to whichever pool the store has.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Db::Sqlite($pool) => $body,
            Db::Postgres($pool) => $body,
        }
    };
}

/// A stored account, with its product's versions.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: String,
    pub number: i64,
    pub customer_id: String,
    pub product_id: String,
    pub versions: String,
    pub opened: String,
    pub credit_limit: i64,
    pub cash_limit: i64,
    pub closed_through: Option<String>,
    pub card_expires: String,
}

/// A stored card (the PAN only sealed).
#[derive(Debug, Clone)]
pub struct CardRow {
    pub id: String,
    pub account_id: String,
    pub lookup: Vec<u8>,
    pub key_id: i64,
    pub nonce: Vec<u8>,
    pub sealed: Vec<u8>,
    pub first6: String,
    pub last4: String,
    pub expires: String,
}

type AccountTuple = (
    String,
    i64,
    String,
    String,
    String,
    String,
    i64,
    i64,
    Option<String>,
    String,
);

const ACCOUNT_SELECT: &str = "SELECT a.id, a.number, a.customer_id, a.product_id, p.versions, \
     a.opened, a.credit_limit, a.cash_limit, a.closed_through, \
     (SELECT MIN(c.expires) FROM credit_cards c WHERE c.account_id = a.id) \
     FROM credit_accounts a JOIN credit_products p ON p.id = a.product_id";

fn account_row(t: AccountTuple) -> AccountRow {
    AccountRow {
        id: t.0,
        number: t.1,
        customer_id: t.2,
        product_id: t.3,
        versions: t.4,
        opened: t.5,
        credit_limit: t.6,
        cash_limit: t.7,
        closed_through: t.8,
        card_expires: t.9,
    }
}

/// Every account, by number.
pub async fn accounts(db: &Db) -> Result<Vec<AccountRow>, CreditError> {
    let sql = format!("{ACCOUNT_SELECT} ORDER BY a.number");
    let rows: Vec<AccountTuple> = on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(account_row).collect())
}

/// One account, by id.
pub async fn account(db: &Db, id: &str) -> Result<Option<AccountRow>, CreditError> {
    let sql = format!("{ACCOUNT_SELECT} WHERE a.id = $1");
    let row: Option<AccountTuple> = on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(pool).await?
    });
    Ok(row.map(account_row))
}

/// Every card's id, account and lookup token (the index authorisations resolve cards by).
pub async fn card_index(db: &Db) -> Result<Vec<(String, String, Vec<u8>)>, CreditError> {
    let sql = "SELECT id, account_id, pan_lookup FROM credit_cards";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).fetch_all(pool).await?))
}

/// The next unused account number.
pub async fn next_number(db: &Db) -> Result<i64, CreditError> {
    let sql = "SELECT COALESCE(MAX(number), 0) + 1 FROM credit_accounts";
    let (n,): (i64,) = on_pool!(db, pool => sqlx::query_as(sql).fetch_one(pool).await?);
    Ok(n)
}

/// Writes a new account, its product and its card in one transaction. A card number already
/// issued answers [`CreditError::CardAlreadyIssued`] and writes nothing.
pub async fn insert_account(db: &Db, a: &AccountRow, card: &CardRow) -> Result<(), CreditError> {
    let result: Result<(), sqlx::Error> = on_pool!(db, pool => {
        async {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO credit_products (id, versions) VALUES ($1, $2)")
                .bind(&a.product_id)
                .bind(&a.versions)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO credit_accounts (id, number, customer_id, product_id, opened, \
                 credit_limit, cash_limit, closed_through) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
            )
            .bind(&a.id)
            .bind(a.number)
            .bind(&a.customer_id)
            .bind(&a.product_id)
            .bind(&a.opened)
            .bind(a.credit_limit)
            .bind(a.cash_limit)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO credit_cards (id, account_id, pan_lookup, pan_key_id, pan_nonce, \
                 pan_sealed, first6, last4, expires) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&card.id)
            .bind(&card.account_id)
            .bind(&card.lookup)
            .bind(card.key_id)
            .bind(&card.nonce)
            .bind(&card.sealed)
            .bind(&card.first6)
            .bind(&card.last4)
            .bind(&card.expires)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        .await
    });
    match result {
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            if e.message().contains("pan_lookup")
                || e.constraint() == Some("credit_cards_pan_lookup_key")
            {
                Err(CreditError::CardAlreadyIssued)
            } else {
                Err(CreditError::from(sqlx::Error::Database(e)))
            }
        }
        other => Ok(other?),
    }
}

/// Whether a card with this lookup token exists.
pub async fn card_exists(db: &Db, lookup: &[u8]) -> Result<bool, CreditError> {
    let sql = "SELECT COUNT(*) FROM credit_cards WHERE pan_lookup = $1";
    let (n,): (i64,) =
        on_pool!(db, pool => sqlx::query_as(sql).bind(lookup).fetch_one(pool).await?);
    Ok(n > 0)
}

/// An account's events, in order: (seq, day, event JSON).
pub async fn events(db: &Db, account_id: &str) -> Result<Vec<(i64, String, String)>, CreditError> {
    let sql = "SELECT seq, day, event FROM credit_events WHERE account_id = $1 ORDER BY seq";
    Ok(on_pool!(db, pool => sqlx::query_as(sql).bind(account_id).fetch_all(pool).await?))
}

/// Records that the account's days are closed through `day`.
pub async fn set_closed_through(db: &Db, account_id: &str, day: &str) -> Result<(), CreditError> {
    let sql = "UPDATE credit_accounts SET closed_through = $1 WHERE id = $2";
    on_pool!(db, pool => { sqlx::query(sql).bind(day).bind(account_id).execute(pool).await?; });
    Ok(())
}

/// Stores a statement as cut (a second write of the same statement is ignored).
pub async fn insert_statement(
    db: &Db,
    account_id: &str,
    s: &StatementView,
) -> Result<(), CreditError> {
    let body = serde_json::to_string(s).map_err(|e| CreditError::Corrupt(e.to_string()))?;
    let version = i64::try_from(s.product_version).unwrap_or(i64::MAX);
    let sql = "INSERT INTO credit_statements (account_id, statement_date, due_date, \
         previous_balance, balance, minimum_payment, product_version, body) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id, statement_date) DO NOTHING";
    on_pool!(db, pool => {
        sqlx::query(sql)
            .bind(account_id)
            .bind(s.statement_date.to_string())
            .bind(s.due_date.to_string())
            .bind(s.previous_balance_fen)
            .bind(s.balance_fen)
            .bind(s.minimum_payment_fen)
            .bind(version)
            .bind(&body)
            .execute(pool)
            .await?;
    });
    Ok(())
}

fn decode_statement(body: &str) -> Result<StatementView, CreditError> {
    serde_json::from_str(body).map_err(|e| CreditError::Corrupt(e.to_string()))
}

/// The owner's statements of an account, newest first; `AccountNotFound` is the caller's to
/// decide (an empty list here means none yet, or not theirs).
pub async fn statements(
    db: &Db,
    account_id: &str,
    customer_id: &str,
) -> Result<Vec<StatementView>, CreditError> {
    let sql = "SELECT s.body FROM credit_statements s JOIN credit_accounts a ON a.id = s.account_id \
         WHERE s.account_id = $1 AND a.customer_id = $2 ORDER BY s.statement_date DESC";
    let rows: Vec<(String,)> = on_pool!(db, pool => {
        sqlx::query_as(sql).bind(account_id).bind(customer_id).fetch_all(pool).await?
    });
    rows.iter().map(|(b,)| decode_statement(b)).collect()
}

/// One of the owner's statements.
pub async fn statement(
    db: &Db,
    account_id: &str,
    customer_id: &str,
    date: &str,
) -> Result<Option<StatementView>, CreditError> {
    let sql = "SELECT s.body FROM credit_statements s JOIN credit_accounts a ON a.id = s.account_id \
         WHERE s.account_id = $1 AND a.customer_id = $2 AND s.statement_date = $3";
    let row: Option<(String,)> = on_pool!(db, pool => {
        sqlx::query_as(sql).bind(account_id).bind(customer_id).bind(date).fetch_optional(pool).await?
    });
    row.map(|(b,)| decode_statement(&b)).transpose()
}

type CardTuple = (
    String,
    String,
    Vec<u8>,
    i64,
    Vec<u8>,
    Vec<u8>,
    String,
    String,
    String,
);

const CARD_SELECT: &str = "SELECT c.id, c.account_id, c.pan_lookup, c.pan_key_id, c.pan_nonce, \
     c.pan_sealed, c.first6, c.last4, c.expires FROM credit_cards c";

fn card_row(t: CardTuple) -> CardRow {
    CardRow {
        id: t.0,
        account_id: t.1,
        lookup: t.2,
        key_id: t.3,
        nonce: t.4,
        sealed: t.5,
        first6: t.6,
        last4: t.7,
        expires: t.8,
    }
}

/// The owner's cards on an account.
pub async fn cards(
    db: &Db,
    account_id: &str,
    customer_id: &str,
) -> Result<Vec<CardRow>, CreditError> {
    let sql = format!(
        "{CARD_SELECT} JOIN credit_accounts a ON a.id = c.account_id \
         WHERE c.account_id = $1 AND a.customer_id = $2 ORDER BY c.id"
    );
    let rows: Vec<CardTuple> = on_pool!(db, pool => {
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(account_id).bind(customer_id).fetch_all(pool).await?
    });
    Ok(rows.into_iter().map(card_row).collect())
}

/// Rows of every credit table, for tests that check a refused command wrote nothing.
pub async fn row_counts(db: &Db) -> Result<[i64; 5], CreditError> {
    let mut out = [0; 5];
    for (i, table) in [
        "credit_products",
        "credit_accounts",
        "credit_cards",
        "credit_events",
        "credit_statements",
    ]
    .iter()
    .enumerate()
    {
        let sql = format!("SELECT COUNT(*) FROM {table}");
        let (n,): (i64,) = on_pool!(db, pool => {
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_one(pool).await?
        });
        out[i] = n;
    }
    Ok(out)
}
