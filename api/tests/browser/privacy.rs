//! Who decides who sees what, in the browser: a patient restricts a doctor
//! on their care team (who is then refused exactly as if off the team) and
//! a department, and lifts the doctor's restriction; root changes a cell of
//! the permission matrix and the break-the-glass duration, after a step-up.

use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::factor::code;
use crate::harness::{Browser, Server, PASSWORD};
use crate::ops::{
    begin_totp_enrolment, confirm_totp_enrolment, update_user, BeginTotpEnrolment,
    ConfirmTotpEnrolment, UpdateUser,
};
use crate::support::ROOT_PASSWORD;

/// Puts `id` in `department` (as root), which files them there on chain too.
async fn in_department(server: &Server, id: i64, department: &str) {
    let root = server.app.login("root", ROOT_PASSWORD).await;
    let vars = update_user::Variables {
        id: id.to_string(),
        input: update_user::UpdateUserInput {
            full_name: None,
            address: None,
            designation: None,
            department: Some(department.to_owned()),
        },
    };
    server.app.run::<UpdateUser>(Some(&root), vars).await.ok();
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patient_restricts_a_doctor_and_a_department_then_lifts_the_doctor(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_rest", Role::Doctor).await;
    let nurse = server.user("nurse_onc", Role::Nurse).await;
    let patient = server.user("pat_private", Role::Patient).await;
    in_department(&server, doctor.id.0, "Cardiology").await;
    in_department(&server, nurse.id.0, "Oncology").await;
    server.app.care_for(&patient, &doctor).await;
    let pid = patient.id.to_string();
    let token = server.token("dr_rest").await;
    server.record(&token, &pid, "DIAGNOSIS", "Atrial fibrillation", json!({ "code": "I48" })).await;
    assert_eq!(server.reads(&token, &pid).await, Ok(1));

    let b = Browser::open(&server.base).await;
    b.login("pat_private", PASSWORD).await;
    b.click("a.nav-link[href='/my-restrictions']").await;
    let none = "You have restricted no one: everyone caring for you may see your records.";
    assert_eq!(b.text_becomes("#restrictions-title ~ .empty", none).await, none);
    // The doctor is on her team (and opened her records): offered once.
    b.find("#restrict-candidates").await;
    let offered = "Test dr_rest\nDoctor · Cardiology\nOn your care team\nRestrict";
    assert_eq!(b.texts("#restrict-candidates li").await, [offered]);
    b.fill("#restrict-query", "nobody here").await;
    assert_eq!(
        b.text("#restrict-staff-title ~ .empty").await,
        "No staff member you know of matches."
    );
    b.fill("#restrict-query", "rest").await;
    assert_eq!(b.texts("#restrict-candidates li").await, [offered]);

    b.click(&format!("#restrict-candidates li[data-id='{}'] .restrict", doctor.id)).await;
    assert_eq!(
        b.text_becomes("#restriction-done", "Restricted: Test dr_rest.").await,
        "Restricted: Test dr_rest."
    );
    let since = |column: &str| {
        format!("SELECT created_at FROM access_restrictions WHERE {column} IS NOT NULL AND lifted_at IS NULL")
    };
    let doctor_since = server.minute(&since("staff_id")).await;
    let doctor_row: &[&str] = &["Test dr_rest\nDoctor · Cardiology", &doctor_since, "Lift"];
    assert_eq!(b.rows_become("#restrictions", &[doctor_row]).await, [doctor_row]);
    // No longer offered: restricted already.
    assert_eq!(
        b.text("#restrict-staff-title ~ .empty").await,
        "No staff member you know of matches."
    );
    // Refused as if off the team: the restriction is never revealed.
    assert_eq!(server.reads(&token, &pid).await, Err("FORBIDDEN careRelationship=false".into()));

    // A department, from the list of departments.
    assert_eq!(
        b.texts("#restrict-department option").await,
        ["Choose a department", "Cardiology", "Oncology"]
    );
    b.choose("#restrict-department", "Oncology").await;
    b.click("#restrict-department-submit").await;
    let restricted = "Restricted: the Oncology department.";
    assert_eq!(b.text_becomes("#restriction-done", restricted).await, restricted);
    let oncology_since = server.minute(&since("department_id")).await;
    let oncology_row: &[&str] =
        &["Oncology department\nEveryone working there", &oncology_since, "Lift"];
    let both = [doctor_row, oncology_row];
    assert_eq!(b.rows_become("#restrictions", &both).await, both);
    b.scroll_to("#restrictions-title").await;
    b.screenshot("restrictions").await;
    assert_eq!(b.texts("#restrict-department option").await, ["Choose a department", "Cardiology"]);
    let department = b.find("#restrict-department").await.prop("value").await.expect("value");
    assert_eq!(department.as_deref(), Some(""), "none chosen");

    // Lifting the doctor's restriction: he reads again; the department's stays.
    b.click("#restrictions tbody tr:first-child .lift").await;
    let lifted = "Lifted the restriction on Test dr_rest.";
    assert_eq!(b.text_becomes("#restriction-done", lifted).await, lifted);
    assert_eq!(b.rows_become("#restrictions", &[oncology_row]).await, [oncology_row]);
    b.find("#restrict-candidates").await;
    assert_eq!(b.texts("#restrict-candidates li").await, [offered]);
    assert_eq!(server.reads(&token, &pid).await, Ok(1));
    let wanted = ["ACCESS_RESTRICTED", "ACCESS_RESTRICTED", "RESTRICTION_LIFTED"];
    let pool = &server.app.state.pool;
    let on_chain = crate::support::eventually(async || {
        let kinds: Vec<String> = sqlx::query_scalar(
            "SELECT kind FROM audit_events WHERE kind IN ('ACCESS_RESTRICTED', 'RESTRICTION_LIFTED')
              ORDER BY block_number, log_index",
        )
        .fetch_all(pool)
        .await
        .expect("events");
        kinds == wanted
    })
    .await;
    assert!(on_chain, "each change is on chain, in order");
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn root_changes_a_matrix_cell_and_the_glass_duration_after_a_step_up(pool: PgPool) {
    let server = Server::start(pool).await;
    let nurse = server.user("nurse_new_powers", Role::Nurse).await;
    let patient = server.user("pat_matrix", Role::Patient).await;
    server.app.care_for(&patient, &nurse).await;
    let pid = patient.id.to_string();
    // Root has an authenticator app, so changes ask for a fresh code.
    let root = server.app.login("root", ROOT_PASSWORD).await;
    let begun = server
        .app
        .run::<BeginTotpEnrolment>(Some(&root), begin_totp_enrolment::Variables { challenge: None })
        .await;
    let secret = begun.ok().begin_totp_enrolment.secret.clone();
    let confirm = confirm_totp_enrolment::Variables { code: code(&secret, -1), challenge: None };
    server.app.run::<ConfirmTotpEnrolment>(Some(&root), confirm).await.ok();
    let nurse_token = server.token("nurse_new_powers").await;
    let refused = server
        .app
        .raw(
            Some(&nurse_token),
            "mutation($p: ID!) { createRecord(input: { patientId: $p, recordType: CLINICAL_NOTE, title: \"Obs\", content: {} }) { id } }",
            json!({ "p": pid }),
        )
        .await;
    assert_eq!(crate::support::code(&refused), "FORBIDDEN", "nurses may not create: {refused}");

    let b = Browser::open(&server.base).await;
    b.goto("/").await;
    b.fill("#username", "root").await;
    b.fill("#password", ROOT_PASSWORD).await;
    b.click("#sign-in").await;
    b.fill("#factor-code", &code(&secret, 0)).await;
    b.click("#verify-code").await;
    b.find("#welcome").await;
    // Past the five minutes a sign-in's code counts for.
    sqlx::query("UPDATE factor_step_ups SET verified_at = now() - interval '6 minutes'")
        .execute(&server.app.state.pool)
        .await
        .expect("age the proof");

    b.click("a.nav-link[href='/matrix']").await;
    let cell = "#cell-NURSE-HEALTH_RECORD-CREATE";
    let value = async |css: &str| b.find(css).await.prop("value").await.expect("value");
    assert_eq!(value(cell).await.as_deref(), Some("NONE"));
    assert_eq!(value("#cell-NURSE-HEALTH_RECORD-READ").await.as_deref(), Some("CARE"));
    assert_eq!(value("#glass-minutes").await.as_deref(), Some("240"));
    assert_eq!(
        b.texts(&format!("{cell} option")).await,
        ["No", "Own only", "Any patient", "Anyone", "In their care"]
    );
    b.choose(cell, "CARE").await;
    b.fill("#glass-minutes", "120").await;
    assert_eq!(b.text("#save-matrix").await, "Save 2 changes");
    b.scroll_to("tbody[data-role='NURSE']").await;
    b.screenshot("permission-matrix").await;
    b.click("#save-matrix").await;
    b.find("#step-up-form").await;
    assert_eq!(
        b.find("#matrix-title ~ .alert-error")
            .await
            .attr("data-code")
            .await
            .expect("attr")
            .as_deref(),
        Some("FACTOR_REQUIRED")
    );
    assert_eq!(value(cell).await.as_deref(), Some("CARE"), "the choice is kept");
    b.fill("#step-up-code", &code(&secret, 1)).await;
    b.click("#step-up-confirm").await;
    b.find("#stepped-up").await;
    b.click("#save-matrix").await;
    let saved = "No changes";
    assert_eq!(b.text_becomes("#save-matrix", saved).await, saved);
    assert_eq!(
        b.texts("#matrix-saved li").await,
        [
            "Nurse · Health records · Create: In their care",
            "Break-the-glass grants last 120 minutes"
        ]
    );
    // The chain has both now.
    let matrix = server
        .app
        .raw(
            Some(&root),
            "{ permissionMatrix { breakGlassMinutes cells { role resource action scope } } }",
            json!({}),
        )
        .await;
    assert_eq!(matrix["data"]["permissionMatrix"]["breakGlassMinutes"], 120, "{matrix}");
    let cells = matrix["data"]["permissionMatrix"]["cells"].as_array().expect("cells");
    let nurse_create = json!({ "role": "NURSE", "resource": "HEALTH_RECORD", "action": "CREATE", "scope": "CARE" });
    assert!(cells.contains(&nurse_create), "{nurse_create} in {matrix}");
    assert_eq!(value(cell).await.as_deref(), Some("CARE"));
    assert_eq!(value("#glass-minutes").await.as_deref(), Some("120"));

    // The contract decides by the new cell: the nurse creates for her patient.
    server.record(&nurse_token, &pid, "CLINICAL_NOTE", "Obs", json!({ "pulse": 72 })).await;
    let pool = &server.app.state.pool;
    assert!(
        crate::support::eventually(async || {
            let sql = "SELECT count(*) FROM audit_events WHERE kind IN ('PERMISSION_CHANGED', 'BREAK_GLASS_DURATION_CHANGED')";
            sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.expect("count") == 2
        })
        .await,
        "both changes on chain"
    );
    b.close().await;
}
