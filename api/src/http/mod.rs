//! The HTTPS edge: routes, TLS, security headers, health, and the web app's
//! static files.

pub mod admission;
pub mod client;
pub mod headers;
pub mod health;
pub mod metrics;
pub mod oversized;
pub mod quota;
pub mod tls;
pub mod web;

use axum::routing::get;
use axum::Router;

use crate::app::AppState;

/// Largest request body accepted anywhere (GraphQL documents and variables).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Builds the api's routes. Tests drive this without a socket.
pub fn router(state: AppState) -> Router {
    // `/metrics` is served on its own listener (`metrics::spawn`); here it
    // is not found, rather than the web app's page.
    let not_found = || async { axum::http::StatusCode::NOT_FOUND };
    let web_dir = state.web_dir.clone();
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(not_found))
        .merge(crate::graphql::routes(state.clone()))
        .fallback_service(web::service(&web_dir))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(oversized::refuse))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn(metrics::time_requests))
        .layer(axum::middleware::from_fn(headers::secure))
        .with_state(state)
}
