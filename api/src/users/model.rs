//! What a user is, what creating one takes, and what may change.

use std::fmt;

use chrono::{DateTime, Utc};

use super::{FullName, PasswordHash, Role, SystemId, UserId, Username};

/// A stored account. Deleted accounts are still returned by `repo::get` (the
/// audit trail names them), with `deleted_at` set.
#[derive(Clone)]
pub struct User {
    pub id: UserId,
    /// `None` only for an account imported without one, until its first login.
    pub system_id: Option<SystemId>,
    pub username: Username,
    pub password_hash: PasswordHash,
    pub full_name: String,
    pub address: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl User {
    /// The hospital designation as shown: "Cardiology — Attending Physician",
    /// or whichever half is present.
    pub fn designation(&self) -> Option<String> {
        super::person::designation(self.department.as_deref(), self.position.as_deref())
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }
}

/// Identifiers only: names and addresses are personal data and stay out of logs.
impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("system_id", &self.system_id)
            .field("role", &self.role)
            .field("deleted", &self.is_deleted())
            .finish_non_exhaustive()
    }
}

/// An account to create.
#[derive(Clone)]
pub struct NewUser {
    /// Set by [`NewUser::new`]; `None` only when importing an account that is
    /// to receive its identifier at first login.
    pub system_id: Option<SystemId>,
    pub username: Username,
    pub password_hash: PasswordHash,
    pub full_name: FullName,
    pub address: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub role: Role,
}

impl NewUser {
    /// A new account with a fresh random system-wide identifier and no
    /// address or designation; set those fields as needed.
    pub fn new(
        username: Username,
        password_hash: PasswordHash,
        full_name: FullName,
        role: Role,
    ) -> Self {
        NewUser {
            system_id: Some(SystemId::random()),
            username,
            password_hash,
            full_name,
            address: None,
            department: None,
            position: None,
            role,
        }
    }
}

impl fmt::Debug for NewUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewUser").field("role", &self.role).finish_non_exhaustive()
    }
}

/// A partial update of an account: `None` leaves a field as it is. For the
/// optional fields, `Some(None)` clears the value. Usernames never change;
/// roles change through `repo::set_role`.
#[derive(Clone, Default)]
pub struct UserChanges {
    pub full_name: Option<FullName>,
    pub address: Option<Option<String>>,
    pub department: Option<Option<String>>,
    pub position: Option<Option<String>>,
    pub password_hash: Option<PasswordHash>,
}

impl UserChanges {
    pub fn is_empty(&self) -> bool {
        self.full_name.is_none()
            && self.address.is_none()
            && self.department.is_none()
            && self.position.is_none()
            && self.password_hash.is_none()
    }
}

/// Which fields change, not their values.
impl fmt::Debug for UserChanges {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserChanges")
            .field("full_name", &self.full_name.is_some())
            .field("address", &self.address.is_some())
            .field("department", &self.department.is_some())
            .field("position", &self.position.is_some())
            .field("password_hash", &self.password_hash.is_some())
            .finish()
    }
}
