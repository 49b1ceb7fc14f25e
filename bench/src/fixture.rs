//! The run's own small hospital, created through the api as root: doctors,
//! patients with one record each, and logins for both. Every doctor is on
//! every patient's care team (added by an administrator of the run), so each
//! guarded read is decided under the contract's CARE scope, as a hospital's
//! would be; a build without care relationships skips that step.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;

use anyhow::{anyhow, Context as _};
use careledger_vocab::{RecordType, Role};
use rand::distributions::{Alphanumeric, DistString};
use serde_json::json;
use tokio::task::JoinSet;

use crate::client::{Client, Outcome};

const CREATE_USER: &str = "mutation($input: CreateUserInput!) { createUser(input: $input) { id } }";
const ADD_MEMBER: &str =
    "mutation($p: ID!, $u: ID!) { addCareTeamMember(patientId: $p, userId: $u) { since } }";
/// How many care-team additions are in flight at once while setting up.
const SETUP_CONCURRENCY: usize = 32;
const CREATE_RECORD: &str =
    "mutation($input: CreateRecordInput!) { createRecord(input: $input) { id version } }";

/// A patient with one record the benchmark reads and updates.
#[derive(Debug, Clone)]
pub struct Patient {
    pub id: String,
    pub record_id: String,
}

#[derive(Debug, Clone)]
pub struct Fixture {
    pub run: String,
    pub password: String,
    pub doctors: Vec<(String, String)>,
    pub patients: Vec<Patient>,
    /// (index into `patients`, token) for patients who log in (the `denied` scenario).
    pub patient_tokens: Vec<(usize, String)>,
    /// The version each patient's record is at, shared by every run on this fixture.
    pub versions: Arc<Vec<AtomicI64>>,
}

impl Fixture {
    /// Creates `doctors` doctors and `patients` patients with a record each.
    pub async fn create(
        client: &Client,
        root_password: &str,
        doctors: usize,
        patients: usize,
    ) -> anyhow::Result<Self> {
        let root = client
            .login("root", root_password)
            .await
            .context("root login (set CARELEDGER_ROOT_PASSWORD)")?;
        let run = Alphanumeric.sample_string(&mut rand::thread_rng(), 6).to_lowercase();
        let password = Alphanumeric.sample_string(&mut rand::thread_rng(), 20);
        let mut made = JoinSet::new();
        for (role, n) in [(Role::Doctor, doctors), (Role::Patient, patients)] {
            for i in 0..n {
                let (client, root, password, run) =
                    (client.clone(), root.clone(), password.clone(), run.clone());
                made.spawn(async move {
                    let username = format!("bench-{run}-{}-{i}", role.as_str().to_lowercase());
                    let data = client
                        .must(
                            Some(&root),
                            CREATE_USER,
                            json!({ "input": {
                                "username": username, "password": password,
                                "fullName": format!("Bench {role} {i}"), "address": "1 Load Street",
                                "designation": if role == Role::Doctor { "Internal Medicine — Physician" } else { "" },
                                "role": role,
                            }}),
                        )
                        .await?;
                    let id = data["createUser"]["id"].as_str().ok_or_else(|| anyhow!("no id"))?.to_owned();
                    anyhow::Ok((role, i, username, id))
                });
            }
        }
        let mut doctor_names = vec![String::new(); doctors];
        let mut doctor_ids = vec![String::new(); doctors];
        let mut patient_ids = vec![String::new(); patients];
        while let Some(done) = made.join_next().await {
            let (role, i, username, id) = done??;
            if role == Role::Doctor {
                doctor_names[i] = username;
                doctor_ids[i] = id;
            } else {
                patient_ids[i] = id;
            }
        }
        care_for_all(client, &root, &run, &password, &doctor_ids, &patient_ids).await?;
        let mut doctor_tokens = Vec::new();
        for name in &doctor_names {
            doctor_tokens.push((name.clone(), client.login(name, &password).await?));
        }
        let author =
            doctor_tokens.first().map(|d| d.1.clone()).ok_or_else(|| anyhow!("need a doctor"))?;
        let mut patients_out = Vec::new();
        for id in patient_ids {
            let data = client
                .must(
                    Some(&author),
                    CREATE_RECORD,
                    json!({ "input": {
                        "patientId": id, "recordType": RecordType::VitalSigns, "title": "Observations",
                        "content": { "pulse": 72, "systolic": 120, "diastolic": 80 },
                    }}),
                )
                .await?;
            let record_id = data["createRecord"]["id"]
                .as_str()
                .ok_or_else(|| anyhow!("no record id"))?
                .to_owned();
            patients_out.push(Patient { id, record_id });
        }
        let mut patient_tokens = Vec::new();
        for i in 0..patients.min(4) {
            let name = format!("bench-{run}-patient-{i}");
            patient_tokens.push((i, client.login(&name, &password).await?));
        }
        let versions = Arc::new(patients_out.iter().map(|_| AtomicI64::new(1)).collect());
        Ok(Self {
            run,
            password,
            doctors: doctor_tokens,
            patients: patients_out,
            patient_tokens,
            versions,
        })
    }
}

/// Puts every doctor on every patient's care team, as an administrator the
/// run creates. A build whose schema has no `addCareTeamMember` (before care
/// relationships) needs none: its doctors may read any patient.
async fn care_for_all(
    client: &Client,
    root: &str,
    run: &str,
    password: &str,
    doctors: &[String],
    patients: &[String],
) -> anyhow::Result<()> {
    let username = format!("bench-{run}-admin");
    client
        .must(
            Some(root),
            CREATE_USER,
            json!({ "input": {
                "username": username, "password": password, "fullName": "Bench Administrator",
                "role": Role::Admin,
            }}),
        )
        .await?;
    let admin = client.login(&username, password).await?;
    let pairs: Vec<(String, String)> =
        patients.iter().flat_map(|p| doctors.iter().map(move |d| (p.clone(), d.clone()))).collect();
    let Some((p, d)) = pairs.first() else { return Ok(()) };
    let (outcome, body) = client.graphql(Some(&admin), ADD_MEMBER, json!({ "p": p, "u": d })).await;
    if outcome != Outcome::Ok {
        if outcome == Outcome::Error("BAD_REQUEST".into()) {
            eprintln!("this build has no care relationships: its doctors read any patient");
            return Ok(());
        }
        anyhow::bail!("adding a doctor to a care team: {outcome:?} {}", body["errors"]);
    }
    eprintln!(
        "care teams: {} doctors on each of {} patients' teams",
        doctors.len(),
        patients.len()
    );
    let mut adding = JoinSet::new();
    for (p, d) in pairs.into_iter().skip(1) {
        while adding.len() >= SETUP_CONCURRENCY {
            if let Some(done) = adding.join_next().await {
                done??;
            }
        }
        let (client, admin) = (client.clone(), admin.clone());
        adding.spawn(async move {
            // One administrator adds them all: past its request quota, wait and retry.
            loop {
                match client.graphql(Some(&admin), ADD_MEMBER, json!({ "p": p, "u": d })).await {
                    (Outcome::Ok, _) => return anyhow::Ok(()),
                    (Outcome::Error(code), _) if code == "RATE_LIMITED" => {
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    (outcome, body) => {
                        anyhow::bail!("adding a care-team member: {outcome:?} {}", body["errors"])
                    }
                }
            }
        });
    }
    while let Some(done) = adding.join_next().await {
        done??;
    }
    Ok(())
}
