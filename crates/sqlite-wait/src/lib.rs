//! How a connection to the embedded store waits for SQLite's write lock.
//!
//! SQLite allows one writer at a time. A connection that finds the write lock taken calls its
//! busy handler and tries again. SQLite's own handler (the one `busy_timeout` installs) sleeps
//! 1, 2, 5, 10, 15, 20, 25 … 100 ms between tries, whereas a write of ours holds the lock for a
//! fraction of a millisecond (one commit, one fsync). A payment whose commit meets another's
//! therefore slept a millisecond or more while the lock was long free: `strace` of the `pay`
//! bench counted thousands of such sleeps, a quarter of them 25 ms or longer
//! (docs/benchmarks.md, "`pay`").
//!
//! [`install`] replaces that handler on a connection with one that sleeps 20 µs, then doubles
//! up to 500 µs per try, and gives up (`SQLITE_BUSY`, "database is locked") once the sleeps add
//! up to the timeout. Connections of one process wait for each other this way; SQLite's locks
//! between processes are not blocking either, so the same handler serves both.

use std::ffi::{c_int, c_void};
use std::time::Duration;

use sqlx::SqliteConnection;

/// The first sleep after a busy try.
const FIRST_PAUSE: Duration = Duration::from_micros(20);
/// The longest sleep between two tries.
const LONGEST_PAUSE: Duration = Duration::from_micros(500);

/// The sleep before try `count + 1` (SQLite counts the handler's calls for one lock from 0).
pub fn pause(count: usize) -> Duration {
    let doublings = u32::try_from(count).unwrap_or(u32::MAX).min(16);
    FIRST_PAUSE
        .checked_mul(1 << doublings)
        .map_or(LONGEST_PAUSE, |p| p.min(LONGEST_PAUSE))
}

/// How many sleeps add up to at least `timeout` (at least one).
pub fn tries_within(timeout: Duration) -> usize {
    let mut slept = Duration::ZERO;
    let mut count = 0;
    while slept < timeout {
        slept += pause(count);
        count += 1;
    }
    count.max(1)
}

/// The busy handler: sleeps and asks SQLite to try again, until `count` reaches the limit
/// carried in `limit` (an integer, never dereferenced).
extern "C" fn wait_for_lock(limit: *mut c_void, count: c_int) -> c_int {
    let limit = limit as usize;
    match usize::try_from(count) {
        Ok(count) if count < limit => {
            std::thread::sleep(pause(count));
            1
        }
        _ => 0,
    }
}

/// Makes `conn` wait for a taken lock with short sleeps, for at least `timeout` in all.
/// Replaces whatever busy handler or `busy_timeout` the connection had.
pub async fn install(conn: &mut SqliteConnection, timeout: Duration) -> Result<(), sqlx::Error> {
    let limit = tries_within(timeout);
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    #[allow(unsafe_code)]
    // SAFETY: `db` is this open connection's handle, and the locked handle keeps every other
    // thread from calling into it meanwhile. The handler is a plain function that captures
    // nothing; its argument is an integer carried in the pointer, never dereferenced, so no
    // lifetime ties it to this call.
    let rc = unsafe {
        libsqlite3_sys::sqlite3_busy_handler(db, Some(wait_for_lock), limit as *mut c_void)
    };
    if rc == libsqlite3_sys::SQLITE_OK {
        Ok(())
    } else {
        Err(sqlx::Error::Protocol(format!(
            "sqlite3_busy_handler failed with code {rc}"
        )))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn pauses_double_from_20_us_to_500_us() {
        let got: Vec<u128> = (0..7).map(|c| pause(c).as_micros()).collect();
        assert_eq!(got, [20, 40, 80, 160, 320, 500, 500]);
        assert_eq!(pause(usize::MAX), LONGEST_PAUSE);
    }

    #[test]
    fn the_sleeps_add_up_to_the_timeout() {
        for timeout in [
            Duration::ZERO,
            Duration::from_micros(1),
            Duration::from_millis(50),
        ] {
            let n = tries_within(timeout);
            let slept: Duration = (0..n).map(pause).sum();
            assert!(slept >= timeout, "{timeout:?}: {n} tries sleep {slept:?}");
            assert!(n == 1 || slept - pause(n - 1) < timeout, "one try too many");
        }
        // 20 + 40 + 80 + 160 + 320 µs, then 500 µs a try: ten seconds is 20,000 tries.
        assert_eq!(tries_within(Duration::from_secs(10)), 5 + 19_999);
    }
}
