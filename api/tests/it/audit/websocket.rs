//! The live feed over a real WebSocket (graphql-transport-ws), token in
//! `connection_init`.

use std::net::SocketAddr;
use std::time::Duration;

use async_graphql::futures_util::{SinkExt, StreamExt};
use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::{caught_up, sid};
use crate::support::{self, TestApp, ROOT_PASSWORD};

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

const FEED: &str =
    "subscription { auditEvents { kind action resource actorSystemId subjectSystemId } }";

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
    send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": { "query": FEED } }))
        .await;
    let own = receive(&mut socket).await;
    assert_eq!(own["type"], "next", "{own}");
    assert_eq!(own["payload"]["data"]["auditEvents"]["action"], "SEARCH");
    assert_eq!(own["payload"]["data"]["auditEvents"]["resource"], "AUDIT_TRAIL");

    app.raw(Some(&doctor_token), "{ me { id } }", json!({})).await;
    let seen = receive(&mut socket).await;
    assert_eq!(
        seen["payload"]["data"]["auditEvents"],
        json!({ "kind": "ACCESS_REQUESTED", "action": "READ", "resource": "USER_RECORD",
                "actorSystemId": sid(&doctor), "subjectSystemId": sid(&doctor) })
    );

    // The `token` form is accepted too; a bad token gets UNAUTHENTICATED.
    let mut anonymous = connect(addr, json!({ "token": "not a token" })).await;
    send(&mut anonymous, json!({ "id": "2", "type": "subscribe", "payload": { "query": FEED } }))
        .await;
    let refused = receive(&mut anonymous).await;
    assert_eq!(refused["type"], "next", "{refused}");
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}
