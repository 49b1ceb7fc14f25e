//! What a user sees of their own factor: enrolled or not, recovery codes
//! left, whether the policy requires one, and until when their session's
//! last proof counts for step-up.

use sqlx::PgPool;

use super::step_up;
use crate::auth::caller::Caller;

#[derive(Debug, Clone)]
pub struct Status {
    pub totp_enrolled: bool,
    pub passkeys: Vec<super::passkey::store::PasskeyInfo>,
    pub recovery_codes_left: i64,
    pub required: bool,
    pub fresh_until: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn of(pool: &PgPool, caller: &Caller) -> Result<Status, sqlx::Error> {
    let standing = step_up::standing(pool, caller).await?;
    let left = sqlx::query_scalar!(
        r#"SELECT count(*) AS "left!" FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL"#,
        caller.user_id.0
    )
    .fetch_one(pool)
    .await?;
    Ok(Status {
        totp_enrolled: standing.totp,
        passkeys: super::passkey::store::list(pool, caller.user_id).await?,
        recovery_codes_left: left,
        required: standing.required,
        fresh_until: standing.fresh_until,
    })
}
