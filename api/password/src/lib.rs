//! PBKDF2-HMAC-SHA256 with a 16-byte random salt, as PHC strings.
//!
//! A separate crate for one reason: the hashing code is generic, so it is
//! compiled in whichever crate calls it. Here it is compiled with full
//! optimisation even in debug builds (see the root `Cargo.toml`), so tests and
//! `make run` hash at the real cost (about a third of a second at 600,000
//! rounds) instead of several seconds.

use pbkdf2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use pbkdf2::{Algorithm, Params, Pbkdf2};
use rand::rngs::OsRng;

/// Hashes `password` with `rounds` iterations and a fresh 16-byte salt.
pub fn hash(password: &[u8], rounds: u32) -> Option<String> {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params { rounds, output_length: 32 };
    Pbkdf2
        .hash_password_customized(
            password,
            Some(Algorithm::Pbkdf2Sha256.ident()),
            None,
            params,
            &salt,
        )
        .ok()
        .map(|h| h.to_string())
}

/// Checks `password` against a PHC string in constant time; a malformed
/// string never verifies.
pub fn verify(password: &[u8], phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| Pbkdf2.verify_password(password, &parsed).is_ok())
}
