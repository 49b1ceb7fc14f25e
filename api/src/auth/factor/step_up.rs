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

use super::challenge::{self, Purpose};
use super::check;
use super::events::{self, Event, EventKind};
use super::passkey::register::own_ceremony;
use super::{Answer, FactorError};
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
    /// The factor includes a confirmed authenticator app.
    pub totp: bool,
    pub required: bool,
    /// Until when the token's last proof counts as fresh, if it still does.
    pub fresh_until: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn standing(pool: &PgPool, caller: &Caller) -> Result<Standing, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT
             EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL) AS "totp!",
             EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) AS "passkey!",
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
        has_factor: row.totp || row.passkey,
        totp: row.totp,
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
    refused(pool, caller, reason, address).await?;
    Err(error)
}

async fn refused(
    pool: &PgPool,
    caller: &Caller,
    reason: &str,
    address: Option<IpAddr>,
) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let refused = Event::own(caller.user_id, EventKind::StepUpRefused, address).because(reason);
    events::record(&mut conn, refused).await
}

/// What a caller is adding: an authenticator app or a passkey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adding {
    Totp,
    Passkey,
}

/// Lets a caller add a factor: one with none may (that is how the first is
/// enrolled), one with a factor only with it proved lately, so a stolen
/// session cannot add the thief's own. (Adding an authenticator app where
/// one is confirmed is refused by enrolment itself.)
pub async fn require_to_add(
    pool: &PgPool,
    caller: &Caller,
    adding: Adding,
    address: Option<IpAddr>,
) -> Result<(), FactorError> {
    let standing = standing(pool, caller).await?;
    if standing.fresh_until.is_some()
        || !standing.has_factor
        || (adding == Adding::Totp && standing.totp)
    {
        return Ok(());
    }
    refused(pool, caller, "NOT_FRESH", address).await?;
    Err(FactorError::StepUpRequired)
}

/// Proves a factor for the caller's token now; returns until when it
/// counts. A wrong, reused or spent code, or a refused passkey, is refused
/// and recorded. A passkey answers the PASSKEY_STEP_UP challenge
/// `ceremony` this token opened (used up by this answer, accepted or not).
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn step_up(
    pool: &PgPool,
    outbox: &Outbox,
    caller: &Caller,
    answer: Answer<'_>,
    ceremony: Option<&str>,
    address: Option<IpAddr>,
) -> Result<chrono::DateTime<chrono::Utc>, FactorError> {
    let mut tx = pool.begin().await?;
    let held = match ceremony {
        Some(secret) => {
            let purpose = Purpose::PasskeyStepUp;
            match own_ceremony(&mut tx, caller, secret, purpose, address).await {
                Ok(held) => Some(held),
                Err(e) => {
                    tx.commit().await?;
                    return Err(e);
                }
            }
        }
        None => None,
    };
    if let Some(held) = &held {
        challenge::used(&mut tx, held).await?;
    }
    match check::answer(&mut tx, caller.user_id, answer, held.as_ref(), address).await {
        Ok(()) => {}
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
