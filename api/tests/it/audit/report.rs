//! `auditEvents`: search for staff, "who accessed my records" for patients.

use careledger::audit::AuditKind;
use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{caught_up, chain_events, create_record, sid, word};
use crate::support::{self, ROOT_PASSWORD};

const LIST: &str = "query($f: AuditFilter, $first: Int, $after: String) {
    auditEvents(filter: $f, first: $first, after: $after) {
      edges { cursor node { kind transactionHash logIndex subjectSystemId actorSystemId recordId
                            actor { username } subject { username } } }
      pageInfo { hasNextPage }
    } }";

fn keys(list: &Value) -> Vec<(String, i64)> {
    list["data"]["auditEvents"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|e| {
            (
                e["node"]["transactionHash"].as_str().expect("tx").to_owned(),
                e["node"]["logIndex"].as_i64().expect("i"),
            )
        })
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
        app.raw(Some(token), "{ me { id } }", json!({})).await;
    }
    let record = create_record(&app, &ann, &doctor).await;
    create_record(&app, &bob, &doctor).await;

    // Ann asks with a filter for Bob's events: she still gets hers only.
    let out = app
        .raw(Some(&ann_token), LIST, json!({ "f": { "subject": sid(&bob) }, "first": 500 }))
        .await;
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
    let kinds: Vec<_> = out["data"]["auditEvents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["kind"].as_str().expect("kind").to_owned())
        .collect();
    assert_eq!(
        kinds.first().map(String::as_str),
        Some("ACCESS_REQUESTED"),
        "the report itself comes first"
    );
    assert_eq!(kinds.iter().filter(|k| *k == AuditKind::RecordVersionCreated.as_str()).count(), 1);
    assert_eq!(kinds.iter().filter(|k| *k == AuditKind::UserAdded.as_str()).count(), 1);
    let nodes = &out["data"]["auditEvents"]["edges"];
    for edge in nodes.as_array().expect("edges") {
        assert_eq!(edge["node"]["subjectSystemId"], sid(&ann));
        assert_eq!(edge["node"]["subject"]["username"], "ann.patient");
        // Other people's names stay hidden from a patient.
        if edge["node"]["actorSystemId"] != sid(&ann) {
            assert_eq!(edge["node"]["actor"], Value::Null);
        }
    }
    let record_event = nodes
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["kind"] == "RECORD_VERSION_CREATED");
    assert_eq!(record_event.expect("record event")["node"]["recordId"], record.id.to_string());
    assert_eq!(out["data"]["auditEvents"]["pageInfo"]["hasNextPage"], false);
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
        app.raw(Some(&nurse_token), "{ me { id } }", json!({})).await;
    }
    // A nurse may not search the trail: denied, and that is on the trail too.
    let denied = app.raw(Some(&nurse_token), LIST, json!({})).await;
    assert_eq!(support::code(&denied), "FORBIDDEN");
    caught_up(&app).await;

    let filter = json!({ "actor": sid(&nurse), "kind": "ACCESS_REQUESTED" });
    let page1 = app.raw(Some(&token), LIST, json!({ "f": filter, "first": 2 })).await;
    assert_eq!(keys(&page1).len(), 2);
    assert_eq!(page1["data"]["auditEvents"]["pageInfo"]["hasNextPage"], true);
    let cursor = page1["data"]["auditEvents"]["edges"][1]["cursor"].clone();
    let page2 =
        app.raw(Some(&token), LIST, json!({ "f": filter, "first": 2, "after": cursor })).await;
    assert_eq!(keys(&page2).len(), 2);
    assert_eq!(page2["data"]["auditEvents"]["pageInfo"]["hasNextPage"], false);
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
        page1["data"]["auditEvents"]["edges"][0]["node"]["actor"]["username"],
        "nurse.ratched"
    );

    // Denied only: exactly the nurse's refused search.
    let denied_only = app
        .raw(Some(&token), LIST, json!({ "f": { "actor": sid(&nurse), "approved": false } }))
        .await;
    assert_eq!(
        keys(&denied_only),
        [(
            denied["extensions"]["audit"][0]["transactionHash"].as_str().expect("tx").to_owned(),
            denied["extensions"]["audit"][0]["logIndex"].as_i64().expect("i")
        )]
    );
    let _ = auditor;
    let root = app.login("root", ROOT_PASSWORD).await;
    let bad = app.raw(Some(&root), LIST, json!({ "f": { "actor": "not hex" } })).await;
    assert_eq!(support::code(&bad), "BAD_USER_INPUT");
}
