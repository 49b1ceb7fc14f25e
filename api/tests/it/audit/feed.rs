//! The live feed: `subscription { auditEvents }` through the schema.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::futures_util::{Stream, StreamExt};
use careledger::graphql::session::Session;
use careledger::users::Role;
use graphql_client::GraphQLQuery;
use sqlx::PgPool;

use super::{caught_up, sid};
use crate::ops::{audit_feed, me, AccessAction, AccessResource, AuditFeed, Me};
use crate::support::{self, Reply, TestApp, ROOT_PASSWORD};

type Event = audit_feed::AuditFeedAuditEvents;

async fn subscribe(
    app: &TestApp,
    token: &str,
    filter: Option<audit_feed::AuditFilter>,
) -> impl Stream<Item = async_graphql::Response> {
    let header = format!("Bearer {token}");
    let session = Session::from_header(&app.state, Some(&header), None).await;
    let body = AuditFeed::build_query(audit_feed::Variables { filter });
    let variables = serde_json::to_value(&body.variables).expect("variables");
    let request = async_graphql::Request::new(body.query)
        .operation_name(body.operation_name)
        .variables(async_graphql::Variables::from_json(variables))
        .data(Arc::new(session));
    app.schema.execute_stream(request)
}

fn reply(response: async_graphql::Response) -> Reply<audit_feed::ResponseData> {
    Reply::from_json(serde_json::to_value(&response).expect("json"))
}

async fn next(
    stream: &mut (impl Stream<Item = async_graphql::Response> + Unpin),
    within: Duration,
) -> Event {
    let response = tokio::time::timeout(within, stream.next())
        .await
        .expect("an event in time")
        .expect("stream open");
    reply(response).ok().audit_events.clone()
}

fn actor_name(event: &Event) -> Option<&str> {
    event.actor.as_ref().map(|a| a.full_name.as_str())
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
    let mut staff = Box::pin(subscribe(&app, &root_token, None).await);
    let first = next(&mut staff, Duration::from_secs(10)).await;
    assert_eq!(
        (
            first.kind.as_str(),
            first.action,
            first.resource,
            first.approved,
            first.subject_system_id.as_deref()
        ),
        (
            "ACCESS_REQUESTED",
            Some(AccessAction::Search),
            Some(AccessResource::AuditTrail),
            true,
            None
        )
    );
    assert_eq!(actor_name(&first), Some("System Root"));
    let mut own = Box::pin(subscribe(&app, &patient_token, None).await);
    let first = next(&mut own, Duration::from_secs(10)).await;
    assert_eq!(
        (first.action, first.subject_system_id),
        (Some(AccessAction::Read), Some(sid(&patient)))
    );
    // The staff feed saw the patient subscribe.
    let seen = next(&mut staff, Duration::from_secs(10)).await;
    assert_eq!((seen.actor_system_id, seen.action), (sid(&patient), Some(AccessAction::Read)));

    // The doctor reads their own account; both chain receipts are in `extensions.audit`.
    let me = app.run::<Me>(Some(&doctor_token), me::Variables).await;
    let receipt = &me.audit[0];
    let event = next(&mut staff, Duration::from_secs(1)).await;
    assert_eq!(
        event,
        Event {
            kind: "ACCESS_REQUESTED".to_owned(),
            actor_system_id: sid(&doctor),
            subject_system_id: Some(sid(&doctor)),
            action: Some(AccessAction::Read),
            resource: Some(AccessResource::UserRecord),
            approved: true,
            transaction_hash: receipt.transaction_hash.to_string(),
            block_number: receipt.block_number.to_string(),
            log_index: receipt.log_index.try_into().expect("log index"),
            actor: Some(audit_feed::AuditFeedAuditEventsActor {
                full_name: "Test dr.house".to_owned(),
            }),
        }
    );

    // The patient's feed skipped the doctor's access (not about them) and
    // shows their own next, without the other users' names.
    app.run::<Me>(Some(&patient_token), me::Variables).await;
    let mine = next(&mut own, Duration::from_secs(10)).await;
    assert_eq!(
        (&mine.actor_system_id, &mine.subject_system_id, mine.resource),
        (&sid(&patient), &Some(sid(&patient)), Some(AccessResource::UserRecord))
    );
    assert_eq!(actor_name(&mine), Some("Test pat.one"));
}

#[sqlx::test(migrations = "../migrations")]
async fn a_doctor_may_not_watch_the_trail(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("dr.who", "a sound password", Role::Doctor).await;
    let token = app.login("dr.who", "a sound password").await;
    let mut feed = Box::pin(subscribe(&app, &token, None).await);
    let response = tokio::time::timeout(Duration::from_secs(30), feed.next())
        .await
        .expect("answer")
        .expect("one");
    let out = reply(response);
    assert_eq!(out.code(), "FORBIDDEN");
    assert_eq!(out.extension("resource"), "AUDIT_TRAIL");
}
