//! Login: check the password, enforce the attempt limits, make sure the
//! account has its system-wide identifier (registering it on chain if it had
//! none), and issue a token.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sqlx::{PgConnection, PgPool};

use super::caller::Caller;
use super::keys::TokenKeys;
use super::password::{self, PasswordHashString};
use super::throttle;
use super::token::{self, Claims, TokenError};
use super::trail::{self, AuthEvent, LoginCounts};
use crate::bootstrap::SYSTEM_ACTOR;
use crate::gate::outbox::Outbox;
use crate::lifecycle::{deliver, LifecycleReceipt, ServiceError};
use crate::users::{self, SystemId, User, Username};

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong password or no such (active) account: the two are not told apart.
    #[error("wrong username or password")]
    BadCredentials,
    /// A username longer than any account's; answered as `BadCredentials`.
    #[error("wrong username or password")]
    Malformed,
    #[error("too many failed attempts from here; try again in {}", wait_text(*retry_after))]
    TooManyAttempts { retry_after: Duration },
    /// A renewal past the session's absolute limit.
    #[error("the session reached its 12-hour limit; sign in again")]
    SessionOver,
    /// Something failed inside; the cause is kept for the log.
    #[error("login failed")]
    Internal(#[source] anyhow::Error),
}

impl From<sqlx::Error> for LoginError {
    fn from(e: sqlx::Error) -> Self {
        Self::Internal(e.into())
    }
}

impl From<crate::db::StoreError> for LoginError {
    fn from(e: crate::db::StoreError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<ServiceError> for LoginError {
    fn from(e: ServiceError) -> Self {
        Self::Internal(e.into())
    }
}

impl From<TokenError> for LoginError {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::SessionOver => Self::SessionOver,
            other => Self::Internal(other.into()),
        }
    }
}

/// A wait in words, as the web app words it: seconds under a minute and a
/// half, whole minutes (rounded up) from there.
pub fn wait_text(wait: Duration) -> String {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    match seconds {
        1 => "1 second".to_owned(),
        s if s < 90 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// Where a correct password leads: a token, or the second step.
#[derive(Debug)]
pub enum LoginStep {
    SignedIn(Box<LoggedIn>),
    Factor(super::factor::challenge::Challenge),
}

/// A successful login, with its SIGNED_IN receipt (none when the chain
/// could not be reached: the outbox sends it later).
#[derive(Debug)]
pub struct LoggedIn {
    pub token: String,
    pub claims: Claims,
    pub user: User,
    pub events: Vec<LifecycleReceipt>,
}

/// A login's outcome and the on-chain events its refusal produced
/// (SIGN_IN_FAILED), so a refused login is answered with its receipt too; a
/// success carries its SIGNED_IN in [`LoggedIn::events`].
#[derive(Debug)]
pub struct Attempt {
    pub outcome: Result<LoginStep, LoginError>,
    pub events: Vec<LifecycleReceipt>,
}

/// What a login needs from the running api.
#[derive(Debug, Clone, Copy)]
pub struct LoginDeps<'a> {
    pub pool: &'a PgPool,
    pub outbox: &'a Outbox,
    pub keys: &'a TokenKeys,
    /// Where the attempt's outcome is counted.
    pub counts: &'a LoginCounts,
}

/// The longest username accepted (longer ones are refused before anything
/// is looked up or counted).
pub const MAX_USERNAME_BYTES: usize = 256;

/// A hash to verify against when the account does not exist, so an unknown
/// username costs the same time as a wrong password.
pub async fn dummy_hash() -> PasswordHashString {
    static DUMMY: OnceLock<PasswordHashString> = OnceLock::new();
    if let Some(hash) = DUMMY.get() {
        return hash.clone();
    }
    let made = tokio::task::spawn_blocking(|| {
        password::hash_blocking(&SecretString::from("careledger-timing-equaliser"))
    })
    .await;
    match made {
        Ok(Ok(hash)) => DUMMY.get_or_init(|| hash).clone(),
        // Verifying against an empty hash fails at once: better than failing the login.
        _ => PasswordHashString::from_stored(String::new()),
    }
}

/// Logs a user in. Every success and failure is logged (never the password,
/// never the username of a patient: the internal id, or nothing), and put on
/// the trail: SIGNED_IN, or SIGN_IN_FAILED naming the account tried when it
/// exists. A refusal while the address is slowed, or of a username longer
/// than any, is logged and counted only (`auth::trail`).
#[tracing::instrument(skip_all, fields(address = ?address))]
pub async fn login(
    deps: LoginDeps<'_>,
    username_raw: &str,
    password: SecretString,
    address: Option<IpAddr>,
) -> Attempt {
    let mut events = Vec::new();
    let outcome = attempt(deps, username_raw, password, address, &mut events).await;
    let refused = match &outcome {
        Err(LoginError::BadCredentials) => Some(&deps.counts.failed),
        Err(LoginError::TooManyAttempts { .. }) => Some(&deps.counts.throttled),
        Err(LoginError::Malformed) => Some(&deps.counts.malformed),
        // Successes count themselves; an internal failure refused no one.
        Ok(_) | Err(LoginError::SessionOver | LoginError::Internal(_)) => None,
    };
    if let Some(counter) = refused {
        LoginCounts::bump(counter);
    }
    Attempt { outcome, events }
}

async fn attempt(
    deps: LoginDeps<'_>,
    username_raw: &str,
    password: SecretString,
    address: Option<IpAddr>,
    events: &mut Vec<LifecycleReceipt>,
) -> Result<LoginStep, LoginError> {
    if username_raw.len() > MAX_USERNAME_BYTES {
        tracing::warn!("login refused: the username is longer than any account's");
        return Err(LoginError::Malformed);
    }
    let typed = username_raw.trim().to_lowercase();
    let attempt = match throttle::attempt(deps.pool, &typed, address).await? {
        Ok(attempt) => attempt,
        Err(retry_after) => {
            tracing::warn!(
                wait = retry_after.as_secs(),
                "login refused: attempts from here are slowed"
            );
            return Err(LoginError::TooManyAttempts { retry_after });
        }
    };
    let user = match Username::parse(&typed) {
        Ok(name) => users::repo::get_by_username(deps.pool, &name).await?,
        Err(_) => None,
    };
    let stored = match &user {
        Some(u) => PasswordHashString::from_stored(u.password_hash.as_str().to_owned()),
        None => dummy_hash().await,
    };
    // No account has a longer password: refused without hashing it.
    let within_limit = password.expose_secret().chars().count() <= password::MAX_LEN;
    let matches = within_limit && password::verify(password, stored).await;
    // The account tried, deleted or not: the failure is on its holder's trail.
    let account = user.as_ref().and_then(|u| u.system_id);
    let Some(user) = user.filter(|u| matches && !u.is_deleted()) else {
        // The attempt stays counted as a failure, and goes on the trail.
        tracing::warn!("login failed");
        events.extend(record_failure(deps, account).await);
        return Err(LoginError::BadCredentials);
    };
    attempt.succeeded(deps.pool).await?;
    let system_id = match user.system_id {
        Some(id) => id,
        None => assign_identifier(deps, &user).await?,
    };
    let user = User { system_id: Some(system_id), ..user };
    // An account with a second factor, or one the policy requires to have
    // one, gets a challenge for the second step instead of a token (and
    // SIGNED_IN when it completes it).
    if let Some(challenge) = super::factor::login_step::after_password(deps.pool, &user).await? {
        tracing::info!(user = %user.id, purpose = ?challenge.purpose, "password accepted; second factor asked");
        return Ok(LoginStep::Factor(challenge));
    }
    Ok(LoginStep::SignedIn(Box::new(issue(deps, user).await?)))
}

/// Issues and lists a token for `user`, whose identifier is assigned, and
/// puts SIGNED_IN on the trail: the token is listed and the sign-in enqueued
/// in one transaction, so no token exists without its event.
pub async fn issue(deps: LoginDeps<'_>, user: User) -> Result<LoggedIn, LoginError> {
    let system_id = user.system_id.ok_or_else(|| internal(anyhow::anyhow!("no system id")))?;
    let (token, claims) =
        token::issue(deps.keys, user.id.0, &system_id.to_string(), user.role.as_str())?;
    let mut tx = deps.pool.begin().await?;
    list_issued(&mut tx, &claims, user.id.0).await?;
    let entry = trail::enqueue(&mut tx, AuthEvent::SignedIn(system_id)).await.map_err(internal)?;
    tx.commit().await?;
    let events = deliver(deps.outbox, &[entry]).await;
    LoginCounts::bump(&deps.counts.signed_in);
    tracing::info!(user = %user.id, role = %user.role, "login succeeded");
    Ok(LoggedIn { token, claims, user, events })
}

/// SIGN_IN_FAILED on the trail. The login is refused whatever happens here;
/// a failure to write the entry is logged as an error (the attempt is still
/// in the log and the throttle's count).
async fn record_failure(deps: LoginDeps<'_>, account: Option<SystemId>) -> Vec<LifecycleReceipt> {
    match trail::record(deps.pool, deps.outbox, AuthEvent::SignInFailed { account }).await {
        Ok(receipts) => receipts,
        Err(error) => {
            tracing::error!(error = ?anyhow::Error::from(error), "a refused login could not be put on the trail");
            Vec::new()
        }
    }
}

fn internal(e: impl Into<anyhow::Error>) -> LoginError {
    LoginError::Internal(e.into())
}

/// An account imported without an identifier gets one at first login, and is
/// registered on chain with its role (`users::service::register_existing`).
async fn assign_identifier(deps: LoginDeps<'_>, user: &User) -> Result<SystemId, LoginError> {
    let system_id =
        users::service::register_existing(deps.pool, deps.outbox, SYSTEM_ACTOR, user).await?;
    tracing::info!(user = %user.id, "assigned a system-wide identifier at first login");
    Ok(system_id)
}

/// Lists an issued token with its session until it expires (migrations 0047
/// and 0048: a password change revokes every listed token of the account but
/// the changer's own, a logout every token of its session; the expired are
/// purged, `auth::purge`).
async fn list_issued(
    conn: &mut PgConnection,
    claims: &Claims,
    user_id: i64,
) -> Result<(), sqlx::Error> {
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    sqlx::query!(
        "INSERT INTO issued_tokens (token_id, user_id, expires_at, session_id) VALUES ($1, $2, $3, $4)",
        claims.jti,
        user_id,
        expires,
        claims.session()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Renews the caller's session: the next token, listed, with the account's
/// role now. The current token stays valid until its own expiry (requests
/// already sent with it still succeed); a logout ends both.
pub async fn renew(
    pool: &PgPool,
    keys: &TokenKeys,
    caller: &Caller,
) -> Result<(String, Claims), LoginError> {
    let (token, next) = token::renew(keys, &caller.claims, caller.role.as_str())?;
    let mut conn = pool.acquire().await?;
    list_issued(&mut conn, &next, caller.user_id.0).await?;
    tracing::info!(user = %caller.user_id, "session renewed");
    Ok((token, next))
}

/// Ends the session the token belongs to: revokes it and every other listed
/// token of the same session until they would have expired, and puts
/// SIGNED_OUT on the trail (in the same transaction). Returns its receipt.
pub async fn logout(
    deps: LoginDeps<'_>,
    caller: &Caller,
) -> Result<Vec<LifecycleReceipt>, LoginError> {
    let claims = &caller.claims;
    let user_id = caller.user_id.0;
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    let mut tx = deps.pool.begin().await?;
    sqlx::query!(
        "INSERT INTO revoked_tokens (token_id, user_id, expires_at)
         SELECT $1, $2, $3
          UNION ALL
         SELECT token_id, user_id, expires_at FROM issued_tokens
          WHERE session_id = $4 AND user_id = $2 AND expires_at > now()
         ON CONFLICT DO NOTHING",
        claims.jti,
        user_id,
        expires,
        claims.session()
    )
    .execute(&mut *tx)
    .await?;
    let entry =
        trail::enqueue(&mut tx, AuthEvent::SignedOut(caller.system_id)).await.map_err(internal)?;
    tx.commit().await?;
    LoginCounts::bump(&deps.counts.signed_out);
    tracing::info!(user = user_id, "logged out; the session's tokens revoked");
    Ok(deliver(deps.outbox, &[entry]).await)
}
