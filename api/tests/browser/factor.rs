//! The second factor in the browser: enrolling an authenticator app from
//! the Security page (QR code, recovery codes), the code step at sign-in,
//! the step-up an account change asks for, and enrolling at sign-in under
//! the policy. Codes are computed here with `totp-rs` from the secret the
//! page shows, as an authenticator app would.

use std::time::{SystemTime, UNIX_EPOCH};

use careledger::users::Role;
use sqlx::PgPool;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::harness::{Browser, Server, PASSWORD};
use crate::ops::{set_factor_policy, SetFactorPolicy};
use crate::support::ROOT_PASSWORD;

/// The code `steps` 30-second steps from now for the base32 secret shown.
pub fn code(secret: &str, steps: i64) -> String {
    let bytes = Secret::Encoded(secret.to_owned()).to_bytes().expect("base32 secret");
    let totp = TOTP::new(Algorithm::SHA1, 6, 0, 30, bytes, None, String::new()).expect("totp");
    let now = SystemTime::now().duration_since(UNIX_EPOCH).expect("time").as_secs() as i64;
    totp.generate((now + 30 * steps) as u64)
}

/// Six digits that are none of the codes accepted now.
fn wrong(secret: &str) -> String {
    let valid = [code(secret, -1), code(secret, 0), code(secret, 1)];
    (0..10).map(|d| d.to_string().repeat(6)).find(|c| !valid.contains(c)).expect("a wrong code")
}

/// Enrols from the QR step the page is on; returns the secret and the
/// recovery codes shown.
async fn enrol(b: &Browser, screenshot: &str) -> (String, Vec<String>) {
    let qr = b.find("#totp-qr").await;
    let src = qr.attr("src").await.expect("src").expect("a QR image");
    assert!(src.starts_with("data:image/svg+xml;base64,"), "{}", &src[..40.min(src.len())]);
    let secret = b.text("#totp-secret").await;
    assert_eq!(secret.len(), 32, "160 bits in base32: {secret}");
    b.screenshot(screenshot).await;
    b.fill("#enrol-code", &code(&secret, -1)).await;
    b.click("#confirm-enrol").await;
    b.find("#recovery-codes").await;
    let codes = b.texts("#recovery-codes li").await;
    assert_eq!(codes.len(), 10, "{codes:?}");
    (secret, codes)
}

#[sqlx::test(migrations = "../migrations")]
async fn enrol_sign_in_with_a_code_and_step_up_for_a_role_change(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("admin_ada", Role::Admin).await;
    let nurse = server.user("nurse_ned", Role::Nurse).await;
    let b = Browser::open(&server.base).await;
    b.login("admin_ada", PASSWORD).await;

    // Security page: set up an authenticator app.
    b.visit("/security").await;
    assert_eq!(b.text("#factor-status dd .badge").await, "Not set up");
    b.click("#start-enrol").await;
    let (secret, _) = enrol(&b, "factor-enrol-qr").await;
    assert_eq!(b.text_becomes("#recovery-left", "10").await, "10");
    b.screenshot("factor-recovery-codes").await;

    // Signing in now takes a code.
    b.click("#logout").await;
    b.fill("#username", "admin_ada").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#factor-code").await;
    b.fill("#factor-code", &wrong(&secret)).await;
    b.click("#verify-code").await;
    assert_eq!(
        b.text("#code-error").await,
        "Not accepted: the code is wrong (or its 30 seconds have passed)."
    );
    b.screenshot("factor-login-code").await;
    b.fill("#factor-code", &code(&secret, 0)).await;
    b.click("#verify-code").await;
    // Signed in, on the page the app was showing (Security).
    assert_eq!(b.text("#who").await, "Test admin_ada");
    b.find("#security-title").await;

    // Six minutes on, a role change asks for the factor again.
    sqlx::query("UPDATE factor_step_ups SET verified_at = now() - interval '6 minutes'")
        .execute(&server.app.state.pool)
        .await
        .expect("age the proof");
    b.visit(&format!("/admin/users/{}", nurse.id)).await;
    b.find("#new-role option[value='DOCTOR']").await.click().await.expect("pick role");
    b.click("#save-user").await;
    b.find("#step-up-form").await;
    assert_eq!(
        b.find(".alert-error").await.attr("data-code").await.expect("attr").as_deref(),
        Some("FACTOR_REQUIRED")
    );
    b.screenshot("factor-step-up").await;
    b.fill("#step-up-code", &code(&secret, 1)).await;
    b.click("#step-up-confirm").await;
    b.find("#stepped-up").await;
    b.click("#save-user").await;
    b.find("#person-name").await;
    let role: String = sqlx::query_scalar("SELECT role::text FROM users WHERE id = $1")
        .bind(nurse.id.0)
        .fetch_one(&server.app.state.pool)
        .await
        .expect("role");
    assert_eq!(role, "DOCTOR");
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn under_the_policy_a_doctor_enrols_at_sign_in(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("dr_new", Role::Doctor).await;
    let root = server.app.login("root", ROOT_PASSWORD).await;
    let set = server
        .app
        .run::<SetFactorPolicy>(Some(&root), set_factor_policy::Variables { staff_required: true })
        .await;
    assert!(set.ok().set_factor_policy.staff_required);

    let b = Browser::open(&server.base).await;
    b.goto("/").await;
    b.fill("#username", "dr_new").await;
    b.fill("#password", PASSWORD).await;
    b.click("#sign-in").await;
    b.find("#enrol-required").await;
    enrol(&b, "factor-login-enrol").await;
    b.click("#continue").await;
    assert_eq!(b.text("#welcome").await, "Welcome, Test dr_new");
    b.close().await;
}
