//! The second login step's challenge: 32 random bytes handed to the client
//! once (base64url), stored as their SHA-256, for five minutes, allowing
//! five wrong codes, used up by the code that passes (migration 0051).
//!
//! A passkey ceremony in progress is kept on a challenge row too (migration
//! 0060): `webauthn-rs`'s state for it stays here, and the client holds
//! only the row's secret. [`take_ceremony`] reads it and clears it, so each
//! WebAuthn challenge is answered once.

use std::net::IpAddr;
use std::time::Duration;

use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use super::events::{self, Event, EventKind};
use super::FactorError;
use crate::users::UserId;

/// How long a challenge lives.
pub const LIFETIME: Duration = Duration::from_secs(5 * 60);
/// Wrong codes a challenge allows.
pub const MAX_FAILURES: i32 = 5;

/// `factor_challenge_purpose`: what the challenge lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "factor_challenge_purpose", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Purpose {
    /// Give a code from the enrolled factor (or a recovery code).
    Verify,
    /// Enrol a factor, which the policy requires and the account lacks.
    Enrol,
    /// Register a passkey (signed in, for the token that opened it).
    PasskeyEnrol,
    /// Prove a passkey for step-up (signed in, for the token that opened it).
    PasskeyStepUp,
}

/// A challenge as handed to the client.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub secret: String,
    pub purpose: Purpose,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// The account has a passkey to answer with (a login step).
    pub passkey: bool,
}

/// A passkey ceremony kept on a challenge row: `webauthn-rs`'s state (with
/// what else the ceremony needs to finish), and for a signed-in user's
/// ceremony the token that opened it.
#[derive(Debug, Clone)]
pub struct Ceremony {
    pub state: serde_json::Value,
    pub token: Option<uuid::Uuid>,
}

/// A live challenge, locked for this transaction.
#[derive(Debug, Clone, Copy)]
pub struct Held {
    pub user: UserId,
    pub purpose: Purpose,
    /// The token that opened it (a signed-in user's passkey ceremony).
    pub token: Option<uuid::Uuid>,
    hash: [u8; 32],
}

fn hash(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Opens a challenge for `user`.
pub async fn open(
    conn: &mut PgConnection,
    user: UserId,
    purpose: Purpose,
) -> Result<Challenge, sqlx::Error> {
    open_with(conn, user, purpose, None).await
}

/// Opens a challenge for `user` carrying a passkey ceremony.
pub async fn open_with(
    conn: &mut PgConnection,
    user: UserId,
    purpose: Purpose,
    ceremony: Option<&Ceremony>,
) -> Result<Challenge, sqlx::Error> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let secret = data_encoding::BASE64URL_NOPAD.encode(&bytes);
    let expires_at = sqlx::query_scalar!(
        r#"INSERT INTO factor_challenges
             (secret_hash, user_id, purpose, expires_at, ceremony, token_id)
           VALUES ($1, $2, $3, now() + make_interval(secs => $4), $5, $6)
           RETURNING expires_at"#,
        &hash(&secret)[..],
        user.0,
        purpose as Purpose,
        LIFETIME.as_secs_f64(),
        ceremony.map(|c| &c.state),
        ceremony.and_then(|c| c.token),
    )
    .fetch_one(conn)
    .await?;
    Ok(Challenge { secret, purpose, expires_at, passkey: false })
}

/// Keeps a passkey ceremony's state on a held challenge (a login step's),
/// replacing any earlier one.
pub async fn set_ceremony(
    conn: &mut PgConnection,
    held: &Held,
    state: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE factor_challenges SET ceremony = $2 WHERE secret_hash = $1",
        &held.hash[..],
        state
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The passkey ceremony on a held challenge, cleared as it is read: a
/// WebAuthn challenge is answered once, accepted or not.
pub async fn take_ceremony(
    conn: &mut PgConnection,
    held: &Held,
) -> Result<Option<Ceremony>, sqlx::Error> {
    let row = sqlx::query!(
        r#"UPDATE factor_challenges f SET ceremony = NULL
             FROM (SELECT ceremony, token_id FROM factor_challenges WHERE secret_hash = $1) old
            WHERE f.secret_hash = $1
        RETURNING old.ceremony, old.token_id"#,
        &held.hash[..]
    )
    .fetch_one(conn)
    .await?;
    Ok(row.ceremony.map(|state| Ceremony { state, token: row.token_id }))
}

/// Finds and locks a live challenge: not expired, not used, under the
/// failure limit, and still `expected`'s purpose.
/// A challenge that cannot be used is refused; when it exists, the refusal
/// is recorded in the transaction, which the caller commits.
pub async fn hold(
    conn: &mut PgConnection,
    secret: &str,
    expected: Purpose,
    address: Option<IpAddr>,
) -> Result<Held, FactorError> {
    if secret.len() > 64 {
        return Err(FactorError::ChallengeInvalid);
    }
    let hash = hash(secret);
    let row = sqlx::query!(
        r#"SELECT user_id, purpose AS "purpose: Purpose", token_id
             FROM factor_challenges
            WHERE secret_hash = $1 AND used_at IS NULL AND expires_at > now() AND failures < $2
            FOR UPDATE"#,
        &hash[..],
        MAX_FAILURES,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(r) = row.filter(|r| r.purpose == expected) {
        return Ok(Held { user: UserId(r.user_id), purpose: r.purpose, token: r.token_id, hash });
    }
    // A challenge that exists but cannot be used is recorded against its
    // user; one that never existed names no one, and is only logged.
    let owner = sqlx::query_scalar!(
        "SELECT user_id FROM factor_challenges WHERE secret_hash = $1",
        &hash[..]
    )
    .fetch_optional(&mut *conn)
    .await?;
    match owner {
        Some(user) => {
            let refused = Event::own(UserId(user), EventKind::CodeRefused, address)
                .because("CHALLENGE_REFUSED");
            events::record(conn, refused).await?;
        }
        None => tracing::warn!("an unknown second-factor challenge was refused"),
    }
    Err(FactorError::ChallengeInvalid)
}

/// Counts a wrong code against the challenge.
pub async fn failed(conn: &mut PgConnection, held: &Held) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE factor_challenges SET failures = failures + 1 WHERE secret_hash = $1",
        &held.hash[..]
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Uses the challenge up.
pub async fn used(conn: &mut PgConnection, held: &Held) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE factor_challenges SET used_at = now() WHERE secret_hash = $1",
        &held.hash[..]
    )
    .execute(conn)
    .await?;
    Ok(())
}
