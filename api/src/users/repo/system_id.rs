use sqlx::{PgConnection, PgExecutor};

use crate::db::{corrupt, Entity, StoreError};
use crate::users::{SystemId, UserId};

/// The user's system-wide identifier, generating and storing one first if the
/// account has none (an imported account at its first login).
///
/// Race-safe: of two concurrent first logins, one stores its identifier and
/// both return that one. A deleted or unknown user is `NotFound`.
#[tracing::instrument(skip(conn))]
pub async fn assign_system_id(conn: &mut PgConnection, id: UserId) -> Result<SystemId, StoreError> {
    let fresh = SystemId::random();
    // Takes the row lock; a concurrent caller waits, then finds the column set
    // and updates nothing.
    let assigned = sqlx::query_scalar!(
        r#"
        UPDATE users SET system_id = $2
         WHERE id = $1 AND system_id IS NULL AND deleted_at IS NULL
        RETURNING system_id AS "system_id!"
        "#,
        id.0,
        fresh.as_bytes().as_slice(),
    )
    .fetch_optional(&mut *conn)
    .await?;

    let stored = match assigned {
        Some(bytes) => Some(bytes),
        None => sqlx::query_scalar!(
            "SELECT system_id FROM users WHERE id = $1 AND deleted_at IS NULL",
            id.0,
        )
        .fetch_optional(&mut *conn)
        .await?
        .flatten(),
    };
    let bytes = stored.ok_or(StoreError::NotFound(Entity::User))?;
    SystemId::from_slice(&bytes).map_err(|_| corrupt("users.system_id"))
}

/// The user's system-wide identifier, deleted or not; `None` for an unknown
/// user or one that has none yet.
#[tracing::instrument(skip(db))]
pub async fn system_id_of(
    db: impl PgExecutor<'_>,
    id: UserId,
) -> Result<Option<SystemId>, StoreError> {
    let stored = sqlx::query_scalar!("SELECT system_id FROM users WHERE id = $1", id.0)
        .fetch_optional(db)
        .await?
        .flatten();
    stored
        .map(|bytes| SystemId::from_slice(&bytes).map_err(|_| corrupt("users.system_id")))
        .transpose()
}
