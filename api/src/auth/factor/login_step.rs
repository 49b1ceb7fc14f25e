//! The second login step. A correct password for an account with a
//! confirmed factor opens a VERIFY challenge; for a staff account without
//! one while the policy requires it, an ENROL challenge, which allows
//! nothing but enrolling. The challenge and a code (or, to enrol, the first
//! code from the new authenticator) get the token; that login counts as a
//! fresh factor for step-up.

use std::net::IpAddr;

use sqlx::PgPool;

use super::challenge::{self, Challenge, Purpose};
use super::check;
use super::enrol::{self, account};
use super::totp::Provisioning;
use super::{policy, step_up, Answer, FactorCode, FactorError, FactorKey};
use crate::auth::login::{self, LoggedIn, LoginDeps};
use crate::auth::trail::AuthEvent;
use crate::lifecycle::{deliver, Written};
use crate::users::User;

/// The challenge a correct password leads to, if the account needs one.
pub async fn after_password(pool: &PgPool, user: &User) -> Result<Option<Challenge>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let purpose = if check::enrolled(&mut *conn, user.id).await? {
        Purpose::Verify
    } else if policy::get(&mut *conn).await?.requires(user.role) {
        Purpose::Enrol
    } else {
        return Ok(None);
    };
    let mut opened = challenge::open(&mut conn, user.id, purpose).await?;
    opened.passkey = super::passkey::store::exists(&mut *conn, user.id).await?;
    Ok(Some(opened))
}

/// Completes a login with a code from the enrolled factor, a recovery code,
/// or a passkey's assertion (for the ceremony begun on this challenge).
#[tracing::instrument(skip_all)]
pub async fn verify(
    deps: LoginDeps<'_>,
    secret: &str,
    answer: Answer<'_>,
    address: Option<IpAddr>,
) -> Result<LoggedIn, FactorError> {
    let mut tx = deps.pool.begin().await?;
    let held = match challenge::hold(&mut tx, secret, Purpose::Verify, address).await {
        Ok(held) => held,
        Err(e) => {
            tx.commit().await?;
            return Err(e);
        }
    };
    let user = account(&mut tx, held.user).await?;
    let sid = enrol::registered(&user)?;
    match check::answer(&mut tx, held.user, answer, Some(&held), address).await {
        Ok(()) => {}
        Err(e) if check::is_refusal(&e) => {
            challenge::failed(&mut tx, &held).await?;
            // A wrong second step is a refused sign-in at the account.
            let refused =
                enrol::on_trail(&mut tx, AuthEvent::SignInFailed { account: Some(sid) }).await?;
            tx.commit().await?;
            deliver(deps.outbox, &[refused]).await;
            return Err(e);
        }
        Err(e) => return Err(e),
    }
    challenge::used(&mut tx, &held).await?;
    let used = enrol::on_trail(&mut tx, AuthEvent::FactorUsed(sid)).await?;
    tx.commit().await?;
    let mut events = deliver(deps.outbox, &[used]).await;
    let mut session = signed_in(deps, user).await?;
    events.append(&mut session.events);
    session.events = events;
    Ok(session)
}

/// Starts enrolment for the holder of an ENROL challenge.
pub async fn begin_enrolment(
    pool: &PgPool,
    key: &FactorKey,
    secret: &str,
    address: Option<IpAddr>,
) -> Result<Provisioning, FactorError> {
    let mut tx = pool.begin().await?;
    let held = match challenge::hold(&mut tx, secret, Purpose::Enrol, address).await {
        Ok(held) => held,
        Err(e) => {
            tx.commit().await?;
            return Err(e);
        }
    };
    tx.commit().await?;
    enrol::begin(pool, key, held.user, address).await
}

/// Confirms the enrolment of the holder of an ENROL challenge and signs
/// them in; returns the recovery codes (with the `UserModified` receipt)
/// and the session.
#[tracing::instrument(skip_all)]
pub async fn confirm_enrolment(
    deps: LoginDeps<'_>,
    key: &FactorKey,
    secret: &str,
    code: &FactorCode,
    address: Option<IpAddr>,
) -> Result<(Written<Vec<String>>, LoggedIn), FactorError> {
    let mut tx = deps.pool.begin().await?;
    let held = match challenge::hold(&mut tx, secret, Purpose::Enrol, address).await {
        Ok(held) => held,
        Err(e) => {
            tx.commit().await?;
            return Err(e);
        }
    };
    let user = account(&mut tx, held.user).await?;
    let (codes, entry) = match enrol::confirm_in(&mut tx, key, &user, code, address).await {
        Ok(done) => done,
        Err(e) if check::is_refusal(&e) || matches!(e, FactorError::Invalid(_)) => {
            challenge::failed(&mut tx, &held).await?;
            tx.commit().await?;
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    challenge::used(&mut tx, &held).await?;
    tx.commit().await?;
    let events = deliver(deps.outbox, &[entry]).await;
    let session = signed_in(deps, user).await?;
    Ok((Written { value: codes, events }, session))
}

/// Issues the token and notes the factor just proved.
async fn signed_in(deps: LoginDeps<'_>, user: User) -> Result<LoggedIn, FactorError> {
    let user_id = user.id;
    let logged = login::issue(deps, user).await?;
    let mut conn = deps.pool.acquire().await?;
    step_up::record(&mut conn, &logged.claims, user_id).await?;
    Ok(logged)
}
