//! Every break-the-glass opens a review: auditors list and count them and
//! close each once, with the note's salted hash on chain; nobody else sees
//! or closes one, and each refusal is recorded.

use alloy::primitives::B256;
use careledger::chain::bindings::CareLedgerAccess;
use careledger::users::Role;
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::super::{assert_forbidden, word, Hospital, PASSWORD};
use super::{break_glass, care_fingerprint, event, house, row_of, uid, Staff, WHY};
use crate::ops::{
    break_glass_review_count, break_glass_reviews, review_break_glass, AccessAction,
    AccessResource, BreakGlassReviewCount, BreakGlassReviews, ReviewBreakGlass,
};
use crate::support::Reply;

async fn count(h: &Hospital, role: Role, open: Option<bool>) -> Reply<i64> {
    let vars = break_glass_review_count::Variables { open };
    h.run::<BreakGlassReviewCount>(role, vars).await.map(|d| d.break_glass_review_count)
}

async fn reviews(
    h: &Hospital,
    role: Role,
    open: Option<bool>,
) -> Reply<break_glass_reviews::ResponseData> {
    h.run::<BreakGlassReviews>(role, break_glass_reviews::Variables { open, first: None }).await
}

async fn review(
    h: &Hospital,
    token: &str,
    id: &str,
    justified: bool,
    note: Option<&str>,
) -> Reply<review_break_glass::ResponseData> {
    let vars = review_break_glass::Variables {
        id: id.to_owned(),
        justified,
        note: note.map(str::to_owned),
    };
    h.app.run::<ReviewBreakGlass>(Some(token), vars).await
}

/// Dr House breaks the glass on the second patient; the grant's id.
async fn broken(h: &Hospital, house: &Staff) -> String {
    let out = break_glass(h, &house.token, &h.other_patient, WHY, PASSWORD).await;
    out.ok().break_glass.id.clone()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_auditor_closes_a_review_once_with_the_notes_hash_on_chain(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let id = broken(&h, &house).await;
    let two = &h.other_patient;
    assert_eq!(count(&h, Role::Auditor, Some(true)).await.ok(), &1);
    assert_eq!(count(&h, Role::Auditor, Some(false)).await.ok(), &0);

    let listed = reviews(&h, Role::Auditor, Some(true)).await;
    let open = &listed.ok().break_glass_reviews;
    assert_eq!(open.iter().map(|g| g.id.as_str()).collect::<Vec<_>>(), [id.as_str()]);
    let grant = open[0].clone();
    assert_eq!((grant.justification.as_str(), grant.review.is_none()), (WHY, true));
    // The search, then the patient listed, each recorded.
    let asked: Vec<_> = listed.audit.iter().map(|n| (n.action, n.resource, n.approved)).collect();
    let emergency = Some(AccessResource::EmergencyAccess);
    assert_eq!(
        asked,
        [
            (Some(AccessAction::Search), emergency, true),
            (Some(AccessAction::Read), emergency, true)
        ]
    );
    let listing = event::<CareLedgerAccess::AccessRequested>(&h.app, &listed.audit[1]).await;
    assert_eq!(listing.subject, word(two));

    let note = "Patient was stable; the chart could have waited";
    let out = review(&h, h.token(Role::Auditor), &id, false, Some(&format!(" {note} "))).await;
    let closed = out.ok().review_break_glass.review.clone().expect("reviewed");
    assert_eq!((closed.justified, closed.note.as_deref()), (false, Some(note)));
    assert_eq!(closed.reviewer.id, uid(h.user(Role::Auditor)));
    assert_eq!(out.events(), ["AccessRequested", "GlassReviewed"]);
    let asked = event::<CareLedgerAccess::AccessRequested>(&h.app, &out.audit[0]).await;
    assert_eq!((asked.action, asked.resource, asked.subject), (2, 4, word(two)));
    let on_chain = event::<CareLedgerAccess::GlassReviewed>(&h.app, &out.audit[1]).await;
    assert_eq!(
        (on_chain.actor, on_chain.patient, on_chain.clinician, on_chain.justified),
        (word(h.user(Role::Auditor)), word(two), word(&house.user), false)
    );
    assert_eq!(on_chain.grantEntryId.to_string(), grant.entry_id);
    let salt: Vec<u8> = sqlx::query_scalar("SELECT note_salt FROM break_glass WHERE id = $1::uuid")
        .bind(&id)
        .fetch_one(&h.app.state.pool)
        .await
        .expect("salt");
    let hash = B256::from_slice(&Sha256::new().chain_update(&salt).chain_update(note).finalize());
    assert_eq!(on_chain.noteHash, hash, "SHA-256(salt ‖ note)");
    let row = row_of(&h, &out.audit[1]).await;
    assert_eq!((row.kind.as_str(), row.justified), ("GLASS_REVIEWED", Some(false)));
    assert_eq!(row.record_id.as_deref(), Some(grant.entry_id.as_str()));

    assert_eq!(count(&h, Role::Auditor, Some(true)).await.ok(), &0);
    assert_eq!(count(&h, Role::Auditor, Some(false)).await.ok(), &1);
    let done = reviews(&h, Role::Auditor, Some(false)).await;
    assert_eq!(done.ok().break_glass_reviews[0].review.as_ref().map(|r| r.justified), Some(false));

    let before = care_fingerprint(&h.app.state.pool).await;
    let twice = review(&h, h.token(Role::Auditor), &id, true, None).await;
    assert_eq!(
        (twice.code(), twice.message()),
        ("CONFLICT", "this break-the-glass was reviewed already")
    );
    assert_eq!(twice.events(), ["AccessRequested"], "no second GlassReviewed");
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn only_auditors_see_or_close_reviews_and_each_refusal_is_recorded(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let id = broken(&h, &house).await;
    let before = care_fingerprint(&h.app.state.pool).await;
    for role in
        [Role::Doctor, Role::Nurse, Role::Receptionist, Role::Admin, Role::Root, Role::Patient]
    {
        let who = role.as_str();
        let (search, update) = (AccessAction::Search, AccessAction::Update);
        let emergency = AccessResource::EmergencyAccess;
        assert_forbidden(&reviews(&h, role, Some(true)).await, search, emergency, who);
        assert_forbidden(&count(&h, role, None).await, search, emergency, who);
        let out = review(&h, h.token(role), &id, true, None).await;
        assert_forbidden(&out, update, emergency, who);
    }
    // Not the clinician who broke it, nor the patient it was broken on.
    for (who, token) in [("the clinician", &house.token), ("the patient", &h.other_patient_token)] {
        let out = review(&h, token, &id, true, Some("fine by me")).await;
        assert_forbidden(&out, AccessAction::Update, AccessResource::EmergencyAccess, who);
    }
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
    assert_eq!(count(&h, Role::Auditor, Some(true)).await.ok(), &1, "still open");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_review_of_an_unknown_or_malformed_grant_or_with_a_long_note_changes_nothing(
    pool: PgPool,
) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let id = broken(&h, &house).await;
    let before = care_fingerprint(&h.app.state.pool).await;
    let auditor = h.token(Role::Auditor);

    let malformed = review(&h, auditor, "42", true, None).await;
    assert_eq!((malformed.code(), malformed.extension("field")), ("BAD_USER_INPUT", &"id".into()));
    assert_eq!(malformed.events(), Vec::<&str>::new());

    // An id that names no grant: the auditor may ask, and is told so.
    let unknown = uuid::Uuid::new_v4().to_string();
    let out = review(&h, auditor, &unknown, true, None).await;
    assert_eq!((out.code(), out.message()), ("NOT_FOUND", "break-the-glass not found"), "{out:?}");
    assert_eq!(out.events(), ["AccessRequested"]);
    // Anyone else is refused before learning whether it exists.
    let out = review(&h, h.token(Role::Doctor), &unknown, true, None).await;
    assert_forbidden(&out, AccessAction::Update, AccessResource::EmergencyAccess, "doctor");

    let long = "n".repeat(2001);
    let out = review(&h, auditor, &id, true, Some(&long)).await;
    assert_eq!((out.code(), out.extension("field")), ("BAD_USER_INPUT", &"note".into()));
    assert_eq!(out.events(), ["AccessRequested"]);
    assert_eq!(care_fingerprint(&h.app.state.pool).await, before);
    assert_eq!(count(&h, Role::Auditor, Some(true)).await.ok(), &1, "still open");
}
