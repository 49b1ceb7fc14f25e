//! A passkey answering a second-factor question: the login's second step
//! ([`begin_login`], then `login_step::verify`) or step-up
//! ([`begin_step_up`], then `step_up::step_up`). The ceremony offers the
//! account's own passkeys only; its state stays on the challenge row and
//! is answered once. A refused assertion is recorded and counted with
//! wrong codes (`check::throttle`).

use std::net::IpAddr;

use sqlx::{PgConnection, PgPool};
use webauthn_rs::prelude::{PasskeyAuthentication, PublicKeyCredential};

use super::super::challenge::{self, Ceremony, Purpose};
use super::super::check::{lock_account, throttle};
use super::super::events::{self, Event, EventKind};
use super::super::FactorError;
use super::{store, RelyingParty};
use crate::auth::caller::Caller;
use crate::users::UserId;

/// What the browser needs for `navigator.credentials.get` (`options`, the
/// JSON `webauthn-rs` makes), and the challenge to answer it with.
#[derive(Debug, Clone)]
pub struct Request {
    pub challenge: String,
    pub options: serde_json::Value,
}

fn stored<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, FactorError> {
    serde_json::to_value(value).map_err(|e| FactorError::StoredPasskey(e.to_string()))
}

/// A new authentication ceremony over `user`'s passkeys: the options for
/// the browser and the state to keep.
async fn start(
    conn: &mut PgConnection,
    rp: &RelyingParty,
    user: UserId,
) -> Result<(serde_json::Value, serde_json::Value), FactorError> {
    let (passkeys, _) = store::credentials(conn, user).await?;
    if passkeys.is_empty() {
        return Err(FactorError::NoPasskey);
    }
    let (options, state) = rp.webauthn().start_passkey_authentication(&passkeys)?;
    Ok((stored(&options)?, stored(&state)?))
}

/// The passkey ceremony for a login's second step, kept on its VERIFY
/// challenge (replacing any earlier one).
pub async fn begin_login(
    pool: &PgPool,
    rp: &RelyingParty,
    secret: &str,
    address: Option<IpAddr>,
) -> Result<Request, FactorError> {
    let mut tx = pool.begin().await?;
    let held = match challenge::hold(&mut tx, secret, Purpose::Verify, address).await {
        Ok(held) => held,
        Err(e) => {
            tx.commit().await?;
            return Err(e);
        }
    };
    let (options, state) = start(&mut tx, rp, held.user).await?;
    challenge::set_ceremony(&mut tx, &held, &state).await?;
    tx.commit().await?;
    Ok(Request { challenge: secret.to_owned(), options })
}

/// A passkey ceremony for the caller's step-up: a PASSKEY_STEP_UP challenge
/// of their token.
pub async fn begin_step_up(
    pool: &PgPool,
    rp: &RelyingParty,
    caller: &Caller,
) -> Result<Request, FactorError> {
    let mut tx = pool.begin().await?;
    let (options, state) = start(&mut tx, rp, caller.user_id).await?;
    let ceremony = Ceremony { state, token: Some(caller.claims.jti) };
    let opened =
        challenge::open_with(&mut tx, caller.user_id, Purpose::PasskeyStepUp, Some(&ceremony))
            .await?;
    tx.commit().await?;
    Ok(Request { challenge: opened.secret, options })
}

/// Checks an assertion against the ceremony taken from its challenge, in
/// the caller's transaction: the account is not held for too many refusals,
/// `webauthn-rs` accepts the signature for the ceremony's challenge and
/// origin, and the credential is still one of `user`'s passkeys (a passkey
/// removed meanwhile is refused). The passkey's counter is kept; the
/// outcome is recorded either way, and the caller commits either way.
pub async fn check(
    conn: &mut PgConnection,
    rp: &RelyingParty,
    user: UserId,
    ceremony: Option<Ceremony>,
    credential: &PublicKeyCredential,
    address: Option<IpAddr>,
) -> Result<(), FactorError> {
    let refuse = |reason| Event::own(user, EventKind::CodeRefused, address).because(reason);
    lock_account(&mut *conn, user).await?;
    throttle(&mut *conn, user, address).await?;
    let Some(ceremony) = ceremony else {
        events::record(conn, refuse("NO_CEREMONY")).await?;
        return Err(FactorError::NoCeremony);
    };
    let state: PasskeyAuthentication = serde_json::from_value(ceremony.state)
        .map_err(|e| FactorError::StoredPasskey(e.to_string()))?;
    let result = match rp.webauthn().finish_passkey_authentication(credential, &state) {
        Ok(result) => result,
        Err(error) => {
            tracing::debug!(%error, "a passkey assertion was refused");
            events::record(conn, refuse("WRONG_PASSKEY")).await?;
            return Err(FactorError::PasskeyRefused);
        }
    };
    let Some((id, mut passkey)) = store::lock(&mut *conn, user, result.cred_id().as_ref()).await?
    else {
        events::record(conn, refuse("UNKNOWN_PASSKEY")).await?;
        return Err(FactorError::PasskeyRefused);
    };
    passkey.update_credential(&result);
    store::used(&mut *conn, id, &passkey).await?;
    events::record(conn, Event::own(user, EventKind::PasskeyUsed, address)).await?;
    Ok(())
}
