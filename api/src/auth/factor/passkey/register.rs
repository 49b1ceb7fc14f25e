//! Registering a passkey: [`begin`] starts a WebAuthn registration for the
//! signed-in caller (a PASSKEY_ENROL challenge of their token, holding the
//! ceremony and the name); [`confirm`] checks the new credential with
//! `webauthn-rs` and stores it. The account's first factor also gets the
//! ten recovery codes (shown once). `FACTOR_ENROLLED` on chain, as for TOTP.
//! Adding a passkey to an account that has a factor needs step-up (the
//! GraphQL guard), so a stolen session cannot add an attacker's passkey.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;
use webauthn_rs::prelude::{PasskeyRegistration, RegisterPublicKeyCredential};

use super::super::challenge::{self, Ceremony, Purpose};
use super::super::enrol::{account, first_recovery_codes, on_trail, registered};
use super::super::events::{self, Event, EventKind};
use super::super::{check, FactorError};
use super::store::{self, PasskeyInfo};
use super::verify::Request;
use super::{PasskeyName, RelyingParty};
use crate::auth::caller::Caller;
use crate::auth::trail::AuthEvent;
use crate::db::InvalidInput;
use crate::gate::outbox::Outbox;
use crate::lifecycle::{deliver, Written};

/// What a registration keeps server-side until it is answered.
#[derive(Serialize, Deserialize)]
struct Registration {
    /// The account's WebAuthn user handle (the same for all its passkeys).
    handle: Uuid,
    name: String,
    state: PasskeyRegistration,
}

/// Starts registering a passkey named `name` for the caller.
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn begin(
    pool: &PgPool,
    rp: &RelyingParty,
    caller: &Caller,
    name: &PasskeyName,
) -> Result<Request, FactorError> {
    let mut tx = pool.begin().await?;
    let user = account(&mut tx, caller.user_id).await?;
    if store::list(&mut *tx, user.id).await?.iter().any(|p| p.name == name.as_str()) {
        return Err(InvalidInput::new("name", store::NAME_TAKEN).into());
    }
    let (passkeys, handle) = store::credentials(&mut tx, user.id).await?;
    let handle = handle.unwrap_or_else(Uuid::new_v4);
    // The authenticators that already hold one of the account's passkeys
    // are asked not to make another.
    let exclude = passkeys.iter().map(|p| p.cred_id().clone()).collect();
    let username = user.username.as_str();
    let (options, state) =
        rp.webauthn().start_passkey_registration(handle, username, username, Some(exclude))?;
    let registration = Registration { handle, name: name.as_str().to_owned(), state };
    let state = serde_json::to_value(&registration)
        .map_err(|e| FactorError::StoredPasskey(e.to_string()))?;
    let ceremony = Ceremony { state, token: Some(caller.claims.jti) };
    let opened =
        challenge::open_with(&mut tx, user.id, Purpose::PasskeyEnrol, Some(&ceremony)).await?;
    tx.commit().await?;
    let options =
        serde_json::to_value(&options).map_err(|e| FactorError::StoredPasskey(e.to_string()))?;
    Ok(Request { challenge: opened.secret, options })
}

/// A registered passkey, and the recovery codes when it is the account's
/// first factor (otherwise none: the account keeps its codes).
#[derive(Debug, Clone)]
pub struct Registered {
    pub passkey: PasskeyInfo,
    pub recovery_codes: Vec<String>,
}

/// Finishes the caller's registration begun on the challenge `secret` with
/// the credential the authenticator made. The challenge is used up by this
/// answer, accepted or not; a refusal is recorded.
#[tracing::instrument(skip_all, fields(user = %caller.user_id))]
pub async fn confirm(
    pool: &PgPool,
    outbox: &Outbox,
    rp: &RelyingParty,
    caller: &Caller,
    secret: &str,
    credential: &RegisterPublicKeyCredential,
    address: Option<IpAddr>,
) -> Result<Written<Registered>, FactorError> {
    let mut tx = pool.begin().await?;
    let held = match own_ceremony(&mut tx, caller, secret, Purpose::PasskeyEnrol, address).await {
        Ok(held) => held,
        Err(e) => {
            tx.commit().await?;
            return Err(e);
        }
    };
    challenge::used(&mut tx, &held).await?;
    let ceremony = challenge::take_ceremony(&mut tx, &held).await?;
    let id = caller.user_id;
    let refuse = |reason| Event::own(id, EventKind::EnrolmentRefused, address).because(reason);
    let Some(ceremony) = ceremony else {
        events::record(&mut tx, refuse("NO_CEREMONY")).await?;
        tx.commit().await?;
        return Err(FactorError::NoCeremony);
    };
    let registration: Registration = serde_json::from_value(ceremony.state)
        .map_err(|e| FactorError::StoredPasskey(e.to_string()))?;
    let passkey = match rp.webauthn().finish_passkey_registration(credential, &registration.state) {
        Ok(passkey) => passkey,
        Err(error) => {
            tracing::debug!(%error, "a passkey registration was refused");
            events::record(&mut tx, refuse("PASSKEY_REFUSED")).await?;
            tx.commit().await?;
            return Err(FactorError::PasskeyRefused);
        }
    };
    let user = account(&mut tx, id).await?;
    let name = PasskeyName::parse(&registration.name)?;
    let stored = store::insert(&mut tx, id, registration.handle, &name, &passkey).await?;
    let recovery_codes = first_recovery_codes(&mut tx, id).await?;
    events::record(&mut tx, Event::own(id, EventKind::PasskeyEnrolled, address)).await?;
    let entry = on_trail(&mut tx, AuthEvent::FactorEnrolled(registered(&user)?)).await?;
    tx.commit().await?;
    let events = deliver(outbox, &[entry]).await;
    Ok(Written { value: Registered { passkey: stored, recovery_codes }, events })
}

/// Holds a signed-in user's passkey challenge of `purpose`: live, and
/// opened by this caller's token. Another's is refused and recorded (in
/// the transaction, which the caller commits).
pub(crate) async fn own_ceremony(
    conn: &mut sqlx::PgConnection,
    caller: &Caller,
    secret: &str,
    purpose: Purpose,
    address: Option<IpAddr>,
) -> Result<challenge::Held, FactorError> {
    let held =
        challenge::hold(&mut *conn, secret, purpose, address).await.map_err(|e| match e {
            FactorError::ChallengeInvalid => FactorError::CeremonyInvalid,
            other => other,
        })?;
    if held.user == caller.user_id && held.token == Some(caller.claims.jti) {
        return Ok(held);
    }
    let refused = Event::own(caller.user_id, EventKind::CodeRefused, address)
        .because("ANOTHER_SESSION_CHALLENGE");
    events::record(conn, refused).await?;
    Err(FactorError::CeremonyInvalid)
}

/// Whether the error is a refusal recorded in the transaction (committed).
pub fn is_refusal(e: &FactorError) -> bool {
    check::is_refusal(e) || matches!(e, FactorError::CeremonyInvalid | FactorError::Invalid(_))
}
