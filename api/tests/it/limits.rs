//! Limits at the HTTPS edge, over a real TLS socket: an oversized body is
//! answered 413 whether the client speaks HTTP/1.1 or HTTP/2.

use serde_json::json;
use sqlx::PgPool;

use crate::support;

#[sqlx::test(migrations = "../migrations")]
async fn an_oversized_body_is_answered_413_over_http2_as_over_http1(pool: PgPool) {
    let app = support::app_with(pool, &[("CARELEDGER_BIND", "127.0.0.1:0")]).await;
    let (addr, handle) = careledger::serve::spawn(app.state.clone()).await.expect("serve");
    let url = format!("https://{addr}/graphql");
    let body = format!(r#"{{"query":"{{ me {{ id }} }}","pad":"{}"}}"#, "x".repeat(3 << 20));
    for (name, client) in [
        ("HTTP/1.1", reqwest::Client::builder().http1_only()),
        ("HTTP/2", reqwest::Client::builder().http2_prior_knowledge()),
    ] {
        let client = client.danger_accept_invalid_certs(true).build().expect("client");
        let response = client
            .post(&url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: no answer: {e:?}"));
        let version = response.version();
        let expected =
            if name == "HTTP/2" { reqwest::Version::HTTP_2 } else { reqwest::Version::HTTP_11 };
        assert_eq!(version, expected);

        assert_eq!(response.status(), 413, "{name} ({version:?})");
        let text = response.text().await.expect("body");
        assert_eq!(text, "request body too large: the limit is 256 KiB", "{name}");
    }
    handle.shutdown();
}

/// `{ me { username } }` over HTTP as the holder of `token`: the status, the
/// `Retry-After` header and the answer.
async fn me_over_http(
    app: &support::TestApp,
    token: Option<&str>,
) -> (u16, Option<String>, serde_json::Value) {
    use axum::body::Body;
    use axum::extract::ConnectInfo;
    use axum::http::Request;
    use tower::ServiceExt as _;
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(t) = token {
        request = request.header("authorization", format!("Bearer {t}"));
    }
    let mut request =
        request.body(Body::from(r#"{"query":"{ me { username } }"}"#)).expect("request");
    let peer: std::net::SocketAddr = "192.0.2.8:40000".parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response =
        careledger::http::router(app.state.clone()).oneshot(request).await.expect("response");
    let status = response.status().as_u16();
    let retry = response.headers().get("retry-after").map(|v| v.to_str().expect("text").to_owned());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, retry, serde_json::from_slice(&bytes).expect("json"))
}

#[sqlx::test(migrations = "../migrations")]
async fn each_user_has_a_request_quota_of_their_own(pool: PgPool) {
    let app = support::app_with(pool, &[("CARELEDGER_USER_RATE", "2")]).await;
    app.add_user("dr.busy", "a sound password", careledger::users::Role::Doctor).await;
    let busy = app.login("dr.busy", "a sound password").await;
    let root = app.login("root", support::ROOT_PASSWORD).await;
    let before = app.state.gate.stats().requests;
    // A burst of twice the rate passes …
    for n in 1..=4 {
        let (status, _, body) = me_over_http(&app, Some(&busy)).await;
        assert_eq!((status, &body["data"]["me"]["username"]), (200, &json!("dr.busy")), "{n}");
    }
    // … the next is refused before anything is asked of the contract.
    let (status, retry, body) = me_over_http(&app, Some(&busy)).await;
    assert_eq!((status, retry.as_deref()), (429, Some("1")), "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(body["errors"][0]["extensions"]["retryAfterSeconds"], 1);
    assert_eq!(body["data"], serde_json::Value::Null);
    assert_eq!(app.state.gate.stats().requests, before + 4);
    assert_eq!(app.state.quotas.refused(), 1);
    // Another user, and an anonymous caller, are not touched.
    let (status, _, body) = me_over_http(&app, Some(&root)).await;
    assert_eq!((status, &body["data"]["me"]["username"]), (200, &json!("root")));
    let (status, _, body) = me_over_http(&app, None).await;
    assert_eq!(
        (status, &body["errors"][0]["extensions"]["code"]),
        (200, &json!("UNAUTHENTICATED"))
    );
    // Half a second at two a second gives one more.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(me_over_http(&app, Some(&busy)).await.0, 200);
}
