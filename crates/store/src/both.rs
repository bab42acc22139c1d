//! One query text for both backends. Queries are written with PostgreSQL's `$1, $2, …`
//! placeholders, which sqlx's SQLite driver binds by number too, so a use of [`on_pool!`] is
//! type-checked once per backend from the same source.

/// Runs `$body` with `$pool` bound to the open pool, whichever backend it is. The body is
/// compiled twice, once per pool type, so it may build and bind queries generically.
macro_rules! on_pool {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}

pub(crate) use on_pool;
