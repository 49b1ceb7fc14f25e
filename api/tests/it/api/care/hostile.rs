//! Hostile input to every care operation: malformed ids are bad input naming
//! their field (nothing asked of the contract), ids that name no patient are
//! refused by the contract (recorded, naming whom they named), and bad
//! arguments after an approved decision name their field. Nothing changes.

use alloy::primitives::B256;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use serde_json::json;
use sqlx::PgPool;

use super::super::{word, Hospital, PASSWORD};
use super::{add_member, break_glass, care_fingerprint, event, from_now, house, uid, Staff, WHY};
use crate::ops::{
    add_care_team_member, admit_patient, break_glass as glass, care_team, delete_user,
    discharge_patient, end_care_relationship, AddCareTeamMember, AdmitPatient, BreakGlass,
    CareTeam, DeleteUser, DischargePatient, EndCareRelationship, GlassReason,
};
use crate::support::Reply;

/// Every care operation that names a patient, with `patient_id`: the
/// administrator's (team and admission) and a doctor's break-the-glass.
async fn every_operation(
    h: &Hospital,
    doctor: &Staff,
    patient_id: &str,
) -> Vec<(&'static str, Reply<()>)> {
    let (app, admin) = (&h.app, Some(h.token(Role::Admin)));
    let (patient_id, user_id) = (patient_id.to_owned(), uid(&doctor.user));
    let team = care_team::Variables { patient_id: patient_id.clone() };
    let add = add_care_team_member::Variables {
        patient_id: patient_id.clone(),
        user_id: user_id.clone(),
        until: None,
    };
    let end = end_care_relationship::Variables { patient_id: patient_id.clone(), user_id };
    let admit = admit_patient::Variables {
        patient_id: patient_id.clone(),
        department: "Cardiology".into(),
    };
    let discharge = discharge_patient::Variables { patient_id: patient_id.clone() };
    let glass = glass::Variables {
        patient_id,
        reason: GlassReason::Other,
        justification: WHY.to_owned(),
        password: PASSWORD.to_owned(),
    };
    vec![
        ("careTeam", app.run::<CareTeam>(admin, team).await.map(drop)),
        ("addCareTeamMember", app.run::<AddCareTeamMember>(admin, add).await.map(drop)),
        ("endCareRelationship", app.run::<EndCareRelationship>(admin, end).await.map(drop)),
        ("admitPatient", app.run::<AdmitPatient>(admin, admit).await.map(drop)),
        ("dischargePatient", app.run::<DischargePatient>(admin, discharge).await.map(drop)),
        ("breakGlass", app.run::<BreakGlass>(Some(&doctor.token), glass).await.map(drop)),
    ]
}

#[sqlx::test(migrations = "../migrations")]
async fn ids_that_name_no_patient_change_nothing(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let before = care_fingerprint(&h.app.state.pool).await;

    for malformed in ["abc", "0", "-1", "", "1.5", "99999999999999999999"] {
        for (op, out) in every_operation(&h, &house, malformed).await {
            assert_eq!(
                (out.code(), out.extension("field")),
                ("BAD_USER_INPUT", &json!("patientId")),
                "{op}({malformed:?}): {out:?}"
            );
            assert_eq!(out.events(), Vec::<&str>::new(), "{op}: nothing asked");
        }
    }
    // No such account, or a staff member's: the contract refuses, and the
    // refusal names whom the request named (nobody for an unknown id).
    let staff =
        [h.user(Role::Doctor), h.user(Role::Receptionist), h.user(Role::Admin), h.user(Role::Root)];
    let named = std::iter::once(("999999".to_owned(), B256::ZERO))
        .chain(staff.iter().map(|u| (uid(u), word(u))));
    for (id, subject) in named {
        for (op, out) in every_operation(&h, &house, &id).await {
            assert_eq!(out.code(), "FORBIDDEN", "{op}({id}): {out:?}");
            assert_eq!(out.extension("careRelationship"), &json!(null), "{op}");
            assert_eq!(out.events(), ["AccessRequested"], "{op}");
            let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &out.audit[0]).await;
            assert_eq!((asked.subject, asked.approved), (subject, false), "{op}({id})");
        }
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn bad_arguments_after_an_approved_decision_name_their_field(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let two = &h.other_patient;
    let gone = Staff::new(&h, "dr.gone", Role::Doctor).await;
    let vars = delete_user::Variables { id: uid(&gone.user) };
    h.run::<DeleteUser>(Role::Admin, vars).await.ok();
    let house = house(&h).await;
    let before = care_fingerprint(&h.app.state.pool).await;
    let admin = h.token(Role::Admin);

    let not_clinician = "userId: only a doctor or a nurse can join a care team";
    let user_ids = [
        ("abc".to_owned(), "userId: must be a user id (a positive whole number)"),
        ("999999".to_owned(), "userId: no such user"),
        (uid(h.user(Role::Patient)), not_clinician),
        (uid(two), not_clinician),
        (uid(h.user(Role::Receptionist)), not_clinician),
        (uid(h.user(Role::Admin)), not_clinician),
        (uid(&gone.user), not_clinician),
    ];
    for (user_id, message) in user_ids {
        let vars = add_care_team_member::Variables {
            patient_id: uid(two),
            user_id: user_id.clone(),
            until: None,
        };
        let out = h.app.run::<AddCareTeamMember>(Some(admin), vars).await;
        assert_eq!((out.code(), out.message()), ("BAD_USER_INPUT", message), "{user_id}");
        assert_eq!(out.extension("field"), &json!("userId"));
        assert_eq!(out.events(), ["AccessRequested"], "approved, then refused as bad input");
    }
    for until in [from_now(-60), from_now(0), "2001-01-01T00:00:00Z".to_owned()] {
        let out = add_member(&h, admin, two, &house.user, Some(until.clone())).await;
        assert_eq!(
            (out.code(), out.message()),
            ("BAD_USER_INPUT", "until: must be in the future"),
            "{until}"
        );
        assert_eq!(out.extension("field"), &json!("until"));
    }
    let end = |user_id: String| end_care_relationship::Variables { patient_id: uid(two), user_id };
    let out = h.run::<EndCareRelationship>(Role::Admin, end("999999".into())).await;
    assert_eq!((out.code(), out.extension("field")), ("BAD_USER_INPUT", &json!("userId")));
    let out = h.run::<EndCareRelationship>(Role::Admin, end(uid(&house.user))).await;
    assert_eq!((out.code(), out.message()), ("NOT_FOUND", "care relationship not found"));

    for department in ["", "   ", &"d".repeat(101)] {
        let vars = admit_patient::Variables { patient_id: uid(two), department: department.into() };
        let out = h.run::<AdmitPatient>(Role::Receptionist, vars).await;
        assert_eq!(
            (out.code(), out.message()),
            ("BAD_USER_INPUT", "department: must be 1 to 100 characters")
        );
        assert_eq!(out.events(), ["AccessRequested"]);
    }
    // Breaking the glass on a staff member, or on oneself: refused by the contract.
    for target in [h.user(Role::Nurse), &house.user] {
        let out = break_glass(&h, &house.token, target, WHY, PASSWORD).await;
        assert_eq!((out.code(), out.events()), ("FORBIDDEN", vec!["AccessRequested"]));
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
}
