//! People search: one box and a role filter; ROOT and ADMIN never appear.

use careledger::users::Role;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};

#[sqlx::test(migrations = "../migrations")]
async fn people_search_never_shows_root_or_admin(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("test_admin", Role::Admin).await;
    server.user("test_doctor", Role::Doctor).await;
    server.user("test_nurse", Role::Nurse).await;
    let patient = server.user("test_patient", Role::Patient).await;
    let b = Browser::open(&server.base).await;
    b.login("test_doctor", PASSWORD).await;
    b.visit("/people").await;

    // Everyone named "Test …" except the administrator; root is never listed.
    b.fill("#people-query", "test").await;
    b.click("#people-search").await;
    b.find("#people-results").await;
    assert_eq!(
        b.sorted_texts("#people-results tbody td:first-child a").await,
        ["Test test_doctor", "Test test_nurse", "Test test_patient"]
    );
    b.fill("#people-query", "root").await;
    b.click("#people-search").await;
    assert_eq!(b.text(".empty").await, "No one matches this search.");
    b.fill("#people-query", "test_admin").await;
    b.click("#people-search").await;
    assert_eq!(b.text(".empty").await, "No one matches this search.");

    // The role filter offers no ROOT/ADMIN and narrows the list.
    assert_eq!(
        b.texts("#people-role option").await,
        ["Any role", "Doctor", "Nurse", "Receptionist", "Auditor", "Patient"]
    );
    b.fill("#people-query", "test").await;
    b.find("#people-role option[value='PATIENT']").await.click().await.expect("pick role");
    b.click("#people-search").await;
    b.find("#people-results").await;
    assert_eq!(b.texts("#people-results tbody td:first-child a").await, ["Test test_patient"]);
    b.fill("#people-query", "").await;
    b.find("#people-role option[value='']").await.click().await.expect("any role");
    b.click("#people-search").await;
    b.find("#people-results").await;
    assert_eq!(
        b.sorted_texts("#people-results tbody td:first-child a").await,
        ["Test test_doctor", "Test test_nurse", "Test test_patient"]
    );
    b.screenshot("people-search").await;

    // A person's page, with the way to their records for clinical staff.
    b.visit(&format!("/people/{}", patient.id)).await;
    assert_eq!(b.text("#person-name").await, "Test test_patient");
    assert!(b.has(&format!("a[href='/patients/{}']", patient.id)).await);
    b.screenshot("person").await;
    b.close().await;
}
