//! The operations the chaos tests send, typed at build time from the root
//! `schema.graphql` (documents in `tests/queries/chaos.graphql`), and sending
//! one over the api's real HTTPS endpoint with the benchmark's client.

use alloy::primitives::B256;
use careledger_bench::client::{Client, Outcome};
use graphql_client::GraphQLQuery;
use serde::Deserialize;

/// `JSON` scalar: a record's structured content.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;
/// Which contract event an audit event is, kept as its code.
pub type AuditEventKind = String;
pub use careledger_vocab::Role;

macro_rules! operation {
    ($name:ident) => {
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "../schema.graphql",
            query_path = "tests/queries/chaos.graphql",
            response_derives = "Debug, Clone",
            variables_derives = "Debug, Clone",
            skip_serializing_none,
            extern_enums("Role", "AuditEventKind")
        )]
        pub struct $name;
    };
}

operation!(ReadPatientRecords);
operation!(ReadRecord);
operation!(AmendRecord);
operation!(AddAuditor);
operation!(TrailPage);

/// One `extensions.audit` entry: an event the api says the request put on chain.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub event: String,
    /// The request id (`AccessRequested`) or lifecycle entry id.
    pub id: B256,
    pub transaction_hash: B256,
    pub approved: bool,
}

/// How a request ended, what it returned, and the events it names.
#[derive(Debug, Clone)]
pub struct Answer<D> {
    pub outcome: Outcome,
    pub data: Option<D>,
    /// `extensions.currentVersion` of a CONFLICT.
    pub current_version: Option<i64>,
    pub notes: Vec<Note>,
}

/// Sends the typed operation `Q` as the holder of `token`.
pub async fn send<Q: GraphQLQuery>(
    client: &Client,
    token: Option<&str>,
    variables: Q::Variables,
) -> Answer<Q::ResponseData> {
    let body = Q::build_query(variables);
    let variables = serde_json::to_value(&body.variables).expect("variables serialize");
    let (outcome, response) =
        client.operation(token, body.query, Some(body.operation_name), variables).await;
    let data = serde_json::from_value::<Option<Q::ResponseData>>(response["data"].clone())
        .unwrap_or_else(|e| panic!("not the operation's data ({e}): {}", response["data"]));
    let notes = match response["extensions"].get("audit") {
        Some(audit) => serde_json::from_value(audit.clone())
            .unwrap_or_else(|e| panic!("extensions.audit unreadable ({e}): {audit}")),
        None => Vec::new(),
    };
    let current_version = response["errors"][0]["extensions"]["currentVersion"].as_i64();
    Answer { outcome, data, current_version, notes }
}
