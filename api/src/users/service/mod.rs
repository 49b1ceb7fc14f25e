//! The use cases on accounts. Every account comes to exist through
//! [`create_in`]: `createUser` and the demo seed ([`create`]), root at first
//! start and the tests ([`register`]); an imported account is registered at
//! its first login ([`register_existing`]). Each write is one database transaction that
//! stores the change and its lifecycle outbox row, then delivers the event
//! on chain (see [`crate::lifecycle`]). Access decisions are the caller's
//! (the GraphQL guard): these functions do what they are asked.

mod change_password;
mod create;
mod delete;
mod register;
mod set_role;
mod update;

pub use change_password::change_password;
pub use create::create;
pub use delete::delete;
pub use register::{create_in, register, register_existing};
pub use set_role::set_role;
pub use update::update;

use alloy::primitives::B256;
use sqlx::PgConnection;

use crate::gate::outbox::{self, Change};
use crate::gate::{LifecycleEntry, LifecycleKind};
use crate::lifecycle::ServiceError;
use crate::users::{Role, User};

/// The lifecycle entry naming `user` as subject (content hash zero: see
/// [`crate::lifecycle`]).
async fn enqueue_user_event(
    conn: &mut PgConnection,
    kind: LifecycleKind,
    actor: B256,
    user: &User,
    role: Option<Role>,
) -> Result<LifecycleEntry, ServiceError> {
    let subject = user.system_id.map(B256::from).ok_or(ServiceError::NotRegistered("the user"))?;
    let change = Change::user(kind, actor, subject, role.map_or(0, Role::contract_code));
    Ok(outbox::enqueue(conn, change).await?)
}

/// The DEPARTMENT_ASSIGNED entries the database wrote about `user` in this
/// transaction (its trigger follows `users.department`, migration 0052),
/// claimed to go on chain with the change; [`outbox::name_actor`] named
/// their actor first.
async fn department_entries(
    conn: &mut PgConnection,
    user: &User,
) -> Result<Vec<(LifecycleEntry, &'static str)>, ServiceError> {
    let Some(subject) = user.system_id.map(B256::from) else {
        return Ok(Vec::new());
    };
    let kind = LifecycleKind::DepartmentAssigned;
    let entries = outbox::claim_written(conn, kind, subject).await?;
    Ok(entries.into_iter().map(|e| (e, kind.event_name())).collect())
}
