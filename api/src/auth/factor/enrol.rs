//! Enrolling a TOTP authenticator: [`begin`] makes a secret, seals it and
//! shows it once (URI, QR code, base32); [`confirm_in`] accepts the first
//! code from the app, which confirms the factor and, when it is the
//! account's first factor, gives ten recovery codes (stored hashed, shown
//! once). Confirming is recorded on chain as `FACTOR_ENROLLED`.

use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};

use super::check::{self, lock, totp_step};
use super::code::{new_recovery_code, recovery_hash, FactorCode};
use super::events::{self, Event, EventKind};
use super::totp::{self, Provisioning};
use super::{FactorError, FactorKey};
use crate::auth::trail::{self, AuthEvent};
use crate::db::{Entity, InvalidInput, StoreError};
use crate::gate::outbox::Outbox;
use crate::gate::LifecycleEntry;
use crate::lifecycle::{deliver, ServiceError, Written};
use crate::users::{repo, SystemId, User, UserId};

/// Recovery codes given at enrolment.
pub const RECOVERY_CODES: usize = 10;

/// The live account `id`.
pub(super) async fn account(conn: &mut PgConnection, id: UserId) -> Result<User, FactorError> {
    repo::get(&mut *conn, id)
        .await
        .map_err(ServiceError::from)?
        .filter(|u| !u.is_deleted())
        .ok_or(FactorError::Service(StoreError::NotFound(Entity::User).into()))
}

/// Starts (or starts again) an enrolment: a new secret replaces any
/// unconfirmed one. Refused, and recorded, when a factor is already confirmed.
#[tracing::instrument(skip(pool, key))]
pub async fn begin(
    pool: &PgPool,
    key: &FactorKey,
    id: UserId,
    address: Option<IpAddr>,
) -> Result<Provisioning, FactorError> {
    let mut tx = pool.begin().await?;
    let user = account(&mut tx, id).await?;
    if lock(&mut tx, id).await?.is_some_and(|f| f.confirmed) {
        let refused =
            Event::own(id, EventKind::EnrolmentRefused, address).because("ALREADY_ENROLLED");
        events::record(&mut tx, refused).await?;
        tx.commit().await?;
        return Err(FactorError::AlreadyEnrolled);
    }
    let secret = zeroize::Zeroizing::new(totp::new_secret());
    let shown = totp::provisioning(&secret, user.username.as_str())?;
    let sealed = key.seal(id, &secret)?;
    sqlx::query!(
        r#"INSERT INTO totp_factors (user_id, secret_sealed, nonce) VALUES ($1, $2, $3)
           ON CONFLICT (user_id) DO UPDATE
              SET secret_sealed = EXCLUDED.secret_sealed, nonce = EXCLUDED.nonce,
                  created_at = now(), last_step = NULL"#,
        id.0,
        sealed.ciphertext,
        sealed.nonce,
    )
    .execute(&mut *tx)
    .await?;
    events::record(&mut tx, Event::own(id, EventKind::EnrolmentStarted, address)).await?;
    tx.commit().await?;
    Ok(shown)
}

/// Confirms the enrolment in the caller's transaction with the first code
/// from the app; returns the recovery codes (shown once) and the lifecycle
/// entry to deliver after commit. A refusal is recorded in the transaction,
/// which the caller commits (see [`check::is_refusal`]).
pub async fn confirm_in(
    conn: &mut PgConnection,
    key: &FactorKey,
    user: &User,
    code: &FactorCode,
    address: Option<IpAddr>,
) -> Result<(Vec<String>, (LifecycleEntry, &'static str)), FactorError> {
    let id = user.id;
    let refuse = |reason| Event::own(id, EventKind::EnrolmentRefused, address).because(reason);
    let factor = match lock(&mut *conn, id).await? {
        Some(f) if f.confirmed => {
            events::record(conn, refuse("ALREADY_ENROLLED")).await?;
            return Err(FactorError::AlreadyEnrolled);
        }
        Some(f) => f,
        None => {
            events::record(conn, refuse("NOT_STARTED")).await?;
            return Err(FactorError::NotStarted);
        }
    };
    check::throttle(&mut *conn, id, address).await?;
    let FactorCode::Totp(digits) = code else {
        events::record(conn, refuse("WRONG_CODE")).await?;
        return Err(
            InvalidInput::new("code", "must be the 6 digits your authenticator app shows").into()
        );
    };
    let Some(step) = totp_step(key, id, &factor, digits)? else {
        events::record(conn, refuse("WRONG_CODE")).await?;
        return Err(FactorError::WrongCode);
    };
    sqlx::query!(
        "UPDATE totp_factors SET confirmed_at = now(), last_step = $2 WHERE user_id = $1",
        id.0,
        step
    )
    .execute(&mut *conn)
    .await?;
    let codes = first_recovery_codes(conn, id).await?;
    events::record(conn, Event::own(id, EventKind::Enrolled, address)).await?;
    let entry = on_trail(conn, AuthEvent::FactorEnrolled(registered(user)?)).await?;
    Ok((codes, entry))
}

/// Confirms a signed-in user's enrolment (see [`confirm_in`]).
#[tracing::instrument(skip(pool, outbox, key, code))]
pub async fn confirm(
    pool: &PgPool,
    outbox: &Outbox,
    key: &FactorKey,
    id: UserId,
    code: &FactorCode,
    address: Option<IpAddr>,
) -> Result<Written<Vec<String>>, FactorError> {
    let mut tx = pool.begin().await?;
    let user = account(&mut tx, id).await?;
    match confirm_in(&mut tx, key, &user, code, address).await {
        Ok((codes, entry)) => {
            tx.commit().await?;
            let events = deliver(outbox, &[entry]).await;
            Ok(Written { value: codes, events })
        }
        Err(e)
            if check::is_refusal(&e)
                || matches!(e, FactorError::Invalid(_) | FactorError::AlreadyEnrolled) =>
        {
            tx.commit().await?;
            Err(e)
        }
        Err(e) => Err(e),
    }
}

/// Replaces the user's recovery codes with [`RECOVERY_CODES`] new ones,
/// in the caller's transaction; returns them as shown (once).
pub(super) async fn replace_recovery_codes(
    conn: &mut PgConnection,
    id: UserId,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query!("DELETE FROM recovery_codes WHERE user_id = $1", id.0).execute(&mut *conn).await?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<Vec<u8>> = codes.iter().map(|c| recovery_hash(&c.replace('-', ""))).collect();
    sqlx::query!(
        "INSERT INTO recovery_codes (user_id, code_hash) SELECT $1, h FROM UNNEST($2::bytea[]) AS h",
        id.0,
        &hashes
    )
    .execute(&mut *conn)
    .await?;
    Ok(codes)
}

/// Ten recovery codes for an account's first factor: when it has none yet
/// (a first enrolment, or after a reset), else none (it keeps its own).
pub(super) async fn first_recovery_codes(
    conn: &mut PgConnection,
    id: UserId,
) -> Result<Vec<String>, sqlx::Error> {
    let has_codes = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM recovery_codes WHERE user_id = $1) AS "has!""#,
        id.0
    )
    .fetch_one(&mut *conn)
    .await?;
    if has_codes {
        return Ok(vec![]);
    }
    replace_recovery_codes(conn, id).await
}

/// Ten new recovery codes for a signed-in user with a factor (the old ones
/// stop working). The caller has stepped up.
#[tracing::instrument(skip(pool))]
pub async fn renew_recovery_codes(
    pool: &PgPool,
    id: UserId,
    address: Option<IpAddr>,
) -> Result<Vec<String>, FactorError> {
    let mut tx = pool.begin().await?;
    if !check::enrolled(&mut *tx, id).await? {
        return Err(FactorError::NoFactor);
    }
    let codes = replace_recovery_codes(&mut tx, id).await?;
    events::record(&mut tx, Event::own(id, EventKind::RecoveryCodesRenewed, address)).await?;
    tx.commit().await?;
    Ok(codes)
}

/// `user`'s system-wide identifier (every account that signs in has one).
pub(super) fn registered(user: &User) -> Result<SystemId, FactorError> {
    Ok(user.system_id.ok_or(ServiceError::NotRegistered("the user"))?)
}

/// A second-factor event on the trail (`auth::trail`: FACTOR_ENROLLED,
/// FACTOR_USED, FACTOR_RESET, or SIGN_IN_FAILED for a wrong code at
/// sign-in), enqueued in the transaction; deliver it after the commit.
pub(super) async fn on_trail(
    conn: &mut PgConnection,
    event: AuthEvent,
) -> Result<(LifecycleEntry, &'static str), FactorError> {
    Ok(trail::enqueue(conn, event).await.map_err(ServiceError::from)?)
}
