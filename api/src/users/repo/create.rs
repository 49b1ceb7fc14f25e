use sqlx::PgConnection;

use super::optional_text;
use super::row::UserRow;
use crate::db::StoreError;
use crate::users::{NewUser, Role, User};

/// Creates an account.
///
/// Errors: `Conflict::DuplicateUsername` when the username is taken
/// (case-insensitively, deleted accounts included); `InvalidInput` naming
/// the field for a value the schema refuses.
#[tracing::instrument(skip_all, fields(role = %new.role))]
pub async fn create(conn: &mut PgConnection, new: &NewUser) -> Result<User, StoreError> {
    let row = sqlx::query_as!(
        UserRow,
        r#"
        INSERT INTO users
            (system_id, username, password_hash, full_name, address, department, position, role)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
        RETURNING id, system_id, username, password_hash, full_name, address, department,
                  position, role AS "role: Role", created_at, updated_at, deleted_at
        "#,
        new.system_id.as_ref().map(|id| id.as_bytes().as_slice()),
        new.username.as_str(),
        new.password_hash.as_str(),
        new.full_name.as_str(),
        optional_text(new.address.as_deref()),
        optional_text(new.department.as_deref()),
        optional_text(new.position.as_deref()),
        new.role as Role,
    )
    .fetch_one(conn)
    .await?;
    row.try_into()
}
