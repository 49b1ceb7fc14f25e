//! Keeps the authentication tables to what still matters: a revoked or
//! listed token past its expiry is refused by its signature check anyway,
//! and a throttling key whose failures are forgotten and whose wait is over
//! counts for nothing.

use std::time::Duration;

use sqlx::PgPool;

use super::throttle::FORGET_AFTER;

/// How often the api purges.
pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// Rows removed by one purge.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub revoked_tokens: u64,
    pub issued_tokens: u64,
    pub login_throttle: u64,
}

/// Removes expired revocations and listed tokens, and throttling keys that
/// have forgotten their failures, in one transaction.
pub async fn purge(pool: &PgPool) -> Result<Purged, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let revoked_tokens = sqlx::query!("DELETE FROM revoked_tokens WHERE expires_at < now()")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let issued_tokens = sqlx::query!("DELETE FROM issued_tokens WHERE expires_at < now()")
        .execute(&mut *tx)
        .await?
        .rows_affected();
    let login_throttle = sqlx::query!(
        "DELETE FROM login_throttle
          WHERE last_failed_at < now() - make_interval(secs => $1) AND next_at < now()",
        FORGET_AFTER.as_secs_f64()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(Purged { revoked_tokens, issued_tokens, login_throttle })
}

/// Purges every [`EVERY`] until the process ends.
pub fn start(pool: PgPool) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            match purge(&pool).await {
                Ok(purged) => tracing::debug!(?purged, "auth tables purged"),
                Err(error) => tracing::warn!(%error, "auth tables: purge failed; will retry"),
            }
        }
    });
}
