//! Checking a code or a passkey's assertion against a user's factors,
//! once. Every check of a user's factors takes that account's lock first
//! ([`lock_account`]), so checks of one account run one at a time: the
//! refusal count and the replay marks are read and written without a race.

use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::PgConnection;

use webauthn_rs::prelude::PublicKeyCredential;

use super::challenge::{self, Held};
use super::code::{recovery_hash, FactorCode};
use super::events::{self, Event, EventKind};
use super::passkey::{self, RelyingParty};
use super::sealing::{FactorKey, Sealed};
use super::{totp, FactorError, REFUSALS_LIMIT, WINDOW};
use crate::users::UserId;

/// What a user answers a second-factor question with.
#[derive(Debug, Clone, Copy)]
pub enum Answer<'a> {
    /// A code from the authenticator app, or a recovery code.
    Code(&'a FactorKey, &'a FactorCode),
    /// A passkey's assertion, answering the ceremony kept on a challenge.
    Passkey(&'a RelyingParty, &'a PublicKeyCredential),
}

/// Checks `answer` for `user` in the caller's transaction (see [`check`]
/// and [`passkey::verify::check`]); a passkey's ceremony is taken from
/// `ceremony_of`, the challenge it was begun on.
pub async fn answer(
    conn: &mut PgConnection,
    user: UserId,
    answer: Answer<'_>,
    ceremony_of: Option<&Held>,
    address: Option<IpAddr>,
) -> Result<(), FactorError> {
    match answer {
        Answer::Code(key, code) => check(conn, key, user, code, address).await.map(|_| ()),
        Answer::Passkey(rp, credential) => {
            let ceremony = match ceremony_of {
                Some(held) => challenge::take_ceremony(&mut *conn, held).await?,
                None => None,
            };
            passkey::verify::check(conn, rp, user, ceremony, credential, address).await
        }
    }
}

/// Whether `user` has a factor: a confirmed authenticator app or a passkey.
pub async fn enrolled(db: impl sqlx::PgExecutor<'_>, user: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM totp_factors WHERE user_id = $1 AND confirmed_at IS NOT NULL)
               OR EXISTS (SELECT 1 FROM passkeys WHERE user_id = $1) AS "enrolled!""#,
        user.0
    )
    .fetch_one(db)
    .await
}

/// Serialises the checks of one account's factors until the transaction
/// ends (a transaction-level advisory lock in a namespace of its own).
pub(super) async fn lock_account(conn: &mut PgConnection, user: UserId) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(20060, ($1::int8 % 2147483647)::int4)", user.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// How a code passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Totp,
    Recovery,
}

/// A user's TOTP factor row, locked.
pub(super) struct Locked {
    pub sealed: Sealed,
    pub confirmed: bool,
    pub last_step: Option<i64>,
}

/// Locks `user`'s factor row (confirmed or not), if there is one.
pub(super) async fn lock(
    conn: &mut PgConnection,
    user: UserId,
) -> Result<Option<Locked>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT secret_sealed, nonce, confirmed_at IS NOT NULL AS "confirmed!", last_step
             FROM totp_factors WHERE user_id = $1 FOR UPDATE"#,
        user.0
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Locked {
        sealed: Sealed { ciphertext: r.secret_sealed, nonce: r.nonce },
        confirmed: r.confirmed,
        last_step: r.last_step,
    }))
}

/// Unix seconds now.
pub(super) fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

/// The step a TOTP code matches for this factor, if any.
pub(super) fn totp_step(
    key: &FactorKey,
    user: UserId,
    factor: &Locked,
    code: &str,
) -> Result<Option<i64>, FactorError> {
    let secret = key.open(user, &factor.sealed)?;
    Ok(totp::matching_step(&secret, code, now()).and_then(|s| i64::try_from(s).ok()))
}

/// Refuses at once, unchecked, when the account had [`REFUSALS_LIMIT`]
/// codes or passkeys refused (wrong, reused, spent, unknown) within
/// [`WINDOW`], counted under the account's lock.
pub(super) async fn throttle(
    conn: &mut PgConnection,
    user: UserId,
    address: Option<IpAddr>,
) -> Result<(), FactorError> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "refused!", min(at) AS oldest, now() AS "now!" FROM (
             SELECT at FROM factor_events
              WHERE user_id = $1 AND kind IN ('CODE_REFUSED', 'ENROLMENT_REFUSED')
                AND reason IN ('WRONG_CODE', 'REUSED_CODE', 'USED_RECOVERY_CODE',
                               'WRONG_PASSKEY', 'UNKNOWN_PASSKEY')
                AND at > now() - make_interval(secs => $2)
              ORDER BY at DESC LIMIT $3) recent"#,
        user.0,
        WINDOW.as_secs_f64(),
        REFUSALS_LIMIT,
    )
    .fetch_one(&mut *conn)
    .await?;
    if row.refused < REFUSALS_LIMIT {
        return Ok(());
    }
    let until =
        row.oldest.unwrap_or(row.now) + chrono::Duration::from_std(WINDOW).unwrap_or_default();
    let retry_after = (until - row.now).to_std().unwrap_or(Duration::from_secs(1));
    let refused = Event::own(user, EventKind::CodeRefused, address).because("TOO_MANY_ATTEMPTS");
    events::record(conn, refused).await?;
    Err(FactorError::TooManyAttempts { retry_after })
}

/// Checks `code` against `user`'s confirmed factor and uses it up: a TOTP
/// code's step becomes the last accepted, a recovery code is spent. The
/// outcome is recorded either way, in the caller's transaction, which the
/// caller commits whether or not the code passed.
pub async fn check(
    conn: &mut PgConnection,
    key: &FactorKey,
    user: UserId,
    code: &FactorCode,
    address: Option<IpAddr>,
) -> Result<Accepted, FactorError> {
    let refuse = |reason| Event::own(user, EventKind::CodeRefused, address).because(reason);
    lock_account(&mut *conn, user).await?;
    let factor = lock(&mut *conn, user).await?.filter(|f| f.confirmed);
    // An account with passkeys only has recovery codes too.
    if factor.is_none() && !passkey::store::exists(&mut *conn, user).await? {
        events::record(conn, refuse("NO_FACTOR")).await?;
        return Err(FactorError::NoFactor);
    }
    throttle(&mut *conn, user, address).await?;
    let accepted = match code {
        FactorCode::Totp(digits) => match factor
            .as_ref()
            .map(|factor| totp_step(key, user, factor, digits))
            .transpose()?
            .flatten()
        {
            None => {
                events::record(conn, refuse("WRONG_CODE")).await?;
                return Err(FactorError::WrongCode);
            }
            Some(step)
                if factor.as_ref().and_then(|f| f.last_step).is_some_and(|last| step <= last) =>
            {
                events::record(conn, refuse("REUSED_CODE")).await?;
                return Err(FactorError::ReusedCode);
            }
            Some(step) => {
                sqlx::query!(
                    "UPDATE totp_factors SET last_step = $2 WHERE user_id = $1",
                    user.0,
                    step
                )
                .execute(&mut *conn)
                .await?;
                Accepted::Totp
            }
        },
        FactorCode::Recovery(compact) => {
            let hash = recovery_hash(compact);
            let spent = sqlx::query!(
                r#"UPDATE recovery_codes SET used_at = now()
                    WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL"#,
                user.0,
                hash
            )
            .execute(&mut *conn)
            .await?
            .rows_affected();
            if spent == 0 {
                let used = sqlx::query_scalar!(
                    r#"SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = $1 AND code_hash = $2) AS "used!""#,
                    user.0,
                    hash
                )
                .fetch_one(&mut *conn)
                .await?;
                let (reason, error) = if used {
                    ("USED_RECOVERY_CODE", FactorError::UsedRecoveryCode)
                } else {
                    ("WRONG_CODE", FactorError::WrongCode)
                };
                events::record(conn, refuse(reason)).await?;
                return Err(error);
            }
            Accepted::Recovery
        }
    };
    let kind = match accepted {
        Accepted::Totp => EventKind::CodeAccepted,
        Accepted::Recovery => EventKind::RecoveryCodeUsed,
    };
    events::record(conn, Event::own(user, kind, address)).await?;
    Ok(accepted)
}

/// Whether the error is a code refused (recorded; the transaction is to be
/// committed so the record stays) rather than a failure.
pub fn is_refusal(e: &FactorError) -> bool {
    matches!(
        e,
        FactorError::WrongCode
            | FactorError::ReusedCode
            | FactorError::UsedRecoveryCode
            | FactorError::NoFactor
            | FactorError::TooManyAttempts { .. }
            | FactorError::EnrolmentRequired
            | FactorError::NotStarted
            | FactorError::PasskeyRefused
            | FactorError::NoCeremony
            | FactorError::NoPasskey
    )
}
