//! An administrator resets a user's lost factor: the authenticator, every
//! passkey, the recovery codes and any open login challenge are removed, every session
//! of the user ends (their tokens are revoked), and the change is recorded
//! on chain as `UserModified` by the administrator. The access decision
//! (USER_RECORD UPDATE of the user) and the administrator's own step-up are
//! the caller's (the GraphQL guard). Under the policy, a staff user is made
//! to enrol again at their next login.

use std::net::IpAddr;

use sqlx::PgPool;

use super::enrol::{account, on_trail, registered};
use super::events::{self, Event, EventKind};
use super::FactorError;
use crate::auth::trail::AuthEvent;
use crate::gate::outbox::Outbox;
use crate::lifecycle::{deliver, Written};
use crate::users::UserId;

#[tracing::instrument(skip(pool, outbox))]
pub async fn reset(
    pool: &PgPool,
    outbox: &Outbox,
    actor: UserId,
    target: UserId,
    address: Option<IpAddr>,
) -> Result<Written<()>, FactorError> {
    let mut tx = pool.begin().await?;
    let admin = account(&mut tx, actor).await?;
    let user = account(&mut tx, target).await?;
    let event = |kind| Event { user: target, actor, kind, reason: None, address };
    let removed = sqlx::query!("DELETE FROM totp_factors WHERE user_id = $1", target.0)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        + sqlx::query!("DELETE FROM passkeys WHERE user_id = $1", target.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if removed == 0 {
        events::record(&mut tx, event(EventKind::ResetRefused).because("NO_FACTOR")).await?;
        tx.commit().await?;
        return Err(FactorError::NothingToReset);
    }
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", target.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "UPDATE factor_challenges SET used_at = now() WHERE user_id = $1 AND used_at IS NULL",
        target.0
    )
    .execute(&mut *tx)
    .await?;
    // The revocations notify every api instance (migration 0030).
    sqlx::query!(
        r#"INSERT INTO revoked_tokens (token_id, user_id, expires_at)
           SELECT token_id, user_id, expires_at FROM issued_tokens
            WHERE user_id = $1 AND expires_at > now()
           ON CONFLICT DO NOTHING"#,
        target.0
    )
    .execute(&mut *tx)
    .await?;
    events::record(&mut tx, event(EventKind::Reset)).await?;
    let reset = AuthEvent::FactorReset { by: registered(&admin)?, of: registered(&user)? };
    let entry = on_trail(&mut tx, reset).await?;
    tx.commit().await?;
    let events = deliver(outbox, &[entry]).await;
    Ok(Written { value: (), events })
}
