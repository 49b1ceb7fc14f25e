//! A patient's care team: who may put a clinician on it, what the chain
//! records, and when the clinician's reach ends (ended by someone, or run
//! out on the chain's clock).

use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::{Role, User};
use sqlx::PgPool;

use super::super::{assert_forbidden, word, Hospital};
use super::{
    add_member, assert_no_care, care_fingerprint, event, from_now, house, read, relation, row_of,
    titles, travel, uid, unix, Staff,
};
use crate::ops::{
    care_team, end_care_relationship, AccessAction, AccessResource, CareTeam, EndCareRelationship,
};

/// `(member, until)` of each active member, as `careTeam` lists them.
async fn members(h: &Hospital, patient: &User) -> Vec<(String, Option<u64>)> {
    let out = h.run::<CareTeam>(Role::Admin, care_team::Variables { patient_id: uid(patient) });
    let team = out.await.ok().care_team.clone();
    team.members.iter().map(|m| (m.person.id.clone(), m.until.as_deref().map(unix))).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_administrator_adds_doctors_open_ended_or_until_a_time_and_the_chain_holds_each(
    pool: PgPool,
) {
    let h = Hospital::new(pool).await;
    let (house, wilson) = (house(&h).await, Staff::new(&h, "dr.wilson", Role::Doctor).await);
    let patient = &h.other_patient;
    let admin = h.user(Role::Admin);
    assert_no_care(&h.app, &read(&h, &house.token, patient).await, "before").await;

    let open = add_member(&h, h.token(Role::Admin), patient, &house.user, None).await;
    let added = &open.ok().add_care_team_member;
    assert_eq!(
        (added.person.id.as_str(), added.until.as_deref()),
        (uid(&house.user).as_str(), None)
    );
    assert_eq!(added.added_by.id, uid(admin));
    assert_eq!(open.events(), ["AccessRequested", "CareRelationshipAdded"]);
    assert!(open.audit.iter().all(|n| n.approved));
    let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &open.audit[0]).await;
    assert_eq!((asked.actor, asked.subject), (word(admin), word(patient)));
    assert_eq!((asked.action, asked.resource, asked.approved), (0, 3, true), "CARE_TEAM CREATE");
    let on_chain = event::<CareLedgerAccess::CareRelationshipAdded>(&h.app, &open.audit[1]).await;
    assert_eq!(
        (on_chain.actor, on_chain.patient, on_chain.clinician, on_chain.entryId, on_chain.until),
        (word(admin), word(patient), word(&house.user), open.audit[1].id, 0)
    );
    assert_eq!(relation(&h.app, patient, &house.user).await.careUntil, u64::MAX, "open-ended");

    let until = from_now(3600);
    let timed = add_member(&h, h.token(Role::Admin), patient, &wilson.user, Some(until.clone()));
    let timed = timed.await;
    let added = &timed.ok().add_care_team_member;
    assert_eq!(added.until.as_deref().map(unix), Some(unix(&until)));
    let on_chain = event::<CareLedgerAccess::CareRelationshipAdded>(&h.app, &timed.audit[1]).await;
    assert_eq!((on_chain.clinician, on_chain.until), (word(&wilson.user), unix(&until)));
    let row = row_of(&h, &timed.audit[1]).await;
    assert_eq!(row.kind, "CARE_ADDED");
    assert_eq!(row.counterpart_system_id, Some(word(&wilson.user).to_string()));
    assert_eq!(row.until.as_deref().map(unix), Some(unix(&until)));

    assert_eq!(
        members(&h, patient).await,
        [(uid(&house.user), None), (uid(&wilson.user), Some(unix(&until)))]
    );
    for doctor in [&house, &wilson] {
        assert_eq!(titles(&read(&h, &doctor.token, patient).await), Vec::<String>::new());
    }

    // Added again, an open-ended member gets the new end: still one membership.
    let later = from_now(7200);
    let again = add_member(&h, h.token(Role::Admin), patient, &house.user, Some(later.clone()));
    assert_eq!(
        again.await.ok().add_care_team_member.until.as_deref().map(unix),
        Some(unix(&later))
    );
    assert_eq!(relation(&h.app, patient, &house.user).await.careUntil, unix(&later));
    assert_eq!(
        members(&h, patient).await,
        [(uid(&house.user), Some(unix(&later))), (uid(&wilson.user), Some(unix(&until)))]
    );
}

#[sqlx::test(migrations = "../migrations")]
async fn a_doctor_on_the_team_adds_a_colleague_who_then_reads(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.record("Hypertension").await;
    let house = house(&h).await;
    let (patient, grey) = (h.user(Role::Patient), h.user(Role::Doctor));
    let out = add_member(&h, h.token(Role::Doctor), patient, &house.user, None).await;
    assert_eq!(out.ok().add_care_team_member.added_by.id, uid(grey));
    let on_chain = event::<CareLedgerAccess::CareRelationshipAdded>(&h.app, &out.audit[1]).await;
    assert_eq!((on_chain.actor, on_chain.clinician), (word(grey), word(&house.user)));
    assert_eq!(titles(&read(&h, &house.token, patient).await), ["Hypertension"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn only_administrators_and_doctors_on_the_team_add_and_every_refusal_is_recorded(
    pool: PgPool,
) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let (one, two) = (h.user(Role::Patient), &h.other_patient);
    let before = care_fingerprint(&h.app.state.pool).await;
    let (doctor, newcomer) = (h.user(Role::Doctor), &house.user);
    let tries = [
        ("a doctor adding himself", house.token.as_str(), newcomer, one),
        ("a doctor off the team", &house.token, doctor, two),
        ("a nurse on the team", h.token(Role::Nurse), newcomer, one),
        ("the front desk", h.token(Role::Receptionist), newcomer, one),
        ("an auditor", h.token(Role::Auditor), newcomer, one),
        ("the patient", h.token(Role::Patient), newcomer, one),
        ("another patient", &h.other_patient_token, newcomer, one),
    ];
    for (who, token, clinician, patient) in tries {
        let out = add_member(&h, token, patient, clinician, None).await;
        assert_forbidden(&out, AccessAction::Create, AccessResource::CareTeam, who);
        let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &out.audit[0]).await;
        assert_eq!((asked.subject, asked.approved), (word(patient), false), "{who}");
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before, "nothing changed");
    assert_no_care(&h.app, &read(&h, &house.token, one).await, "still no relationship").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn an_ended_relationship_refuses_the_clinician_on_chain(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.record("Asthma").await;
    let (patient, grey, admin) = (h.user(Role::Patient), h.user(Role::Doctor), h.user(Role::Admin));
    assert_eq!(titles(&read(&h, h.token(Role::Doctor), patient).await), ["Asthma"]);
    let end = || end_care_relationship::Variables { patient_id: uid(patient), user_id: uid(grey) };

    // A nurse on the team may not end a doctor's relationship.
    let nurse = h.run::<EndCareRelationship>(Role::Nurse, end()).await;
    assert_forbidden(&nurse, AccessAction::Delete, AccessResource::CareTeam, "a nurse");

    let ended = h.run::<EndCareRelationship>(Role::Admin, end()).await;
    assert!(ended.ok().end_care_relationship);
    assert_eq!(ended.events(), ["AccessRequested", "CareRelationshipEnded"]);
    let on_chain = event::<CareLedgerAccess::CareRelationshipEnded>(&h.app, &ended.audit[1]).await;
    assert_eq!(
        (on_chain.actor, on_chain.patient, on_chain.clinician, on_chain.entryId),
        (word(admin), word(patient), word(grey), ended.audit[1].id)
    );
    assert_eq!(relation(&h.app, patient, grey).await.careUntil, 0);
    assert_eq!(members(&h, patient).await, [(uid(h.user(Role::Nurse)), None)]);

    let refused = read(&h, h.token(Role::Doctor), patient).await;
    assert_no_care(&h.app, &refused, "after the end").await;
    let row = row_of(&h, &refused.audit[0]).await;
    assert_eq!(
        (row.kind.as_str(), row.approved, row.emergency),
        ("ACCESS_REQUESTED", false, false)
    );

    // Ending it again: nothing to end, nothing written.
    let before = care_fingerprint(&h.app.state.pool).await;
    let again = h.run::<EndCareRelationship>(Role::Admin, end()).await;
    assert_eq!((again.code(), again.message()), ("NOT_FOUND", "care relationship not found"));
    assert_eq!(again.events(), ["AccessRequested"]);
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
}

/// The chain decides by its own clock: past `until` there, the clinician is
/// refused. The database lists members by its clock, so while the two
/// disagree (here: the chain an hour ahead) `careTeam` still shows a member
/// the contract no longer lets in.
#[sqlx::test(migrations = "../migrations")]
async fn a_membership_runs_out_on_the_chains_clock(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let patient = &h.other_patient;
    let until = from_now(3600);
    add_member(&h, h.token(Role::Admin), patient, &house.user, Some(until.clone())).await.ok();
    titles(&read(&h, &house.token, patient).await);
    let ahead = super::chain_now(&h.app).await;

    travel(&h.app, 3600 + 60).await;
    assert!(super::chain_now(&h.app).await > unix(&until), "the chain is past `until`");
    let refused = read(&h, &house.token, patient).await;
    assert_no_care(&h.app, &refused, "after `until` on chain").await;
    let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &refused.audit[0]).await;
    assert!(asked.timestamp > unix(&until) && asked.timestamp >= ahead + 3600);

    // The database's clock has not got there: it still lists the member.
    assert_eq!(members(&h, patient).await, [(uid(&house.user), Some(unix(&until)))]);
}
