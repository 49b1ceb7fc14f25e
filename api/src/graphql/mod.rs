//! The GraphQL schema and its HTTP endpoints: `/graphql` (POST to query, GET
//! for GraphiQL, our own build served from the web app's directory:
//! [`crate::http::web::graphiql`]) and `/graphql/ws` (subscriptions,
//! graphql-transport-ws).

mod audit;
mod audit_check;
mod audit_types;
mod auth;
mod care;
mod context;
pub mod documents;
pub mod error;
mod factor;
pub mod fields;
pub mod guard;
mod inputs;
pub mod introspection;
pub mod loaders;
pub mod operations;
mod passkey;
mod person_object;
mod record_objects;
mod records;
mod service_error;
pub mod session;
mod system;
mod user_object;
mod users;

use std::net::SocketAddr;
use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, MergedObject, MergedSubscription, Schema};
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLResponse, GraphQLWebSocket};
use axum::extract::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};

use crate::app::AppState;
use session::Session;

/// Every query field, merged from the domain modules.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    auth::AuthQuery,
    factor::FactorQuery,
    users::UsersQuery,
    records::RecordsQuery,
    audit::AuditQuery,
    audit_check::AuditCheckQuery,
    care::CareQuery,
);

/// Every mutation, merged from the domain modules.
#[derive(MergedObject, Default)]
pub struct Mutation(
    auth::AuthMutation,
    factor::FactorMutation,
    passkey::PasskeyMutation,
    users::UsersMutation,
    records::RecordsMutation,
    care::CareMutation,
);

/// Every subscription, merged from the domain modules.
#[derive(MergedSubscription, Default)]
pub struct Subscription(audit::AuditSubscription);

pub type CareLedgerSchema = Schema<Query, Mutation, Subscription>;

/// Builds the schema; tests execute requests against it without a socket.
pub fn schema(state: AppState) -> CareLedgerSchema {
    schema_builder().data(state).finish()
}

/// The schema without runtime data: what `careledger export-schema` prints.
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

fn schema_builder() -> async_graphql::SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(Query::default(), Mutation::default(), Subscription::default())
        .limit_depth(12)
        .limit_complexity(500)
        .limit_recursive_depth(32)
        // Outermost first: the introspection limit sees every document,
        // remembered or not.
        .extension(introspection::IntrospectionLimit::default())
        .extension(fields::TopLevelFieldLimit)
        .extension(operations::SocketOperationLimit)
        .extension(documents::ParsedDocuments::default())
}

/// Runs one request as `session`, then lists the on-chain receipts it
/// produced in `extensions.audit`.
pub async fn execute(
    schema: &CareLedgerSchema,
    request: async_graphql::Request,
    session: Arc<Session>,
) -> async_graphql::Response {
    let request = request.data(session.clone()).data(loaders::RequestLoaders::default());
    let mut response = schema.execute(request).await;
    // Parse and validation errors (syntax, unknown fields, wrong variable
    // types, depth and complexity limits) come without a code or a path:
    // BAD_REQUEST. An argument whose value fails to parse (an Int beyond 32
    // bits, a malformed DateTime) comes with its field's path and no code,
    // before the resolver runs: BAD_USER_INPUT. Every resolver error carries
    // its own code (`ApiError`).
    for error in response.errors.iter_mut() {
        let has_code = error.extensions.as_ref().is_some_and(|e| e.get("code").is_some());
        if !has_code {
            let code = if error.path.is_empty() {
                careledger_vocab::ErrorCode::BadRequest
            } else {
                careledger_vocab::ErrorCode::BadUserInput
            };
            error.extensions.get_or_insert_with(Default::default).set("code", code.as_str());
        }
    }
    let audit = session.audit();
    if !audit.is_empty() {
        if let Ok(value) =
            async_graphql::Value::from_json(serde_json::to_value(audit).unwrap_or_default())
        {
            response.extensions.insert("audit".to_owned(), value);
        }
    }
    response
}

/// The GraphQL routes, with the schema attached.
pub fn routes(state: AppState) -> Router<AppState> {
    let graphiql = crate::http::web::graphiql(&state.web_dir);
    let schema = schema(state);
    Router::new()
        .route("/graphql", graphiql.post(handle))
        .route("/graphql/ws", get(subscribe))
        .layer(Extension(schema))
}

async fn handle(
    State(state): State<AppState>,
    Extension(schema): Extension<CareLedgerSchema>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    request: GraphQLRequest,
) -> axum::response::Response {
    let Some(_place) = state.admission.enter() else {
        return crate::http::admission::overloaded();
    };
    let authorization =
        headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let address = crate::http::client::address(peer.ip(), &headers, &state.config.trusted_proxies);
    let session = Session::from_header(&state, authorization, Some(address)).await;
    if let Ok(caller) = session.caller() {
        if let Err(wait) = state.quotas.take(caller.user_id.0) {
            return crate::http::quota::refused(wait);
        }
    }
    GraphQLResponse::from(execute(&schema, request.into_inner(), Arc::new(session)).await)
        .into_response()
}

/// `/graphql/ws`: subscriptions over graphql-transport-ws (or the older
/// graphql-ws). The token comes in `connection_init`, as
/// `{"authorization": "Bearer <token>"}` or `{"token": "<token>"}`; the
/// connection's operations then run as that session until it ends
/// ([`Session::for_socket`]).
async fn subscribe(
    State(state): State<AppState>,
    Extension(schema): Extension<CareLedgerSchema>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> axum::response::Response {
    let address = crate::http::client::address(peer.ip(), &headers, &state.config.trusted_proxies);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        // A subscribe message is a small document: the same bound as a
        // request body over HTTP; a larger one closes the connection.
        .max_message_size(crate::http::MAX_BODY_BYTES)
        .max_frame_size(crate::http::MAX_BODY_BYTES)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let header = connection_authorization(&payload);
                    let session =
                        Session::for_socket(&state, header.as_deref(), Some(address)).await;
                    let mut data = Data::default();
                    data.insert(Arc::new(session));
                    Ok(data)
                })
                .serve()
        })
        .into_response()
}

/// The `Authorization` value a `connection_init` payload carries, if any.
fn connection_authorization(payload: &serde_json::Value) -> Option<String> {
    let field = |name: &str| payload.get(name).and_then(|v| v.as_str());
    field("authorization")
        .or_else(|| field("Authorization"))
        .map(str::to_owned)
        .or_else(|| field("token").map(|t| format!("Bearer {t}")))
}
