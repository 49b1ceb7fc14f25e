//! Passwords: PBKDF2-HMAC-SHA256 at 600,000 rounds, a 16-byte random salt per
//! user, stored as a PHC string. Hashing and verifying are CPU-heavy, so the
//! async entry points run them on the blocking pool.

use secrecy::{ExposeSecret, SecretString};

/// PBKDF2 rounds for every new hash (OWASP 2023 guidance for PBKDF2-HMAC-SHA256).
pub const ROUNDS: u32 = 600_000;
/// Shortest password accepted for a new account or a change.
pub const MIN_LEN: usize = careledger_vocab::limits::PASSWORD_MIN_CHARS;
/// Longest password accepted.
pub const MAX_LEN: usize = careledger_vocab::limits::PASSWORD_MAX_CHARS;

/// Why a new password is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("password must be at least {MIN_LEN} characters")]
    TooShort,
    #[error("password must be at most {MAX_LEN} characters")]
    TooLong,
    #[error("password hashing failed")]
    Hashing,
}

/// A PHC-format password hash, as stored in the database.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHashString(String);

impl std::fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHashString(..)")
    }
}

impl PasswordHashString {
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }
}

/// Checks the length rules for a new password (counted in characters).
pub fn check_new(password: &SecretString) -> Result<(), PasswordError> {
    let n = password.expose_secret().chars().count();
    if n < MIN_LEN {
        Err(PasswordError::TooShort)
    } else if n > MAX_LEN {
        Err(PasswordError::TooLong)
    } else {
        Ok(())
    }
}

/// Hashes a new password (after [`check_new`]) on the blocking pool.
pub async fn hash(password: SecretString) -> Result<PasswordHashString, PasswordError> {
    check_new(&password)?;
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|_| PasswordError::Hashing)?
}

/// Hashes without the length rules: for the dummy hash that makes unknown
/// usernames cost the same as wrong passwords.
pub fn hash_blocking(password: &SecretString) -> Result<PasswordHashString, PasswordError> {
    careledger_password::hash(password.expose_secret().as_bytes(), ROUNDS)
        .map(PasswordHashString)
        .ok_or(PasswordError::Hashing)
}

/// Verifies a password against a stored hash on the blocking pool. The
/// comparison is constant-time; a malformed stored hash verifies as false.
pub async fn verify(password: SecretString, stored: PasswordHashString) -> bool {
    tokio::task::spawn_blocking(move || verify_blocking(&password, &stored)).await.unwrap_or(false)
}

fn verify_blocking(password: &SecretString, stored: &PasswordHashString) -> bool {
    careledger_password::verify(password.expose_secret().as_bytes(), stored.as_str())
}

#[cfg(test)]
mod tests {
    use pbkdf2::password_hash::PasswordHash;

    use super::*;

    #[tokio::test]
    async fn hash_is_pbkdf2_sha256_at_600k_with_16_byte_salt_and_verifies() {
        let h = hash(SecretString::from("a long enough secret")).await.expect("hash");
        let parsed = PasswordHash::new(h.as_str()).expect("phc");
        assert_eq!(parsed.algorithm.as_str(), "pbkdf2-sha256");
        assert_eq!(parsed.params.get_decimal("i"), Some(600_000));
        let mut salt = [0u8; 64];
        assert_eq!(parsed.salt.expect("salt").decode_b64(&mut salt).expect("b64").len(), 16);
        assert!(verify(SecretString::from("a long enough secret"), h.clone()).await);
        assert!(!verify(SecretString::from("a long enough secreT"), h).await);
    }

    #[test]
    fn length_rules() {
        assert_eq!(check_new(&SecretString::from("elevenchars")), Err(PasswordError::TooShort));
        assert_eq!(check_new(&SecretString::from("twelve chars")), Ok(()));
        assert_eq!(check_new(&SecretString::from("x".repeat(128))), Ok(()));
        assert_eq!(check_new(&SecretString::from("x".repeat(129))), Err(PasswordError::TooLong));
    }

    #[test]
    fn malformed_stored_hash_never_verifies() {
        let stored = PasswordHashString::from_stored("not a phc string".into());
        assert!(!verify_blocking(&SecretString::from("anything at all"), &stored));
    }
}
