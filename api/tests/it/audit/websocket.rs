//! The live feed over a real WebSocket (graphql-transport-ws), token in
//! `connection_init`.

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::futures_util::{SinkExt, StreamExt};
use careledger::users::Role;
use graphql_client::GraphQLQuery;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::{caught_up, sid};
use crate::ops::{audit_feed, me, AccessAction, AccessResource, AuditFeed, Me};
use crate::support::{self, Reply, TestApp, ROOT_PASSWORD};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn serve(app: &TestApp) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = careledger::http::router(app.state.clone());
    tokio::spawn(async move {
        axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
            .await
            .expect("serve");
    });
    addr
}

async fn connect(addr: SocketAddr, init: Value) -> Socket {
    let mut request = format!("ws://{addr}/graphql/ws").into_client_request().expect("request");
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().expect("header"));
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.expect("connect");
    send(&mut socket, json!({ "type": "connection_init", "payload": init })).await;
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket.send(Message::text(message.to_string())).await.expect("send");
}

async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("json");
        }
    }
}

/// A `subscribe` frame carrying the typed `AuditFeed` document (the
/// protocol's frames themselves stay raw).
fn subscribe(id: &str) -> Value {
    let payload = AuditFeed::build_query(audit_feed::Variables { filter: None });
    json!({ "id": id, "type": "subscribe", "payload": payload })
}

/// The GraphQL response a `next` frame carries.
fn payload(frame: &Value) -> Reply<audit_feed::ResponseData> {
    assert_eq!(frame["type"], "next", "{frame}");
    Reply::from_json(frame["payload"].clone())
}

#[sqlx::test(migrations = "../migrations")]
async fn the_feed_runs_over_a_websocket_as_the_token_holder(pool: PgPool) {
    let app = support::app(pool).await;
    let doctor = app.add_user("dr.ws", "a sound password", Role::Doctor).await;
    let doctor_token = app.login("dr.ws", "a sound password").await;
    let root_token = app.login("root", ROOT_PASSWORD).await;
    caught_up(&app).await;
    let addr = serve(&app).await;

    let mut socket =
        connect(addr, json!({ "authorization": format!("Bearer {root_token}") })).await;
    send(&mut socket, subscribe("1")).await;
    let own = payload(&receive(&mut socket).await);
    let own = &own.ok().audit_events;
    assert_eq!(own.action, Some(AccessAction::Search));
    assert_eq!(own.resource, Some(AccessResource::AuditTrail));

    app.run::<Me>(Some(&doctor_token), me::Variables).await;
    let seen = payload(&receive(&mut socket).await);
    let seen = &seen.ok().audit_events;
    assert_eq!(
        (
            seen.kind.as_str(),
            seen.action,
            seen.resource,
            &seen.actor_system_id,
            seen.subject_system_id.as_ref()
        ),
        (
            "ACCESS_REQUESTED",
            Some(AccessAction::Read),
            Some(AccessResource::UserRecord),
            &sid(&doctor),
            Some(&sid(&doctor))
        )
    );

    // The `token` form is accepted too; a bad token gets UNAUTHENTICATED.
    let mut anonymous = connect(addr, json!({ "token": "not a token" })).await;
    send(&mut anonymous, subscribe("2")).await;
    let refused = payload(&receive(&mut anonymous).await);
    assert_eq!(refused.code(), "UNAUTHENTICATED");
}

/// Subscription `id` ends: after any events still on their way (an auditor
/// sees everyone's), its UNAUTHENTICATED error, then `complete`.
async fn ends_unauthenticated(socket: &mut Socket, id: &str) {
    let ended = loop {
        let frame = receive(socket).await;
        assert_eq!(
            (frame["id"].as_str(), frame["type"].as_str()),
            (Some(id), Some("next")),
            "{frame}"
        );
        let reply: Reply<audit_feed::ResponseData> = Reply::from_json(frame["payload"].clone());
        if !reply.errors.is_empty() {
            break reply;
        }
    };
    assert_eq!(ended.code(), "UNAUTHENTICATED", "{ended:?}");
    assert!(ended.message().starts_with("the session ended"), "{ended:?}");
    let complete = receive(socket).await;
    assert_eq!((complete["id"].as_str(), complete["type"].as_str()), (Some(id), Some("complete")));
}

/// Subscribes as `token` and reads the feed's first frame (its own request).
async fn feed_of(addr: SocketAddr, token: &str) -> Socket {
    let mut socket = connect(addr, json!({ "authorization": format!("Bearer {token}") })).await;
    send(&mut socket, subscribe("1")).await;
    assert!(payload(&receive(&mut socket).await).errors.is_empty());
    socket
}

#[sqlx::test(migrations = "../migrations")]
async fn a_feed_ends_at_logout_and_the_socket_answers_nothing_more(pool: PgPool) {
    let app = support::app(pool).await;
    app.add_user("aud.ws", "a sound password", Role::Auditor).await;
    let token = app.login("aud.ws", "a sound password").await;
    let other = app.login("aud.ws", "a sound password").await;
    caught_up(&app).await;
    let addr = serve(&app).await;
    let mut socket = feed_of(addr, &token).await;
    let mut other_socket = feed_of(addr, &other).await;

    let out = app.run::<crate::ops::Logout>(Some(&token), crate::ops::logout::Variables).await;
    assert!(out.errors.is_empty(), "{out:?}");
    ends_unauthenticated(&mut socket, "1").await;
    // A new operation over the same connection is refused too.
    send(&mut socket, subscribe("2")).await;
    assert_eq!(payload(&receive(&mut socket).await).code(), "UNAUTHENTICATED");

    // The same user's other session goes on: its own read still reaches it.
    app.run::<Me>(Some(&other), me::Variables).await;
    loop {
        let next = payload(&receive(&mut other_socket).await);
        let event = &next.ok().audit_events;
        if event.resource == Some(AccessResource::UserRecord) {
            assert_eq!(event.action, Some(AccessAction::Read));
            break;
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn a_feed_ends_when_the_account_is_deleted_or_its_role_changed(pool: PgPool) {
    let app = support::app(pool).await;
    let deleted = app.add_user("aud.gone", "a sound password", Role::Auditor).await;
    let moved = app.add_user("aud.moved", "a sound password", Role::Auditor).await;
    let deleted_token = app.login("aud.gone", "a sound password").await;
    let moved_token = app.login("aud.moved", "a sound password").await;
    let root = app.login("root", ROOT_PASSWORD).await;
    caught_up(&app).await;
    let addr = serve(&app).await;
    let mut gone = feed_of(addr, &deleted_token).await;
    let mut changed = feed_of(addr, &moved_token).await;

    let vars = crate::ops::delete_user::Variables { id: deleted.id.to_string() };
    let out = app.run::<crate::ops::DeleteUser>(Some(&root), vars).await;
    assert!(out.errors.is_empty(), "{out:?}");
    ends_unauthenticated(&mut gone, "1").await;

    let vars = crate::ops::set_user_role::Variables {
        id: moved.id.to_string(),
        role: crate::ops::Role::Doctor,
    };
    let out = app.run::<crate::ops::SetUserRole>(Some(&root), vars).await;
    assert!(out.errors.is_empty(), "{out:?}");
    ends_unauthenticated(&mut changed, "1").await;
}

#[sqlx::test(migrations = "../migrations")]
async fn a_message_larger_than_a_request_body_closes_the_connection(pool: PgPool) {
    let app = support::app(pool).await;
    let token = app.login("root", ROOT_PASSWORD).await;
    let addr = serve(&app).await;
    let mut socket = connect(addr, json!({ "authorization": format!("Bearer {token}") })).await;
    let padding = " ".repeat(careledger::http::MAX_BODY_BYTES);
    let query = format!("subscription {{ auditEvents {{ kind }} }}{padding}");
    send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }))
        .await;
    let next = tokio::time::timeout(Duration::from_secs(30), socket.next()).await.expect("in time");
    match next {
        // Closed with the code for a message too big, or cut off.
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(u16::from(frame.code), 1009, "message too big: {frame:?}");
        }
        Some(Ok(Message::Close(None)) | Err(_)) | None => {}
        Some(Ok(other)) => panic!("answered instead of closing: {other:?}"),
    }
}

/// The next frame about subscription `id`, skipping the others' events
/// (which must carry no error).
async fn frame_of(socket: &mut Socket, id: &str) -> Value {
    loop {
        let frame = receive(socket).await;
        if frame["id"] == id {
            return frame;
        }
        assert!(frame["payload"]["errors"].is_null(), "{frame}");
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn one_connection_runs_at_most_sixteen_operations_at_once(pool: PgPool) {
    let app = support::app(pool).await;
    let root = app.login("root", ROOT_PASSWORD).await;
    let addr = serve(&app).await;
    let mut socket = connect(addr, json!({ "authorization": format!("Bearer {root}") })).await;
    for i in 0..16 {
        send(&mut socket, subscribe(&format!("f{i}"))).await;
    }
    send(&mut socket, subscribe("over")).await;
    let refused = frame_of(&mut socket, "over").await;
    let reply = payload(&refused);
    assert_eq!(reply.code(), "BAD_REQUEST", "{refused}");
    assert_eq!(
        reply.message(),
        "this connection already runs 16 operations at once: stop one (or open another \
         connection) first"
    );
    assert_eq!(frame_of(&mut socket, "over").await["type"], "complete");

    // Stopping one makes room for another.
    send(&mut socket, json!({ "id": "f0", "type": "complete" })).await;
    send(&mut socket, subscribe("again")).await;
    let first = frame_of(&mut socket, "again").await;
    assert!(payload(&first).errors.is_empty(), "{first}");
}
