//! The GraphQL API through the real schema: what every role may and may not
//! do, search, records, hardening, and the committed schema.

mod hardening;
mod records;
mod roles;
mod schema;
mod search;
mod users;

use std::collections::HashMap;

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Log;
use careledger::users::{Role, User};
use serde_json::{json, Value};
use sqlx::PgPool;

use crate::support::{self, TestApp, ROOT_PASSWORD};

/// Every demo account's password in these tests.
pub const PASSWORD: &str = "a sound password";

/// A small hospital: one account of each role, a second patient, and tokens.
pub struct Hospital {
    pub app: TestApp,
    pub users: HashMap<Role, User>,
    pub tokens: HashMap<Role, String>,
    pub other_patient: User,
    pub other_patient_token: String,
}

impl Hospital {
    pub async fn new(pool: PgPool) -> Self {
        let app = support::app(pool).await;
        let mut users = HashMap::new();
        let mut tokens = HashMap::new();
        let root = careledger::users::repo::get_by_username(
            &app.state.pool,
            &careledger::users::Username::parse("root").expect("root"),
        )
        .await
        .expect("get")
        .expect("root exists");
        users.insert(Role::Root, root);
        tokens.insert(Role::Root, app.login("root", ROOT_PASSWORD).await);
        for (role, name) in [
            (Role::Admin, "ada.admin"),
            (Role::Doctor, "dr.grey"),
            (Role::Nurse, "nurse.joy"),
            (Role::Receptionist, "rita.desk"),
            (Role::Auditor, "otto.audit"),
            (Role::Patient, "pat.one"),
        ] {
            users.insert(role, app.add_user(name, PASSWORD, role).await);
            tokens.insert(role, app.login(name, PASSWORD).await);
        }
        let other_patient = app.add_user("pat.two", PASSWORD, Role::Patient).await;
        let other_patient_token = app.login("pat.two", PASSWORD).await;
        Self { app, users, tokens, other_patient, other_patient_token }
    }

    pub fn user(&self, role: Role) -> &User {
        &self.users[&role]
    }

    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    pub async fn run(&self, role: Role, query: &str, variables: Value) -> Value {
        self.app.run(Some(self.token(role)), query, variables).await
    }

    /// A record for the first patient, written by the doctor; its id.
    pub async fn record(&self, title: &str) -> String {
        let out = self
            .run(
                Role::Doctor,
                CREATE_RECORD,
                json!({"input": record_input(&self.user(Role::Patient).id.to_string(), title)}),
            )
            .await;
        out["data"]["createRecord"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("createRecord: {out}"))
            .to_owned()
    }
}

pub const CREATE_RECORD: &str = "mutation($input: CreateRecordInput!) { createRecord(input: $input) { id version title contentHash content author { username } patient { id } } }";
pub const UPDATE_RECORD: &str = "mutation($id: ID!, $v: Int!, $input: UpdateRecordInput!) { updateRecord(id: $id, expectedVersion: $v, input: $input) { id version title contentHash } }";

pub fn record_input(patient_id: &str, title: &str) -> Value {
    json!({
        "patientId": patient_id,
        "recordType": "DIAGNOSIS",
        "title": title,
        "content": {"condition": "Essential hypertension", "icd10": "I10", "status": "provisional"},
    })
}

/// The entries of `extensions.audit`.
pub fn audit(response: &Value) -> Vec<Value> {
    response["extensions"]["audit"].as_array().cloned().unwrap_or_default()
}

/// Everything a request could change, as one comparable value: accounts
/// (with roles, details, deletion), record versions, and the outbox.
pub async fn fingerprint(pool: &PgPool) -> String {
    sqlx::query_scalar(
        "SELECT concat_ws(' | ',
            (SELECT string_agg(concat_ws(',', id, username, role::text, full_name, address, department, position,
                                         password_hash, deleted_at IS NULL), ';' ORDER BY id) FROM users),
            (SELECT string_agg(concat_ws(',', id, version, title, content::text), ';' ORDER BY id, version)
               FROM health_record_versions),
            (SELECT count(*) FROM chain_outbox)::text)",
    )
    .fetch_one(pool)
    .await
    .expect("fingerprint")
}

/// Asserts a refusal: FORBIDDEN naming the action and resource, exactly one
/// `AccessRequested` event with `approved: false`, and no data.
pub fn assert_forbidden(out: &Value, action: &str, resource: &str, what: &str) {
    assert_eq!(support::code(out), "FORBIDDEN", "{what}: {out}");
    let ext = &out["errors"][0]["extensions"];
    assert_eq!(
        (ext["action"].as_str(), ext["resource"].as_str()),
        (Some(action), Some(resource)),
        "{what}"
    );
    let audit = audit(out);
    assert_eq!(audit.len(), 1, "{what}: exactly one event: {audit:?}");
    assert_eq!(audit[0]["event"], "AccessRequested", "{what}");
    assert_eq!(audit[0]["approved"], false, "{what}");
    assert_eq!(
        (audit[0]["action"].as_str(), audit[0]["resource"].as_str()),
        (Some(action), Some(resource)),
        "{what}"
    );
}

/// The log an `extensions.audit` entry names, read back from the chain.
pub async fn log_of(app: &TestApp, note: &Value) -> Log {
    let tx: B256 = note["transactionHash"].as_str().expect("tx").parse().expect("hash");
    let receipt = app
        .state
        .chain
        .provider()
        .get_transaction_receipt(tx)
        .await
        .expect("receipt")
        .expect("mined");
    let index = note["logIndex"].as_u64().expect("logIndex");
    let log = receipt
        .inner
        .logs()
        .iter()
        .find(|l| l.log_index == Some(index))
        .cloned()
        .expect("the log is in its transaction");
    assert_eq!(log.block_number, note["blockNumber"].as_u64());
    log
}

pub fn word(user: &User) -> B256 {
    B256::from(user.system_id.expect("system id"))
}
