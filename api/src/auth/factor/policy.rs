//! The root's policy (`factor_policy`, one row): whether every staff
//! account (any role but PATIENT) must have a second factor. Patients may
//! enrol one either way.

use std::net::IpAddr;

use sqlx::{PgConnection, PgExecutor, PgPool};

use super::events::{self, Event, EventKind};
use super::FactorError;
use crate::users::{Role, UserId};

/// The policy as set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub staff_required: bool,
    pub set_by: Option<UserId>,
    pub set_at: chrono::DateTime<chrono::Utc>,
}

impl Policy {
    /// Whether an account of `role` must have a factor.
    pub fn requires(&self, role: Role) -> bool {
        self.staff_required && role != Role::Patient
    }
}

pub async fn get(db: impl PgExecutor<'_>) -> Result<Policy, sqlx::Error> {
    let row = sqlx::query!("SELECT staff_required, set_by, set_at FROM factor_policy")
        .fetch_one(db)
        .await?;
    Ok(Policy {
        staff_required: row.staff_required,
        set_by: row.set_by.map(UserId),
        set_at: row.set_at,
    })
}

/// Sets the policy: root only (the caller's role as the database has it
/// now). A refusal is recorded and changes nothing.
#[tracing::instrument(skip(pool))]
pub async fn set(
    pool: &PgPool,
    actor: UserId,
    actor_role: Role,
    staff_required: bool,
    address: Option<IpAddr>,
) -> Result<Policy, FactorError> {
    let mut tx = pool.begin().await?;
    if actor_role != Role::Root {
        let refused = Event::own(actor, EventKind::PolicyRefused, address).because("NOT_ROOT");
        events::record(&mut tx, refused).await?;
        tx.commit().await?;
        return Err(FactorError::NotRoot);
    }
    set_in(&mut tx, actor, staff_required).await?;
    events::record(&mut tx, Event::own(actor, EventKind::PolicySet, address)).await?;
    let policy = get(&mut *tx).await?;
    tx.commit().await?;
    tracing::info!(staff_required, "second-factor policy set");
    Ok(policy)
}

async fn set_in(
    conn: &mut PgConnection,
    actor: UserId,
    staff_required: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE factor_policy SET staff_required = $1, set_by = $2, set_at = now()",
        staff_required,
        actor.0
    )
    .execute(conn)
    .await?;
    Ok(())
}
