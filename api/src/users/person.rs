//! A person's professional identity: what anyone who may see a record or an
//! event naming them is shown. Address, username and system-wide identifier
//! are not part of it; they come only with a guarded read of the account.

use std::fmt;

use super::{Role, User, UserId};

/// Who someone is at the hospital: name, role, department and position.
/// Built from a [`User`] by dropping everything else, so a value of this
/// type cannot carry an address or a username.
#[derive(Clone, PartialEq, Eq)]
pub struct Person {
    pub id: UserId,
    pub full_name: String,
    pub role: Role,
    pub department: Option<String>,
    pub position: Option<String>,
}

impl Person {
    /// "Cardiology — Attending Physician", or whichever half is present.
    pub fn designation(&self) -> Option<String> {
        designation(self.department.as_deref(), self.position.as_deref())
    }
}

/// Identifiers only: names stay out of logs.
impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Person")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl From<User> for Person {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            full_name: u.full_name,
            role: u.role,
            department: u.department,
            position: u.position,
        }
    }
}

/// Department and position as one line, the way the hospital writes them.
pub(super) fn designation(department: Option<&str>, position: Option<&str>) -> Option<String> {
    match (department, position) {
        (Some(d), Some(p)) => Some(format!("{d} — {p}")),
        (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designation_joins_what_is_there() {
        assert_eq!(
            designation(Some("Cardiology"), Some("Attending Physician")).as_deref(),
            Some("Cardiology — Attending Physician")
        );
        assert_eq!(designation(None, Some("Nurse")).as_deref(), Some("Nurse"));
        assert_eq!(designation(Some("Radiology"), None).as_deref(), Some("Radiology"));
        assert_eq!(designation(None, None), None);
    }
}
