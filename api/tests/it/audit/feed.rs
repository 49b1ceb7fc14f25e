//! The live feed: `subscription { auditEvents }` through the schema.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::futures_util::{Stream, StreamExt};
use careledger::graphql::session::Session;
use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{caught_up, sid};
use crate::support::{self, TestApp, ROOT_PASSWORD};

const FEED: &str = "subscription($f: AuditFilter) { auditEvents(filter: $f) {
    kind actorSystemId subjectSystemId action resource approved transactionHash blockNumber logIndex
    actor { username } } }";

async fn subscribe(
    app: &TestApp,
    token: &str,
    filter: Value,
) -> impl Stream<Item = async_graphql::Response> {
    let header = format!("Bearer {token}");
    let session = Session::from_header(&app.state, Some(&header), None).await;
    let request = async_graphql::Request::new(FEED)
        .variables(async_graphql::Variables::from_json(json!({ "f": filter })))
        .data(Arc::new(session));
    app.schema.execute_stream(request)
}

async fn next(
    stream: &mut (impl Stream<Item = async_graphql::Response> + Unpin),
    within: Duration,
) -> Value {
    let response = tokio::time::timeout(within, stream.next())
        .await
        .expect("an event in time")
        .expect("stream open");
    let value = serde_json::to_value(&response).expect("json");
    assert_eq!(value["errors"], Value::Null, "{value}");
    value["data"]["auditEvents"].clone()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_access_in_one_session_appears_on_another_sessions_feed(pool: PgPool) {
    let app = support::app(pool).await;
    let doctor = app.add_user("dr.house", "a sound password", Role::Doctor).await;
    let patient = app.add_user("pat.one", "a sound password", Role::Patient).await;
    let root_token = app.login("root", ROOT_PASSWORD).await;
    let doctor_token = app.login("dr.house", "a sound password").await;
    let patient_token = app.login("pat.one", "a sound password").await;
    caught_up(&app).await;

    // Subscribing is itself an access, the first event each feed shows.
    let mut staff = Box::pin(subscribe(&app, &root_token, Value::Null).await);
    let first = next(&mut staff, Duration::from_secs(10)).await;
    assert_eq!(
        (
            &first["kind"],
            &first["action"],
            &first["resource"],
            &first["approved"],
            &first["subjectSystemId"]
        ),
        (
            &json!("ACCESS_REQUESTED"),
            &json!("SEARCH"),
            &json!("AUDIT_TRAIL"),
            &json!(true),
            &Value::Null
        )
    );
    assert_eq!(first["actor"]["username"], "root");
    let mut own = Box::pin(subscribe(&app, &patient_token, Value::Null).await);
    let first = next(&mut own, Duration::from_secs(10)).await;
    assert_eq!(
        (&first["action"], &first["subjectSystemId"]),
        (&json!("READ"), &json!(sid(&patient)))
    );
    // The staff feed saw the patient subscribe.
    let seen = next(&mut staff, Duration::from_secs(10)).await;
    assert_eq!((&seen["actorSystemId"], &seen["action"]), (&json!(sid(&patient)), &json!("READ")));

    // The doctor reads their own account; both chain receipts are in `extensions.audit`.
    let me = app.raw(Some(&doctor_token), "{ me { id } }", json!({})).await;
    let receipt = &me["extensions"]["audit"][0];
    let event = next(&mut staff, Duration::from_secs(1)).await;
    assert_eq!(
        event,
        json!({
            "kind": "ACCESS_REQUESTED", "actorSystemId": sid(&doctor), "subjectSystemId": sid(&doctor),
            "action": "READ", "resource": "USER_RECORD", "approved": true,
            "transactionHash": receipt["transactionHash"], "blockNumber": receipt["blockNumber"].to_string(),
            "logIndex": receipt["logIndex"], "actor": { "username": "dr.house" },
        })
    );

    // The patient's feed skipped the doctor's access (not about them) and
    // shows their own next, without the other users' names.
    app.raw(Some(&patient_token), "{ me { id } }", json!({})).await;
    let mine = next(&mut own, Duration::from_secs(10)).await;
    assert_eq!(
        (&mine["actorSystemId"], &mine["subjectSystemId"], &mine["resource"]),
        (&json!(sid(&patient)), &json!(sid(&patient)), &json!("USER_RECORD"))
    );
    assert_eq!(mine["actor"]["username"], "pat.one");
}

#[sqlx::test(migrations = "../migrations")]
async fn a_doctor_may_not_watch_the_trail(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.who", "a sound password", Role::Doctor).await;
    let token = app.login("dr.who", "a sound password").await;
    let mut feed = Box::pin(subscribe(&app, &token, Value::Null).await);
    let response = tokio::time::timeout(Duration::from_secs(30), feed.next())
        .await
        .expect("answer")
        .expect("one");
    let value = serde_json::to_value(&response).expect("json");
    assert_eq!(support::code(&value), "FORBIDDEN");
    assert_eq!(value["errors"][0]["extensions"]["resource"], "AUDIT_TRAIL");
}
