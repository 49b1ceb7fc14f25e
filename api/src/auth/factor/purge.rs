//! Keeps the factor tables to what still matters: a challenge past its
//! expiry can no longer be used, and a step-up belongs to a token that has
//! expired. `factor_events` stays: it is the record.

use sqlx::PgPool;

use crate::auth::purge::EVERY;

/// Rows removed by one purge.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub challenges: u64,
    pub step_ups: u64,
}

pub async fn purge(pool: &PgPool) -> Result<Purged, sqlx::Error> {
    let challenges = sqlx::query!("DELETE FROM factor_challenges WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    let step_ups = sqlx::query!("DELETE FROM factor_step_ups WHERE expires_at < now()")
        .execute(pool)
        .await?
        .rows_affected();
    Ok(Purged { challenges, step_ups })
}

/// Purges every [`EVERY`] until the process ends.
pub fn start(pool: PgPool) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(EVERY).await;
            match purge(&pool).await {
                Ok(purged) => tracing::debug!(?purged, "factor tables purged"),
                Err(error) => tracing::warn!(%error, "factor tables: purge failed; will retry"),
            }
        }
    });
}
