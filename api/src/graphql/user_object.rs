//! The `User` and `Role` GraphQL types.

use async_graphql::{Enum, Object, ID};

use crate::users::{self, User};

/// A role, as the access contract knows it.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "crate::users::Role")]
pub enum Role {
    Root,
    Admin,
    Doctor,
    Nurse,
    Receptionist,
    Auditor,
    Patient,
}

/// A stored account as the schema shows it.
pub struct UserObject(pub User);

/// A whole account, staff or patient: only from `me`, `login`, the guarded
/// `user(id)` and the account mutations (each decided by the contract on
/// that user). Records, events and search results name people as `Person`.
#[Object(name = "User")]
impl UserObject {
    /// Internal id (not the system-wide identifier).
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The system-wide identifier the access contract knows this user by (hex).
    async fn system_id(&self) -> Option<String> {
        self.0.system_id.map(|s| s.to_string())
    }
    async fn username(&self) -> &str {
        self.0.username.as_str()
    }
    async fn full_name(&self) -> &str {
        &self.0.full_name
    }
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// Department and position, e.g. "Cardiology — Attending Physician".
    async fn designation(&self) -> Option<String> {
        self.0.designation()
    }
    async fn department(&self) -> Option<&str> {
        self.0.department.as_deref()
    }
    async fn position(&self) -> Option<&str> {
        self.0.position.as_deref()
    }
    async fn role(&self) -> Role {
        self.0.role.into()
    }
    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }
    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
    /// Set when the account was deleted (it can no longer log in).
    async fn deleted_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.deleted_at
    }
}

impl From<users::User> for UserObject {
    fn from(u: users::User) -> Self {
        Self(u)
    }
}
