//! Step-up: account, role and permission changes need a factor proved in
//! the last [`FRESH`] — at the login that issued the token, or since by
//! [`step_up`]. The proof belongs to the token (`factor_step_ups`), so
//! another session of the same user does not inherit it.
//!
//! A caller with no confirmed factor, whom the policy does not require to
//! have one (a patient, or anyone while the policy is off), has nothing to
//! step up with and is not asked; turning the policy on makes every staff
//! change ask.

use std::net::IpAddr;
use std::time::Duration;

use sqlx::{PgConnection, PgPool};

use super::check;
use super::events::{self, Event, EventKind};
use super::{FactorCode, FactorError, FactorKey};
use crate::auth::caller::Caller;
use crate::auth::token::Claims;
use crate::auth::trail::AuthEvent;
use crate::gate::outbox::Outbox;
use crate::lifecycle::deliver;
use crate::users::{Role, UserId};

/// How long a proved factor counts as fresh.
pub const FRESH: Duration = Duration::from_secs(5 * 60);

/// Notes that the holder of the token `claims` describe proved a factor now.
pub async fn record(
    conn: &mut PgConnection,
    claims: &Claims,
    user: UserId,
) -> Result<(), sqlx::Error> {
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    sqlx::query!(
        r#"INSERT INTO factor_step_ups (token_id, user_id, verified_at, expires_at)
           VALUES ($1, $2, now(), $3)
           ON CONFLICT (token_id) DO UPDATE SET verified_at = now()"#,
        claims.jti,
        user.0,
        expires
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// What the database says about a caller's factor.
#[derive(Debug, Clone, Copy)]
pub struct Standing {
    pub has_factor: bool,
    pub required: bool,
    /// Until when the token's last proof counts as fresh, if it still does.
    pub fresh_until: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn standing(pool: &PgPool, caller: &Caller) -> Result<Standing, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT
             EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "has_factor!",
             (SELECT staff_required FROM factor_policy) AS "staff_required!",
             (SELECT verified_at + make_interval(secs => $3) FROM factor_step_ups
               WHERE token_id = $2 AND verified_at + make_interval(secs => $3) > now()) AS fresh_until"#,
        caller.user_id.0,
        caller.claims.jti,
        FRESH.as_secs_f64(),
    )
    .fetch_one(pool)
    .await?;
    Ok(Standing {
        has_factor: row.has_factor,
        required: row.staff_required && caller.role != Role::Patient,
        fresh_until: row.fresh_until,
    })
}

/// Lets a sensitive change through, or refuses it (recorded) when the
/// caller has a factor, or must have one, and has not proved it lately.
pub async fn require(
    pool: &PgPool,
    caller: &Caller,
    address: Option<IpAddr>,
) -> Result<(), FactorError> {
    let standing = standing(pool, caller).await?;
    if standing.fresh_until.is_some() || (!standing.has_factor && !standing.required) {
        return Ok(());
    }
    let (reason, error) = if standing.has_factor {
        ("NOT_FRESH", FactorError::StepUpRequired)
    } else {
        ("NOT_ENROLLED", FactorError::EnrolmentRequired)
    };
    let mut conn = pool.acquire().await?;
    let refused = Event::own(caller.user_id, EventKind::StepUpRefused, address).because(reason);
    events::record(&mut conn, refused).await?;
    Err(error)
}

/// Proves a factor for the caller's token now; returns until when it
/// counts. A wrong, reused or spent code is refused and recorded.
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn step_up(
    pool: &PgPool,
    outbox: &Outbox,
    key: &FactorKey,
    caller: &Caller,
    code: &FactorCode,
    address: Option<IpAddr>,
) -> Result<chrono::DateTime<chrono::Utc>, FactorError> {
    let mut tx = pool.begin().await?;
    match check::check(&mut tx, key, caller.user_id, code, address).await {
        Ok(_) => {}
        Err(e) if check::is_refusal(&e) => {
            tx.commit().await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    record(&mut tx, &caller.claims, caller.user_id).await?;
    let used = super::enrol::on_trail(&mut tx, AuthEvent::FactorUsed(caller.system_id)).await?;
    tx.commit().await?;
    deliver(outbox, &[used]).await;
    Ok(chrono::Utc::now() + chrono::Duration::from_std(FRESH).unwrap_or_default())
}
