//! The live feed: an access in one browser session appears in an auditor's
//! feed in another.

use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};
use crate::ops::{login, patient_records, update_user, Login, PatientRecords, UpdateUser};
use crate::support::ROOT_PASSWORD;

#[sqlx::test(migrations = "../migrations")]
async fn an_access_in_one_session_appears_in_the_auditors_live_feed(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_feed", Role::Doctor).await;
    server.user("auditor_ann", Role::Auditor).await;
    let patient = server.user("pat_feed", Role::Patient).await;
    server.app.care_for(&patient, &doctor).await;
    let pid = patient.id.to_string();
    let token = server.token("dr_feed").await;
    server.record(&token, &pid, "LAB_RESULT", "HbA1c", json!({ "value": "6.1 %" })).await;

    let auditor = Browser::open(&server.base).await;
    auditor.login("auditor_ann", PASSWORD).await;
    auditor.visit("/audit").await;
    assert_eq!(auditor.text_becomes("#feed-state", "Live").await, "Live");
    // Starting the feed is itself an access: once it shows, the feed is live.
    let own = ["Test auditor_ann · Auditor", "Search · Audit trail", "—", "approved"];
    assert_eq!(auditor.row_becomes("#feed", &own).await, own);

    let doctor = Browser::open(&server.base).await;
    doctor.login("dr_feed", PASSWORD).await;
    doctor.visit(&format!("/patients/{pid}")).await;
    doctor.find("#record-list").await;

    let read =
        ["Test dr_feed · Doctor", "Read · Health record", "Test pat_feed · Patient", "approved"];
    assert_eq!(auditor.row_becomes("#feed", &read).await, read);
    auditor.screenshot("audit-live-feed").await;
    doctor.close().await;
    auditor.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patient_sees_who_accessed_their_records(pool: PgPool) {
    let server = Server::start(pool).await;
    let dr = server.user("dr_ross", Role::Doctor).await;
    let mine = server.user("pat_me", Role::Patient).await;
    let other = server.user("pat_other", Role::Patient).await;
    server.app.care_for(&mine, &dr).await;
    server.app.care_for(&other, &dr).await;
    let root = server.app.login("root", ROOT_PASSWORD).await;
    let details = update_user::Variables {
        id: dr.id.to_string(),
        input: update_user::UpdateUserInput {
            full_name: None,
            address: Some("9 Private Lane, Ashby".to_owned()),
            designation: Some("Attending Physician".to_owned()),
            department: Some("Cardiology".to_owned()),
        },
    };
    server.app.run::<UpdateUser>(Some(&root), details).await.ok();
    let token = server.token("dr_ross").await;
    server
        .record(
            &token,
            &mine.id.to_string(),
            "PRESCRIPTION",
            "Amoxicillin 500 mg",
            json!({ "dose": "500 mg" }),
        )
        .await;
    server
        .record(
            &token,
            &other.id.to_string(),
            "DIAGNOSIS",
            "Someone else's diagnosis",
            json!({ "code": "J45" }),
        )
        .await;
    // Another patient tries her records, and someone guesses her password.
    let other_token = server.token("pat_other").await;
    let mine_records = patient_records::Variables { patient_id: mine.id.to_string() };
    let tried = server.app.run::<PatientRecords>(Some(&other_token), mine_records).await;
    assert_eq!(tried.code(), "FORBIDDEN");
    let guess = login::Variables { username: "pat_me".to_owned(), password: "a guess".to_owned() };
    assert_eq!(server.app.run::<Login>(None, guess).await.code(), "UNAUTHENTICATED");

    // The doctor looks her up under People: a search result shows her name
    // and patient ID (no address, no username), and lists her on chain.
    let b = Browser::open(&server.base).await;
    b.login("dr_ross", PASSWORD).await;
    b.visit("/people").await;
    b.fill("#people-query", "pat_me").await;
    b.find("#people-role option[value='PATIENT']").await.click().await.expect("pick role");
    b.click("#people-search").await;
    b.find("#people-results").await;
    let found = b.texts("#people-results tbody td:first-child a").await;
    assert_eq!(found.first().map(String::as_str), Some("Test pat_me"), "{found:?}");
    let ids = b.texts("#people-results tbody td:first-child .small").await;
    assert_eq!(ids.first(), Some(&format!("Patient ID {}", mine.id)), "{ids:?}");
    b.click("#logout").await;

    b.login("pat_me", PASSWORD).await;
    b.visit("/my-access").await;
    b.find("#trail").await;
    // Staff are people: name, role, department and position; never an
    // address, a username or an identifier.
    let doctor = "Test dr_ross\nDoctor · Cardiology — Attending Physician";
    let listed = [doctor, "Listed in a search", "You", "approved"];
    assert_eq!(b.row_becomes("#trail", &listed).await, listed);
    for row in [
        ["You", "Read · Audit trail", "You", "approved"],
        ["Another account (not named)", "Read · Health record", "You", "refused"],
        ["Someone not signed in", "Sign-in refused", "You", "refused"],
        ["You", "Signed in", "You", "approved"],
        ["CareLedger (the system)", "User added", "You", "approved"],
    ] {
        assert_eq!(b.row_becomes("#trail", &row).await, row);
    }
    let who = b.texts("#trail tbody td:nth-child(2)").await;
    let about = b.texts("#trail tbody td:nth-child(4)").await;
    assert!(who.contains(&doctor.to_owned()), "the doctor is named: {who:?}");
    assert!(about.iter().all(|s| s == "You"), "only events about her: {about:?}");
    for text in who.iter().chain(&about) {
        assert!(
            !text.contains("0x") && !text.contains("Private Lane") && !text.contains('@'),
            "no identifier, address or username: {text:?}"
        );
    }
    b.screenshot("patient-access-report").await;
    b.close().await;
}

/// An index row deleted behind the api is restored from the chain, and the
/// auditor's page says how far the index was checked and what was repaired.
#[sqlx::test(migrations = "../migrations")]
async fn the_auditors_page_shows_the_check_against_the_chain_and_its_repairs(pool: PgPool) {
    use careledger::audit::check;

    let server = Server::start(pool).await;
    server.user("auditor_cal", Role::Auditor).await;
    let state = &server.app.state;
    let head = state.chain.block_number().await.expect("head");
    assert!(state.audit.wait_for(head, std::time::Duration::from_secs(30)).await);
    let deleted = sqlx::query(
        "DELETE FROM audit_events WHERE (block_number, log_index) =
           (SELECT block_number, log_index FROM audit_events WHERE kind = 'USER_ADDED'
             ORDER BY block_number DESC LIMIT 1)",
    )
    .execute(&state.pool)
    .await
    .expect("delete a row");
    assert_eq!(deleted.rows_affected(), 1);
    let indexer = careledger::audit::indexer::Indexer::new(
        state.pool.clone(),
        state.chain.clone(),
        &state.deployment,
    );
    let report = check::full(&indexer, true).await.expect("check");
    assert_eq!(report.count(check::Finding::Missing), 1);

    let b = Browser::open(&server.base).await;
    b.login("auditor_cal", PASSWORD).await;
    b.visit("/audit").await;
    let line = format!("Checked against the chain up to block {}; 1 repair.", report.to);
    assert_eq!(b.text_becomes("#audit-check", &line).await, line);
    b.click("#audit-repairs summary").await;
    let repairs = b.texts("#audit-repairs li").await;
    assert_eq!(repairs.len(), 1);
    assert!(
        repairs[0].contains("User added at block")
            && repairs[0].ends_with("the index had lost this event; restored"),
        "{repairs:?}"
    );
    b.screenshot("audit-check").await;
    b.close().await;
}

/// The trail shows who may write it: the deployment's admin and first
/// gateway, as chain accounts, in plain words.
#[sqlx::test(migrations = "../migrations")]
async fn the_auditor_sees_the_gateway_and_the_contract_admin_on_the_trail(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("auditor_dee", Role::Auditor).await;
    let state = &server.app.state;
    let short = |a: alloy::primitives::Address| {
        let s = a.to_string();
        format!("{}…{}", &s[..8], &s[s.len() - 6..])
    };
    let gateway = format!("{} · chain account", short(state.chain.gateway()));
    let admin = format!("{} · chain account", short(crate::support::admin(&server.app.anvil)));

    let b = Browser::open(&server.base).await;
    b.login("auditor_dee", PASSWORD).await;
    b.visit("/audit").await;
    // The deployer (the gateway, which paid) granted both roles.
    let added = [gateway.as_str(), "Gateway added", gateway.as_str(), "approved"];
    assert_eq!(b.row_becomes("#trail", &added).await, added);
    let admin_added = [gateway.as_str(), "Contract admin added", admin.as_str(), "approved"];
    assert_eq!(b.row_becomes("#trail", &admin_added).await, admin_added);
    b.close().await;
}
