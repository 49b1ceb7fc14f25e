//! `login`, `logout` and `me`.

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use secrecy::SecretString;

use super::error::ApiError;
use super::guard::{Access, Target};
use super::session::Session;
use super::user_object::UserObject;
use crate::app::AppState;
use crate::auth::login::{self, LoginDeps, LoginError};
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

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user's own account (a USER_RECORD READ of themself).
    #[graphql(guard = "Access::new(Resource::UserRecord, Action::Read, Target::Caller)")]
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<UserObject> {
        let state = ctx.data::<AppState>()?;
        let session = ctx.data::<Arc<Session>>()?;
        let caller = session.caller()?;
        let user = crate::users::repo::get(&state.pool, caller.user_id)
            .await
            .map_err(ApiError::from)?
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
    async fn login(
        &self,
        ctx: &Context<'_>,
        username: String,
        #[graphql(secret)] password: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.data::<AppState>()?;
        let session = ctx.data::<Arc<Session>>()?;
        if password.chars().count() > crate::auth::password::MAX_LEN || username.len() > 256 {
            return Err(ApiError::Unauthenticated("wrong username or password".into()).into());
        }
        let deps = LoginDeps { pool: &state.pool, outbox: &state.outbox, keys: &state.token_keys };
        match login::login(deps, &username, SecretString::from(password), session.address).await {
            Ok(done) => Ok(AuthPayload {
                token: done.token,
                expires_at: chrono::DateTime::from_timestamp(done.claims.exp, 0)
                    .unwrap_or_default(),
                user: done.user.into(),
            }),
            Err(LoginError::BadCredentials) => {
                Err(ApiError::Unauthenticated("wrong username or password".into()).into())
            }
            Err(LoginError::TooManyAttempts { retry_after }) => Err(ApiError::TooManyAttempts {
                message: LoginError::TooManyAttempts { retry_after }.to_string(),
                retry_after_seconds: retry_after.as_secs().max(1),
            }
            .into()),
            Err(LoginError::Internal(cause)) => {
                tracing::error!(error = %cause, "login failed internally");
                Err(ApiError::Internal.into())
            }
        }
    }

    /// Revokes the token this request carries.
    async fn logout(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let state = ctx.data::<AppState>()?;
        let session = ctx.data::<Arc<Session>>()?;
        let caller = session.caller()?;
        login::logout(&state.pool, &caller.claims, caller.user_id.0)
            .await
            .map_err(ApiError::from)?;
        // Every instance hears of it from the database; this one at once.
        state.sessions.forget_user(caller.user_id);
        Ok(true)
    }
}
