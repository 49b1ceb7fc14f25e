//! Passkeys in the browser, with ChromeDriver's virtual authenticator (a
//! platform authenticator with user verification, as a fingerprint reader
//! would be): add a passkey on the Security page, sign out, sign in with
//! it, and prove it again for step-up before removing it. The app is
//! opened at `https://localhost:<port>`, its WebAuthn origin.

use careledger::users::Role;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};

async fn factor_events(server: &Server, user: &careledger::users::User) -> Vec<String> {
    sqlx::query_scalar("SELECT kind::text FROM factor_events WHERE user_id = $1 ORDER BY id")
        .bind(user.id.0)
        .fetch_all(&server.app.state.pool)
        .await
        .expect("factor events")
}

#[sqlx::test(migrations = "../migrations")]
async fn add_a_passkey_sign_in_with_it_and_step_up_to_remove_it(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_pass", Role::Doctor).await;
    let b = Browser::open(&server.origin).await;
    b.add_virtual_authenticator().await;
    b.login("dr_pass", PASSWORD).await;

    // Security page: add a passkey; the first factor brings recovery codes.
    b.visit("/security").await;
    b.find("#no-passkeys").await;
    b.fill("#passkey-name", "This laptop").await;
    b.click("#add-passkey").await;
    b.find("#passkeys li").await;
    assert_eq!(b.text("#passkeys .passkey-name").await, "This laptop");
    assert_eq!(b.texts("#recovery-codes li").await.len(), 10);
    assert_eq!(b.text_becomes("#recovery-left", "10").await, "10");
    b.screenshot("passkey-security").await;

    // Signing in now offers the passkey as the second step.
    b.click("#logout").await;
    b.fill("#username", "dr_pass").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#use-passkey").await;
    b.screenshot("passkey-login").await;
    b.click("#use-passkey").await;
    assert_eq!(b.text("#who").await, "Test dr_pass");
    b.find("#security-title").await;

    // Six minutes on, removing it asks for the factor again: the passkey.
    sqlx::query("UPDATE factor_step_ups SET verified_at = now() - interval '6 minutes'")
        .execute(&server.app.state.pool)
        .await
        .expect("age the proof");
    b.visit("/security").await;
    b.click(".remove-passkey").await;
    b.find("#step-up-passkey").await;
    assert_eq!(
        b.find(".passkeys .alert-error").await.attr("data-code").await.expect("attr").as_deref(),
        Some("FACTOR_REQUIRED")
    );
    b.screenshot("passkey-step-up").await;
    b.click("#step-up-passkey").await;
    b.find("#stepped-up").await;
    b.click(".remove-passkey").await;
    b.find("#no-passkeys").await;

    assert_eq!(
        factor_events(&server, &doctor).await,
        ["PASSKEY_ENROLLED", "PASSKEY_USED", "STEP_UP_REFUSED", "PASSKEY_USED", "PASSKEY_REMOVED"]
    );
    b.close().await;
}
