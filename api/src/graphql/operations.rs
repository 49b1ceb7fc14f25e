//! A cap on the operations one WebSocket connection runs at once.
//!
//! Every operation sent over `/graphql/ws` (query, mutation or
//! subscription) runs as a stream of its own, and a client may start as many
//! as it likes on one connection, each holding memory and, for the live
//! feed, a place among the feed's subscribers. Past
//! [`MAX_SOCKET_OPERATIONS`] running at once, a new one is answered with one
//! `BAD_REQUEST` error and ends; the others keep running. (Requests over
//! HTTP are bounded by `http::admission` instead.) Each operation also takes
//! one request from its user's quota (`http::quota`), as a request over HTTP
//! does: past it, one `RATE_LIMITED` error.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextSubscribe};
use async_graphql::futures_util::stream::{self, BoxStream, StreamExt as _};
use async_graphql::{Response, ServerError};

use super::session::Session;
use crate::app::AppState;

/// The most operations one connection runs at once.
pub const MAX_SOCKET_OPERATIONS: usize = 16;

/// The schema extension that enforces [`MAX_SOCKET_OPERATIONS`].
#[derive(Clone, Copy, Default)]
pub struct SocketOperationLimit;

impl ExtensionFactory for SocketOperationLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(*self)
    }
}

impl Extension for SocketOperationLimit {
    /// Called once per operation a connection starts (HTTP requests are
    /// executed, not subscribed, and do not pass here).
    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let Some(session) = ctx.data_opt::<Arc<Session>>() else {
            return next.run(ctx, stream);
        };
        let quota = match (ctx.data_opt::<AppState>(), session.caller()) {
            (Some(state), Ok(caller)) => state.quotas.take(caller.user_id.0),
            _ => Ok(()),
        };
        if let Err(wait) = quota {
            let mut error = ServerError::new(crate::http::quota::MESSAGE, None);
            let extensions = error.extensions.get_or_insert_with(Default::default);
            extensions.set("code", careledger_vocab::ErrorCode::RateLimited.as_str());
            extensions.set("retryAfterSeconds", crate::http::quota::retry_seconds(wait));
            return stream::once(async move { Response::from_errors(vec![error]) }).boxed();
        }
        match session.begin_operation(MAX_SOCKET_OPERATIONS) {
            Some(place) => next
                .run(ctx, stream)
                .map(move |response| {
                    let _held = &place;
                    response
                })
                .boxed(),
            None => {
                let mut error = ServerError::new(
                    format!(
                        "this connection already runs {MAX_SOCKET_OPERATIONS} operations at \
                         once: stop one (or open another connection) first"
                    ),
                    None,
                );
                error
                    .extensions
                    .get_or_insert_with(Default::default)
                    .set("code", careledger_vocab::ErrorCode::BadRequest.as_str());
                stream::once(async move { Response::from_errors(vec![error]) }).boxed()
            }
        }
    }
}
