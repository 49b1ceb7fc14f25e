//! The Yew web app, served as static files with `index.html` for every path
//! the app routes itself; and GraphiQL's page (`GET /graphql`), built into
//! the same directory by `scripts/build-web.sh` (`web/graphiql/`), whose
//! script, stylesheet and fonts the static files serve under `/graphiql/`.

use std::path::Path;

use axum::http::StatusCode;
use axum::routing::{get, get_service, MethodRouter};
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

/// GraphiQL's page from `dir` (`graphiql/index.html`), for `GET`; 503 with
/// what to run when it was never built.
pub fn graphiql<S: Clone + Send + Sync + 'static>(dir: &Path) -> MethodRouter<S> {
    let page = dir.join("graphiql").join("index.html");
    if !page.exists() {
        tracing::warn!(dir = %dir.display(), "GraphiQL not built; `GET /graphql` will say so");
        return get(|| async {
            (StatusCode::SERVICE_UNAVAILABLE, "GraphiQL is not built. Run `make web`.\n")
        });
    }
    get_service(ServeFile::new(page))
}
