//! A `users` row as the queries return it, and its conversion to [`User`].

use chrono::{DateTime, Utc};

use crate::db::{corrupt, StoreError};
use crate::users::{PasswordHash, Role, SystemId, User, UserId, Username};

pub(super) struct UserRow {
    pub id: i64,
    pub system_id: Option<Vec<u8>>,
    pub username: String,
    pub password_hash: String,
    pub full_name: String,
    pub address: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let system_id = match row.system_id {
            Some(bytes) => {
                Some(SystemId::from_slice(&bytes).map_err(|_| corrupt("users.system_id"))?)
            }
            None => None,
        };
        Ok(User {
            id: UserId(row.id),
            system_id,
            username: Username::from_db(row.username),
            password_hash: PasswordHash::from_db(row.password_hash),
            full_name: row.full_name,
            address: row.address,
            department: row.department,
            position: row.position,
            role: row.role,
            created_at: row.created_at,
            updated_at: row.updated_at,
            deleted_at: row.deleted_at,
        })
    }
}
