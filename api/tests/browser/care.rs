//! Care relationships in the browser: the care team and admission on the
//! patient's page (a doctor on the team adds and ends a nurse, admits and
//! discharges; the front desk admits from the department list), the page a
//! clinician off the team gets instead of the records and break-the-glass
//! from it (then the patient sees the emergency access), and the auditors'
//! review queue with the count on their home page.

use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use crate::harness::{Browser, Server, PASSWORD};

#[sqlx::test(migrations = "../migrations")]
async fn a_doctor_on_the_team_adds_and_ends_a_nurse_and_the_front_desk_admits(pool: PgPool) {
    let server = Server::start(pool).await;
    let doctor = server.user("dr_lead", Role::Doctor).await;
    let nurse = server.user("nurse_kay", Role::Nurse).await;
    server.user("front_desk", Role::Receptionist).await;
    let patient = server.user("pat_care", Role::Patient).await;
    server.app.care_for(&patient, &doctor).await;
    let pid = patient.id.to_string();
    let since = |who: i64| {
        format!("SELECT started_at FROM care_relationships WHERE clinician_id = {who} AND ended_at IS NULL")
    };
    let lead_since = server.minute(&since(doctor.id.0)).await;
    assert_eq!(
        server.reads(&server.token("nurse_kay").await, &pid).await,
        Err("FORBIDDEN careRelationship=false".into())
    );

    let b = Browser::open(&server.base).await;
    b.login("dr_lead", PASSWORD).await;
    b.visit(&format!("/patients/{pid}")).await;
    b.find("#care-team").await;
    assert_eq!(
        b.rows("#care-team").await,
        [["Test dr_lead\nDoctor", &lead_since, "until ended", "Test dr_lead", "End"]]
    );
    assert_eq!(b.text("#admission").await, "Not admitted to a department.");

    // A nurse, found by name, until the end of a day.
    b.choose("#member-role", "NURSE").await;
    b.fill("#member-name", "nurse_kay").await;
    b.set_value("#member-until", "2099-12-31").await;
    b.click("#find-member").await;
    b.find("#member-candidates").await;
    assert_eq!(b.texts("#member-candidates li").await, ["Test nurse_kay\nNurse\nAdd"]);
    b.click(&format!("#member-candidates li[data-id='{}'] .add-member", nurse.id)).await;
    let added = "Test nurse_kay is on the care team.";
    assert_eq!(b.text_becomes("#care-done", added).await, added);
    let kay_since = server.minute(&since(nurse.id.0)).await;
    let both: [&[&str]; 2] = [
        &["Test dr_lead\nDoctor", &lead_since, "until ended", "Test dr_lead", "End"],
        &["Test nurse_kay\nNurse", &kay_since, "2099-12-31 23:59", "Test dr_lead", "End"],
    ];
    assert_eq!(b.rows_become("#care-team", &both).await, both);
    assert_eq!(
        server.reads(&server.token("nurse_kay").await, &pid).await,
        Ok(0),
        "the nurse may read now"
    );

    // Admitted to a new department.
    b.fill("#admit-department", "Cardiology").await;
    b.click("#admit").await;
    assert_eq!(
        b.text_becomes("#care-done", "Admitted to Cardiology.").await,
        "Admitted to Cardiology."
    );
    let admitted =
        server.minute("SELECT admitted_at FROM admissions WHERE discharged_at IS NULL").await;
    let line = format!("Admitted to Cardiology since {admitted}, by Test dr_lead.");
    assert_eq!(b.text_becomes("#admission", &line).await, line);
    b.screenshot("care-team").await;

    // The nurse's membership ends: she is refused again.
    b.click(&format!("#care-team tr[data-id='{}'] .end-member", nurse.id)).await;
    let ended = "Test nurse_kay is no longer on the care team.";
    assert_eq!(b.text_becomes("#care-done", ended).await, ended);
    let lead: [&[&str]; 1] =
        [&["Test dr_lead\nDoctor", &lead_since, "until ended", "Test dr_lead", "End"]];
    assert_eq!(b.rows_become("#care-team", &lead).await, lead);
    assert_eq!(
        server.reads(&server.token("nurse_kay").await, &pid).await,
        Err("FORBIDDEN careRelationship=false".into())
    );

    b.click("#discharge").await;
    let none = "Not admitted to a department.";
    assert_eq!(b.text_becomes("#admission", none).await, none);
    b.click("#logout").await;

    // The front desk sees the team on the patient's page and admits from the list.
    b.login("front_desk", PASSWORD).await;
    b.visit(&format!("/people/{pid}")).await;
    b.find("#care-team").await;
    assert_eq!(
        b.rows("#care-team").await,
        [["Test dr_lead\nDoctor", &lead_since, "until ended", "Test dr_lead"]]
    );
    assert!(!b.has("#member-search").await, "the front desk adds no one");
    let options = b.find("#department-names option").await;
    assert_eq!(options.attr("value").await.expect("value").as_deref(), Some("Cardiology"));
    b.fill("#admit-department", "Cardiology").await;
    b.click("#admit").await;
    assert_eq!(
        b.text_becomes("#care-done", "Admitted to Cardiology.").await,
        "Admitted to Cardiology."
    );
    let departments: Vec<String> = sqlx::query_scalar("SELECT name FROM departments")
        .fetch_all(&server.app.state.pool)
        .await
        .expect("departments");
    assert_eq!(departments, ["Cardiology"], "the name picked, not a second department");
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_doctor_off_the_team_breaks_the_glass_reads_and_the_patient_sees_it(pool: PgPool) {
    let server = Server::start(pool).await;
    let team = server.user("dr_team", Role::Doctor).await;
    server.user("dr_er", Role::Doctor).await;
    let patient = server.user("pat_glass", Role::Patient).await;
    server.app.care_for(&patient, &team).await;
    let pid = patient.id.to_string();
    let token = server.token("dr_team").await;
    server
        .record(&token, &pid, "ALLERGY", "Penicillin", json!({ "reaction": "anaphylaxis" }))
        .await;

    let b = Browser::open(&server.base).await;
    b.login("dr_er", PASSWORD).await;
    b.visit(&format!("/patients/{pid}")).await;
    assert_eq!(b.text("#no-care-title").await, "You are not on this patient's care team");
    let told = "The contract refused you Test pat_glass's records, and the refusal is on the audit trail. \
                Clinicians on the patient's care team, or in the department the patient is admitted to, \
                may open them: ask a colleague on the team to add you.";
    assert_eq!(b.text_becomes("#no-care-text", told).await, told);
    assert!(!b.has("#record-list").await, "no records shown");
    b.click("#receipts summary").await;
    let refused = "AccessRequested · READ · HEALTH_RECORD · refused";
    assert!(b.texts("#receipts .receipt-what").await.contains(&refused.to_owned()));

    // Reason, justification, and a wrong password first.
    assert_eq!(
        b.texts("#glass-reason option").await,
        [
            "Choose a reason",
            "Emergency treatment",
            "Continuity of care",
            "The patient's request",
            "Other"
        ]
    );
    b.choose("#glass-reason", "EMERGENCY_TREATMENT").await;
    let why = "Unconscious in A&E; allergies needed before theatre.";
    b.fill("#glass-justification", why).await;
    assert!(b.text("#glass-count").await.starts_with("52 of 2000 characters (at least 10)."));
    b.scroll_to("#no-care-title").await;
    b.screenshot("not-on-care-team").await;
    b.fill("#glass-password", "not my password").await;
    b.click("#break-glass").await;
    let wrong = "Please check “password”: the password is wrong";
    assert_eq!(b.text_becomes("#break-glass-form .alert-error strong", wrong).await, wrong);
    assert_eq!(
        b.find("#glass-password").await.prop("value").await.expect("value").as_deref(),
        Some("")
    );
    b.fill("#glass-password", PASSWORD).await;

    // Granted: the end of the grant, then the records.
    b.click("#break-glass").await;
    b.find("#glass-granted").await;
    let until = server.minute("SELECT expires_at FROM break_glass").await;
    let granted = format!("Emergency access until {until} UTC.");
    assert_eq!(b.text("#glass-granted strong").await, granted);
    b.find("#record-list").await;
    assert_eq!(b.texts("#record-list .row-title").await, ["Penicillin"]);
    let (reason, justification, hours): (String, String, f64) = sqlx::query_as(
        "SELECT reason, justification, extract(epoch FROM expires_at - broken_at)::float8 / 3600 FROM break_glass",
    )
    .fetch_one(&server.app.state.pool)
    .await
    .expect("the grant");
    assert_eq!((reason.as_str(), justification.as_str()), ("EMERGENCY_TREATMENT", why));
    assert!((3.9..=4.1).contains(&hours), "four hours by default: {hours}");
    b.screenshot("break-glass-granted").await;
    b.click("#logout").await;

    // The patient sees who broke the glass, why, until when, and the read it allowed.
    b.login("pat_glass", PASSWORD).await;
    b.visit("/my-access").await;
    b.find("#emergency-accesses").await;
    let broken =
        server.minute("SELECT occurred_at FROM audit_events WHERE kind = 'GLASS_BROKEN'").await;
    assert_eq!(
        b.texts("#emergency-accesses li").await,
        [format!(
            "Test dr_er (Doctor) broke the glass on {broken} UTC\nEmergency treatment · until {until} UTC"
        )]
    );
    let detail = format!("until {until} UTC");
    let read = [
        "Test dr_er\nDoctor",
        &format!("Read · Health record\nEmergency access\n{detail}"),
        "You",
        "approved",
    ];
    assert_eq!(b.row_becomes("#trail", &read).await, read);
    let glass = [
        "Test dr_er\nDoctor",
        &format!("Broke the glass\nEmergency treatment · {detail}"),
        "You",
        "approved",
    ];
    assert_eq!(b.row_becomes("#trail", &glass).await, glass);
    // Flagged: the break, and the read of the records under it. (The care
    // team the records page asked for is not opened by a grant: that read was
    // refused, unflagged.)
    let marks = b.texts("#trail tbody tr.emergency td:nth-child(3)").await;
    assert_eq!(
        marks,
        [
            format!("Read · Health record\nEmergency access\n{detail}"),
            format!("Broke the glass\nEmergency treatment · {detail}"),
        ]
    );
    b.screenshot("patient-emergency-access").await;
    b.close().await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_auditor_closes_a_break_the_glass_review_and_the_count_drops(pool: PgPool) {
    let server = Server::start(pool).await;
    server.user("dr_night", Role::Doctor).await;
    server.user("aud_rev", Role::Auditor).await;
    let patient = server.user("pat_night", Role::Patient).await;
    let token = server.token("dr_night").await;
    let why = "Covering the night shift for the ward team.";
    let id = server.break_glass(&token, &patient.id.to_string(), "CONTINUITY_OF_CARE", why).await;
    let broken = server.minute("SELECT broken_at FROM break_glass").await;
    let until = server.minute("SELECT expires_at FROM break_glass").await;

    let b = Browser::open(&server.base).await;
    b.login("aud_rev", PASSWORD).await;
    let one = "1 break-the-glass access awaits review.";
    assert_eq!(b.text_becomes("#open-review-count", one).await, one);
    b.screenshot("auditor-home-reviews").await;
    b.click("a[href='/reviews']").await;
    b.find("#reviews").await;
    let item = format!("#reviews li[data-id='{id}']");
    assert_eq!(b.texts("#reviews > li").await.len(), 1);
    assert_eq!(
        b.text(&format!("{item} .review-title")).await,
        "Test dr_night broke the glass on Test pat_night"
    );
    assert_eq!(b.text(&format!("{item} .review-clinician")).await, "Test dr_night\nDoctor");
    assert_eq!(b.text(&format!("{item} .review-patient")).await, "Test pat_night");
    assert_eq!(b.text(&format!("{item} .review-reason")).await, "Continuity of care");
    assert_eq!(b.text(&format!("{item} .review-justification")).await, why);
    assert_eq!(b.text(&format!("{item} .review-when")).await, format!("{broken} UTC"));
    assert_eq!(b.text(&format!("{item} .review-until")).await, format!("{until} UTC in force"));
    b.screenshot("review-queue").await;

    // Not justified, with a note: closed, on chain, and gone from the queue.
    b.click(&format!("{item} .justified-no")).await;
    let note = "No record of a handover; raised with the ward manager.";
    b.fill(&format!("{item} .review-note"), note).await;
    b.click(&format!("{item} .close-review")).await;
    let closed = "Review closed: Test dr_night's access was not justified.";
    assert_eq!(b.text_becomes("#review-closed", closed).await, closed);
    let empty = "No break-the-glass access awaits review.";
    assert_eq!(b.text_becomes("#reviews-title ~ .empty", empty).await, empty);
    let (justified, stored): (bool, String) =
        sqlx::query_as("SELECT justified, note FROM break_glass WHERE id = $1::uuid")
            .bind(&id)
            .fetch_one(&server.app.state.pool)
            .await
            .expect("the review");
    assert_eq!((justified, stored.as_str()), (false, note));
    let pool = &server.app.state.pool;
    let on_chain = crate::support::eventually(async || {
        let sql = "SELECT count(*) FROM audit_events WHERE kind = 'GLASS_REVIEWED'";
        sqlx::query_scalar::<_, i64>(sql).fetch_one(pool).await.expect("count") == 1
    })
    .await;
    assert!(on_chain, "the review is on chain (GLASS_REVIEWED indexed)");

    // The reviewed list shows the verdict; the home page counts none open.
    b.choose("#reviews-show", "reviewed").await;
    let at = server.minute("SELECT reviewed_at FROM break_glass").await;
    let verdict = format!("Not justified — Test aud_rev, {at} UTC\n{note}");
    assert_eq!(b.text_becomes(&format!("{item} .review-verdict"), &verdict).await, verdict);
    b.visit("/").await;
    assert_eq!(b.text_becomes("#open-review-count", empty).await, empty);
    b.close().await;
}
