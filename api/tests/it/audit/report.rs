//! `auditEvents`: search for staff, "who accessed my records" for patients.

use careledger::audit::AuditKind;
use careledger::users::Role;
use sqlx::PgPool;

use super::{caught_up, chain_events, create_record, sid, word};
use crate::ops::{audit_trail, me, AuditTrail, Me};
use crate::support::{self, Reply, ROOT_PASSWORD};

type Trail = Reply<audit_trail::ResponseData>;

/// A filter that narrows nothing.
fn everything() -> audit_trail::AuditFilter {
    audit_trail::AuditFilter {
        actor: None,
        subject: None,
        record_id: None,
        action: None,
        resource: None,
        approved: None,
        kind: None,
        since: None,
        until: None,
        include_duplicates: None,
        include_lost: None,
    }
}

fn list(
    filter: Option<audit_trail::AuditFilter>,
    first: Option<i64>,
    after: Option<String>,
) -> audit_trail::Variables {
    audit_trail::Variables { filter, first, after }
}

fn keys(list: &Trail) -> Vec<(String, i64)> {
    list.ok()
        .audit_events
        .edges
        .iter()
        .map(|e| (e.node.transaction_hash.clone(), e.node.log_index))
        .collect()
}

#[sqlx::test(migrations = "../migrations")]
async fn a_patient_sees_all_and_only_the_events_about_them(pool: PgPool) {
    let app = support::app(pool).await;
    let pw = "a sound password";
    let ann = app.add_user("ann.patient", pw, Role::Patient).await;
    let bob = app.add_user("bob.patient", pw, Role::Patient).await;
    let doctor = app.add_user("dr.quinn", pw, Role::Doctor).await;
    let (ann_token, bob_token, doctor_token) = (
        app.login("ann.patient", pw).await,
        app.login("bob.patient", pw).await,
        app.login("dr.quinn", pw).await,
    );
    for token in [&ann_token, &bob_token, &doctor_token, &ann_token] {
        app.run::<Me>(Some(token), me::Variables).await;
    }
    let record = create_record(&app, &ann, &doctor).await;
    create_record(&app, &bob, &doctor).await;

    // Ann asks with a filter for Bob's events: she still gets hers only.
    let filter = audit_trail::AuditFilter { subject: Some(sid(&bob)), ..everything() };
    let out = app.run::<AuditTrail>(Some(&ann_token), list(Some(filter), Some(500), None)).await;
    let got = keys(&out);

    let expected: Vec<_> = {
        let mut about_ann: Vec<_> = chain_events(&app)
            .await
            .into_iter()
            .filter(|e| e.subject == Some(word(&ann)))
            .collect();
        about_ann.sort_by_key(|e| std::cmp::Reverse((e.block_number, e.log_index)));
        about_ann.iter().map(|e| (e.transaction_hash.to_string(), e.log_index as i64)).collect()
    };
    assert_eq!(got, expected);
    // Added, logged in (registered), two `me`, one record version, and this report.
    let edges = &out.ok().audit_events.edges;
    let kinds: Vec<_> = edges.iter().map(|e| e.node.kind.clone()).collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("ACCESS_REQUESTED"),
        "the report itself comes first"
    );
    assert_eq!(kinds.iter().filter(|k| *k == AuditKind::RecordVersionCreated.as_str()).count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == AuditKind::UserAdded.as_str()).count(), 1);
    for edge in edges {
        assert_eq!(edge.node.subject_system_id, Some(sid(&ann)));
        assert_eq!(
            edge.node.subject.as_ref().map(|s| s.full_name.as_str()),
            Some("Test ann.patient")
        );
        // Staff who acted are named to her (by name and role only): here the
        // doctor who wrote her record. The system, which added her, is no one.
        let actor = edge.node.actor.as_ref().map(|a| a.full_name.as_str());
        let expected = match &edge.node.actor_system_id {
            a if *a == sid(&ann) => Some("Test ann.patient"),
            a if *a == sid(&doctor) => Some("Test dr.quinn"),
            _ => None,
        };
        assert_eq!(actor, expected, "{:?}", edge.node.kind);
    }
    let record_event = edges.iter().find(|e| e.node.kind == "RECORD_VERSION_CREATED");
    assert_eq!(record_event.expect("record event").node.record_id, Some(record.id.to_string()));
    assert!(!out.ok().audit_events.page_info.has_next_page);
}

#[sqlx::test(migrations = "../migrations")]
async fn an_auditor_searches_and_pages_through_the_trail(pool: PgPool) {
    let app = support::app(pool).await;
    let pw = "a sound password";
    let auditor = app.add_user("audrey", pw, Role::Auditor).await;
    let nurse = app.add_user("nurse.ratched", pw, Role::Nurse).await;
    let nurse_token = app.login("nurse.ratched", pw).await;
    let token = app.login("audrey", pw).await;
    for _ in 0..3 {
        app.run::<Me>(Some(&nurse_token), me::Variables).await;
    }
    // A nurse may not search the trail: denied, and that is on the trail too.
    let denied = app.run::<AuditTrail>(Some(&nurse_token), list(None, None, None)).await;
    assert_eq!(denied.code(), "FORBIDDEN");
    caught_up(&app).await;

    let filter = audit_trail::AuditFilter {
        actor: Some(sid(&nurse)),
        kind: Some("ACCESS_REQUESTED".to_owned()),
        ..everything()
    };
    let page1 =
        app.run::<AuditTrail>(Some(&token), list(Some(filter.clone()), Some(2), None)).await;
    assert_eq!(keys(&page1).len(), 2);
    assert!(page1.ok().audit_events.page_info.has_next_page);
    let cursor = page1.ok().audit_events.edges[1].cursor.clone();
    let page2 =
        app.run::<AuditTrail>(Some(&token), list(Some(filter), Some(2), Some(cursor))).await;
    assert_eq!(keys(&page2).len(), 2);
    assert!(!page2.ok().audit_events.page_info.has_next_page);
    let all: Vec<_> = keys(&page1).into_iter().chain(keys(&page2)).collect();
    let mut expected: Vec<_> = chain_events(&app)
        .await
        .into_iter()
        .filter(|e| e.actor == word(&nurse) && e.kind == AuditKind::AccessRequested)
        .collect();
    expected.sort_by_key(|e| std::cmp::Reverse((e.block_number, e.log_index)));
    assert_eq!(
        all,
        expected
            .iter()
            .map(|e| (e.transaction_hash.to_string(), e.log_index as i64))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        page1.ok().audit_events.edges[0].node.actor.as_ref().map(|a| a.full_name.as_str()),
        Some("Test nurse.ratched")
    );

    // Denied only: exactly the nurse's refused search.
    let filter = audit_trail::AuditFilter {
        actor: Some(sid(&nurse)),
        approved: Some(false),
        ..everything()
    };
    let denied_only = app.run::<AuditTrail>(Some(&token), list(Some(filter), None, None)).await;
    let refused = &denied.audit[0];
    assert_eq!(
        keys(&denied_only),
        [(refused.transaction_hash.to_string(), refused.log_index.try_into().expect("i"))]
    );
    let _ = auditor;
    let root = app.login("root", ROOT_PASSWORD).await;
    let filter = audit_trail::AuditFilter { actor: Some("not hex".to_owned()), ..everything() };
    let bad = app.run::<AuditTrail>(Some(&root), list(Some(filter), None, None)).await;
    assert_eq!(bad.code(), "BAD_USER_INPUT");
}
