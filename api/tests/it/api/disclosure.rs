//! Least disclosure: people named by a record, an event or a search show a
//! professional identity only (name, role, department, position); the whole
//! account is a guarded `user(id)`. A search that lists patients is in each
//! listed patient's report, and in no one else's.

use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::{Role, User};
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{assert_forbidden, log_of, word, Hospital, PASSWORD};
use crate::ops::{
    self, patient_records, record_people, report, search_users, update_user, user_by_id,
    AccessAction, AccessResource, PatientRecords, RecordPeople, Report, SearchUsers, UpdateUser,
    UserById,
};
use crate::support::{code, Note, Reply};

/// Every event about the asker (a patient) or, for staff, every event, of
/// one action.
fn of_action(action: AccessAction) -> report::Variables {
    report::Variables {
        filter: Some(report::AuditFilter {
            actor: None,
            subject: None,
            record_id: None,
            action: Some(action),
            resource: None,
            approved: None,
            kind: None,
            since: None,
            until: None,
            include_duplicates: None,
            include_lost: None,
        }),
    }
}

fn sid(user: &User) -> String {
    user.system_id.expect("system id").to_string()
}

/// The subject the contract recorded for the access a note stands for.
async fn recorded_subject(h: &Hospital, note: &Note) -> alloy::primitives::B256 {
    log_of(&h.app, note)
        .await
        .log_decode::<CareLedgerAccess::AccessRequested>()
        .expect("an AccessRequested event")
        .inner
        .data
        .subject
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patient_sees_who_wrote_their_record_by_name_and_role_only(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let doctor = h.user(Role::Doctor).clone();
    let patient = h.user(Role::Patient).clone();
    let details = update_user::Variables {
        id: doctor.id.to_string(),
        input: update_user::UpdateUserInput {
            full_name: None,
            address: Some("9 Private Lane, Ashby".to_owned()),
            designation: Some("Attending Physician".to_owned()),
            department: Some("Cardiology".to_owned()),
        },
    };
    h.run::<UpdateUser>(Role::Root, details).await.ok();
    let record = h.record("Hypertension").await;

    let out =
        h.run::<RecordPeople>(Role::Patient, record_people::Variables { id: record.clone() }).await;
    let versions = &out.ok().record_history;
    assert_eq!(versions.len(), 1);
    assert_eq!(
        versions[0].author,
        record_people::RecordPeopleRecordHistoryAuthor {
            id: doctor.id.to_string(),
            full_name: "Test dr.grey".to_owned(),
            role: ops::Role::Doctor,
            department: Some("Cardiology".to_owned()),
            position: Some("Attending Physician".to_owned()),
            designation: Some("Cardiology — Attending Physician".to_owned()),
        }
    );
    assert_eq!(
        versions[0].patient,
        record_people::RecordPeopleRecordHistoryPatient {
            id: patient.id.to_string(),
            full_name: "Test pat.one".to_owned(),
            role: ops::Role::Patient,
        }
    );
    // The people came with the record read: one access, no other.
    assert_eq!(out.audit.len(), 1, "{:?}", out.audit);
    assert_eq!(
        (out.audit[0].action, out.audit[0].resource, out.audit[0].approved),
        (Some(AccessAction::Read), Some(AccessResource::HealthRecord), true)
    );

    // Personal fields are not on a nested person at all: asking is a
    // schema error, refused before any access is asked or anything is read.
    let token = h.token(Role::Patient);
    for (query, field) in [
        ("query($id: ID!) { recordHistory(id: $id) { author { address } } }", "address"),
        ("query($id: ID!) { recordHistory(id: $id) { author { username } } }", "username"),
        ("query($id: ID!) { recordHistory(id: $id) { author { systemId } } }", "systemId"),
        ("query($id: ID!) { record(id: $id) { patient { address } } }", "address"),
        ("{ searchUsers { edges { node { username } } } }", "username"),
        ("{ auditEvents { edges { node { actor { address } } } } }", "address"),
    ] {
        let out: Value = h.app.raw(Some(token), query, json!({ "id": record })).await;
        assert_eq!(code(&out), "BAD_REQUEST", "{query}: {out}");
        let message = out["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(
            message.starts_with(&format!("Unknown field \"{field}\" on type \"Person\".")),
            "{query}: {message}"
        );
        assert_eq!(out["data"], Value::Null, "{query}");
        assert_eq!(out["extensions"]["audit"], Value::Null, "{query}: nothing was asked");
    }

    // The whole account is a read of that user, which the contract refuses
    // a patient, and records: the refusal names the doctor as its subject.
    let read =
        h.run::<UserById>(Role::Patient, user_by_id::Variables { id: doctor.id.to_string() }).await;
    assert_forbidden(&read, AccessAction::Read, AccessResource::UserRecord, "patient reads doctor");
    assert_eq!(read.data.and_then(|d| d.user), None);
    assert_eq!(recorded_subject(&h, &read.audit[0]).await, word(&doctor));
    // The refusal is on the trail for an auditor to see.
    let trail = h.run::<Report>(Role::Auditor, of_action(AccessAction::Read)).await;
    let refused: Vec<_> = trail
        .ok()
        .audit_events
        .edges
        .iter()
        .filter(|e| e.node.transaction_hash == read.audit[0].transaction_hash.to_string())
        .map(|e| {
            (e.node.approved, e.node.actor_system_id.clone(), e.node.subject_system_id.clone())
        })
        .collect();
    assert_eq!(refused, [(false, sid(&patient), Some(sid(&doctor)))]);
}

fn patients_named(query: &str) -> search_users::Variables {
    search_users::Variables {
        query: Some(query.to_owned()),
        role: Some(ops::Role::Patient),
        first: None,
        after: None,
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_doctors_patient_search_is_in_each_listed_patients_report_and_no_one_elses(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let zoe = h.app.add_user("zoe.unlisted", PASSWORD, Role::Patient).await;
    let zoe_token = h.app.login("zoe.unlisted", PASSWORD).await;
    let (one, two) = (h.user(Role::Patient).clone(), h.other_patient.clone());
    let doctor = h.user(Role::Doctor).clone();

    let out = h.run::<SearchUsers>(Role::Doctor, patients_named("pat")).await;
    let found: Vec<_> = out
        .ok()
        .search_users
        .edges
        .iter()
        .map(|e| (e.node.id.clone(), e.node.full_name.clone(), e.node.role))
        .collect();
    assert_eq!(
        found,
        [
            (one.id.to_string(), "Test pat.one".to_owned(), ops::Role::Patient),
            (two.id.to_string(), "Test pat.two".to_owned(), ops::Role::Patient)
        ]
    );
    // The search, then one listing per patient, both listings in one transaction.
    let notes = &out.audit;
    assert_eq!(out.events(), ["AccessRequested"; 3]);
    for note in notes {
        assert_eq!(
            (note.action, note.resource, note.approved),
            (Some(AccessAction::Search), Some(AccessResource::UserRecord), true)
        );
    }
    assert_eq!(recorded_subject(&h, &notes[0]).await, alloy::primitives::B256::ZERO);
    assert_eq!(recorded_subject(&h, &notes[1]).await, word(&one));
    assert_eq!(recorded_subject(&h, &notes[2]).await, word(&two));
    assert_eq!(notes[1].transaction_hash, notes[2].transaction_hash);
    assert_ne!(notes[0].transaction_hash, notes[1].transaction_hash);

    // Each listed patient's report shows the search that listed them, with
    // the doctor named; nothing else of the doctor's is a search.
    for (patient, token, note) in [
        (&one, h.token(Role::Patient).to_owned(), &notes[1]),
        (&two, h.other_patient_token.clone(), &notes[2]),
    ] {
        let report = h.app.run::<Report>(Some(&token), of_action(AccessAction::Search)).await;
        let events: Vec<_> = report
            .ok()
            .audit_events
            .edges
            .iter()
            .map(|e| {
                let n = &e.node;
                (
                    n.kind.clone(),
                    n.resource,
                    n.approved,
                    n.actor_system_id.clone(),
                    n.subject_system_id.clone(),
                    n.transaction_hash.clone(),
                    n.log_index,
                    n.actor.as_ref().map(|a| (a.id.clone(), a.full_name.clone(), a.role)),
                )
            })
            .collect();
        assert_eq!(
            events,
            [(
                "ACCESS_REQUESTED".to_owned(),
                Some(AccessResource::UserRecord),
                true,
                sid(&doctor),
                Some(sid(patient)),
                note.transaction_hash.to_string(),
                i64::try_from(note.log_index).expect("log index"),
                Some((doctor.id.to_string(), "Test dr.grey".to_owned(), ops::Role::Doctor)),
            )]
        );
    }
    // The patient the search did not list has no search in their report.
    let report = h.app.run::<Report>(Some(&zoe_token), of_action(AccessAction::Search)).await;
    assert!(report.ok().audit_events.edges.is_empty(), "{:?}: {report:?}", zoe.id);

    // Listing staff records the search only: they show no more than their
    // professional identity.
    let staff = search_users::Variables {
        query: None,
        role: Some(ops::Role::Nurse),
        first: None,
        after: None,
    };
    let out = h.run::<SearchUsers>(Role::Doctor, staff).await;
    let names: Vec<_> = out.ok().search_users.edges.iter().map(|e| &e.node.full_name).collect();
    assert_eq!(names, ["Test nurse.joy"]);
    assert_eq!(out.audit.len(), 1, "{:?}", out.audit);
    assert_eq!(recorded_subject(&h, &out.audit[0]).await, alloy::primitives::B256::ZERO);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patients_report_names_the_staff_who_acted_but_never_another_patient(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let (one, two) = (h.user(Role::Patient).clone(), h.other_patient.clone());
    let patient_id = one.id.to_string();
    let read = h
        .run::<PatientRecords>(
            Role::Doctor,
            patient_records::Variables { patient_id: patient_id.clone() },
        )
        .await;
    read.ok();
    let tried = h
        .app
        .run::<PatientRecords>(
            Some(&h.other_patient_token),
            patient_records::Variables { patient_id },
        )
        .await;
    assert_forbidden(&tried, AccessAction::Read, AccessResource::HealthRecord, "pat.two");

    let report: Reply<_> = h.run::<Report>(Role::Patient, of_action(AccessAction::Read)).await;
    let by_tx = |note: &Note| {
        report
            .ok()
            .audit_events
            .edges
            .iter()
            .find(|e| e.node.transaction_hash == note.transaction_hash.to_string())
            .map(|e| {
                (
                    e.node.actor_system_id.clone(),
                    e.node.approved,
                    e.node.actor.as_ref().map(|a| a.full_name.clone()),
                    e.node.subject.as_ref().map(|s| s.full_name.clone()),
                )
            })
    };
    assert_eq!(
        by_tx(&read.audit[0]),
        Some((
            sid(h.user(Role::Doctor)),
            true,
            Some("Test dr.grey".to_owned()),
            Some("Test pat.one".to_owned())
        ))
    );
    // Another patient who tried: by system id only.
    assert_eq!(
        by_tx(&tried.audit[0]),
        Some((sid(&two), false, None, Some("Test pat.one".to_owned())))
    );
}
