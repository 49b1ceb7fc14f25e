//! The care tables (migration 0052): reading them, and the writes the
//! service makes inside its transactions.

use alloy::primitives::B256;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

use super::{CareError, GlassReason};
use crate::users::UserId;

/// A department: its opaque id (what the chain knows) and its name (what people read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: i32,
    pub name: String,
}

/// One active member of a patient's care team.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareMember {
    pub clinician: UserId,
    pub started_at: DateTime<Utc>,
    /// When the membership ends by itself; `None`: until someone ends it.
    pub until: Option<DateTime<Utc>>,
    pub added_by: UserId,
}

/// Where a patient is admitted now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admission {
    pub department: Department,
    pub admitted_at: DateTime<Utc>,
    pub admitted_by: UserId,
}

/// An auditor's review of a break-the-glass grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub reviewed_at: DateTime<Utc>,
    pub reviewed_by: UserId,
    pub justified: bool,
    pub note: Option<String>,
}

/// A break-the-glass grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub id: uuid::Uuid,
    /// Its GLASS_BROKEN entry's id: what the chain knows it by.
    pub entry_id: B256,
    pub clinician: UserId,
    pub patient: UserId,
    pub reason: GlassReason,
    pub justification: String,
    pub broken_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub review: Option<Review>,
}

/// One of a patient's restrictions in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restriction {
    pub staff: Option<UserId>,
    pub department: Option<Department>,
    pub created_at: DateTime<Utc>,
}

/// The active members of `patient`'s care team, longest-standing first.
pub async fn care_team(
    db: impl PgExecutor<'_>,
    patient: UserId,
) -> Result<Vec<CareMember>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT clinician_id, started_at, until, added_by FROM care_relationships
            WHERE patient_id = $1 AND ended_at IS NULL AND (until IS NULL OR until > now())
            ORDER BY started_at, id"#,
        patient.0
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| CareMember {
            clinician: UserId(r.clinician_id),
            started_at: r.started_at,
            until: r.until,
            added_by: UserId(r.added_by),
        })
        .collect())
}

/// The patient's current admission, if any.
pub async fn admission(
    db: impl PgExecutor<'_>,
    patient: UserId,
) -> Result<Option<Admission>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT d.id, d.name, a.admitted_at, a.admitted_by
             FROM admissions a JOIN departments d ON d.id = a.department_id
            WHERE a.patient_id = $1 AND a.discharged_at IS NULL"#,
        patient.0
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Admission {
        department: Department { id: r.id, name: r.name },
        admitted_at: r.admitted_at,
        admitted_by: UserId(r.admitted_by),
    }))
}

/// Every department, by name.
pub async fn departments(db: impl PgExecutor<'_>) -> Result<Vec<Department>, sqlx::Error> {
    let rows =
        sqlx::query!("SELECT id, name FROM departments ORDER BY lower(name)").fetch_all(db).await?;
    Ok(rows.into_iter().map(|r| Department { id: r.id, name: r.name }).collect())
}

/// The department named `name` (any case), or `None`.
pub async fn department_named(
    db: impl PgExecutor<'_>,
    name: &str,
) -> Result<Option<Department>, sqlx::Error> {
    let row = sqlx::query!("SELECT id, name FROM departments WHERE lower(name) = lower($1)", name)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| Department { id: r.id, name: r.name }))
}

/// The department named `name`, created when new.
pub(super) async fn department_for(
    conn: &mut PgConnection,
    name: &str,
) -> Result<Department, sqlx::Error> {
    let id = sqlx::query_scalar!(r#"SELECT department_id($1) AS "id!""#, name)
        .fetch_one(&mut *conn)
        .await?;
    let name = sqlx::query_scalar!("SELECT name FROM departments WHERE id = $1", id)
        .fetch_one(conn)
        .await?;
    Ok(Department { id, name })
}

struct GrantRow {
    id: uuid::Uuid,
    entry_id: Vec<u8>,
    clinician_id: i64,
    patient_id: i64,
    reason: String,
    justification: String,
    broken_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    reviewed_at: Option<DateTime<Utc>>,
    reviewed_by: Option<i64>,
    justified: Option<bool>,
    note: Option<String>,
}

impl GrantRow {
    fn grant(self) -> Option<Grant> {
        let review = match (self.reviewed_at, self.reviewed_by, self.justified) {
            (Some(reviewed_at), Some(by), Some(justified)) => {
                Some(Review { reviewed_at, reviewed_by: UserId(by), justified, note: self.note })
            }
            _ => None,
        };
        Some(Grant {
            id: self.id,
            entry_id: (self.entry_id.len() == 32).then(|| B256::from_slice(&self.entry_id))?,
            clinician: UserId(self.clinician_id),
            patient: UserId(self.patient_id),
            reason: GlassReason::parse(&self.reason)?,
            justification: self.justification,
            broken_at: self.broken_at,
            expires_at: self.expires_at,
            review,
        })
    }
}

/// One break-the-glass grant by id.
pub async fn break_glass_grant(
    db: impl PgExecutor<'_>,
    id: uuid::Uuid,
) -> Result<Option<Grant>, sqlx::Error> {
    let row = sqlx::query_as!(
        GrantRow,
        r#"SELECT id, entry_id, clinician_id, patient_id, reason, justification, broken_at, expires_at,
                  reviewed_at, reviewed_by, justified, note
             FROM break_glass WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.and_then(GrantRow::grant))
}

/// Break-the-glass grants, newest first: the open reviews (`open`), the
/// closed ones (`!open`), or all; at most `limit`.
pub async fn break_glass_reviews(
    db: impl PgExecutor<'_>,
    open: Option<bool>,
    limit: i64,
) -> Result<Vec<Grant>, sqlx::Error> {
    let rows = sqlx::query_as!(
        GrantRow,
        r#"SELECT id, entry_id, clinician_id, patient_id, reason, justification, broken_at, expires_at,
                  reviewed_at, reviewed_by, justified, note
             FROM break_glass
            WHERE $1::boolean IS NULL OR (reviewed_at IS NULL) = $1
            ORDER BY broken_at DESC, id
            LIMIT $2"#,
        open,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().filter_map(GrantRow::grant).collect())
}

/// How many grants are open for review (`open`), closed, or in all.
pub async fn count_reviews(
    db: impl PgExecutor<'_>,
    open: Option<bool>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM break_glass WHERE $1::boolean IS NULL OR (reviewed_at IS NULL) = $1"#,
        open
    )
    .fetch_one(db)
    .await
}

/// The patient's restrictions in force, oldest first.
pub async fn restrictions(
    db: impl PgExecutor<'_>,
    patient: UserId,
) -> Result<Vec<Restriction>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT r.staff_id, r.department_id AS "department_id?", d.name AS "department_name?", r.created_at
             FROM access_restrictions r LEFT JOIN departments d ON d.id = r.department_id
            WHERE r.patient_id = $1 AND r.lifted_at IS NULL
            ORDER BY r.created_at, r.id"#,
        patient.0
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Restriction {
            staff: r.staff_id.map(UserId),
            department: match (r.department_id, r.department_name) {
                (Some(id), Some(name)) => Some(Department { id, name }),
                _ => None,
            },
            created_at: r.created_at,
        })
        .collect())
}

/// Refuses a second change to the same patient's care state while this
/// transaction runs (two admissions at once, say), so the database and the
/// chain see changes in one order.
pub(super) async fn lock_patient(
    conn: &mut PgConnection,
    patient: UserId,
) -> Result<(), CareError> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(52, $1::int4)",
        (patient.0 % i64::from(i32::MAX)) as i32
    )
    .execute(conn)
    .await?;
    Ok(())
}
