//! `login`, `logout` and `me`.

use async_graphql::{Context, Object, SimpleObject};
use secrecy::SecretString;

use super::context;
use super::error::ApiError;
use super::factor::FactorChallenge;
use super::guard::{Access, Target};
use super::user_object::UserObject;
use crate::auth::login::{self, LoggedIn, LoginDeps, LoginStep};
use crate::gate::{Action, Resource};

/// A signed-in session: send `token` as `Authorization: Bearer <token>`.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Valid for 15 minutes.
    pub token: String,
    pub user: UserObject,
    /// When the token expires (UTC).
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

impl From<LoggedIn> for AuthPayload {
    fn from(done: LoggedIn) -> Self {
        Self {
            token: done.token,
            expires_at: chrono::DateTime::from_timestamp(done.claims.exp, 0).unwrap_or_default(),
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
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let caller = session.caller()?;
        let user = crate::users::repo::get(&state.pool, caller.user_id)
            .await?
            .ok_or(ApiError::NotFound("user"))?;
        Ok(user.into())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Logs in. After 10 failed attempts for an account (or 50 from one
    /// address) within 15 minutes, answers TOO_MANY_ATTEMPTS with the wait.
    /// An account with a second factor gets `factorChallenge` instead of a
    /// token: complete the login with `verifyFactor` (or, when the policy
    /// requires a factor the account lacks, by enrolling one).
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        #[graphql(secret)] password: String,
    ) -> Result<LoginResult, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        if password.chars().count() > crate::auth::password::MAX_LEN || username.len() > 256 {
            return Err(ApiError::Unauthenticated("wrong username or password".into()));
        }
        let deps = LoginDeps { pool: &state.pool, outbox: &state.outbox, keys: &state.token_keys };
        let step =
            login::login(deps, &username, SecretString::from(password), session.address).await?;
        Ok(match step {
            LoginStep::SignedIn(done) => {
                let done = AuthPayload::from(*done);
                LoginResult {
                    token: Some(done.token),
                    user: Some(done.user),
                    expires_at: Some(done.expires_at),
                    factor_challenge: None,
                }
            }
            LoginStep::Factor(challenge) => LoginResult {
                token: None,
                user: None,
                expires_at: None,
                factor_challenge: Some(challenge.into()),
            },
        })
    }

    /// Revokes the token this request carries.
    async fn logout(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        let state = context::state(ctx)?;
        let session = context::session(ctx)?;
        let caller = session.caller()?;
        login::logout(&state.pool, &caller.claims, caller.user_id.0).await?;
        // Every instance hears of it from the database; this one at once.
        state.sessions.forget_user(caller.user_id);
        Ok(true)
    }
}
