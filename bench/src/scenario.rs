//! The scenarios: what one request of each kind is, and how many on-chain
//! events it must produce.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use careledger_vocab::{ErrorCode, Role};
use serde_json::json;

use crate::client::{Client, Outcome};
use crate::fixture::Fixture;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// patientRecords and record, alternately, as doctors.
    Read,
    /// updateRecord as doctors: a new version and its on-chain anchor each.
    Write,
    /// 90 % read, 10 % write.
    Mixed,
    /// login with the right password.
    Login,
    /// patients reading another patient's records: refused by the contract.
    Denied,
    /// searchUsers for patients as doctors, a page of 20: the search and
    /// each listed patient recorded (one event each).
    Search,
    /// searchUsers for doctors as doctors: the same search, listing staff,
    /// so only the search itself is recorded (the baseline for `search`).
    SearchStaff,
}

const PATIENT_RECORDS: &str =
    "query($p: ID!) { patientRecords(patientId: $p) { id version title } }";
const RECORD: &str = "query($id: ID!) { record(id: $id) { id version title content } }";
const UPDATE: &str = "mutation($id: ID!, $v: Int!, $input: UpdateRecordInput!) { updateRecord(id: $id, expectedVersion: $v, input: $input) { id version } }";
const SEARCH: &str = "query($role: Role!) { searchUsers(role: $role, first: 20) { edges { node { id fullName role designation } } } }";
const LOGIN: &str =
    "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }";

/// What the run shares: the client, the fixture, the versions each record is at.
pub struct Shared {
    pub client: Client,
    pub fixture: Fixture,
}

impl Shared {
    pub fn new(client: Client, fixture: Fixture) -> Arc<Self> {
        Arc::new(Self { client, fixture })
    }
}

/// One request's result: its outcome and how many chain events it must have produced.
#[derive(Debug, Clone)]
pub struct Done {
    pub outcome: Outcome,
    pub expected_events: u64,
}

/// Runs request number `n` of `scenario` for worker `worker`.
pub async fn request(shared: &Shared, scenario: Scenario, worker: usize, n: u64) -> Done {
    let kind = match scenario {
        Scenario::Mixed if n % 10 == 9 => Scenario::Write,
        Scenario::Mixed => Scenario::Read,
        other => other,
    };
    let f = &shared.fixture;
    match kind {
        Scenario::Read => {
            let (_, token) = &f.doctors[worker % f.doctors.len()];
            let patient = &f.patients[(worker + n as usize) % f.patients.len()];
            let (outcome, _) = if n % 2 == 0 {
                shared
                    .client
                    .graphql(Some(token), PATIENT_RECORDS, json!({ "p": patient.id }))
                    .await
            } else {
                shared.client.graphql(Some(token), RECORD, json!({ "id": patient.record_id })).await
            };
            Done { expected_events: events_for_access(&outcome), outcome }
        }
        Scenario::Write => {
            // Each worker writes its own patient's record, so versions never race.
            let index = worker % f.patients.len();
            let (_, token) = &f.doctors[worker % f.doctors.len()];
            let version = f.versions[index].load(Ordering::Relaxed);
            let (outcome, body) = shared
                .client
                .graphql(
                    Some(token),
                    UPDATE,
                    json!({ "id": f.patients[index].record_id, "v": version,
                            "input": { "title": "Observations",
                                       "content": { "pulse": 60 + n % 40, "sample": rand::random::<u64>() } } }),
                )
                .await;
            let expected_events = match &outcome {
                Outcome::Ok => {
                    let new =
                        body["data"]["updateRecord"]["version"].as_i64().unwrap_or(version + 1);
                    f.versions[index].store(new, Ordering::Relaxed);
                    2 // the access request and the new version's anchor
                }
                other => events_for_access(other),
            };
            Done { outcome, expected_events }
        }
        Scenario::Login => {
            let (name, _) = &f.doctors[worker % f.doctors.len()];
            let (outcome, _) =
                shared.client.graphql(None, LOGIN, json!({ "u": name, "p": f.password })).await;
            // A sign-in is on the trail (SIGNED_IN).
            let expected_events = u64::from(outcome == Outcome::Ok);
            Done { outcome, expected_events }
        }
        Scenario::Search | Scenario::SearchStaff => {
            let (_, token) = &f.doctors[worker % f.doctors.len()];
            let role = if kind == Scenario::Search { Role::Patient } else { Role::Doctor };
            let (outcome, body) =
                shared.client.graphql(Some(token), SEARCH, json!({ "role": role })).await;
            let expected_events = match &outcome {
                // The search, and one listing per patient shown.
                Outcome::Ok => {
                    let shown = body["data"]["searchUsers"]["edges"]
                        .as_array()
                        .map_or(0, |e| e.iter().filter(|e| e["node"]["role"] == "PATIENT").count());
                    1 + shown as u64
                }
                other => events_for_access(other),
            };
            Done { outcome, expected_events }
        }
        Scenario::Denied | Scenario::Mixed => {
            let (mine, token) = &f.patient_tokens[worker % f.patient_tokens.len()];
            let other = &f.patients[(mine + 1) % f.patients.len()];
            let (outcome, _) =
                shared.client.graphql(Some(token), PATIENT_RECORDS, json!({ "p": other.id })).await;
            Done { expected_events: events_for_access(&outcome), outcome }
        }
    }
}

/// A guarded request that got an answer was decided on chain (approved or
/// FORBIDDEN, or CONFLICT after approval); anything else produced nothing.
fn events_for_access(outcome: &Outcome) -> u64 {
    match outcome {
        Outcome::Ok => 1,
        Outcome::Error(code)
            if matches!(
                code.parse(),
                Ok(ErrorCode::Forbidden | ErrorCode::Conflict | ErrorCode::NotFound)
            ) =>
        {
            1
        }
        _ => 0,
    }
}
