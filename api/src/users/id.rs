//! The two identities of a user: the internal key and the system-wide id.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::B256;
use rand::RngCore;

use crate::db::InvalidInput;

/// The internal key of a user (`users.id`): for foreign keys and this
/// database only, never used as the system-wide identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, sqlx::Type)]
#[sqlx(transparent)]
pub struct UserId(pub i64);

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for UserId {
    type Err = InvalidInput;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.parse::<i64>() {
            Ok(id) if id > 0 => Ok(UserId(id)),
            _ => Err(InvalidInput::new("userId", "must be a positive integer")),
        }
    }
}

/// The system-wide identifier: 32 random bytes, the `bytes32` the access
/// contract tracks a user by. Shown as `0x` and 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SystemId([u8; 32]);

impl SystemId {
    /// A fresh identifier from the operating system's CSPRNG.
    pub fn random() -> Self {
        let mut bytes = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SystemId(bytes)
    }

    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        SystemId(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<Self, InvalidInput> {
        <[u8; 32]>::try_from(bytes)
            .map(SystemId)
            .map_err(|_| InvalidInput::new("systemId", "must be 32 bytes"))
    }

    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// The identifier as the access contract sees it: the same 32 bytes.
impl From<SystemId> for B256 {
    fn from(id: SystemId) -> Self {
        B256::from(id.0)
    }
}

impl fmt::Display for SystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{}", hex::encode(self.0))
    }
}

impl fmt::Debug for SystemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SystemId({self})")
    }
}

impl FromStr for SystemId {
    type Err = InvalidInput;

    /// Accepts 64 hex digits, with or without a `0x` prefix.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(digits, &mut bytes)
            .map_err(|_| InvalidInput::new("systemId", "must be 64 hex digits"))?;
        Ok(SystemId(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_id_round_trips_through_hex() {
        let id = SystemId::random();
        let shown = id.to_string();
        assert_eq!(shown.len(), 66);
        assert_eq!(shown.parse::<SystemId>(), Ok(id));
        assert_eq!(shown[2..].parse::<SystemId>(), Ok(id));
        assert!("0x1234".parse::<SystemId>().is_err());
    }
}
