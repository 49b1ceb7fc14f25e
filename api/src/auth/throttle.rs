//! Login throttling without lockout (migration 0048).
//!
//! Two keys count failures: one client guessing at one account
//! (`pair:<address>|<username>`) and one client guessing across accounts
//! (`addr:<address>`). A key has a few free attempts; after them every
//! failure doubles the wait before that key may try again, up to
//! [`MAX_WAIT`]. Only the guessing client waits: the account's owner, from
//! anywhere else, signs in as usual, so nobody can lock another person out.
//!
//! Counting is atomic. An attempt counts itself as a failure against both
//! keys *before* the password is checked, in one transaction that locks both
//! rows (always in the same order), and a success takes its count back. A
//! burst of parallel guesses therefore meets the wait as soon as the free
//! attempts are used, instead of all passing a check made before any of them
//! was recorded.
//!
//! Without a client address (no connection information), the pair key alone
//! counts, under the name `pair:-|<username>`.

use std::net::IpAddr;
use std::time::Duration;

use sqlx::{PgPool, Postgres, Transaction};

/// Free attempts for one client at one account before waits begin.
pub const PAIR_FREE: i32 = 5;
/// Free attempts for one client across all accounts before waits begin
/// (a ward's shared workstation, or many people behind one address).
pub const ADDRESS_FREE: i32 = 30;
/// The longest wait a key is given.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
/// A key forgets its failures this long after the last one.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

/// The wait after a key's `failures`-th failure, given `free` attempts:
/// none within the free attempts, then 2, 4, 8 … seconds, capped.
pub fn wait_after(failures: i32, free: i32) -> Duration {
    let over = failures - free;
    if over <= 0 {
        return Duration::ZERO;
    }
    let seconds = 1u64.checked_shl(over.min(32) as u32).unwrap_or(u64::MAX);
    Duration::from_secs(seconds).min(MAX_WAIT)
}

/// An attempt that was let through and counted as a failure until
/// [`Attempt::succeeded`] takes it back.
#[derive(Debug)]
#[must_use = "a successful login must take its count back"]
pub struct Attempt {
    pair: String,
    address: Option<String>,
}

/// Counts an attempt against both keys, or says how long to wait.
pub async fn attempt(
    pool: &PgPool,
    username: &str,
    address: Option<IpAddr>,
) -> Result<Result<Attempt, Duration>, sqlx::Error> {
    let address_text = address.map(|a| a.to_string());
    let pair = format!("pair:{}|{username}", address_text.as_deref().unwrap_or("-"));
    let address_key = address_text.map(|a| format!("addr:{a}"));
    let mut keys = vec![(pair.as_str(), PAIR_FREE)];
    if let Some(key) = &address_key {
        keys.push((key.as_str(), ADDRESS_FREE));
    }
    // One order for every transaction: two attempts never wait on each other
    // in a cycle.
    keys.sort_unstable();
    let mut tx = pool.begin().await?;
    let mut wait = Duration::ZERO;
    for (key, free) in keys {
        wait = wait.max(count(&mut tx, key, free).await?);
    }
    if !wait.is_zero() {
        // Refused attempts are not counted: undo the other key's count.
        tx.rollback().await?;
        return Ok(Err(wait));
    }
    tx.commit().await?;
    Ok(Ok(Attempt { pair, address: address_key }))
}

/// Counts one failure against `key` unless it must wait; returns the wait
/// left (zero when counted).
async fn count(
    tx: &mut Transaction<'_, Postgres>,
    key: &str,
    free: i32,
) -> Result<Duration, sqlx::Error> {
    // Lock the row (or create it), then decide with the stored values,
    // against the clock once the lock is held: `now()` is when this
    // transaction began, and a transaction that began later may have
    // committed its own `now()` first.
    let row = sqlx::query!(
        r#"INSERT INTO login_throttle AS t (key, failures, last_failed_at, next_at)
           VALUES ($1, 0, now(), now())
           ON CONFLICT (key) DO UPDATE SET key = t.key
           RETURNING t.failures, t.last_failed_at, t.next_at, clock_timestamp() AS "now!""#,
        key
    )
    .fetch_one(&mut **tx)
    .await?;
    if row.next_at > row.now {
        return Ok((row.next_at - row.now).to_std().unwrap_or(Duration::from_secs(1)));
    }
    let forgotten =
        row.now - row.last_failed_at > chrono::Duration::from_std(FORGET_AFTER).unwrap_or_default();
    let failures = if forgotten { 1 } else { row.failures.saturating_add(1) };
    sqlx::query!(
        "UPDATE login_throttle
            SET failures = $2, last_failed_at = now(), next_at = now() + make_interval(secs => $3)
          WHERE key = $1",
        key,
        failures,
        wait_after(failures, free).as_secs_f64(),
    )
    .execute(&mut **tx)
    .await?;
    Ok(Duration::ZERO)
}

impl Attempt {
    /// The password was right: the pair starts again from nothing, and the
    /// address's count of this attempt is taken back (its other failures
    /// stand: a guesser holding one account of its own gains nothing).
    pub async fn succeeded(self, pool: &PgPool) -> Result<(), sqlx::Error> {
        let mut tx = pool.begin().await?;
        sqlx::query!("DELETE FROM login_throttle WHERE key = $1", self.pair)
            .execute(&mut *tx)
            .await?;
        if let Some(key) = &self.address {
            sqlx::query!(
                "UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1",
                key
            )
            .execute(&mut *tx)
            .await?;
            // An address with no failures left keeps no row.
            sqlx::query!("DELETE FROM login_throttle WHERE key = $1 AND failures = 0", key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_after_the_free_attempts_and_stop_at_the_cap() {
        let waits: Vec<u64> = (1..=17).map(|f| wait_after(f, 5).as_secs()).collect();
        assert_eq!(
            waits,
            [0, 0, 0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900],
            "failures 1..=17 with 5 free"
        );
        assert_eq!(wait_after(i32::MAX, 5), MAX_WAIT);
        assert_eq!(wait_after(30, ADDRESS_FREE), Duration::ZERO);
        assert_eq!(wait_after(31, ADDRESS_FREE), Duration::from_secs(2));
    }
}
