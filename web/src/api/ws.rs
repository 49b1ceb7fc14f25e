//! Subscriptions over `/graphql/ws` with the graphql-transport-ws protocol,
//! implemented here on gloo-net's WebSocket: `connection_init` carrying the
//! token, `connection_ack`, `subscribe`, then `next` messages until the
//! returned [`Live`] handle is dropped (which closes the socket).

use careledger_vocab::ErrorCode;
use futures::channel::oneshot;
use futures::{SinkExt, StreamExt};
use gloo_net::websocket::futures::WebSocket;
use gloo_net::websocket::Message;
use graphql_client::GraphQLQuery;
use serde_json::json;
use yew::Callback;

/// What the feed reports to its page.
#[derive(Clone, Debug, PartialEq)]
pub enum FeedUpdate<T> {
    Connected,
    Item(T),
    Closed(String),
}

/// A running subscription; dropping it ends it.
#[derive(Debug)]
pub struct Live {
    _stop: oneshot::Sender<()>,
}

fn ws_url() -> String {
    let location = web_sys::window().map(|w| w.location());
    let host = location.as_ref().and_then(|l| l.host().ok()).unwrap_or_default();
    let secure =
        location.as_ref().and_then(|l| l.protocol().ok()).map(|p| p == "https:").unwrap_or(true);
    format!("{}://{host}/graphql/ws", if secure { "wss" } else { "ws" })
}

/// Starts `Q` as a subscription for the holder of `token`.
pub fn subscribe<Q: GraphQLQuery + 'static>(
    token: String,
    variables: Q::Variables,
    on_update: Callback<FeedUpdate<Q::ResponseData>>,
) -> Live
where
    Q::Variables: 'static,
{
    let (stop, stopped) = oneshot::channel::<()>();
    let body = Q::build_query(variables);
    wasm_bindgen_futures::spawn_local(async move {
        let run = run_feed::<Q>(token, body, on_update.clone());
        futures::pin_mut!(run);
        if let futures::future::Either::Left((Err(reason), _)) =
            futures::future::select(run, stopped).await
        {
            on_update.emit(FeedUpdate::Closed(reason));
        }
    });
    Live { _stop: stop }
}

async fn run_feed<Q: GraphQLQuery>(
    token: String,
    body: graphql_client::QueryBody<Q::Variables>,
    on_update: Callback<FeedUpdate<Q::ResponseData>>,
) -> Result<(), String> {
    let unreachable = || "The live feed cannot reach the server.".to_owned();
    let socket = WebSocket::open_with_protocol(&ws_url(), "graphql-transport-ws")
        .map_err(|_| unreachable())?;
    let (mut tx, mut rx) = socket.split();
    let send = |v: serde_json::Value| Message::Text(v.to_string());
    tx.send(send(
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}}),
    ))
    .await
    .map_err(|_| unreachable())?;
    let payload = serde_json::to_value(&body).map_err(|_| "bad subscription".to_owned())?;
    while let Some(message) = rx.next().await {
        let text = match message {
            Ok(Message::Text(t)) => t,
            Ok(Message::Bytes(_)) => continue,
            Err(_) => return Err("The live feed was disconnected.".into()),
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else { continue };
        match value["type"].as_str().unwrap_or_default() {
            "connection_ack" => {
                tx.send(send(json!({"id": "1", "type": "subscribe", "payload": payload})))
                    .await
                    .map_err(|_| unreachable())?;
                on_update.emit(FeedUpdate::Connected);
            }
            "ping" => {
                let _ = tx.send(send(json!({"type": "pong"}))).await;
            }
            "next" => {
                if let Some(errors) =
                    value["payload"]["errors"].as_array().filter(|e| !e.is_empty())
                {
                    let code = errors[0]["extensions"]["code"].as_str().unwrap_or("INTERNAL");
                    return Err(match code.parse() {
                        Ok(ErrorCode::Forbidden) => "Your role may not watch this feed.".into(),
                        Ok(ErrorCode::Unauthenticated) => {
                            "The live feed needs you to be signed in.".into()
                        }
                        _ => format!(
                            "The live feed stopped: {}",
                            errors[0]["message"].as_str().unwrap_or(code)
                        ),
                    });
                }
                if let Ok(data) =
                    serde_json::from_value::<Q::ResponseData>(value["payload"]["data"].clone())
                {
                    on_update.emit(FeedUpdate::Item(data));
                }
            }
            "error" => return Err("The server refused the live feed.".into()),
            "complete" => return Err("The live feed ended.".into()),
            _ => {}
        }
    }
    Err("The live feed was disconnected.".into())
}
