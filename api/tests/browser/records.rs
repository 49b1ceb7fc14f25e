//! Health records: by patient ID only; a doctor edits (version 2 in the
//! history and the diff); a stale edit explains the conflict; a nurse is
//! not offered "New record" and a forced attempt shows the refusal; a
//! patient sees only their own records.

use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};

#[sqlx::test(migrations = "../migrations")]
async fn a_doctor_opens_records_by_patient_id_edits_and_sees_the_diff(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_grey", Role::Doctor).await;
    let patient = server.user("pat_jones", Role::Patient).await;
    server.app.care_for(&patient, &doctor).await;
    let pid = patient.id.to_string();
    let token = server.token("dr_grey").await;
    let bp = server
        .record(
            &token,
            &pid,
            "VITAL_SIGNS",
            "Blood pressure",
            json!({ "systolic": 128, "diastolic": 84 }),
        )
        .await;
    server
        .record(
            &token,
            &pid,
            "DIAGNOSIS",
            "Essential hypertension",
            json!({ "code": "I10", "status": "confirmed" }),
        )
        .await;
    server
        .record(
            &token,
            &pid,
            "ALLERGY",
            "Penicillin",
            json!({ "reaction": "rash", "severity": "moderate" }),
        )
        .await;

    let b = Browser::open(&server.base).await;
    b.login("dr_grey", PASSWORD).await;
    b.visit("/patients").await;
    b.fill("#patient-id", &pid).await;
    b.click("#open-records").await;
    b.find("#record-list").await;
    assert_eq!(b.text("#records-title").await, "Health records — Test pat_jones");
    assert_eq!(b.texts(".record-group h2").await, ["Diagnosis\n1", "Vital signs\n1", "Allergy\n1"]);
    assert!(b.has("a[href$='/new-record']").await, "a doctor may create");
    b.screenshot("patient-records").await;

    // Edit the blood pressure: version 2, in the history and in the diff.
    b.visit(&format!("/records/{bp}")).await;
    assert_eq!(b.text("#record-version").await, "1");
    b.click(&format!("a[href='/records/{bp}/edit']")).await;
    assert_eq!(b.text("#editing-version").await, "Editing version 1");
    b.fill("#record-title-input", "Blood pressure (repeat)").await;
    b.fill("#record-content-input", r#"{"systolic": 136, "diastolic": 84}"#).await;
    b.click("#save-record").await;
    assert_eq!(b.text_becomes("#record-version", "2").await, "2");
    assert_eq!(b.text("#record-title").await, "Blood pressure (repeat)");
    b.find("#history").await;
    assert_eq!(b.texts("#history .timeline-item strong").await, ["Version 2", "Version 1"]);
    assert_eq!(
        b.texts("#diff td.removed").await,
        ["removed:\nTitle: Blood pressure", "removed:\n  \"systolic\": 128"]
    );
    assert_eq!(
        b.texts("#diff td.added").await,
        ["added:\nTitle: Blood pressure (repeat)", "added:\n  \"systolic\": 136"]
    );
    let verified = "✓ Every version matches the hash anchored on chain.";
    assert_eq!(b.text_becomes("#integrity-verdict", verified).await, verified);
    assert_eq!(b.texts("#integrity .badge").await, ["verified", "verified"]);
    b.screenshot("record").await;
    b.scroll_to("#compare-title").await;
    b.screenshot("record-diff").await;

    // Someone else saves while this browser edits version 2: a conflict.
    b.visit(&format!("/records/{bp}/edit")).await;
    assert_eq!(b.text("#editing-version").await, "Editing version 2");
    server
        .update(
            &token,
            &bp,
            2,
            "Blood pressure (third reading)",
            json!({ "systolic": 131, "diastolic": 82 }),
        )
        .await;
    b.fill("#record-content-input", r#"{"systolic": 140, "diastolic": 90}"#).await;
    b.click("#save-record").await;
    b.find("#conflict").await;
    assert_eq!(b.text("#conflict strong").await, "Someone else saved this record first.");
    assert_eq!(b.text(".their-version p strong").await, "Blood pressure (third reading)");
    b.screenshot("record-conflict").await;
    // Saving on top of their version writes version 4.
    b.click("#adopt").await;
    assert_eq!(b.text("#editing-version").await, "Editing version 3");
    b.click("#save-record").await;
    assert_eq!(b.text_becomes("#record-version", "4").await, "4");
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_nurse_is_not_offered_create_and_a_forced_attempt_is_refused(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_kim", Role::Doctor).await;
    let nurse = server.user("nurse_ratched", Role::Nurse).await;
    let patient = server.user("pat_lee", Role::Patient).await;
    server.app.care_for(&patient, &doctor).await;
    server.app.care_for(&patient, &nurse).await;
    let pid = patient.id.to_string();
    let token = server.token("dr_kim").await;
    let id = server
        .record(
            &token,
            &pid,
            "CLINICAL_NOTE",
            "Admission note",
            json!({ "text": "Admitted for observation." }),
        )
        .await;

    let b = Browser::open(&server.base).await;
    b.login("nurse_ratched", PASSWORD).await;
    b.visit(&format!("/patients/{pid}")).await;
    b.find("#record-list").await;
    assert!(!b.has("a[href$='/new-record']").await, "no New record for a nurse");
    b.visit(&format!("/records/{id}")).await;
    b.find("#record-title").await;
    assert!(b.has(&format!("a[href='/records/{id}/edit']")).await, "a nurse may edit");
    assert!(!b.has("#delete-record").await, "no Delete for a nurse");

    // Typed straight into the address bar: the server refuses, visibly.
    b.visit(&format!("/patients/{pid}/new-record")).await;
    b.fill("#record-title-input", "Not allowed").await;
    b.click("#save-record").await;
    let refusal = "Your role does not allow this. The refusal was recorded on chain.";
    assert_eq!(b.text_becomes(".alert-error strong", refusal).await, refusal);
    assert_eq!(
        b.find(".alert-error").await.attr("data-code").await.expect("attr").as_deref(),
        Some("FORBIDDEN")
    );
    b.click("#receipts summary").await;
    assert_eq!(
        b.texts("#receipts .receipt-what").await,
        ["AccessRequested · CREATE · HEALTH_RECORD · refused"]
    );
    b.screenshot("nurse-refused").await;
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patient_sees_only_their_own_records(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_ross", Role::Doctor).await;
    let mine = server.user("pat_me", Role::Patient).await;
    let other = server.user("pat_other", Role::Patient).await;
    server.app.care_for(&mine, &doctor).await;
    server.app.care_for(&other, &doctor).await;
    let token = server.token("dr_ross").await;
    server
        .record(
            &token,
            &mine.id.to_string(),
            "PRESCRIPTION",
            "Amoxicillin 500 mg",
            json!({ "dose": "500 mg", "frequency": "3× daily" }),
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

    let b = Browser::open(&server.base).await;
    b.login("pat_me", PASSWORD).await;
    b.visit("/my-records").await;
    b.find("#record-list").await;
    assert_eq!(b.texts("#record-list .row-title").await, ["Amoxicillin 500 mg"]);
    b.screenshot("patient-my-records").await;

    // Another patient's records: refused.
    b.visit(&format!("/patients/{}", other.id)).await;
    let refusal = "Your role does not allow this. The refusal was recorded on chain.";
    assert_eq!(b.text_becomes(".alert-error strong", refusal).await, refusal);

    b.close().await;
}
