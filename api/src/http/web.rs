//! The Yew web app, served as static files with `index.html` for every path
//! the app routes itself.

use std::path::Path;

use axum::http::StatusCode;
use axum::routing::{get_service, MethodRouter};
use tower_http::services::{ServeDir, ServeFile};

/// Serves `dir`; unknown paths get `index.html` so client-side routes load.
/// When the app was never built, every path answers 503 with what to run.
pub fn service<S: Clone + Send + Sync + 'static>(dir: &Path) -> MethodRouter<S> {
    let index = dir.join("index.html");
    if !index.exists() {
        tracing::warn!(dir = %dir.display(), "web app not built; `/` will say so");
        return axum::routing::any(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "The CareLedger web app is not built. Run `make web`.\n",
            )
        });
    }
    get_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
}
