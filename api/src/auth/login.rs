//! Login: check the password, enforce the attempt limits, make sure the
//! account has its system-wide identifier (registering it on chain if it had
//! none), and issue a token — or, for an account with a second factor,
//! open the second step (`auth::factor::login_step`).

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use secrecy::SecretString;
use sqlx::PgPool;

use super::keys::TokenKeys;
use super::password::{self, PasswordHashString};
use super::token::{self, Claims, TokenError};
use crate::bootstrap::SYSTEM_ACTOR;
use crate::gate::outbox::Outbox;
use crate::lifecycle::ServiceError;
use crate::users::{self, SystemId, User, Username};

/// Failed attempts allowed per account within [`WINDOW`].
pub const ACCOUNT_LIMIT: i64 = 10;
/// Failed attempts allowed per client address within [`WINDOW`].
pub const ADDRESS_LIMIT: i64 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    /// Wrong password or no such (active) account: the two are not told apart.
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many failed attempts; try again in {} minute(s)", retry_after.as_secs().div_ceil(60))]
    TooManyAttempts { retry_after: Duration },
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
        Self::Internal(e.into())
    }
}

/// Where a correct password leads: a token, or the second step.
#[derive(Debug)]
pub enum LoginStep {
    SignedIn(Box<LoggedIn>),
    Factor(super::factor::challenge::Challenge),
}

/// A successful login.
#[derive(Debug)]
pub struct LoggedIn {
    pub token: String,
    pub claims: Claims,
    pub user: User,
}

/// What a login needs from the running api.
#[derive(Debug, Clone, Copy)]
pub struct LoginDeps<'a> {
    pub pool: &'a PgPool,
    pub outbox: &'a Outbox,
    pub keys: &'a TokenKeys,
}

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
/// never the username of a patient: the internal id, or nothing).
#[tracing::instrument(skip_all, fields(address = ?address))]
pub async fn login(
    deps: LoginDeps<'_>,
    username_raw: &str,
    password: SecretString,
    address: Option<IpAddr>,
) -> Result<LoginStep, LoginError> {
    let typed = username_raw.trim().to_lowercase();
    let address_text = address.map(|a| a.to_string());
    if let Some(retry_after) = locked_out(deps.pool, &typed, address_text.as_deref()).await? {
        tracing::warn!("login refused: attempt limit reached");
        return Err(LoginError::TooManyAttempts { retry_after });
    }
    let user = match Username::parse(&typed) {
        Ok(name) => users::repo::get_by_username(deps.pool, &name).await?,
        Err(_) => None,
    };
    let stored = match &user {
        Some(u) => PasswordHashString::from_stored(u.password_hash.as_str().to_owned()),
        None => dummy_hash().await,
    };
    let matches = password::verify(password, stored).await;
    let Some(user) = user.filter(|u| matches && !u.is_deleted()) else {
        record_failure(deps.pool, &typed, address_text.as_deref()).await?;
        tracing::warn!("login failed");
        return Err(LoginError::BadCredentials);
    };
    let system_id = match user.system_id {
        Some(id) => id,
        None => assign_identifier(deps, &user).await?,
    };
    let user = User { system_id: Some(system_id), ..user };
    // An account with a second factor, or one the policy requires to have
    // one, gets a challenge for the second step instead of a token.
    if let Some(challenge) = super::factor::login_step::after_password(deps.pool, &user).await? {
        tracing::info!(user = %user.id, purpose = ?challenge.purpose, "password accepted; second factor asked");
        return Ok(LoginStep::Factor(challenge));
    }
    Ok(LoginStep::SignedIn(Box::new(issue(deps, user).await?)))
}

/// Issues and lists a token for `user`, whose identifier is assigned.
pub async fn issue(deps: LoginDeps<'_>, user: User) -> Result<LoggedIn, LoginError> {
    let system_id =
        user.system_id.ok_or_else(|| LoginError::Internal(anyhow::anyhow!("no system id")))?;
    let (token, claims) =
        token::issue(deps.keys, user.id.0, &system_id.to_string(), user.role.as_str())?;
    list_issued(deps.pool, &claims, user.id.0).await?;
    tracing::info!(user = %user.id, role = %user.role, "login succeeded");
    Ok(LoggedIn { token, claims, user })
}

/// An account imported without an identifier gets one at first login, and is
/// registered on chain with its role (`users::service::register_existing`).
async fn assign_identifier(deps: LoginDeps<'_>, user: &User) -> Result<SystemId, LoginError> {
    let system_id =
        users::service::register_existing(deps.pool, deps.outbox, SYSTEM_ACTOR, user).await?;
    tracing::info!(user = %user.id, "assigned a system-wide identifier at first login");
    Ok(system_id)
}

/// How long until the account or address may try again, if it is locked out.
async fn locked_out(
    pool: &PgPool,
    username: &str,
    address: Option<&str>,
) -> Result<Option<Duration>, LoginError> {
    let window = WINDOW.as_secs_f64();
    let row = sqlx::query!(
        r#"SELECT
             (SELECT count(*) FROM login_failures
               WHERE username = $1 AND failed_at > now() - make_interval(secs => $3)) AS "by_account!",
             (SELECT min(failed_at) FROM (SELECT failed_at FROM login_failures
               WHERE username = $1 AND failed_at > now() - make_interval(secs => $3)
               ORDER BY failed_at DESC LIMIT $4) recent) AS "account_oldest",
             (SELECT count(*) FROM login_failures
               WHERE $2::text IS NOT NULL AND address = $2 AND failed_at > now() - make_interval(secs => $3)) AS "by_address!",
             (SELECT min(failed_at) FROM (SELECT failed_at FROM login_failures
               WHERE $2::text IS NOT NULL AND address = $2 AND failed_at > now() - make_interval(secs => $3)
               ORDER BY failed_at DESC LIMIT $5) recent) AS "address_oldest",
             now() AS "now!""#,
        username,
        address,
        window,
        ACCOUNT_LIMIT,
        ADDRESS_LIMIT,
    )
    .fetch_one(pool)
    .await?;
    let wait = |oldest: Option<chrono::DateTime<chrono::Utc>>| {
        oldest.map(|t| {
            let until = t + chrono::Duration::from_std(WINDOW).unwrap_or_default();
            (until - row.now).to_std().unwrap_or(Duration::from_secs(1))
        })
    };
    let mut retry = None;
    if row.by_account >= ACCOUNT_LIMIT {
        retry = wait(row.account_oldest);
    }
    if row.by_address >= ADDRESS_LIMIT {
        retry = retry.max(wait(row.address_oldest));
    }
    Ok(retry)
}

async fn record_failure(
    pool: &PgPool,
    username: &str,
    address: Option<&str>,
) -> Result<(), LoginError> {
    sqlx::query!(
        "INSERT INTO login_failures (username, address) VALUES ($1, $2)",
        username,
        address
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Lists an issued token until it expires (migration 0047: a password change
/// revokes every listed token of the account but the changer's own; the
/// expired are purged, `auth::purge`).
async fn list_issued(pool: &PgPool, claims: &Claims, user_id: i64) -> Result<(), sqlx::Error> {
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    sqlx::query!(
        "INSERT INTO issued_tokens (token_id, user_id, expires_at) VALUES ($1, $2, $3)",
        claims.jti,
        user_id,
        expires
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Revokes a token until it would have expired.
pub async fn logout(pool: &PgPool, claims: &Claims, user_id: i64) -> Result<(), sqlx::Error> {
    let expires = chrono::DateTime::from_timestamp(claims.exp, 0).unwrap_or_else(chrono::Utc::now);
    sqlx::query!(
        "INSERT INTO revoked_tokens (token_id, user_id, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        claims.jti,
        user_id,
        expires
    )
    .execute(pool)
    .await?;
    tracing::info!(user = user_id, "logged out; token revoked");
    Ok(())
}
