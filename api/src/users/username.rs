//! The login name.

use std::fmt;

use careledger_vocab::limits::{USERNAME_MAX_CHARS, USERNAME_MIN_CHARS};

use crate::db::InvalidInput;

/// A username: 3 to 64 characters of `a-z`, `0-9`, `.`, `_`, `-`, stored and
/// compared in lowercase (so `JDoe` and `jdoe` are the same account).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    /// Trims surrounding whitespace and lowercases, then checks the alphabet
    /// and length.
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let name = raw.trim().to_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if !(USERNAME_MIN_CHARS..=USERNAME_MAX_CHARS).contains(&name.len()) {
            return Err(InvalidInput::new("username", "must be 3 to 64 characters"));
        }
        if !name.chars().all(allowed) {
            return Err(InvalidInput::new("username", "may contain only a-z 0-9 . _ -"));
        }
        Ok(Username(name))
    }

    /// A value read back from `users.username`, which the schema already checks.
    pub(crate) fn from_db(name: String) -> Self {
        Username(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Username {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lowercased_and_rejects_the_rest() {
        assert_eq!(Username::parse(" JDoe.1 ").map(|u| u.0), Ok("jdoe.1".to_owned()));
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse(&"a".repeat(65)).is_err());
        assert!(Username::parse("j doe").is_err());
        assert!(Username::parse("jdoé").is_err());
    }
}
