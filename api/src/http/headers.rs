//! Security headers on every response.
//!
//! - `Strict-Transport-Security` for a year: the api serves only HTTPS, and
//!   a browser that saw it once never tries plain HTTP for this host again.
//! - `Content-Security-Policy`: the web app's own scripts only (no inline
//!   script: `index.html` loads `boot.js`), WebAssembly compiled by the
//!   browser (`'wasm-unsafe-eval'`, which allows no JavaScript `eval`), its
//!   own styles, connections to this origin only (HTTPS and the `wss:` live
//!   feed), and never framed (`frame-ancestors 'none'`).
//!   GraphiQL (`GET /graphql`) runs under the same policy: it is built from
//!   the npm packages at build time (`web/graphiql/`, served from
//!   `/graphiql/`), its page loads one script and one stylesheet, its fonts
//!   are files rather than `data:` URLs, and the stylesheet its dialogs add
//!   is a constructed one, not a `<style>` element; so it needs neither
//!   `'unsafe-inline'` nor any other origin, and works with no internet.
//! - `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`.
//! - `Cache-Control: no-store` on what the api answers (GraphQL, health,
//!   metrics): patient data must not sit in a browser's or a proxy's cache.

use axum::extract::Request;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy for the web app, GraphiQL and every answer of the api.
pub const CSP: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
                       style-src 'self'; img-src 'self' data:; connect-src 'self'; \
                       font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
                       frame-ancestors 'none'";

const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds the headers above to the response.
pub async fn secure(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.insert(name, HeaderValue::from_static(value));
    };
    set(header::STRICT_TRANSPORT_SECURITY, HSTS);
    set(header::CONTENT_SECURITY_POLICY, CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    if matches!(path.as_str(), "/graphql" | "/healthz" | "/metrics") {
        set(header::CACHE_CONTROL, "no-store");
    }
    response
}
