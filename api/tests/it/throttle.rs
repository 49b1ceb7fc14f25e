//! Login throttling over HTTP, as a client behind the documented reverse
//! proxy meets it: guesses are slowed for the guesser only, counting is
//! atomic, and `X-Forwarded-For` is believed from the trusted proxy alone.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt;

use crate::support::{self, TestApp};

const PASSWORD: &str = "a sound password";
const PROXY: &str = "10.89.0.2";

/// A login posted to `/graphql` over a connection from `peer`, carrying
/// `forwarded` as `X-Forwarded-For`; returns the error code (or "OK") and the
/// wait it names.
async fn log_in(
    app: &TestApp,
    peer: &str,
    forwarded: Option<&str>,
    username: &str,
    password: &str,
) -> (String, Option<i64>) {
    post_login(app.state.clone(), peer, forwarded, username, password).await
}

async fn post_login(
    state: careledger::app::AppState,
    peer: &str,
    forwarded: Option<&str>,
    username: &str,
    password: &str,
) -> (String, Option<i64>) {
    let body = json!({
        "query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }",
        "variables": { "u": username, "p": password },
    });
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(f) = forwarded {
        request = request.header("x-forwarded-for", f);
    }
    let mut request = request.body(Body::from(body.to_string())).expect("request");
    let peer: SocketAddr = format!("{peer}:40000").parse().expect("peer");
    request.extensions_mut().insert(ConnectInfo(peer));
    let response = careledger::http::router(state).oneshot(request).await.expect("response");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let reply: Value = serde_json::from_slice(&bytes).expect("json");
    match reply["errors"].get(0) {
        None => ("OK".to_owned(), None),
        Some(e) => (
            e["extensions"]["code"].as_str().expect("code").to_owned(),
            e["extensions"]["retryAfterSeconds"].as_i64(),
        ),
    }
}

/// `(failures, seconds of wait left)` of a throttling key, if it exists.
async fn key(app: &TestApp, key: &str) -> Option<(i32, i64)> {
    sqlx::query_as(
        "SELECT failures, ceil(greatest(extract(epoch FROM next_at - now()), 0))::int8
           FROM login_throttle WHERE key = $1",
    )
    .bind(key)
    .fetch_optional(&app.state.pool)
    .await
    .expect("key")
}

#[sqlx::test(migrations = "../migrations")]
async fn guesses_are_slowed_for_the_guesser_and_nobody_else(pool: PgPool) {
    let app = support::app_with(pool, &[("CARELEDGER_TRUSTED_PROXIES", PROXY)]).await;
    app.add_user("nurse.joy", PASSWORD, Role::Nurse).await;
    let attacker = Some("203.0.113.9");

    // Five free failures, then the sixth sets a 2-second wait.
    for attempt in 1..=6 {
        let out = log_in(&app, PROXY, attacker, "nurse.joy", &format!("guess {attempt}")).await;
        assert_eq!(out, ("UNAUTHENTICATED".to_owned(), None), "attempt {attempt}");
    }
    assert_eq!(key(&app, "pair:203.0.113.9|nurse.joy").await.map(|k| k.0), Some(6));
    assert_eq!(key(&app, "addr:203.0.113.9").await.map(|k| k.0), Some(6));
    let wait = key(&app, "pair:203.0.113.9|nurse.joy").await.expect("key").1;
    assert!((1..=2).contains(&wait), "2 s after the sixth failure: {wait}");

    // Even the right password waits, from the guesser's address …
    let slowed = log_in(&app, PROXY, attacker, "nurse.joy", PASSWORD).await;
    assert_eq!(slowed.0, "TOO_MANY_ATTEMPTS");
    assert!((1..=2).contains(&slowed.1.expect("wait")), "{slowed:?}");
    // … and a refused attempt is not counted.
    assert_eq!(key(&app, "pair:203.0.113.9|nurse.joy").await.map(|k| k.0), Some(6));

    // The nurse, on another computer behind the same proxy, signs in at once.
    let own = log_in(&app, PROXY, Some("198.51.100.7"), "nurse.joy", PASSWORD).await;
    assert_eq!(own, ("OK".to_owned(), None));

    // The longer the guessing, the longer the wait: 14 failures mean 512 s.
    sqlx::query("UPDATE login_throttle SET failures = 13, next_at = now() WHERE key = $1")
        .bind("pair:203.0.113.9|nurse.joy")
        .execute(&app.state.pool)
        .await
        .expect("set");
    let out = log_in(&app, PROXY, attacker, "nurse.joy", "guess 14").await;
    assert_eq!(out.0, "UNAUTHENTICATED");
    let out = log_in(&app, PROXY, attacker, "nurse.joy", PASSWORD).await;
    assert_eq!(out.0, "TOO_MANY_ATTEMPTS");
    assert!((511..=512).contains(&out.1.expect("wait")), "{out:?}");
}

#[sqlx::test(migrations = "../migrations")]
async fn parallel_guesses_meet_the_limit_together(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.quinn", PASSWORD, Role::Doctor).await;
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..20 {
        let state = app.state.clone();
        guesses.spawn(async move {
            post_login(state, "192.0.2.44", None, "dr.quinn", &format!("guess {i}")).await.0
        });
    }
    let codes = guesses.join_all().await;
    // Five free attempts and the sixth, which sets the first wait: six
    // passwords were checked, the other fourteen were refused unchecked.
    let unauthenticated = codes.iter().filter(|c| *c == "UNAUTHENTICATED").count();
    let refused = codes.iter().filter(|c| *c == "TOO_MANY_ATTEMPTS").count();
    assert_eq!((unauthenticated, refused), (6, 14), "{codes:?}");
    assert_eq!(key(&app, "pair:192.0.2.44|dr.quinn").await.map(|k| k.0), Some(6));
}

#[sqlx::test(migrations = "../migrations")]
async fn the_forwarded_header_counts_only_from_a_trusted_proxy(pool: PgPool) {
    let app = support::app_with(pool, &[("CARELEDGER_TRUSTED_PROXIES", PROXY)]).await;
    app.add_user("dr.quinn", PASSWORD, Role::Doctor).await;
    // Straight to the api, claiming to be someone else: counted as itself.
    log_in(&app, "192.0.2.50", Some("198.51.100.7"), "dr.quinn", "guess").await;
    assert_eq!(key(&app, "pair:192.0.2.50|dr.quinn").await.map(|k| k.0), Some(1));
    assert_eq!(key(&app, "pair:198.51.100.7|dr.quinn").await, None);
    // Through the proxy, prefixing a made-up hop: the hop the proxy saw counts.
    log_in(&app, PROXY, Some("198.51.100.7, 203.0.113.20"), "dr.quinn", "guess").await;
    assert_eq!(key(&app, "pair:203.0.113.20|dr.quinn").await.map(|k| k.0), Some(1));
    assert_eq!(key(&app, "pair:198.51.100.7|dr.quinn").await, None);

    // A success starts the pair again and takes back only its own count
    // from the address.
    log_in(&app, PROXY, Some("203.0.113.20"), "dr.quinn", "guess again").await;
    assert_eq!(key(&app, "addr:203.0.113.20").await.map(|k| k.0), Some(2));
    let out = log_in(&app, PROXY, Some("203.0.113.20"), "dr.quinn", PASSWORD).await;
    assert_eq!(out.0, "OK");
    assert_eq!(key(&app, "pair:203.0.113.20|dr.quinn").await, None);
    assert_eq!(key(&app, "addr:203.0.113.20").await.map(|k| k.0), Some(2));
}

#[sqlx::test(migrations = "../migrations")]
async fn an_unknown_account_is_slowed_like_a_real_one(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.quinn", PASSWORD, Role::Doctor).await;
    let mut answers = vec![];
    for name in ["dr.quinn", "ghost"] {
        for attempt in 1..=6 {
            log_in(&app, "192.0.2.60", None, name, &format!("guess {attempt}")).await;
        }
        answers.push(log_in(&app, "192.0.2.60", None, name, "guess 7").await.0);
    }
    assert_eq!(answers, ["TOO_MANY_ATTEMPTS", "TOO_MANY_ATTEMPTS"]);
}
