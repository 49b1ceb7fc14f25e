//! `login`, `logout` and `me`.

use async_graphql::{Context, Object, SimpleObject};
use secrecy::SecretString;

use super::context;
use super::error::ApiError;
use super::factor::FactorChallenge;
use super::guard::{Access, Target};
use super::session::AuditNote;
use super::user_object::UserObject;
use crate::auth::login::{self, LoggedIn, LoginDeps, LoginStep};
use crate::gate::{Action, Resource};

/// A signed-in session: send `token` as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Valid for 15 minutes; `renewSession` gives the next one.
    pub token: String,
    pub user: UserObject,
    /// When the token expires (UTC).
    pub expires_at: chrono::DateTime<chrono::Utc>,
    /// When the session ends whatever renewals happen: 12 hours after the
    /// login (UTC).
    pub session_ends_at: chrono::DateTime<chrono::Utc>,
}

/// What a login needs, from the running api.
pub(super) fn deps(state: &crate::app::AppState) -> LoginDeps<'_> {
    LoginDeps {
        pool: &state.pool,
        outbox: &state.outbox,
        keys: &state.token_keys,
        counts: &state.logins,
    }
}

/// The caller's own account.
async fn own_account(
    state: &crate::app::AppState,
    caller: &crate::auth::caller::Caller,
) -> Result<crate::users::User, ApiError> {
    crate::users::repo::get(&state.pool, caller.user_id).await?.ok_or(ApiError::NotFound("user"))
}

fn at(seconds: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

impl From<LoggedIn> for AuthPayload {
    fn from(done: LoggedIn) -> Self {
        Self {
            token: done.token,
            expires_at: at(done.claims.exp),
            session_ends_at: at(done.claims.session_ends()),
            user: done.user.into(),
        }
    }
}

/// What a correct password gets: a session, or — for an account with a
/// second factor, or one the policy requires to enrol — the second step.
#[derive(SimpleObject)]
pub struct LoginResult {
    /// Send as `Authorization: Bearer <token>`; null while a second step is due.
    pub token: Option<String>,
    pub user: Option<UserObject>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the session ends whatever renewals happen (12 hours after the
    /// login); null while a second step is due.
    pub session_ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Set instead of the token when a second factor is asked.
    pub factor_challenge: Option<FactorChallenge>,
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user's own account (a USER_RECORD READ of themself).
    #[graphql(guard = "Access::new(Resource::UserRecord, Action::Read, Target::Caller)")]
    async fn me(&self, ctx: &Context<'_>) -> Result<UserObject, ApiError> {
        let (state, _, caller) = context::caller(ctx)?;
        Ok(own_account(state, caller).await?.into())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Logs in; SIGNED_IN on chain, or SIGN_IN_FAILED (naming the account
    /// tried when it exists, never the username or the password), either
    /// way in `extensions.audit`. Guesses are slowed per client: after 5 failures at one
    /// account from one address (or 30 across accounts from one address),
    /// each further failure doubles the wait before that address may try
    /// again (2 s, 4 s, … up to 15 minutes); in the meantime it answers
    /// TOO_MANY_ATTEMPTS with `retryAfterSeconds`. Other addresses are not
    /// slowed, so nobody can lock another person out. An account with a
    /// second factor gets `factorChallenge` instead of a token: complete the
    /// login with `verifyFactor` (or, when the policy requires a factor the
    /// account lacks, by enrolling one).
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        #[graphql(secret)] password: String,
    ) -> Result<LoginResult, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let attempt =
            login::login(deps(state), &username, SecretString::from(password), session.address)
                .await;
        // SIGN_IN_FAILED, or SIGNED_IN below: in `extensions.audit` either way.
        for e in &attempt.events {
            session.note(AuditNote::new(e.event, &e.receipt));
        }
        Ok(match attempt.outcome? {
            LoginStep::SignedIn(done) => {
                for e in &done.events {
                    session.note(AuditNote::new(e.event, &e.receipt));
                }
                let done = AuthPayload::from(*done);
                LoginResult {
                    token: Some(done.token),
                    user: Some(done.user),
                    expires_at: Some(done.expires_at),
                    session_ends_at: Some(done.session_ends_at),
                    factor_challenge: None,
                }
            }
            LoginStep::Factor(challenge) => LoginResult {
                token: None,
                user: None,
                expires_at: None,
                session_ends_at: None,
                factor_challenge: Some(challenge.into()),
            },
        })
    }

    /// The next token of the caller's session, valid for another 15 minutes
    /// (never past the session's end, 12 hours after the login; at the end
    /// it answers UNAUTHENTICATED). The web app renews while its user is
    /// active. The token this request carries stays valid until its own
    /// expiry; `logout` with either ends both.
    async fn renew_session(&self, ctx: &Context<'_>) -> Result<AuthPayload, ApiError> {
        let (state, _, caller) = context::caller(ctx)?;
        let user = own_account(state, caller).await?;
        let (token, claims) = login::renew(&state.pool, &state.token_keys, caller).await?;
        Ok(LoggedIn { token, claims, user, events: Vec::new() }.into())
    }

    /// Ends the session this request's token belongs to: revokes it and
    /// every renewal of it; SIGNED_OUT on chain.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let caller = session.caller()?;
        for e in login::logout(deps(state), caller).await? {
            session.note(AuditNote::new(e.event, &e.receipt));
        }
        // Every instance hears of it from the database; this one at once.
        state.sessions.forget_user(caller.user_id);
        Ok(true)
    }
}
