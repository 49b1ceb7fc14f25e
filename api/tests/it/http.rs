//! The HTTP edge: `/healthz`, `/metrics` (on its own listener) and the
//! headers on every answer.

use std::sync::atomic::Ordering::Relaxed;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;
use sqlx::PgPool;
use tower::ServiceExt;

use crate::ops::{me, Me};
use crate::support::{self, ROOT_PASSWORD};

async fn get(app: &support::TestApp, path: &str) -> (StatusCode, String) {
    let router = careledger::http::router(app.state.clone());
    let response = router
        .oneshot(Request::get(path).body(Body::empty()).expect("request"))
        .await
        .expect("response");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, String::from_utf8(bytes.to_vec()).expect("utf-8"))
}

#[sqlx::test(migrations = "../migrations")]
async fn healthz_reports_database_chain_and_contract(pool: PgPool) {
    let app = support::app(pool).await;
    let (status, body) = get(&app, "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    let health: serde_json::Value = serde_json::from_str(&body).expect("json");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["database"], json!({ "ok": true }));
    assert_eq!(health["chain"]["ok"], true);
    assert_eq!(health["chain"]["chainId"], 31337);
    assert_eq!(health["chain"]["contract"], app.state.deployment.address.to_string());
    assert!(health["chain"]["blockNumber"].as_u64().expect("block") >= app.state.deployment.block);
    // Which account signs for the api is not for anyone who can reach /healthz.
    let mut fields: Vec<_> =
        health["chain"].as_object().expect("chain").keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["blockNumber", "chainId", "contract", "deployBlock", "ok"]);
    assert!(!body.contains(&app.state.chain.gateway().to_string()), "{body}");
    assert!(!body.to_lowercase().contains("f39fd6e51aad88f6f4ce6ab8827279cfffb92266"), "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn metrics_count_gate_work_and_pool_use(pool: PgPool) {
    let app = support::app(pool).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    let before = app.state.gate.stats();
    for _ in 0..3 {
        app.run::<Me>(Some(&token), me::Variables).await;
    }
    // The index has seen every block mined so far, so its head does not move
    // between the scrape and the comparison below.
    let mined = app.state.chain.block_number().await.expect("head");
    assert!(app.state.audit.wait_for(mined, std::time::Duration::from_secs(30)).await);
    // Not on the public port (not even the web app's page) …
    assert_eq!(get(&app, "/metrics").await, (StatusCode::NOT_FOUND, String::new()));
    // … but on the metrics listener.
    let bind = "127.0.0.1:0".parse().expect("addr");
    let addr = careledger::http::metrics::spawn(bind, app.state.clone()).await.expect("listener");
    let response = reqwest::get(format!("http://{addr}/metrics")).await.expect("metrics");
    let status = response.status();
    let body = response.text().await.expect("body");
    assert_eq!(status, StatusCode::OK);
    let requests = before.requests + 3;
    assert!(body.contains(&format!("careledger_gate_requests_total {requests}\n")), "{body}");
    assert!(body.contains("careledger_gate_transactions_in_flight 0\n"), "{body}");
    assert!(body.contains("careledger_outbox_pending 0\n"), "{body}");
    assert!(body.contains("# TYPE careledger_gate_batch_size histogram"), "{body}");
    assert!(body.contains("careledger_db_pool_max 16\n"), "{body}");
    assert!(body.contains("careledger_http_in_progress_max 512\n"), "{body}");
    assert!(body.contains("careledger_http_in_progress 0\n"), "{body}");
    assert!(body.contains("careledger_http_overloaded_total 0\n"), "{body}");
    let transactions = app.state.gate.stats().transactions;
    assert!(
        body.contains(&format!("careledger_gate_confirm_seconds_count {transactions}\n")),
        "{body}"
    );
    let head = app.state.audit.status().head();
    assert!(body.contains(&format!("careledger_audit_index_head_block {head}\n")), "{body}");
    assert!(body.contains("# TYPE careledger_audit_index_lag_blocks gauge"), "{body}");
    let sessions = &app.state.sessions.counts;
    let (hits, misses) = (sessions.hits.load(Relaxed), sessions.misses.load(Relaxed));
    assert_eq!(hits + misses, 3, "one session check per request");
    assert!(body.contains(&format!("careledger_session_cache_hits_total {hits}\n")), "{body}");
}

#[sqlx::test(migrations = "../migrations")]
async fn every_answer_carries_the_security_headers(pool: PgPool) {
    use careledger::http::headers::CSP;
    let app = support::app(pool).await;
    // GraphiQL's page and files get the app's one policy too.
    for (path, csp, no_store) in [
        ("/", CSP, false),
        ("/patients/some-route", CSP, false),
        ("/healthz", CSP, true),
        ("/metrics", CSP, true),
        ("/graphql", CSP, true),
        ("/graphiql/graphiql.js", CSP, false),
    ] {
        let router = careledger::http::router(app.state.clone());
        let response = router
            .oneshot(Request::get(path).body(Body::empty()).expect("request"))
            .await
            .expect("response");
        let header = |name: &str| {
            response.headers().get(name).map(|v| v.to_str().expect("ascii").to_owned())
        };
        assert_eq!(
            header("strict-transport-security").as_deref(),
            Some("max-age=31536000; includeSubDomains"),
            "{path}"
        );
        assert_eq!(header("content-security-policy").as_deref(), Some(csp), "{path}");
        assert_eq!(header("x-content-type-options").as_deref(), Some("nosniff"), "{path}");
        assert_eq!(header("referrer-policy").as_deref(), Some("no-referrer"), "{path}");
        assert_eq!(header("cache-control").as_deref(), no_store.then_some("no-store"), "{path}");
    }
    assert!(CSP.contains("frame-ancestors 'none'") && !CSP.contains("unsafe-inline"));
    assert!(!CSP.contains("https:") && !CSP.contains("'unsafe-eval'"), "{CSP}");
}

/// `GET /graphql` answers with GraphiQL's page as `scripts/build-web.sh`
/// built it into the web directory (its files under `/graphiql/`), and says
/// what to run when it was never built. The page itself, working in a
/// browser, is the browser test `graphiql`.
#[sqlx::test(migrations = "../migrations")]
async fn get_graphql_serves_the_graphiql_we_built(pool: PgPool) {
    let app = support::app(pool).await;
    let dir = support::TempDir::new();
    let mut state = app.state.clone();
    state.web_dir = dir.0.clone();
    let fetch = |path: &'static str| {
        let router = careledger::http::router(state.clone());
        async move {
            let response = router
                .oneshot(Request::get(path).body(Body::empty()).expect("request"))
                .await
                .expect("response");
            let status = response.status();
            let kind = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().expect("ascii").to_owned());
            let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
            (status, kind, String::from_utf8(bytes.to_vec()).expect("utf-8"))
        }
    };

    let (status, _, body) = fetch("/graphql").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, "GraphiQL is not built. Run `make web`.\n");

    let page = "<!doctype html><title>GraphiQL</title><script defer src=\"/graphiql/graphiql.js\"></script>";
    std::fs::create_dir_all(dir.0.join("graphiql")).expect("mkdir");
    std::fs::write(dir.0.join("graphiql/index.html"), page).expect("page");
    std::fs::write(dir.0.join("graphiql/graphiql.js"), "window.graphiql = 1;").expect("script");
    std::fs::write(dir.0.join("index.html"), "the web app").expect("app");
    let (status, kind, body) = fetch("/graphql").await;
    assert_eq!((status, kind.as_deref(), body.as_str()), (StatusCode::OK, Some("text/html"), page));
    let (status, kind, body) = fetch("/graphiql/graphiql.js").await;
    assert_eq!(
        (status, kind.as_deref(), body.as_str()),
        (StatusCode::OK, Some("text/javascript"), "window.graphiql = 1;")
    );
}
