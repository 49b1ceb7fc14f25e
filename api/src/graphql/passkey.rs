//! Passkeys (WebAuthn) beside TOTP (`auth::factor::passkey`): register,
//! answer the login's second step or step-up, remove. A ceremony is two
//! calls: `begin…` gives a `challenge` and the `options` to pass to
//! `navigator.credentials.create` / `get` (the JSON `webauthn-rs` makes);
//! the next call sends back the challenge and the browser's credential as
//! JSON (base64url fields, as `webauthn-rs-proto` reads them).

use async_graphql::{Context, Guard, Json, Object, SimpleObject, ID};
use serde::de::DeserializeOwned;

use super::auth::AuthPayload;
use super::context;
use super::error::ApiError;
use super::factor::{StepUp, SteppedUp};
use super::inputs;
use super::users::note_events;
use crate::auth::factor::passkey::{self, store::PasskeyInfo, PasskeyName};
use crate::auth::factor::step_up::Adding;
use crate::auth::factor::{self, Answer};

/// Refuses (FACTOR_REQUIRED, recorded) a signed-in caller who has a second
/// factor and has not proved it in the last 5 minutes from adding another
/// (so a stolen session cannot add the thief's); one with none may add
/// their first. Anonymous callers pass (they hold a login challenge).
#[derive(Debug, Clone, Copy)]
pub struct AddingFactor(pub Adding);

impl Guard for AddingFactor {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        if let Ok(caller) = session.caller() {
            factor::step_up::require_to_add(&state.pool, caller, self.0, session.address)
                .await
                .map_err(ApiError::from)?;
        }
        Ok(())
    }
}

/// One of the caller's passkeys.
#[derive(SimpleObject)]
pub struct Passkey {
    pub id: ID,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<PasskeyInfo> for Passkey {
    fn from(p: PasskeyInfo) -> Self {
        Self {
            id: p.id.into(),
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// A WebAuthn ceremony begun: pass `options` to the browser, then send the
/// credential it returns with `challenge` (single use, valid 5 minutes).
#[derive(SimpleObject)]
pub struct PasskeyCeremony {
    #[graphql(secret)]
    pub challenge: String,
    /// `{ "publicKey": … }` for `navigator.credentials.create` (registration)
    /// or `navigator.credentials.get` (verification); binary fields base64url.
    pub options: Json<serde_json::Value>,
}

impl From<passkey::verify::Request> for PasskeyCeremony {
    fn from(r: passkey::verify::Request) -> Self {
        Self { challenge: r.challenge, options: Json(r.options) }
    }
}

/// A passkey registered.
#[derive(SimpleObject)]
pub struct PasskeyEnrolled {
    pub passkey: Passkey,
    /// Ten one-time codes, shown this once, when this is the account's first
    /// second factor; empty otherwise (the account keeps its codes).
    pub recovery_codes: Vec<String>,
}

/// The browser's credential as `webauthn-rs` reads it; anything else is
/// BAD_USER_INPUT on `credential`.
fn credential<T: DeserializeOwned>(json: Json<serde_json::Value>) -> Result<T, ApiError> {
    serde_json::from_value(json.0).map_err(|_| {
        ApiError::bad_input(
            "credential",
            "must be the PublicKeyCredential the browser returned, as JSON",
        )
    })
}

#[derive(Default)]
pub struct PasskeyMutation;

#[Object]
impl PasskeyMutation {
    /// Starts registering a passkey called `name` ("Work laptop") for the
    /// signed-in user. Needs step-up when the account already has a factor.
    #[graphql(guard = "AddingFactor(Adding::Passkey)")]
    async fn begin_passkey_enrolment(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> Result<PasskeyCeremony, ApiError> {
        let (state, _, caller) = context::caller(ctx)?;
        let name = PasskeyName::parse(&name).map_err(factor::FactorError::from)?;
        Ok(passkey::register::begin(&state.pool, &state.passkeys, caller, &name).await?.into())
    }

    /// Finishes the registration with the credential the browser made.
    /// `FACTOR_ENROLLED` on chain; the account's first factor also gets its
    /// recovery codes.
    async fn confirm_passkey_enrolment(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] challenge: String,
        #[graphql(secret)] credential: Json<serde_json::Value>,
    ) -> Result<PasskeyEnrolled, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let credential = self::credential(credential)?;
        let written = passkey::register::confirm(
            &state.pool,
            &state.outbox,
            &state.passkeys,
            caller,
            &challenge,
            &credential,
            session.address,
        )
        .await?;
        note_events(session, &written.events);
        let done = written.value;
        Ok(PasskeyEnrolled { passkey: done.passkey.into(), recovery_codes: done.recovery_codes })
    }

    /// Starts a passkey verification: with the `challenge` of a login's
    /// second step, for `verifyPasskey` (the same challenge comes back);
    /// signed in and without one, for `stepUpWithPasskey` (a new one).
    async fn begin_passkey_verification(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] challenge: Option<String>,
    ) -> Result<PasskeyCeremony, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let request = match challenge {
            Some(secret) => {
                passkey::verify::begin_login(&state.pool, &state.passkeys, &secret, session.address)
                    .await?
            }
            None => {
                passkey::verify::begin_step_up(&state.pool, &state.passkeys, session.caller()?)
                    .await?
            }
        };
        Ok(request.into())
    }

    /// The login's second step with a passkey: the login's challenge (after
    /// `beginPasskeyVerification`) and the browser's assertion. A refused
    /// assertion counts like a wrong code (SIGN_IN_FAILED on chain).
    async fn verify_passkey(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] challenge: String,
        #[graphql(secret)] credential: Json<serde_json::Value>,
    ) -> Result<AuthPayload, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let credential = self::credential(credential)?;
        let answer = Answer::Passkey(&state.passkeys, &credential);
        let done = factor::login_step::verify(
            super::auth::deps(state),
            &challenge,
            answer,
            session.address,
        )
        .await?;
        note_events(session, &done.events);
        Ok(AuthPayload::from(done))
    }

    /// Proves the factor with a passkey for this session now (step-up),
    /// answering the ceremony `beginPasskeyVerification` opened.
    async fn step_up_with_passkey(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] challenge: String,
        #[graphql(secret)] credential: Json<serde_json::Value>,
    ) -> Result<SteppedUp, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let credential = self::credential(credential)?;
        let answer = Answer::Passkey(&state.passkeys, &credential);
        let fresh_until = factor::step_up::step_up(
            &state.pool,
            &state.outbox,
            caller,
            answer,
            Some(&challenge),
            session.address,
        )
        .await?;
        Ok(SteppedUp { fresh_until })
    }

    /// Removes one of the caller's passkeys (needs step-up). Under the
    /// policy a staff account keeps at least one factor. `FACTOR_RESET` on
    /// chain, by the user themself.
    #[graphql(guard = "StepUp")]
    async fn remove_passkey(&self, ctx: &Context<'_>, id: ID) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::passkey_id(&id, "id")?;
        let written = passkey::remove::remove(
            &state.pool,
            &state.outbox,
            caller.user_id,
            id,
            session.address,
        )
        .await?;
        note_events(session, &written.events);
        Ok(true)
    }
}
