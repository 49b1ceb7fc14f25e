//! Keeps the authentication tables to what still matters: a revoked or
//! listed token past its expiry is refused by its signature check anyway,
//! and a failed login older than the counting window counts for nothing.

use std::time::Duration;

use sqlx::PgPool;

use super::login::WINDOW;

/// How often the api purges.
pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// Rows removed by one purge.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub revoked_tokens: u64,
    pub issued_tokens: u64,
    pub login_failures: u64,
}

/// Removes expired revocations and listed tokens and failed logins older
/// than the window, in one transaction.
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
    let login_failures = sqlx::query!(
        "DELETE FROM login_failures WHERE failed_at < now() - make_interval(secs => $1)",
        WINDOW.as_secs_f64()
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(Purged { revoked_tokens, issued_tokens, login_failures })
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
