//! A patient's "who accessed my records" names people, never hex: each
//! event says who acted in a word (`actorKind`), and staff come with their
//! name, role, department and designation. Another patient is withheld,
//! the system and a refused sign-in are said in words, and nobody else's
//! report shows any of it.

use careledger::users::{Role, User};
use sqlx::PgPool;

use super::Hospital;
use crate::ops::{
    self, access_report, login, patient_records, update_user, AccessAction, AccessReport, Login,
    PatientRecords, UpdateUser,
};
use crate::support::{Note, Reply};

use access_report::AccessReportAuditEventsEdgesNodeActor as Actor;
use access_report::AuditActorKind as Kind;

fn report(subject: Option<&User>) -> access_report::Variables {
    access_report::Variables {
        filter: Some(access_report::AuditFilter {
            actor: None,
            subject: subject.map(|u| u.system_id.expect("system id").to_string()),
            record_id: None,
            action: None,
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

/// One row of a report: what happened, the verdict, who acted in a word, and as whom.
type Row = (String, Option<AccessAction>, bool, Kind, Option<Actor>);

fn rows(out: &Reply<access_report::ResponseData>) -> Vec<Row> {
    out.ok()
        .audit_events
        .edges
        .iter()
        .map(|e| {
            let n = &e.node;
            (n.kind.clone(), n.action, n.approved, n.actor_kind.clone(), n.actor.clone())
        })
        .collect()
}

/// A person as a report names them, with no department or position on file.
fn plain(user: &User, role: ops::Role) -> Actor {
    Actor {
        id: user.id.to_string(),
        full_name: user.full_name.clone(),
        role,
        department: None,
        position: None,
        designation: None,
    }
}

fn row(
    kind: &str,
    action: Option<AccessAction>,
    approved: bool,
    who: Kind,
    actor: Option<Actor>,
) -> Row {
    (kind.to_owned(), action, approved, who, actor)
}

/// The doctor with a department, a position and an address on file; then
/// the doctor reads the first patient's records, the second patient tries
/// to, and someone fails to sign in as the first patient. Returns the
/// doctor as a report names them and the doctor's read.
async fn accesses(h: &Hospital) -> (Actor, Note) {
    let doctor = h.user(Role::Doctor);
    let details = update_user::Variables {
        id: doctor.id.to_string(),
        input: update_user::UpdateUserInput {
            full_name: Some("Meredith Grey".to_owned()),
            address: Some("9 Private Lane, Ashby".to_owned()),
            designation: Some("Attending Physician".to_owned()),
            department: Some("Cardiology".to_owned()),
        },
    };
    h.run::<UpdateUser>(Role::Root, details).await.ok();
    let patient_id = h.user(Role::Patient).id.to_string();
    let vars = patient_records::Variables { patient_id };
    let read = h.run::<PatientRecords>(Role::Doctor, vars.clone()).await;
    read.ok();
    let tried = h.app.run::<PatientRecords>(Some(&h.other_patient_token), vars).await;
    assert_eq!(tried.code(), "FORBIDDEN");
    let guess = login::Variables { username: "pat.one".to_owned(), password: "not it".to_owned() };
    let refused = h.app.run::<Login>(None, guess).await;
    assert_eq!(refused.code(), "UNAUTHENTICATED", "{refused:?}");
    let named = Actor {
        id: doctor.id.to_string(),
        full_name: "Meredith Grey".to_owned(),
        role: ops::Role::Doctor,
        department: Some("Cardiology".to_owned()),
        position: Some("Attending Physician".to_owned()),
        designation: Some("Cardiology — Attending Physician".to_owned()),
    };
    (named, read.audit[0].clone())
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patients_report_names_staff_by_name_role_department_and_designation(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let (doctor, read) = accesses(&h).await;
    let me = plain(h.user(Role::Patient), ops::Role::Patient);
    let admin = plain(h.user(Role::Admin), ops::Role::Admin);
    let read_access = Some(AccessAction::Read);

    let out = h.run::<AccessReport>(Role::Patient, report(None)).await;
    assert_eq!(
        rows(&out),
        [
            // This very report, read by the patient.
            row("ACCESS_REQUESTED", read_access, true, Kind::PERSON, Some(me.clone())),
            // Someone guessing a password: no one proved who they were.
            row("SIGN_IN_FAILED", None, false, Kind::NOBODY, None),
            // Another patient trying: withheld, neither named nor identified.
            row("ACCESS_REQUESTED", read_access, false, Kind::WITHHELD, None),
            // The doctor, as a person: no address, username or system id.
            row("ACCESS_REQUESTED", read_access, true, Kind::PERSON, Some(doctor)),
            // The administrator put the doctor and the nurse on the care team.
            row("CARE_ADDED", None, true, Kind::PERSON, Some(admin.clone())),
            row("CARE_ADDED", None, true, Kind::PERSON, Some(admin)),
            row("SIGNED_IN", None, true, Kind::PERSON, Some(me)),
            // The account was registered by CareLedger itself.
            row("USER_ADDED", None, true, Kind::SYSTEM, None),
        ]
    );
    let doctors = &out.ok().audit_events.edges[3].node;
    assert_eq!(
        (doctors.transaction_hash.as_str(), doctors.log_index),
        (read.transaction_hash.to_string().as_str(), i64::try_from(read.log_index).expect("index"))
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn another_patients_report_shows_none_of_it_whatever_the_filter(pool: PgPool) {
    let h = Hospital::new(pool).await;
    accesses(&h).await;
    let two = &h.other_patient;
    let me = plain(two, ops::Role::Patient);
    let read_access = Some(AccessAction::Read);
    let mut expected = vec![
        row("SIGNED_IN", None, true, Kind::PERSON, Some(me.clone())),
        row("USER_ADDED", None, true, Kind::SYSTEM, None),
    ];
    for subject in [None, Some(h.user(Role::Patient))] {
        let out = h.app.run::<AccessReport>(Some(&h.other_patient_token), report(subject)).await;
        // Each report read is on the reader's own report, newest first.
        expected
            .insert(0, row("ACCESS_REQUESTED", read_access, true, Kind::PERSON, Some(me.clone())));
        assert_eq!(rows(&out), expected, "asked about {:?}", subject.map(|u| u.id));
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn an_auditor_still_sees_everyone_who_acted_named(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let (doctor, _) = accesses(&h).await;
    let patient = h.user(Role::Patient);
    let two = plain(&h.other_patient, ops::Role::Patient);
    let me = plain(patient, ops::Role::Patient);
    let admin = plain(h.user(Role::Admin), ops::Role::Admin);
    let read_access = Some(AccessAction::Read);
    let out = h.run::<AccessReport>(Role::Auditor, report(Some(patient))).await;
    assert_eq!(
        rows(&out),
        [
            row("SIGN_IN_FAILED", None, false, Kind::NOBODY, None),
            row("ACCESS_REQUESTED", read_access, false, Kind::PERSON, Some(two)),
            row("ACCESS_REQUESTED", read_access, true, Kind::PERSON, Some(doctor)),
            row("CARE_ADDED", None, true, Kind::PERSON, Some(admin.clone())),
            row("CARE_ADDED", None, true, Kind::PERSON, Some(admin)),
            row("SIGNED_IN", None, true, Kind::PERSON, Some(me)),
            row("USER_ADDED", None, true, Kind::SYSTEM, None),
        ]
    );
}
