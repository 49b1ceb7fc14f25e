//! A failing machine: the outbox delivers at least once, so an entry whose
//! delivery was not marked is sent again, perhaps after newer changes. The
//! copy is refused on chain and changes nothing: a late CARE_ENDED never
//! ends a newer membership, a second GLASS_BROKEN never extends a grant.

use alloy::primitives::B256;
use careledger::users::{Role, User};
use sqlx::PgPool;

use super::super::{word, Hospital, PASSWORD};
use super::{
    add_member, assert_no_care, break_glass, chain_now, delivered, everything, house, read,
    relation, titles, trail, travel, uid, unix, TrailRow, WHY,
};
use crate::ops::{end_care_relationship, EndCareRelationship};
use crate::support::TestApp;

/// As if the mark of the entry's delivery had been lost: the sweep sends it again.
async fn send_again(app: &TestApp, entry: B256) {
    let unmarked = sqlx::query(
        "UPDATE chain_outbox SET sent_at = NULL, sent_tx = NULL, sent_block = NULL,
                                 sent_log_index = NULL, claimed_until = NULL
          WHERE entry_id = $1",
    )
    .bind(entry.as_slice())
    .execute(&app.state.pool)
    .await
    .expect("unmark");
    assert_eq!(unmarked.rows_affected(), 1);
    delivered(app).await;
}

/// The trail's refusals of entries about `subject`.
async fn refusals(h: &Hospital, subject: &User) -> Vec<TrailRow> {
    let mut filter = everything();
    filter.kind = Some("LIFECYCLE_REFUSED".to_owned());
    filter.subject = Some(word(subject).to_string());
    trail(h, h.token(Role::Auditor), filter).await
}

#[sqlx::test(migrations = "../migrations")]
async fn a_late_copy_of_an_ended_membership_never_ends_the_newer_one(pool: PgPool) {
    let h = Hospital::new(pool).await;
    h.record("Asthma").await;
    let (one, grey) = (h.user(Role::Patient), h.user(Role::Doctor));
    let vars = end_care_relationship::Variables { patient_id: uid(one), user_id: uid(grey) };
    let ended = h.run::<EndCareRelationship>(Role::Admin, vars).await;
    let ended = ended.audit[1].id;
    add_member(&h, h.token(Role::Admin), one, grey, None).await.ok();

    send_again(&h.app, ended).await;
    let refused = refusals(&h, one).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].refusal.as_deref(), Some("STALE"));
    assert_eq!(relation(&h.app, one, grey).await.careUntil, u64::MAX, "still a member");
    assert_eq!(titles(&read(&h, h.token(Role::Doctor), one).await), ["Asthma"]);
}

#[sqlx::test(migrations = "../migrations")]
async fn a_break_glass_sent_twice_never_extends_the_grant(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let house = house(&h).await;
    let two = &h.other_patient;
    let glass = break_glass(&h, &house.token, two, WHY, PASSWORD).await;
    let entry = glass.audit[1].id;
    let until = unix(&glass.ok().break_glass.expires_at);

    travel(&h.app, 3600).await;
    send_again(&h.app, entry).await;
    let refused = refusals(&h, two).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0].refusal.as_deref(), Some("REPLAYED"));
    assert_eq!(
        relation(&h.app, two, &house.user).await.glassUntil,
        until,
        "the grant keeps its end"
    );

    travel(&h.app, until - chain_now(&h.app).await + 60).await;
    assert_no_care(&h.app, &read(&h, &house.token, two).await, "the grant ended").await;
}
