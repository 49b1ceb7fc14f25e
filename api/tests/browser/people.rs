//! People search: one box and a role filter; ROOT and ADMIN never appear.

use careledger::users::Role;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};
use crate::ops::{update_user, UpdateUser};
use crate::support::ROOT_PASSWORD;

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

#[sqlx::test(migrations = "../migrations")]
async fn a_receptionist_registers_a_patient_and_root_changes_a_role(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("front_desk", Role::Receptionist).await;
    let nurse = server.user("nurse_to_be_doctor", Role::Nurse).await;
    let b = Browser::open(&server.base).await;
    b.login("front_desk", PASSWORD).await;
    b.visit("/admin/new").await;
    assert_eq!(b.text("#user-form-title").await, "Register a patient");
    assert_eq!(b.texts("#new-role option").await, ["Patient"]);
    b.fill("#full-name", "Maria Lopez").await;
    b.fill("#new-username", "maria.lopez").await;
    b.fill("#new-password", "a long enough password").await;
    b.fill("#address", "12 Harbour Street").await;
    b.screenshot("register-patient").await;
    b.click("#save-user").await;
    assert_eq!(b.text_becomes("#person-name", "Maria Lopez").await, "Maria Lopez");
    assert_eq!(b.text("#person-name + p .badge").await, "Patient");
    assert!(!b.has("#delete-user").await);
    b.click("#logout").await;

    b.login("root", ROOT_PASSWORD).await;
    b.visit(&format!("/admin/users/{}", nurse.id)).await;
    b.find("#new-role option[value='DOCTOR']").await.click().await.expect("pick role");
    b.click("#save-user").await;
    assert_eq!(b.text_becomes("#person-name + p .badge", "Doctor").await, "Doctor");
    b.close().await;
}

/// Root finds the administrators it made, whom the people search never
/// shows, and opens one to manage it; an administrator gets no such list.
#[sqlx::test(migrations = "../migrations")]
async fn root_lists_the_administrators_and_opens_one(pool: PgPool) {
    let server = Server::start(pool).await;
    let ada = server.user("ada_admin", Role::Admin).await;
    server.user("ben_admin", Role::Admin).await;
    server.user("dr_who", Role::Doctor).await;
    let root = server.app.login("root", ROOT_PASSWORD).await;
    let details = update_user::Variables {
        id: ada.id.to_string(),
        input: update_user::UpdateUserInput {
            full_name: None,
            address: None,
            designation: Some("Systems Administrator".to_owned()),
            department: Some("IT Services".to_owned()),
        },
    };
    server.app.run::<UpdateUser>(Some(&root), details).await.ok();
    let b = Browser::open(&server.base).await;
    b.login("root", ROOT_PASSWORD).await;
    b.visit("/admin").await;
    b.find("#admin-list").await;
    assert_eq!(
        b.texts("#admin-list tbody tr").await,
        ["Test ada_admin IT Services Systems Administrator", "Test ben_admin — —"]
    );
    b.screenshot("admin-list").await;

    // The list opens the person's page, where root edits the account.
    b.click(&format!("#admin-list a[href='/people/{}']", ada.id)).await;
    assert_eq!(b.text_becomes("#person-name", "Test ada_admin").await, "Test ada_admin");
    assert_eq!(b.text("#person-name + p .badge").await, "Administrator");
    assert!(b.has(&format!("a[href='/admin/users/{}']", ada.id)).await);
    b.click("#logout").await;

    b.login("ada_admin", PASSWORD).await;
    b.visit("/admin").await;
    b.find("#people-title").await;
    assert!(!b.has("#admin-list-title").await, "only root is offered the list");
    b.close().await;
}
