//! For every role, what it may and may not do through the real schema. Each
//! refusal is FORBIDDEN with its `AccessRequested` event (approved: false)
//! and changes nothing in the database.

use careledger::users::Role;
use sqlx::PgPool;

use super::{assert_forbidden, fingerprint, record_input, Hospital, PASSWORD};
use crate::ops::{
    self, create_record, create_user, delete_record, delete_user, patient_records, record_as_of,
    record_by_id, record_history, record_version, search_users, set_user_role, update_record,
    update_user, user_by_id, AccessAction, AccessResource, CreateRecord, CreateUser, DeleteRecord,
    DeleteUser, PatientRecords, RecordAsOf, RecordById, RecordHistory, RecordVersion, SearchUsers,
    SetUserRole, UpdateRecord, UpdateUser, UserById,
};
use crate::support::Reply;

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
fn asks(op: Op) -> (AccessAction, AccessResource) {
    use AccessAction::*;
    use AccessResource::*;
    match op {
        Op::SearchUsers => (Search, UserRecord),
        Op::ReadPatient => (Read, UserRecord),
        Op::CreatePatient | Op::CreateDoctor => (Create, UserRecord),
        Op::UpdatePatient | Op::SetRole => (Update, UserRecord),
        Op::DeleteUser => (Delete, UserRecord),
        Op::PatientRecords | Op::ReadRecord | Op::RecordHistory => (Read, HealthRecord),
        Op::CreateRecord => (Create, HealthRecord),
        Op::UpdateRecord => (Update, HealthRecord),
        Op::DeleteRecord => (Delete, HealthRecord),
    }
}

/// Runs `op` as `role`; the answer's data says whether its field is there.
async fn attempt(
    h: &Hospital,
    role: Role,
    op: Op,
    spare: &[careledger::users::User; 2],
    records: &[String; 2],
) -> Reply<bool> {
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
    let new_user =
        |username: String, full_name: &str, role: ops::Role| create_user::CreateUserInput {
            username,
            password: PASSWORD.to_owned(),
            full_name: full_name.to_owned(),
            address: None,
            designation: None,
            department: None,
            role,
        };
    match op {
        Op::SearchUsers => {
            let vars = search_users::Variables {
                query: Some("pat".to_owned()),
                role: None,
                first: None,
                after: None,
            };
            h.run::<SearchUsers>(role, vars).await.map(|_| true)
        }
        Op::ReadPatient => h
            .run::<UserById>(role, user_by_id::Variables { id: patient })
            .await
            .map(|d| d.user.is_some()),
        Op::CreatePatient => {
            let input = new_user(format!("new.patient.{tag}"), "New Patient", ops::Role::Patient);
            h.run::<CreateUser>(role, create_user::Variables { input }).await.map(|_| true)
        }
        Op::CreateDoctor => {
            let input = create_user::CreateUserInput {
                designation: Some("Consultant".to_owned()),
                department: Some("Cardiology".to_owned()),
                ..new_user(format!("new.doctor.{tag}"), "New Doctor", ops::Role::Doctor)
            };
            h.run::<CreateUser>(role, create_user::Variables { input }).await.map(|_| true)
        }
        Op::UpdatePatient => {
            let input = update_user::UpdateUserInput {
                full_name: None,
                address: Some("1 New Street".to_owned()),
                designation: None,
                department: None,
            };
            h.run::<UpdateUser>(role, update_user::Variables { id: patient, input })
                .await
                .map(|_| true)
        }
        Op::SetRole => {
            let vars =
                set_user_role::Variables { id: spare[0].id.to_string(), role: ops::Role::Nurse };
            h.run::<SetUserRole>(role, vars).await.map(|_| true)
        }
        Op::DeleteUser => h
            .run::<DeleteUser>(role, delete_user::Variables { id: spare[1].id.to_string() })
            .await
            .map(|_| true),
        Op::PatientRecords => h
            .run::<PatientRecords>(role, patient_records::Variables { patient_id: patient })
            .await
            .map(|_| true),
        Op::ReadRecord => h
            .run::<RecordById>(role, record_by_id::Variables { id: records[0].clone() })
            .await
            .map(|d| d.record.is_some()),
        Op::RecordHistory => h
            .run::<RecordHistory>(role, record_history::Variables { id: records[0].clone() })
            .await
            .map(|_| true),
        Op::CreateRecord => {
            let input = record_input(&patient, "Asthma");
            h.run::<CreateRecord>(role, create_record::Variables { input }).await.map(|_| true)
        }
        Op::UpdateRecord => {
            let vars = update_record::Variables {
                id: records[0].clone(),
                expected_version: current_version(&records[0]).await.into(),
                input: update_record::UpdateRecordInput {
                    title: Some(format!("Reviewed by {tag}")),
                    content: None,
                },
            };
            h.run::<UpdateRecord>(role, vars).await.map(|_| true)
        }
        Op::DeleteRecord => h
            .run::<DeleteRecord>(role, delete_record::Variables { id: records[1].clone() })
            .await
            .map(|_| true),
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
        let out = attempt(&h, role, op, &spare, &records).await;
        let (action, resource) = asks(op);
        let what = format!("{role} {op:?}");
        if allowed(role).contains(&op) {
            assert!(out.errors.is_empty(), "{what} should be allowed: {out:?}");
            assert!(*out.ok(), "{what}: {out:?}");
            let first = &out.audit[0];
            assert_eq!((first.event.as_str(), first.approved), ("AccessRequested", true), "{what}");
            assert_eq!((first.action, first.resource), (Some(action), Some(resource)), "{what}");
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
    use AccessAction::Read;
    use AccessResource::{HealthRecord, UserRecord};
    let h = Hospital::new(pool).await;
    let record = h.record("Hypertension").await;
    let theirs = h.user(Role::Patient).id.to_string();
    let token = Some(h.other_patient_token.as_str());
    let app = &h.app;
    let before = fingerprint(&app.state.pool).await;
    let id = || record.clone();
    let out = app.run::<UserById>(token, user_by_id::Variables { id: theirs.clone() }).await;
    assert_forbidden(&out, Read, UserRecord, "user");
    let vars = patient_records::Variables { patient_id: theirs.clone() };
    let out = app.run::<PatientRecords>(token, vars).await;
    assert_forbidden(&out, Read, HealthRecord, "patientRecords");
    let out = app.run::<RecordById>(token, record_by_id::Variables { id: id() }).await;
    assert_forbidden(&out, Read, HealthRecord, "record");
    let out = app.run::<RecordHistory>(token, record_history::Variables { id: id() }).await;
    assert_forbidden(&out, Read, HealthRecord, "recordHistory");
    let vars = record_version::Variables { id: id(), version: 1 };
    let out = app.run::<RecordVersion>(token, vars).await;
    assert_forbidden(&out, Read, HealthRecord, "recordVersion");
    let vars = record_as_of::Variables { id: id(), at: "2030-01-01T00:00:00Z".to_owned() };
    let out = app.run::<RecordAsOf>(token, vars).await;
    assert_forbidden(&out, Read, HealthRecord, "recordAsOf");
    assert_eq!(fingerprint(&app.state.pool).await, before);
    // Their own account and (empty) records are theirs to read.
    let own = h.other_patient.id.to_string();
    let out =
        app.run::<PatientRecords>(token, patient_records::Variables { patient_id: own }).await;
    assert_eq!(out.ok().patient_records, []);
}
