//! The stored form of a password.

use std::fmt;

use crate::db::InvalidInput;

/// A password hash as a PHC string (`$pbkdf2-sha256$i=600000,l=32$salt$hash`).
/// Hashing and verifying belong to `auth`; this only carries the string.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_phc(phc: String) -> Result<Self, InvalidInput> {
        let well_formed =
            phc.starts_with('$') && phc.len() <= 512 && phc.chars().all(|c| c.is_ascii_graphic());
        if well_formed {
            Ok(PasswordHash(phc))
        } else {
            Err(InvalidInput::new("passwordHash", "must be a PHC string"))
        }
    }

    pub(crate) fn from_db(phc: String) -> Self {
        PasswordHash(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Never printed.
impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(..)")
    }
}
