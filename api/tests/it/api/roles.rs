//! For every role, what it may and may not do through the real schema. Each
//! refusal is FORBIDDEN with its `AccessRequested` event (approved: false)
//! and changes nothing in the database.

use careledger::users::Role;
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{
    assert_forbidden, audit, fingerprint, record_input, Hospital, CREATE_RECORD, PASSWORD,
    UPDATE_RECORD,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    SearchUsers,
    ReadPatient,
    CreatePatient,
    CreateDoctor,
    UpdatePatient,
    SetRole,
    DeleteUser,
    PatientRecords,
    ReadRecord,
    RecordHistory,
    CreateRecord,
    UpdateRecord,
    DeleteRecord,
}

const ALL: [Op; 13] = [
    Op::SearchUsers,
    Op::ReadPatient,
    Op::CreatePatient,
    Op::CreateDoctor,
    Op::UpdatePatient,
    Op::SetRole,
    Op::DeleteUser,
    Op::PatientRecords,
    Op::ReadRecord,
    Op::RecordHistory,
    Op::CreateRecord,
    Op::UpdateRecord,
    Op::DeleteRecord,
];

/// The operations each role may perform (the contract's default matrix).
fn allowed(role: Role) -> &'static [Op] {
    use Op::*;
    match role {
        Role::Root | Role::Admin => &[
            SearchUsers,
            ReadPatient,
            CreatePatient,
            CreateDoctor,
            UpdatePatient,
            SetRole,
            DeleteUser,
        ],
        Role::Doctor => &[
            SearchUsers,
            ReadPatient,
            PatientRecords,
            ReadRecord,
            RecordHistory,
            CreateRecord,
            UpdateRecord,
            DeleteRecord,
        ],
        Role::Nurse => {
            &[SearchUsers, ReadPatient, PatientRecords, ReadRecord, RecordHistory, UpdateRecord]
        }
        Role::Receptionist => &[SearchUsers, ReadPatient, CreatePatient, UpdatePatient],
        Role::Auditor => &[SearchUsers, ReadPatient],
        // The patient is the one whose account and records these are.
        Role::Patient => &[ReadPatient, PatientRecords, ReadRecord, RecordHistory],
    }
}

/// (action, resource) the guard asks for.
fn asks(op: Op) -> (&'static str, &'static str) {
    match op {
        Op::SearchUsers => ("SEARCH", "USER_RECORD"),
        Op::ReadPatient => ("READ", "USER_RECORD"),
        Op::CreatePatient | Op::CreateDoctor => ("CREATE", "USER_RECORD"),
        Op::UpdatePatient | Op::SetRole => ("UPDATE", "USER_RECORD"),
        Op::DeleteUser => ("DELETE", "USER_RECORD"),
        Op::PatientRecords | Op::ReadRecord | Op::RecordHistory => ("READ", "HEALTH_RECORD"),
        Op::CreateRecord => ("CREATE", "HEALTH_RECORD"),
        Op::UpdateRecord => ("UPDATE", "HEALTH_RECORD"),
        Op::DeleteRecord => ("DELETE", "HEALTH_RECORD"),
    }
}

/// Runs `op` as `role`; returns the response and the name of its data field.
async fn attempt(
    h: &Hospital,
    role: Role,
    op: Op,
    spare: &[careledger::users::User; 2],
    records: &[String; 2],
) -> (Value, &'static str) {
    let patient = h.user(Role::Patient).id.to_string();
    let tag = role.as_str().to_lowercase();
    let current_version = |id: &str| {
        let id = id.to_owned();
        let pool = h.app.state.pool.clone();
        async move {
            sqlx::query_scalar::<_, i32>("SELECT version FROM health_records WHERE id = $1::uuid")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("version")
        }
    };
    let create_user =
        "mutation($input: CreateUserInput!) { createUser(input: $input) { id username role } }";
    match op {
        Op::SearchUsers => (h.run(role, "{ searchUsers(query: \"pat\") { edges { node { username } } } }", json!({})).await, "searchUsers"),
        Op::ReadPatient => (h.run(role, "query($id: ID!) { user(id: $id) { username } }", json!({"id": patient})).await, "user"),
        Op::CreatePatient => (
            h.run(role, create_user, json!({"input": {"username": format!("new.patient.{tag}"), "password": PASSWORD,
                "fullName": "New Patient", "role": "PATIENT"}})).await,
            "createUser",
        ),
        Op::CreateDoctor => (
            h.run(role, create_user, json!({"input": {"username": format!("new.doctor.{tag}"), "password": PASSWORD,
                "fullName": "New Doctor", "designation": "Consultant", "department": "Cardiology", "role": "DOCTOR"}})).await,
            "createUser",
        ),
        Op::UpdatePatient => (
            h.run(role, "mutation($id: ID!) { updateUser(id: $id, input: { address: \"1 New Street\" }) { address } }",
                json!({"id": patient})).await,
            "updateUser",
        ),
        Op::SetRole => (
            h.run(role, "mutation($id: ID!) { setUserRole(id: $id, role: NURSE) { role } }", json!({"id": spare[0].id.to_string()})).await,
            "setUserRole",
        ),
        Op::DeleteUser => (
            h.run(role, "mutation($id: ID!) { deleteUser(id: $id) }", json!({"id": spare[1].id.to_string()})).await,
            "deleteUser",
        ),
        Op::PatientRecords => (
            h.run(role, "query($p: ID!) { patientRecords(patientId: $p) { id title } }", json!({"p": patient})).await,
            "patientRecords",
        ),
        Op::ReadRecord => (h.run(role, "query($id: ID!) { record(id: $id) { id title } }", json!({"id": records[0]})).await, "record"),
        Op::RecordHistory => (
            h.run(role, "query($id: ID!) { recordHistory(id: $id) { version } }", json!({"id": records[0]})).await,
            "recordHistory",
        ),
        Op::CreateRecord => (h.run(role, CREATE_RECORD, json!({"input": record_input(&patient, "Asthma")})).await, "createRecord"),
        Op::UpdateRecord => {
            let v = current_version(&records[0]).await;
            (
                h.run(role, UPDATE_RECORD, json!({"id": records[0], "v": v, "input": {"title": format!("Reviewed by {tag}")}})).await,
                "updateRecord",
            )
        }
        Op::DeleteRecord => (h.run(role, "mutation($id: ID!) { deleteRecord(id: $id) }", json!({"id": records[1]})).await, "deleteRecord"),
    }
}

async fn check_role(pool: PgPool, role: Role) {
    let h = Hospital::new(pool).await;
    let spare = [
        h.app.add_user("spare.one", PASSWORD, Role::Patient).await,
        h.app.add_user("spare.two", PASSWORD, Role::Patient).await,
    ];
    let records = [h.record("Hypertension").await, h.record("Old note").await];
    for op in ALL {
        let before = fingerprint(&h.app.state.pool).await;
        let (out, field) = attempt(&h, role, op, &spare, &records).await;
        let (action, resource) = asks(op);
        let what = format!("{role} {op:?}");
        if allowed(role).contains(&op) {
            assert!(out["errors"].is_null(), "{what} should be allowed: {out}");
            assert!(!out["data"][field].is_null(), "{what}: {out}");
            let first = &audit(&out)[0];
            assert_eq!(
                (first["event"].as_str(), first["approved"].as_bool()),
                (Some("AccessRequested"), Some(true)),
                "{what}"
            );
            assert_eq!(
                (first["action"].as_str(), first["resource"].as_str()),
                (Some(action), Some(resource)),
                "{what}"
            );
        } else {
            assert_forbidden(&out, action, resource, &what);
            assert_eq!(fingerprint(&h.app.state.pool).await, before, "{what} changed nothing");
        }
    }
}

#[sqlx::test(migrations = "../migrations")]
async fn root(pool: PgPool) {
    check_role(pool, Role::Root).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn admin(pool: PgPool) {
    check_role(pool, Role::Admin).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn doctor(pool: PgPool) {
    check_role(pool, Role::Doctor).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn nurse(pool: PgPool) {
    check_role(pool, Role::Nurse).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn receptionist(pool: PgPool) {
    check_role(pool, Role::Receptionist).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn auditor(pool: PgPool) {
    check_role(pool, Role::Auditor).await;
}

#[sqlx::test(migrations = "../migrations")]
async fn patient(pool: PgPool) {
    check_role(pool, Role::Patient).await;
}

/// A patient may see only their own account and records.
#[sqlx::test(migrations = "../migrations")]
async fn a_patient_cannot_reach_another_patients_account_or_records(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let record = h.record("Hypertension").await;
    let theirs = h.user(Role::Patient).id.to_string();
    let token = h.other_patient_token.clone();
    let before = fingerprint(&h.app.state.pool).await;
    let cases = [
        (
            "query($id: ID!) { user(id: $id) { username } }",
            json!({"id": theirs}),
            "READ",
            "USER_RECORD",
        ),
        (
            "query($id: ID!) { patientRecords(patientId: $id) { id } }",
            json!({"id": theirs}),
            "READ",
            "HEALTH_RECORD",
        ),
        (
            "query($id: ID!) { record(id: $id) { id } }",
            json!({"id": record}),
            "READ",
            "HEALTH_RECORD",
        ),
        (
            "query($id: ID!) { recordHistory(id: $id) { version } }",
            json!({"id": record}),
            "READ",
            "HEALTH_RECORD",
        ),
        (
            "query($id: ID!) { recordVersion(id: $id, version: 1) { version } }",
            json!({"id": record}),
            "READ",
            "HEALTH_RECORD",
        ),
        (
            "query($id: ID!) { recordAsOf(id: $id, at: \"2030-01-01T00:00:00Z\") { version } }",
            json!({"id": record}),
            "READ",
            "HEALTH_RECORD",
        ),
    ];
    for (query, vars, action, resource) in cases {
        let out = h.app.run(Some(&token), query, vars).await;
        assert_forbidden(&out, action, resource, query);
    }
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
    // Their own account and (empty) records are theirs to read.
    let own = h.other_patient.id.to_string();
    let out = h
        .app
        .run(
            Some(&token),
            "query($id: ID!) { patientRecords(patientId: $id) { id } }",
            json!({"id": own}),
        )
        .await;
    assert_eq!(out["data"]["patientRecords"], json!([]));
}
