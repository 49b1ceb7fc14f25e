//! Limits at the HTTPS edge, over a real TLS socket: an oversized body is
//! answered 413 whether the client speaks HTTP/1.1 or HTTP/2.

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
