//! The care changes. Each runs one transaction that changes the tables and
//! writes its lifecycle entry, commits, then delivers the entry; the
//! contract's decisions follow once it is mined. The caller has been
//! authorised by the contract already (the resolver's guard).

use alloy::primitives::B256;
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use super::store::{self, department_for, lock_patient, Admission, CareMember, Department};
use super::{unix, CareError, GlassReason, Restricted};
use crate::gate::outbox::{self, Change, Outbox};
use crate::gate::{LifecycleEntry, LifecycleKind};
use crate::lifecycle::{deliver, LifecycleReceipt, Written};
use crate::users::{Role, User, UserId};

/// A user as the care changes need them: their row id and their system id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    pub user: UserId,
    pub system_id: B256,
}

impl Party {
    /// The user's party, or bad input in `field` when they have no system
    /// id yet (an imported account before its first sign-in).
    pub fn of(user: &User, field: &'static str) -> Result<Self, CareError> {
        let system_id = user.system_id.map(B256::from).ok_or_else(|| {
            CareError::bad(
                field,
                "this account has not signed in yet, so the chain does not know it",
            )
        })?;
        Ok(Self { user: user.id, system_id })
    }
}

/// The longest a justification or a review note may be.
pub const MAX_TEXT: usize = 2000;

/// Puts `clinician` on `patient`'s care team until `until` (or until ended).
/// A clinician already on the team gets the new end date instead.
pub async fn add_member(
    pool: &PgPool,
    outbox: &Outbox,
    actor: Party,
    patient: Party,
    clinician: &User,
    until: Option<DateTime<Utc>>,
) -> Result<Written<CareMember>, CareError> {
    if !matches!(clinician.role, Role::Doctor | Role::Nurse) || clinician.is_deleted() {
        return Err(CareError::bad("userId", "only a doctor or a nurse can join a care team"));
    }
    if until.is_some_and(|t| t <= Utc::now()) {
        return Err(CareError::bad("until", "must be in the future"));
    }
    let member = Party::of(clinician, "userId")?;
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    // A membership whose end has passed is over: close it, so the new one is the open one.
    sqlx::query!(
        "UPDATE care_relationships SET ended_at = until
          WHERE patient_id = $1 AND clinician_id = $2 AND ended_at IS NULL AND until <= now()",
        patient.user.0,
        member.user.0
    )
    .execute(&mut *tx)
    .await?;
    let row = sqlx::query!(
        r#"INSERT INTO care_relationships (patient_id, clinician_id, until, added_by)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (patient_id, clinician_id) WHERE ended_at IS NULL
           DO UPDATE SET until = EXCLUDED.until
           RETURNING started_at, until, added_by"#,
        patient.user.0,
        member.user.0,
        until,
        actor.user.0
    )
    .fetch_one(&mut *tx)
    .await?;
    let change = Change::care(LifecycleKind::CareAdded, actor.system_id, patient.system_id)
        .with_counterpart(member.system_id)
        .with_until(unix(until));
    let entry = outbox::enqueue(&mut tx, change).await?;
    tx.commit().await?;
    let value = CareMember {
        clinician: member.user,
        started_at: row.started_at,
        until: row.until,
        added_by: UserId(row.added_by),
    };
    Ok(Written { value, events: send(outbox, entry).await })
}

/// Ends `clinician`'s membership of `patient`'s care team now.
pub async fn end_member(
    pool: &PgPool,
    outbox: &Outbox,
    actor: Party,
    patient: Party,
    clinician: &User,
) -> Result<Written<()>, CareError> {
    let member = Party::of(clinician, "userId")?;
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    let ended = sqlx::query!(
        "UPDATE care_relationships SET ended_at = now(), ended_by = $3
          WHERE patient_id = $1 AND clinician_id = $2 AND ended_at IS NULL
            AND (until IS NULL OR until > now())",
        patient.user.0,
        member.user.0,
        actor.user.0
    )
    .execute(&mut *tx)
    .await?;
    if ended.rows_affected() == 0 {
        return Err(CareError::NotFound("care relationship"));
    }
    let change = Change::care(LifecycleKind::CareEnded, actor.system_id, patient.system_id)
        .with_counterpart(member.system_id);
    let entry = outbox::enqueue(&mut tx, change).await?;
    tx.commit().await?;
    Ok(Written { value: (), events: send(outbox, entry).await })
}

/// Admits `patient` to the department named `department` (created when
/// new); a patient admitted elsewhere is moved (the old admission ends).
pub async fn admit(
    pool: &PgPool,
    outbox: &Outbox,
    actor: Party,
    patient: Party,
    department: &str,
) -> Result<Written<Admission>, CareError> {
    let name = department.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(CareError::bad("department", "must be 1 to 100 characters"));
    }
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    let department = department_for(&mut tx, name).await?;
    if let Some(current) = store::admission(&mut *tx, patient.user).await? {
        if current.department.id == department.id {
            return Err(CareError::Conflict(format!(
                "the patient is already admitted to {}",
                department.name
            )));
        }
    }
    sqlx::query!(
        "UPDATE admissions SET discharged_at = now(), discharged_by = $2
          WHERE patient_id = $1 AND discharged_at IS NULL",
        patient.user.0,
        actor.user.0
    )
    .execute(&mut *tx)
    .await?;
    let admitted_at = sqlx::query_scalar!(
        "INSERT INTO admissions (patient_id, department_id, admitted_by) VALUES ($1, $2, $3)
         RETURNING admitted_at",
        patient.user.0,
        department.id,
        actor.user.0
    )
    .fetch_one(&mut *tx)
    .await?;
    let change = Change::care(LifecycleKind::Admitted, actor.system_id, patient.system_id)
        .with_department(chain_department(&department));
    let entry = outbox::enqueue(&mut tx, change).await?;
    tx.commit().await?;
    let value = Admission { department, admitted_at, admitted_by: actor.user };
    Ok(Written { value, events: send(outbox, entry).await })
}

/// Discharges `patient` from their department.
pub async fn discharge(
    pool: &PgPool,
    outbox: &Outbox,
    actor: Party,
    patient: Party,
) -> Result<Written<()>, CareError> {
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    let done = sqlx::query!(
        "UPDATE admissions SET discharged_at = now(), discharged_by = $2
          WHERE patient_id = $1 AND discharged_at IS NULL",
        patient.user.0,
        actor.user.0
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(CareError::NotFound("admission"));
    }
    let change = Change::care(LifecycleKind::Discharged, actor.system_id, patient.system_id);
    let entry = outbox::enqueue(&mut tx, change).await?;
    tx.commit().await?;
    Ok(Written { value: (), events: send(outbox, entry).await })
}

/// What a clinician gives when breaking the glass.
#[derive(Debug, Clone)]
pub struct GlassRequest {
    pub reason: GlassReason,
    pub justification: String,
}

impl GlassRequest {
    /// The justification, trimmed, 10 to [`MAX_TEXT`] characters.
    pub fn parse(reason: GlassReason, justification: &str) -> Result<Self, CareError> {
        let justification = justification.trim();
        let n = justification.chars().count();
        if !(10..=MAX_TEXT).contains(&n) {
            return Err(CareError::bad(
                "justification",
                format!("say why in 10 to {MAX_TEXT} characters"),
            ));
        }
        Ok(Self { reason, justification: justification.to_owned() })
    }
}

/// Records a break-the-glass by `clinician` on `patient`: the grant (its end
/// is the contract's: the block's time plus its duration, `seconds`), the
/// justification with its salt, and the GLASS_BROKEN entry carrying the
/// salted hash. Returns the grant's id and entry.
pub async fn break_glass(
    pool: &PgPool,
    outbox: &Outbox,
    clinician: Party,
    patient: Party,
    request: &GlassRequest,
    seconds: u64,
) -> Result<Written<uuid::Uuid>, CareError> {
    let salt: [u8; 32] = rand::random();
    let hash = salted(&salt, &request.justification);
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    let change = Change::care(LifecycleKind::GlassBroken, clinician.system_id, patient.system_id)
        .with_record(B256::ZERO, hash)
        .with_detail(request.reason as u8);
    let entry = outbox::enqueue(&mut tx, change).await?;
    let id = sqlx::query_scalar!(
        "INSERT INTO break_glass (entry_id, clinician_id, patient_id, reason, justification,
                                  justification_salt, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, now() + make_interval(secs => $7))
         RETURNING id",
        entry.entry_id.as_slice(),
        clinician.user.0,
        patient.user.0,
        request.reason.as_str(),
        request.justification,
        salt.as_slice(),
        seconds as f64,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Written { value: id, events: send(outbox, entry).await })
}

/// Sets a grant's end to the contract's (known once its entry is mined).
pub async fn settle_grant(
    pool: &PgPool,
    id: uuid::Uuid,
    expires_at: DateTime<Utc>,
) -> Result<(), CareError> {
    sqlx::query!("UPDATE break_glass SET expires_at = $2 WHERE id = $1", id, expires_at)
        .execute(pool)
        .await?;
    Ok(())
}

/// Closes the review of `grant` (by `clinician` on `patient`, their system
/// ids): justified or not, with an optional note (its salted hash goes on chain).
pub async fn review(
    pool: &PgPool,
    outbox: &Outbox,
    auditor: Party,
    grant: &store::Grant,
    (clinician, patient): (B256, B256),
    justified: bool,
    note: Option<&str>,
) -> Result<Written<()>, CareError> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > MAX_TEXT) {
        return Err(CareError::bad("note", format!("at most {MAX_TEXT} characters")));
    }
    let salt: [u8; 32] = rand::random();
    let hash = note.map_or(B256::ZERO, |n| salted(&salt, n));
    let mut tx = pool.begin().await?;
    let change = Change::care(LifecycleKind::GlassReviewed, auditor.system_id, patient)
        .with_counterpart(clinician)
        .with_record(grant.entry_id, hash)
        .with_detail(u8::from(justified));
    let entry = outbox::enqueue(&mut tx, change).await?;
    let done = sqlx::query!(
        "UPDATE break_glass
            SET reviewed_at = now(), reviewed_by = $2, justified = $3, note = $4, note_salt = $5,
                review_entry_id = $6
          WHERE id = $1 AND reviewed_at IS NULL",
        grant.id,
        auditor.user.0,
        justified,
        note,
        note.map(|_| salt.as_slice()),
        entry.entry_id.as_slice(),
    )
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(CareError::Conflict("this break-the-glass was reviewed already".into()));
    }
    tx.commit().await?;
    Ok(Written { value: (), events: send(outbox, entry).await })
}

/// The patient restricts a staff member or a department from their records.
/// Restricting again what is restricted already changes nothing.
pub async fn restrict(
    pool: &PgPool,
    outbox: &Outbox,
    patient: Party,
    whom: &Restricted,
    staff: Option<&User>,
) -> Result<Written<bool>, CareError> {
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    let (counterpart, department, staff_id, department_id) =
        target(&mut tx, whom, staff, true).await?;
    let inserted = sqlx::query!(
        "INSERT INTO access_restrictions (patient_id, staff_id, department_id)
         SELECT $1, $2, $3
          WHERE NOT EXISTS (SELECT 1 FROM access_restrictions
                             WHERE patient_id = $1 AND lifted_at IS NULL
                               AND staff_id IS NOT DISTINCT FROM $2
                               AND department_id IS NOT DISTINCT FROM $3)",
        patient.user.0,
        staff_id,
        department_id
    )
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Ok(Written::unchanged(false));
    }
    let change = Change::care(LifecycleKind::Restricted, patient.system_id, patient.system_id)
        .with_counterpart(counterpart)
        .with_department(department);
    let entry = outbox::enqueue(&mut tx, change).await?;
    tx.commit().await?;
    Ok(Written { value: true, events: send(outbox, entry).await })
}

/// The patient lifts a restriction in force.
pub async fn lift(
    pool: &PgPool,
    outbox: &Outbox,
    patient: Party,
    whom: &Restricted,
    staff: Option<&User>,
) -> Result<Written<()>, CareError> {
    let mut tx = pool.begin().await?;
    lock_patient(&mut tx, patient.user).await?;
    let (counterpart, department, staff_id, department_id) =
        target(&mut tx, whom, staff, false).await?;
    let lifted = sqlx::query!(
        "UPDATE access_restrictions SET lifted_at = now()
          WHERE patient_id = $1 AND lifted_at IS NULL
            AND staff_id IS NOT DISTINCT FROM $2 AND department_id IS NOT DISTINCT FROM $3",
        patient.user.0,
        staff_id,
        department_id
    )
    .execute(&mut *tx)
    .await?;
    if lifted.rows_affected() == 0 {
        return Err(CareError::NotFound("restriction"));
    }
    let change =
        Change::care(LifecycleKind::RestrictionLifted, patient.system_id, patient.system_id)
            .with_counterpart(counterpart)
            .with_department(department);
    let entry = outbox::enqueue(&mut tx, change).await?;
    tx.commit().await?;
    Ok(Written { value: (), events: send(outbox, entry).await })
}

/// A restriction's target on chain (counterpart, department) and in the
/// table (staff id, department id). A staff member must be staff; a
/// department must exist (when lifting, it must have existed).
async fn target(
    conn: &mut sqlx::PgConnection,
    whom: &Restricted,
    staff: Option<&User>,
    restricting: bool,
) -> Result<(B256, u32, Option<i64>, Option<i32>), CareError> {
    match (whom, staff) {
        (Restricted::Staff(_), Some(user)) => {
            if user.role == Role::Patient {
                return Err(CareError::bad("userId", "only staff members can be restricted"));
            }
            let party = Party::of(user, "userId")?;
            Ok((party.system_id, 0, Some(party.user.0), None))
        }
        (Restricted::Staff(_), None) => Err(CareError::NotFound("user")),
        (Restricted::Department(name), _) => {
            let found = store::department_named(&mut *conn, name.trim()).await?;
            let department = found.ok_or(if restricting {
                CareError::bad("department", "no such department")
            } else {
                CareError::NotFound("restriction")
            })?;
            Ok((B256::ZERO, chain_department(&department), None, Some(department.id)))
        }
    }
}

/// The department's id as the chain knows it.
fn chain_department(department: &Department) -> u32 {
    u32::try_from(department.id).unwrap_or_default()
}

/// SHA-256(salt ‖ UTF-8(text)): what goes on chain for a justification or a note.
pub fn salted(salt: &[u8; 32], text: &str) -> B256 {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update(text.as_bytes());
    B256::from_slice(&hasher.finalize())
}

async fn send(outbox: &Outbox, entry: LifecycleEntry) -> Vec<LifecycleReceipt> {
    let event = entry.kind.event_name();
    deliver(outbox, &[(entry, event)]).await
}
