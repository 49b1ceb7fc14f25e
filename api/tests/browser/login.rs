//! Signing in as each role, the login errors, sign-out, and the token kept
//! out of browser storage.

use careledger::users::Role;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};
use crate::support::ROOT_PASSWORD;

/// The main navigation's link texts.
async fn nav(b: &Browser) -> Vec<String> {
    b.find(".nav").await;
    b.texts(".nav .nav-link").await
}

#[sqlx::test(migrations = "../migrations")]
async fn each_role_signs_in_sees_its_sections_and_signs_out(pool: PgPool) {
    let server = Server::start(pool).await;
    let roles = [
        ("dr_house", Role::Doctor, vec!["Home", "People", "Health records", "Security"]),
        ("nurse_joy", Role::Nurse, vec!["Home", "People", "Health records", "Security"]),
        ("front_desk", Role::Receptionist, vec!["Home", "People", "Register patients", "Security"]),
        (
            "inspector",
            Role::Auditor,
            vec!["Home", "People", "Audit", "Break-the-glass reviews", "Security"],
        ),
        (
            "pat_smith",
            Role::Patient,
            vec!["Home", "My records", "Who accessed my records", "Restrictions", "Security"],
        ),
    ];
    for (name, role, _) in &roles {
        server.user(name, *role).await;
    }
    let b = Browser::open(&server.base).await;

    b.login("root", ROOT_PASSWORD).await;
    assert_eq!(
        nav(&b).await,
        ["Home", "People", "Administration", "Audit", "Permission matrix", "Security"]
    );
    b.click("#logout").await;
    b.find("#login-form").await;

    for (name, _, sections) in &roles {
        b.login(name, PASSWORD).await;
        assert_eq!(b.text("#welcome").await, format!("Welcome, Test {name}"));
        assert_eq!(nav(&b).await, *sections, "sections for {name}");
        // The sign-in is on the trail, and the account card is a READ of
        // oneself: both receipts are on the page (and an auditor's count of
        // open break-the-glass reviews, an EMERGENCY_ACCESS SEARCH).
        b.find("#account").await;
        let receipts = if *name == "inspector" { 3 } else { 2 };
        let expected = format!("{receipts} accesses recorded on chain");
        assert_eq!(b.text_becomes("#receipts summary", &expected).await, expected);
        if *name == "dr_house" {
            b.click("#receipts summary").await;
            let receipts = b.texts("#receipts .receipt-what").await;
            assert_eq!(
                receipts,
                [
                    "AuthenticationRecorded · approved",
                    "AccessRequested · READ · USER_RECORD · approved"
                ]
            );
            b.screenshot("home-doctor").await;
        }
        b.click("#logout").await;
        b.find("#login-form").await;
        assert!(!b.has("#who").await, "signed out");
    }
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn login_errors_say_what_went_wrong(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("dr_who", Role::Doctor).await;
    let b = Browser::open(&server.base).await;
    b.goto("/").await;
    b.find("#system-status").await;
    b.screenshot("login").await;

    // Wrong password.
    b.fill("#username", "dr_who").await;
    b.fill("#password", "not the password").await;
    b.click("#sign-in").await;
    assert_eq!(
        b.text_becomes("#login-error", "Wrong username or password.").await,
        "Wrong username or password."
    );
    b.screenshot("login-wrong-password").await;

    // Slowed after many failures from this device: the wait is shown. (The
    // failures so far are set directly: doubling waits would take minutes.)
    sqlx::query(
        "UPDATE login_throttle SET failures = 14, next_at = now() + interval '10 minutes'
          WHERE key = 'pair:127.0.0.1|dr_who'",
    )
    .execute(&server.app.state.pool)
    .await
    .expect("throttle row");
    let slowed = "Too many failed attempts from this device. Try again in 10 minutes.";
    b.fill("#username", "dr_who").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    assert_eq!(b.text_becomes("#login-error", slowed).await, slowed);
    b.screenshot("login-slowed").await;

    // The server goes away.
    server.stop();
    let unreachable =
        "The CareLedger server cannot be reached. Check your connection and try again.";
    b.fill("#username", "dr_who").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    assert_eq!(b.text_becomes("#login-error", unreachable).await, unreachable);
    b.screenshot("login-unreachable").await;
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn the_token_lives_in_memory_only_and_routes_need_a_session(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("dr_mem", Role::Doctor).await;
    let b = Browser::open(&server.base).await;

    // A deep link while signed out shows the sign-in form, then the page.
    b.goto("/people").await;
    b.find("#login-form").await;
    b.fill("#username", "dr_mem").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    assert_eq!(b.text("#people-title").await, "People");

    let stored = b
        .script("return [localStorage.length, sessionStorage.length, document.cookie.length]")
        .await;
    assert_eq!(stored, serde_json::json!([0, 0, 0]));

    // A reload forgets the session (the token was only in memory).
    b.goto("/people").await;
    b.find("#login-form").await;
    assert!(!b.has("#people-title").await);

    b.close().await;

    // Phones: the layout fits 360 px without horizontal scrolling.
    let phone = Browser::phone(&server.base).await;
    phone.login("dr_mem", PASSWORD).await;
    let width =
        phone.script("return [window.innerWidth, document.documentElement.scrollWidth]").await;
    assert_eq!(width, serde_json::json!([360, 360]));
    phone.screenshot("home-phone").await;
    phone.close().await;
}
