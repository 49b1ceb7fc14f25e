//! The GraphQL API through the real schema: what every role may and may not
//! do, search, records, hardening, and the committed schema.

mod administrators;
mod care;
mod demo;
mod disclosure;
mod hardening;
mod records;
mod report_people;
mod roles;
mod schema;
mod search;
mod users;

use std::collections::HashMap;
use std::fmt::Debug;

use alloy::primitives::B256;
use alloy::providers::Provider;
use alloy::rpc::types::Log;
use careledger::users::{Role, User};
use graphql_client::GraphQLQuery;
use serde_json::json;
use sqlx::PgPool;

use crate::ops::{create_record, AccessAction, AccessResource, CreateRecord, RecordType};
use crate::support::{self, Note, Reply, TestApp, ROOT_PASSWORD};

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
        // The doctor and the nurse care for the first patient, not the second.
        let party = |u: &User| careledger::care::Party::of(u, "user").expect("registered");
        for clinician in [Role::Doctor, Role::Nurse] {
            careledger::care::add_member(
                &app.state.pool,
                &app.state.outbox,
                party(&users[&Role::Admin]),
                party(&users[&Role::Patient]),
                &users[&clinician],
                None,
            )
            .await
            .expect("on the care team");
        }
        Self { app, users, tokens, other_patient, other_patient_token }
    }

    pub fn user(&self, role: Role) -> &User {
        &self.users[&role]
    }

    pub fn token(&self, role: Role) -> &str {
        &self.tokens[&role]
    }

    /// Runs the typed operation `Q` as the account of `role`.
    pub async fn run<Q: GraphQLQuery>(
        &self,
        role: Role,
        variables: Q::Variables,
    ) -> Reply<Q::ResponseData> {
        self.app.run::<Q>(Some(self.token(role)), variables).await
    }

    /// A record for the first patient, written by the doctor; its id.
    pub async fn record(&self, title: &str) -> String {
        let input = record_input(&self.user(Role::Patient).id.to_string(), title);
        let out = self.run::<CreateRecord>(Role::Doctor, create_record::Variables { input }).await;
        out.ok().create_record.id.clone()
    }
}

pub fn record_input(patient_id: &str, title: &str) -> create_record::CreateRecordInput {
    create_record::CreateRecordInput {
        patient_id: patient_id.to_owned(),
        record_type: RecordType::Diagnosis,
        title: title.to_owned(),
        content: json!({"condition": "Essential hypertension", "icd10": "I10", "status": "provisional"}),
    }
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
pub fn assert_forbidden<D: Debug>(
    out: &Reply<D>,
    action: AccessAction,
    resource: AccessResource,
    what: &str,
) {
    assert_eq!(out.code(), "FORBIDDEN", "{what}: {out:?}");
    assert_eq!(
        (out.extension("action"), out.extension("resource")),
        (&json!(action), &json!(resource)),
        "{what}"
    );
    assert_eq!(out.audit.len(), 1, "{what}: exactly one event: {:?}", out.audit);
    let note = &out.audit[0];
    assert_eq!(note.event, "AccessRequested", "{what}");
    assert!(!note.approved, "{what}");
    assert_eq!((note.action, note.resource), (Some(action), Some(resource)), "{what}");
}

/// The log an `extensions.audit` entry names, read back from the chain.
pub async fn log_of(app: &TestApp, note: &Note) -> Log {
    let receipt = app
        .state
        .chain
        .provider()
        .get_transaction_receipt(note.transaction_hash)
        .await
        .expect("receipt")
        .expect("mined");
    let log = receipt
        .inner
        .logs()
        .iter()
        .find(|l| l.log_index == Some(note.log_index))
        .cloned()
        .expect("the log is in its transaction");
    assert_eq!(log.block_number, Some(note.block_number));
    log
}

pub fn word(user: &User) -> B256 {
    B256::from(user.system_id.expect("system id"))
}
