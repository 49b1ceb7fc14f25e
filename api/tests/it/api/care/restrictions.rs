//! A patient's restrictions: a named staff member or a whole department is
//! refused even when otherwise in the patient's care, exactly as if there
//! were no relationship; only break-the-glass overrides it; the patient
//! alone sees and lifts their own.

use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::{Role, User};
use sqlx::PgPool;

use super::super::{assert_forbidden, word, Hospital, PASSWORD};
use super::admission::{admit, assign};
use super::glass::{assert_emergency, assert_ordinary};
use super::{
    assert_no_care, break_glass, care_fingerprint, contract, event, house, read, relation, titles,
    travel, uid, WHY,
};
use crate::ops::{
    care_team, lift_restriction, my_restrictions, restrict_access, AccessAction, AccessResource,
    CareTeam, LiftRestriction, MyRestrictions, RestrictAccess,
};
use crate::support::Reply;

fn staff(user: &User) -> (Option<String>, Option<String>) {
    (Some(uid(user)), None)
}

fn department(name: &str) -> (Option<String>, Option<String>) {
    (None, Some(name.to_owned()))
}

async fn restrict(
    h: &Hospital,
    token: &str,
    (user_id, department): (Option<String>, Option<String>),
) -> Reply<restrict_access::ResponseData> {
    let vars = restrict_access::Variables { user_id, department };
    h.app.run::<RestrictAccess>(Some(token), vars).await
}

async fn lift(
    h: &Hospital,
    token: &str,
    (user_id, department): (Option<String>, Option<String>),
) -> Reply<lift_restriction::ResponseData> {
    let vars = lift_restriction::Variables { user_id, department };
    h.app.run::<LiftRestriction>(Some(token), vars).await
}

/// `(staff member, department)` of each restriction in force, as the holder of `token` sees them.
async fn mine(h: &Hospital, token: &str) -> Vec<(Option<String>, Option<String>)> {
    let out = h.app.run::<MyRestrictions>(Some(token), my_restrictions::Variables).await;
    let list = &out.ok().my_restrictions;
    list.iter().map(|r| (r.person.as_ref().map(|p| p.id.clone()), r.department.clone())).collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_restricted_doctor_is_refused_exactly_as_one_with_no_relationship(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.record("Asthma").await;
    let (one, two, grey) = (h.user(Role::Patient), &h.other_patient, h.user(Role::Doctor));
    let me = h.token(Role::Patient);

    let out = restrict(&h, me, staff(grey)).await;
    assert!(out.ok().restrict_access);
    assert_eq!(out.events(), ["AccessRequested", "AccessRestricted"]);
    let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &out.audit[0]).await;
    assert_eq!((asked.action, asked.resource, asked.subject), (0, 5, word(one)), "own RESTRICTION");
    let on_chain = event::<CareLedgerAccess::AccessRestricted>(&h.app, &out.audit[1]).await;
    assert_eq!(
        (on_chain.patient, on_chain.staff, on_chain.department, on_chain.entryId),
        (word(one), word(grey), 0, out.audit[1].id)
    );
    let held = relation(&h.app, one, grey).await;
    assert!(held.restricted && held.careUntil == u64::MAX, "still on the team");
    assert_eq!(mine(&h, me).await, [staff(grey)]);

    // What the doctor is told about the patient who restricted them, and
    // about a patient they never treated: the same, word for word.
    let restricted = read(&h, h.token(Role::Doctor), one).await;
    let unrelated = read(&h, h.token(Role::Doctor), two).await;
    assert_no_care(&h.app, &restricted, "restricted").await;
    assert_no_care(&h.app, &unrelated, "no relationship").await;
    assert_eq!(restricted.errors, unrelated.errors);
    let team = |p: &User| care_team::Variables { patient_id: uid(p) };
    let restricted = h.run::<CareTeam>(Role::Doctor, team(one)).await;
    let unrelated = h.run::<CareTeam>(Role::Doctor, team(two)).await;
    assert_forbidden(&restricted, AccessAction::Read, AccessResource::CareTeam, "restricted");
    assert_eq!(restricted.errors, unrelated.errors);
    // The nurse, not restricted, still reads.
    assert_eq!(titles(&read(&h, h.token(Role::Nurse), one).await), ["Asthma"]);

    // Restricting again changes nothing.
    let before = care_fingerprint(&h.app.state.pool).await;
    let again = restrict(&h, me, staff(grey)).await;
    assert!(!again.ok().restrict_access);
    assert_eq!(again.events(), ["AccessRequested"]);
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);

    let lifted = lift(&h, me, staff(grey)).await;
    assert!(lifted.ok().lift_restriction);
    assert_eq!(lifted.events(), ["AccessRequested", "RestrictionLifted"]);
    let on_chain = event::<CareLedgerAccess::RestrictionLifted>(&h.app, &lifted.audit[1]).await;
    assert_eq!((on_chain.patient, on_chain.staff), (word(one), word(grey)));
    assert_eq!(titles(&read(&h, h.token(Role::Doctor), one).await), ["Asthma"]);
    assert_eq!(mine(&h, me).await, []);
    let twice = lift(&h, me, staff(grey)).await;
    assert_eq!((twice.code(), twice.message()), ("NOT_FOUND", "restriction not found"));
}

#[sqlx::test(migrations = "../migrations")]
async fn break_the_glass_overrides_a_restriction_until_it_ends(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.record("Asthma").await;
    let (one, grey) = (h.user(Role::Patient), h.user(Role::Doctor));
    let me = h.token(Role::Patient);
    restrict(&h, me, staff(grey)).await.ok();
    assert_no_care(&h.app, &read(&h, h.token(Role::Doctor), one).await, "restricted").await;

    let glass = break_glass(&h, h.token(Role::Doctor), one, WHY, PASSWORD).await;
    let until = super::unix(&glass.ok().break_glass.expires_at);
    let reading = read(&h, h.token(Role::Doctor), one).await;
    assert_eq!(titles(&reading), ["Asthma"]);
    assert_emergency(&h, &reading.audit[0], grey, one, until).await;

    travel(&h.app, 4 * 3600 + 60).await;
    assert_no_care(&h.app, &read(&h, h.token(Role::Doctor), one).await, "grant over").await;
    lift(&h, me, staff(grey)).await.ok();
    let reading = read(&h, h.token(Role::Doctor), one).await;
    assert_eq!(titles(&reading), ["Asthma"]);
    assert_ordinary(&h, &reading.audit[0]).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn restricting_a_department_denies_its_members_reached_by_admission(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    let me = &h.other_patient_token;
    assign(&h, &house.user, "Cardiology").await;
    admit(&h, Role::Receptionist, two, "Cardiology").await.ok();
    titles(&read(&h, &house.token, two).await);

    let out = restrict(&h, me, department(" cardiology ")).await;
    assert!(out.ok().restrict_access);
    let on_chain = event::<CareLedgerAccess::AccessRestricted>(&h.app, &out.audit[1]).await;
    assert_eq!((on_chain.patient, on_chain.staff), (word(two), alloy::primitives::B256::ZERO));
    let contract = contract(&h.app);
    let restricted = contract.departmentRestricted(word(two), on_chain.department).call().await;
    assert!(restricted.expect("view"));
    assert_eq!(mine(&h, me).await, [(None, Some("Cardiology".to_owned()))]);
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "department restricted").await;

    lift(&h, me, department("CARDIOLOGY")).await.ok();
    titles(&read(&h, &house.token, two).await);
    assert_eq!(mine(&h, me).await, []);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_restriction_names_exactly_one_staff_member_or_known_department(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let (one, two) = (h.user(Role::Patient), &h.other_patient);
    let me = h.token(Role::Patient);
    let before = care_fingerprint(&h.app.state.pool).await;
    let both = (Some(uid(h.user(Role::Doctor))), Some("Cardiology".to_owned()));
    let bad = [
        ((None, None), "userId", "userId: give exactly one of userId and department"),
        (both, "userId", "userId: give exactly one of userId and department"),
        (department("   "), "userId", "userId: give exactly one of userId and department"),
        (department("Nowhere"), "department", "department: no such department"),
        (staff(two), "userId", "userId: only staff members can be restricted"),
        (staff(one), "userId", "userId: only staff members can be restricted"),
        (
            (Some("not-an-id".to_owned()), None),
            "userId",
            "userId: must be a user id (a positive whole number)",
        ),
        ((Some("999999".to_owned()), None), "userId", "userId: no such user"),
    ];
    for (target, field, message) in bad {
        let out = restrict(&h, me, target.clone()).await;
        assert_eq!(
            (out.code(), out.extension("field")),
            ("BAD_USER_INPUT", &field.into()),
            "{target:?}: {out:?}"
        );
        assert_eq!(out.message(), message);
        assert_eq!(out.events(), ["AccessRequested"], "decided, then refused as bad input");
    }
    let out = lift(&h, me, (None, None)).await;
    assert_eq!((out.code(), out.extension("field")), ("BAD_USER_INPUT", &"userId".into()));
    let out = lift(&h, me, department("Nowhere")).await;
    assert_eq!((out.code(), out.message()), ("NOT_FOUND", "restriction not found"));
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patient_sees_and_lifts_only_their_own_and_staff_cannot_restrict(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let (one, grey) = (h.user(Role::Patient), h.user(Role::Doctor));
    restrict(&h, h.token(Role::Patient), staff(grey)).await.ok();
    let before = care_fingerprint(&h.app.state.pool).await;

    // The other patient sees none of it, and lifting it finds nothing.
    let neighbour = &h.other_patient_token;
    assert_eq!(mine(&h, neighbour).await, []);
    let out = lift(&h, neighbour, staff(grey)).await;
    assert_eq!((out.code(), out.message()), ("NOT_FOUND", "restriction not found"));

    for role in
        [Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor, Role::Admin, Role::Root]
    {
        let who = role.as_str();
        let resource = AccessResource::Restriction;
        let out = restrict(&h, h.token(role), staff(h.user(Role::Nurse))).await;
        assert_forbidden(&out, AccessAction::Create, resource, who);
        let out = lift(&h, h.token(role), staff(grey)).await;
        assert_forbidden(&out, AccessAction::Delete, resource, who);
        let out = h.run::<MyRestrictions>(role, my_restrictions::Variables).await;
        assert_forbidden(&out, AccessAction::Read, resource, who);
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
    assert!(relation(&h.app, one, grey).await.restricted);
    assert_no_care(&h.app, &read(&h, h.token(Role::Doctor), one).await, "still restricted").await;
}
