//! Roles, as PostgreSQL stores them, GraphQL names them and the access
//! contract numbers them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type))]
#[cfg_attr(feature = "sqlx", sqlx(type_name = "user_role", rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum Role {
    Root,
    Admin,
    Doctor,
    Nurse,
    Receptionist,
    Auditor,
    Patient,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Root,
        Role::Admin,
        Role::Doctor,
        Role::Nurse,
        Role::Receptionist,
        Role::Auditor,
        Role::Patient,
    ];

    /// The roles user search may return: never ROOT or ADMIN.
    pub const SEARCHABLE: [Role; 5] =
        [Role::Doctor, Role::Nurse, Role::Receptionist, Role::Auditor, Role::Patient];

    /// The name in PostgreSQL and GraphQL: `DOCTOR`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Role::Root => "ROOT",
            Role::Admin => "ADMIN",
            Role::Doctor => "DOCTOR",
            Role::Nurse => "NURSE",
            Role::Receptionist => "RECEPTIONIST",
            Role::Auditor => "AUDITOR",
            Role::Patient => "PATIENT",
        }
    }

    /// The value of the Solidity
    /// `enum Role { NONE, ROOT, ADMIN, DOCTOR, NURSE, RECEPTIONIST, AUDITOR, PATIENT }`.
    pub const fn contract_code(self) -> u8 {
        match self {
            Role::Root => 1,
            Role::Admin => 2,
            Role::Doctor => 3,
            Role::Nurse => 4,
            Role::Receptionist => 5,
            Role::Auditor => 6,
            Role::Patient => 7,
        }
    }

    /// The role with this contract code (`NONE`, 0, has none).
    pub fn from_contract_code(code: u8) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.contract_code() == code)
    }

    /// Whether user search may return accounts of this role: never root or admin.
    pub const fn is_searchable(self) -> bool {
        !matches!(self, Role::Root | Role::Admin)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A name that is no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownRole;

impl fmt::Display for UnknownRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unknown role")
    }
}

impl std::error::Error for UnknownRole {}

impl FromStr for Role {
    type Err = UnknownRole;

    /// Accepts the names in any case: `DOCTOR`, `doctor`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str().eq_ignore_ascii_case(s)).ok_or(UnknownRole)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_codes_follow_the_solidity_enum() {
        let codes: Vec<u8> = Role::ALL.iter().map(|r| r.contract_code()).collect();
        assert_eq!(codes, [1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(Role::from_contract_code(0), None);
        assert_eq!(Role::from_contract_code(7), Some(Role::Patient));
        assert_eq!(Role::from_contract_code(8), None);
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
            assert_eq!(role.to_string(), role.as_str());
        }
        assert_eq!("nurse".parse::<Role>(), Ok(Role::Nurse));
        assert_eq!("NONE".parse::<Role>(), Err(UnknownRole));
        assert_eq!("".parse::<Role>(), Err(UnknownRole));
    }

    #[test]
    fn serde_uses_the_graphql_names() {
        for role in Role::ALL {
            let json = serde_json::to_value(role).expect("serialize");
            assert_eq!(json, serde_json::Value::String(role.as_str().to_owned()));
            assert_eq!(serde_json::from_value::<Role>(json).expect("deserialize"), role);
        }
    }

    #[test]
    fn searchable_roles_are_those_search_may_return() {
        let searchable: Vec<Role> = Role::ALL.into_iter().filter(|r| r.is_searchable()).collect();
        assert_eq!(searchable, Role::SEARCHABLE);
    }
}
