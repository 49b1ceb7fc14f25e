//! Who is calling: the holder of a valid token, checked against the database
//! (the account still active, the token not revoked, the identifier the
//! token names still the account's).

use sqlx::PgPool;

use super::keys::TokenKeys;
use super::token::{self, Claims};
use crate::users::{Role, SystemId, UserId};

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: UserId,
    pub system_id: SystemId,
    pub role: Role,
    pub claims: Claims,
}

/// Why a token does not make a caller. The messages are what the client sees.
#[derive(Debug, thiserror::Error)]
pub enum TokenRefused {
    /// Invalid, expired or revoked, or its account deleted or changed.
    #[error("the token is invalid, expired or revoked: log in again")]
    Refused,
    /// The database could not be asked.
    #[error("the token could not be checked; try again")]
    Unchecked(#[source] sqlx::Error),
}

/// Checks a token: its signature and expiry, then the database.
pub async fn check(pool: &PgPool, keys: &TokenKeys, raw: &str) -> Result<Caller, TokenRefused> {
    let claims = token::verify(keys, raw).map_err(|_| TokenRefused::Refused)?;
    let user_id: i64 = claims.sub.parse().map_err(|_| TokenRefused::Refused)?;
    let row = sqlx::query!(
        r#"SELECT u.system_id, u.role AS "role: Role", u.deleted_at IS NOT NULL AS "deleted!",
                  EXISTS (SELECT 1 FROM revoked_tokens r WHERE r.token_id = $2) AS "revoked!"
           FROM users u WHERE u.id = $1"#,
        user_id,
        claims.jti
    )
    .fetch_optional(pool)
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "checking a token failed");
        TokenRefused::Unchecked(e)
    })?
    .ok_or(TokenRefused::Refused)?;
    if row.deleted || row.revoked {
        return Err(TokenRefused::Refused);
    }
    let system_id = row
        .system_id
        .as_deref()
        .and_then(|b| SystemId::from_slice(b).ok())
        .filter(|id| id.to_string() == claims.sid)
        .ok_or(TokenRefused::Refused)?;
    Ok(Caller { user_id: UserId(user_id), system_id, role: row.role, claims })
}
