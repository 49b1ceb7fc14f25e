//! What a resolver takes from the request's context: the state, the
//! session, and the signed-in caller.

use std::sync::Arc;

use async_graphql::Context;

use super::error::ApiError;
use super::session::Session;
use crate::app::AppState;
use crate::auth::caller::Caller;

/// An entry every request carries (`schema` attaches the state, `execute`
/// the session); missing, it is a bug, answered INTERNAL.
fn data<'a, T: Send + Sync + 'static>(ctx: &'a Context<'_>) -> Result<&'a T, ApiError> {
    ctx.data::<T>().map_err(|e| ApiError::internal(anyhow::anyhow!(e.message)))
}

pub fn state<'a>(ctx: &'a Context<'_>) -> Result<&'a AppState, ApiError> {
    data::<AppState>(ctx)
}

pub fn session<'a>(ctx: &'a Context<'_>) -> Result<&'a Arc<Session>, ApiError> {
    data::<Arc<Session>>(ctx)
}

/// The state, the session, and the signed-in caller (or UNAUTHENTICATED).
pub fn caller<'a>(
    ctx: &'a Context<'_>,
) -> Result<(&'a AppState, &'a Arc<Session>, &'a Caller), ApiError> {
    let session = session(ctx)?;
    Ok((state(ctx)?, session, session.caller()?))
}
