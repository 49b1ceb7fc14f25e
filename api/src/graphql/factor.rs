//! The second factor: the login's second step, TOTP enrolment with
//! recovery codes, step-up, an administrator's reset and root's policy
//! (`auth::factor`). [`StepUp`] is the guard account, role and permission
//! changes carry before their access decision.

use async_graphql::{Context, Guard, Object, SimpleObject, ID};

use super::auth::AuthPayload;
use super::context;
use super::error::ApiError;
use super::guard::Access;
use super::inputs;
use super::passkey::AddingFactor;
use super::users::note_events;
use crate::auth::factor::step_up::Adding;
use crate::auth::factor::{self, challenge::Challenge, challenge::Purpose, Answer, FactorCode};
use crate::gate::Action;

/// Refuses (FACTOR_REQUIRED, recorded) a caller who has a second factor,
/// or must have one under the policy, and has not proved it in the last 5
/// minutes.
#[derive(Debug, Clone, Copy)]
pub struct StepUp;

impl Guard for StepUp {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let (state, session, caller) = context::caller(ctx)?;
        factor::step_up::require(&state.pool, caller, session.address)
            .await
            .map_err(ApiError::from)?;
        Ok(())
    }
}

/// The second login step: send `challenge` to `verifyFactor` with a code,
/// or answer with a passkey (`beginPasskeyVerification`, `verifyPasskey`)
/// when `passkey`; when `enrolmentRequired`, to `beginTotpEnrolment` and
/// `confirmTotpEnrolment`.
#[derive(SimpleObject)]
pub struct FactorChallenge {
    /// Single use; valid 5 minutes and for 5 wrong codes.
    pub challenge: String,
    /// The account has a passkey: the step may be answered with it.
    pub passkey: bool,
    /// The policy requires a second factor this account does not have:
    /// it must enrol one before it gets a token.
    pub enrolment_required: bool,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl From<Challenge> for FactorChallenge {
    fn from(c: Challenge) -> Self {
        Self {
            challenge: c.secret,
            passkey: c.passkey,
            enrolment_required: c.purpose == Purpose::Enrol,
            expires_at: c.expires_at,
        }
    }
}

/// A new authenticator's secret, shown once: scan the QR code (or type the
/// secret), then confirm with the first code the app shows.
#[derive(SimpleObject)]
pub struct TotpEnrolment {
    /// Base32, for typing into an app that cannot scan.
    pub secret: String,
    /// The `otpauth://totp/...` URI the QR code holds.
    pub uri: String,
    /// The QR code, an SVG document.
    pub qr_svg: String,
}

/// An enrolment confirmed.
#[derive(SimpleObject)]
pub struct TotpEnrolled {
    /// Ten one-time codes, shown this once: each signs in once instead of a
    /// code from the app.
    pub recovery_codes: Vec<String>,
    /// The session, when the enrolment was the login's second step.
    pub session: Option<AuthPayload>,
}

/// The caller's own second factor.
#[derive(SimpleObject)]
pub struct SecondFactor {
    pub totp_enrolled: bool,
    /// The caller's passkeys, oldest first.
    pub passkeys: Vec<super::passkey::Passkey>,
    pub recovery_codes_left: i32,
    /// The policy requires one for the caller's role.
    pub required: bool,
    /// Until when this session counts as having proved its factor (step-up).
    pub fresh_until: Option<chrono::DateTime<chrono::Utc>>,
}

/// Root's second-factor policy.
#[derive(SimpleObject)]
pub struct FactorPolicy {
    /// Every account but a patient's must have a second factor.
    pub staff_required: bool,
    pub set_at: chrono::DateTime<chrono::Utc>,
}

impl From<factor::policy::Policy> for FactorPolicy {
    fn from(p: factor::policy::Policy) -> Self {
        Self { staff_required: p.staff_required, set_at: p.set_at }
    }
}

/// A factor proved for step-up.
#[derive(SimpleObject)]
pub struct SteppedUp {
    pub fresh_until: chrono::DateTime<chrono::Utc>,
}

fn parse_code(code: &str) -> Result<FactorCode, ApiError> {
    FactorCode::parse(code, "code").map_err(|e| ApiError::bad_input(e.field, e.reason))
}

#[derive(Default)]
pub struct FactorQuery;

#[Object]
impl FactorQuery {
    /// The signed-in user's own second factor.
    async fn my_second_factor(&self, ctx: &Context<'_>) -> Result<SecondFactor, ApiError> {
        let (state, _, caller) = context::caller(ctx)?;
        let status = factor::status::of(&state.pool, caller).await?;
        Ok(SecondFactor {
            totp_enrolled: status.totp_enrolled,
            passkeys: status.passkeys.into_iter().map(Into::into).collect(),
            recovery_codes_left: i32::try_from(status.recovery_codes_left).unwrap_or(i32::MAX),
            required: status.required,
            fresh_until: status.fresh_until,
        })
    }

    /// The second-factor policy (any signed-in user may read it).
    async fn factor_policy(&self, ctx: &Context<'_>) -> Result<FactorPolicy, ApiError> {
        let (state, _, _) = context::caller(ctx)?;
        Ok(factor::policy::get(&state.pool).await?.into())
    }
}

#[derive(Default)]
pub struct FactorMutation;

#[Object]
impl FactorMutation {
    /// The login's second step: the challenge `login` gave and a code from
    /// the authenticator app (or a recovery code, spent by it). A wrong or
    /// reused code is refused (BAD_USER_INPUT on `code`) and recorded.
    async fn verify_factor(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] challenge: String,
        #[graphql(secret)] code: String,
    ) -> Result<AuthPayload, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let code = parse_code(&code)?;
        let done = factor::login_step::verify(
            super::auth::deps(state),
            &challenge,
            Answer::Code(&state.factor_key, &code),
            session.address,
        )
        .await?;
        // FACTOR_USED and SIGNED_IN (a wrong code: SIGN_IN_FAILED, on chain
        // but not in this answer's receipts).
        super::users::note_events(session, &done.events);
        Ok(AuthPayload::from(done))
    }

    /// Starts enrolling an authenticator app: signed in, or with a login
    /// challenge that requires enrolment. Shows the secret once. Signed in
    /// with a passkey already, it needs step-up.
    #[graphql(guard = "AddingFactor(Adding::Totp)")]
    async fn begin_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] challenge: Option<String>,
    ) -> Result<TotpEnrolment, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let shown = match challenge {
            Some(secret) => {
                factor::login_step::begin_enrolment(
                    &state.pool,
                    &state.factor_key,
                    &secret,
                    session.address,
                )
                .await?
            }
            None => {
                let caller = session.caller()?;
                factor::enrol::begin(
                    &state.pool,
                    &state.factor_key,
                    caller.user_id,
                    session.address,
                )
                .await?
            }
        };
        Ok(TotpEnrolment { secret: shown.secret_base32, uri: shown.uri, qr_svg: shown.qr_svg })
    }

    /// Confirms the enrolment with the first code the app shows; returns the
    /// recovery codes (once), and with a login challenge also the session.
    /// Recorded on chain as `UserModified` by the user.
    async fn confirm_totp_enrolment(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] code: String,
        #[graphql(secret)] challenge: Option<String>,
    ) -> Result<TotpEnrolled, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let code = parse_code(&code)?;
        let (written, signed_in) = match challenge {
            Some(secret) => {
                let (written, done) = factor::login_step::confirm_enrolment(
                    super::auth::deps(state),
                    &state.factor_key,
                    &secret,
                    &code,
                    session.address,
                )
                .await?;
                // FACTOR_ENROLLED first, then the SIGNED_IN it completes.
                let mut written = written;
                written.events.extend(done.events.iter().cloned());
                (written, Some(AuthPayload::from(done)))
            }
            None => {
                let caller = session.caller()?;
                let written = factor::enrol::confirm(
                    &state.pool,
                    &state.outbox,
                    &state.factor_key,
                    caller.user_id,
                    &code,
                    session.address,
                )
                .await?;
                (written, None)
            }
        };
        note_events(session, &written.events);
        Ok(TotpEnrolled { recovery_codes: written.value, session: signed_in })
    }

    /// Proves the second factor for this session now (step-up): account,
    /// role and permission changes then go through for 5 minutes.
    async fn step_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(secret)] code: String,
    ) -> Result<SteppedUp, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let code = parse_code(&code)?;
        let fresh_until = factor::step_up::step_up(
            &state.pool,
            &state.outbox,
            caller,
            Answer::Code(&state.factor_key, &code),
            None,
            session.address,
        )
        .await?;
        Ok(SteppedUp { fresh_until })
    }

    /// Ten new recovery codes (the old ones stop working); needs step-up.
    #[graphql(guard = "StepUp")]
    async fn renew_recovery_codes(&self, ctx: &Context<'_>) -> Result<Vec<String>, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        Ok(factor::enrol::renew_recovery_codes(&state.pool, caller.user_id, session.address)
            .await?)
    }

    /// Removes a user's lost second factor and ends their sessions (a
    /// USER_RECORD UPDATE of that user; `UserModified` on chain; needs
    /// step-up). Under the policy a staff user enrols again at next login.
    #[graphql(guard = "StepUp.and(Access::user(Action::Update, &id))")]
    async fn reset_second_factor(&self, ctx: &Context<'_>, id: ID) -> Result<bool, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let id = inputs::user_id(&id, "id")?;
        let written =
            factor::reset::reset(&state.pool, &state.outbox, caller.user_id, id, session.address)
                .await?;
        state.sessions.forget_user(id);
        note_events(session, &written.events);
        Ok(true)
    }

    /// Root only: require a second factor of every staff account (any role
    /// but PATIENT), or stop requiring it. Needs step-up.
    #[graphql(guard = "StepUp")]
    async fn set_factor_policy(
        &self,
        ctx: &Context<'_>,
        staff_required: bool,
    ) -> Result<FactorPolicy, ApiError> {
        let (state, session, caller) = context::caller(ctx)?;
        let policy = factor::policy::set(
            &state.pool,
            caller.user_id,
            caller.role,
            staff_required,
            session.address,
        )
        .await?;
        Ok(policy.into())
    }
}
