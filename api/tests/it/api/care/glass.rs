//! Break-the-glass: the password again, a justification that stays off
//! chain (its salted hash on it), a grant on the chain's clock, every access
//! under it marked an emergency, and shown to the patient.

use alloy::primitives::B256;
use alloy::providers::Provider;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::{Role, User};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::super::{assert_forbidden, word, Hospital, PASSWORD};
use super::{
    add_member, assert_no_care, break_glass, care_fingerprint, chain_now, event, everything, house,
    read, relation, row_of, titles, trail, travel, uid, unix, Staff, WHY,
};
use crate::ops::{AccessAction, AccessResource, GlassReason};
use crate::support::{Note, TestApp};

/// SHA-256(salt ‖ text), computed here as an outside verifier would.
fn salted(salt: &[u8], text: &str) -> B256 {
    B256::from_slice(&Sha256::new().chain_update(salt).chain_update(text).finalize())
}

/// The grant's justification and its salt, as the database keeps them.
async fn kept(app: &TestApp, entry: B256) -> (String, Vec<u8>) {
    sqlx::query_as("SELECT justification, justification_salt FROM break_glass WHERE entry_id = $1")
        .bind(entry.as_slice())
        .fetch_one(&app.state.pool)
        .await
        .expect("the grant's row")
}

/// The event right after the one `note` names, in the same transaction.
async fn next_log(app: &TestApp, note: &Note) -> Option<alloy::rpc::types::Log> {
    let receipt = app.state.chain.provider().get_transaction_receipt(note.transaction_hash).await;
    let receipt = receipt.expect("rpc").expect("mined");
    receipt.inner.logs().iter().find(|l| l.log_index == Some(note.log_index + 1)).cloned()
}

/// An approved read under a grant until `until`: `EmergencyAccess` right
/// after its `AccessRequested`, and the index marks it.
pub async fn assert_emergency(h: &Hospital, note: &Note, actor: &User, patient: &User, until: u64) {
    let mark = next_log(&h.app, note).await.expect("an event follows the access");
    let mark = mark.log_decode::<CareLedgerAccess::EmergencyAccess>().expect("EmergencyAccess");
    let mark = mark.inner.data;
    assert_eq!(
        (mark.actor, mark.subject, mark.requestId, mark.grantedUntil),
        (word(actor), word(patient), note.id, until)
    );
    let row = row_of(h, note).await;
    assert!(row.approved && row.emergency, "{row:?}");
    assert_eq!(row.until.as_deref().map(unix), Some(until));
}

/// An approved read with no grant behind it: nothing follows it, and the
/// index does not mark it.
pub async fn assert_ordinary(h: &Hospital, note: &Note) {
    let next = next_log(&h.app, note).await;
    assert!(next.is_none_or(|l| l.log_decode::<CareLedgerAccess::EmergencyAccess>().is_err()));
    let row = row_of(h, note).await;
    assert!(row.approved && !row.emergency, "{row:?}");
}

/// How many GLASS_BROKEN entries were ever written.
async fn glass_entries(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM chain_outbox WHERE kind = 17")
        .fetch_one(&app.state.pool)
        .await
        .expect("count")
}

#[sqlx::test(migrations = "../migrations")]
async fn a_wrong_password_grants_nothing_and_is_a_refused_sign_in(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    let grants = super::care_tables(&h.app.state.pool).await;

    let out = break_glass(&h, &house.token, two, WHY, "not my password").await;
    assert_eq!(out.code(), "BAD_USER_INPUT", "{out:?}");
    assert_eq!(out.extension("field"), "password");
    assert_eq!(out.message(), "password: the password is wrong");
    assert_eq!(out.events(), ["AccessRequested", "AuthenticationRecorded"]);
    assert_eq!((out.audit[0].approved, out.audit[1].approved), (true, false));
    let failed = event::<CareLedgerAccess::AuthenticationRecorded>(&h.app, &out.audit[1]).await;
    assert_eq!((failed.actor, failed.subject, failed.kind), (B256::ZERO, word(&house.user), 7));
    let row = row_of(&h, &out.audit[1]).await;
    assert_eq!((row.kind.as_str(), row.approved), ("SIGN_IN_FAILED", false));

    assert_eq!(super::care_tables(&h.app.state.pool).await, grants, "no grant");
    assert_eq!(glass_entries(&h.app).await, 0);
    assert_eq!(relation(&h.app, two, &house.user).await.glassUntil, 0);
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "still no access").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_justification_too_short_or_too_long_changes_nothing(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    let before = care_fingerprint(&h.app.state.pool).await;
    let long = "x".repeat(2001);
    // Checked before the password: a wrong one is not even tried.
    for (justification, password) in
        [("", PASSWORD), ("too short", PASSWORD), ("   too short    ", "wrong"), (&long, PASSWORD)]
    {
        let out = break_glass(&h, &house.token, two, justification, password).await;
        assert_eq!(out.code(), "BAD_USER_INPUT", "{out:?}");
        assert_eq!(out.extension("field"), "justification");
        assert_eq!(out.message(), "justification: say why in 10 to 2000 characters");
        assert_eq!(out.events(), ["AccessRequested"], "no grant, no refused sign-in");
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "no grant").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn breaking_the_glass_grants_reads_marked_as_emergencies_and_shown_to_the_patient(
    pool: PgPool,
) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    crate::audit::create_record(&h.app, two, h.user(Role::Doctor)).await;

    let out = break_glass(&h, &house.token, two, &format!("  {WHY}\n"), PASSWORD).await;
    let glass = out.ok().break_glass.clone();
    assert_eq!(
        (glass.clinician.id.as_str(), glass.patient.id.as_str()),
        (uid(&house.user).as_str(), uid(two).as_str())
    );
    assert_eq!(
        (glass.reason, glass.justification.as_str()),
        (GlassReason::EmergencyTreatment, WHY)
    );
    assert!(glass.active && glass.review.is_none());
    assert_eq!(out.events(), ["AccessRequested", "GlassBroken"]);
    let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &out.audit[0]).await;
    assert_eq!(
        (asked.action, asked.resource, asked.approved),
        (0, 4, true),
        "EMERGENCY_ACCESS CREATE"
    );
    let broken = event::<CareLedgerAccess::GlassBroken>(&h.app, &out.audit[1]).await;
    assert_eq!(
        (broken.actor, broken.patient, broken.entryId, broken.reason),
        (word(&house.user), word(two), out.audit[1].id, 0)
    );
    assert_eq!(glass.entry_id, broken.entryId.to_string());
    assert_eq!(broken.until, broken.timestamp + 4 * 3600, "four hours by default");
    assert_eq!(unix(&glass.expires_at), broken.until, "the grant ends when the chain says");
    let (justification, salt) = kept(&h.app, broken.entryId).await;
    assert_eq!(justification, WHY, "kept in the database, trimmed");
    assert_eq!(salt.len(), 32);
    assert_eq!(broken.justificationHash, salted(&salt, WHY), "SHA-256(salt ‖ justification)");
    assert_eq!(relation(&h.app, two, &house.user).await.glassUntil, broken.until);

    let reading = read(&h, &house.token, two).await;
    assert_eq!(titles(&reading), ["Hypertension"]);
    assert_emergency(&h, &reading.audit[0], &house.user, two, broken.until).await;

    // The patient sees it: the break, why, until when, and the read under it.
    let rows = trail(&h, &h.other_patient_token, everything()).await;
    let seen: Vec<_> = rows[1..5]
        .iter()
        .map(|r| {
            let by = r.actor.as_ref().map(|a| a.id.clone());
            (r.kind.as_str(), by, r.emergency, r.glass_reason, r.until.as_deref().map(unix))
        })
        .collect();
    let (by, until) = (Some(uid(&house.user)), Some(broken.until));
    assert_eq!(
        seen,
        [
            ("EMERGENCY_ACCESS", by.clone(), false, None, until),
            ("ACCESS_REQUESTED", by.clone(), true, None, until),
            ("GLASS_BROKEN", by.clone(), false, Some(GlassReason::EmergencyTreatment), until),
            ("ACCESS_REQUESTED", by, false, None, None),
        ]
    );
}

/// A grant opens the patient's records and nothing else: its holder cannot
/// put themself on the care team (and so keep reading after it ends).
#[sqlx::test(migrations = "../migrations")]
async fn a_grant_never_opens_the_care_team(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    break_glass(&h, &house.token, two, WHY, PASSWORD).await.ok();
    let joined = add_member(&h, &house.token, two, &house.user, None).await;
    assert_forbidden(
        &joined,
        AccessAction::Create,
        AccessResource::CareTeam,
        "joining under a grant",
    );
    let team = event::<CareLedgerAccess::AccessRequested>(&h.app, &joined.audit[0]).await;
    assert!(!team.approved, "denied on chain");
    assert!(next_log(&h.app, &joined.audit[0]).await.is_none(), "and no EmergencyAccess");
    assert_eq!(relation(&h.app, two, &house.user).await.careUntil, 0, "no membership");
}

#[sqlx::test(migrations = "../migrations")]
async fn the_grant_ends_after_its_duration_on_the_chains_clock(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    let out = break_glass(&h, &house.token, two, WHY, PASSWORD).await;
    let until = unix(&out.ok().break_glass.expires_at);

    travel(&h.app, until - chain_now(&h.app).await - 30).await;
    let last = read(&h, &house.token, two).await;
    titles(&last);
    assert_emergency(&h, &last.audit[0], &house.user, two, until).await;

    travel(&h.app, 60).await;
    let refused = read(&h, &house.token, two).await;
    assert_no_care(&h.app, &refused, "after the grant").await;
    assert!(next_log(&h.app, &refused.audit[0]).await.is_none(), "no EmergencyAccess");
    let row = row_of(&h, &refused.audit[0]).await;
    assert!(!row.emergency && row.until.is_none());
}

#[sqlx::test(migrations = "../migrations")]
async fn only_clinicians_break_the_glass(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let two = &h.other_patient;
    let before = care_fingerprint(&h.app.state.pool).await;
    for role in [Role::Receptionist, Role::Auditor, Role::Admin, Role::Root, Role::Patient] {
        // A wrong password is not even tried: the contract refused first.
        for password in [PASSWORD, "wrong"] {
            let out = break_glass(&h, h.token(role), two, WHY, password).await;
            assert_forbidden(
                &out,
                AccessAction::Create,
                AccessResource::EmergencyAccess,
                role.as_str(),
            );
        }
    }
    // Nor does a patient break the glass on themself.
    let own = h.user(Role::Patient);
    let out = break_glass(&h, h.token(Role::Patient), own, WHY, PASSWORD).await;
    assert_forbidden(&out, AccessAction::Create, AccessResource::EmergencyAccess, "own");
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);

    // A nurse may.
    let nurse = Staff::new(&h, "nurse.ratched", Role::Nurse).await;
    let out = break_glass(&h, &nurse.token, two, WHY, PASSWORD).await;
    assert_eq!(out.events(), ["AccessRequested", "GlassBroken"], "{out:?}");
}
