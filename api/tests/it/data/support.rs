//! Fixtures: users and record parts, built through the public types.

use careledger::records::{NewRecord, RecordContent, RecordTitle, RecordType};
use careledger::users::{self, FullName, NewUser, PasswordHash, Role, User, UserId, Username};
use serde_json::Value;
use sqlx::PgPool;

pub const PHC: &str = "$pbkdf2-sha256$i=600000,l=32$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";

pub fn new_user(username: &str, full_name: &str, role: Role) -> NewUser {
    NewUser::new(
        Username::parse(username).expect("test username"),
        PasswordHash::from_phc(PHC.to_owned()).expect("test hash"),
        FullName::parse(full_name).expect("test name"),
        role,
    )
}

pub async fn user(
    pool: &PgPool,
    username: &str,
    full_name: &str,
    role: Role,
) -> anyhow::Result<User> {
    let mut conn = pool.acquire().await?;
    Ok(users::repo::create(&mut conn, &new_user(username, full_name, role)).await?)
}

pub async fn patient(pool: &PgPool) -> anyhow::Result<User> {
    user(pool, "pat.smith", "Pat Smith", Role::Patient).await
}

pub async fn doctor(pool: &PgPool) -> anyhow::Result<User> {
    user(pool, "dr.jones", "Dana Jones", Role::Doctor).await
}

pub fn title(text: &str) -> RecordTitle {
    RecordTitle::parse(text).expect("test title")
}

pub fn content(value: Value) -> RecordContent {
    RecordContent::parse(value).expect("test content")
}

pub fn new_record(patient: UserId, author: UserId) -> NewRecord {
    NewRecord {
        patient_id: patient,
        record_type: RecordType::Diagnosis,
        title: title("Hypertension"),
        content: content(serde_json::json!({"code": "I10", "severity": "moderate"})),
        author_id: author,
    }
}

/// Rows in the history table for one record (not the view).
pub async fn history_rows(
    pool: &PgPool,
    record: careledger::records::RecordId,
) -> anyhow::Result<i64> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM health_records_history WHERE id = $1")
        .bind(record.0)
        .fetch_one(pool)
        .await?;
    Ok(n)
}
