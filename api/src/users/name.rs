//! A person's full name, as entered.

use std::fmt;

use crate::db::InvalidInput;

/// A full name: trimmed, 1 to 200 characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct FullName(String);

impl FullName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > careledger_vocab::limits::FULL_NAME_MAX_CHARS {
            return Err(InvalidInput::new("fullName", "must be 1 to 200 characters"));
        }
        if name.chars().any(char::is_control) {
            return Err(InvalidInput::new("fullName", "must not contain control characters"));
        }
        Ok(FullName(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Shown as `FullName(..)`: a name is personal data and stays out of logs.
impl fmt::Debug for FullName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FullName(..)")
    }
}
