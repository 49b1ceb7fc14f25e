//! TOTP secrets at rest: sealed with XChaCha20-Poly1305 under a key kept
//! outside the database (`<data dir>/factor/totp.key`, generated at first
//! start, mode 0600), the user's id as associated data. A reader of the
//! database (a backup, a replica, an injected SELECT) gets ciphertext only;
//! a sealed secret copied onto another account does not open there.
//!
//! Losing the key makes every enrolled authenticator unusable: users then
//! sign in with a recovery code, or an administrator resets their factor.
//! Back it up with the database, kept apart from it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use crate::users::UserId;

/// The key TOTP secrets are sealed with. Cheap to clone; never printed.
#[derive(Clone)]
pub struct FactorKey(Arc<XChaCha20Poly1305>);

impl std::fmt::Debug for FactorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FactorKey(..)")
    }
}

/// A sealed secret as stored: ciphertext with its tag, and the nonce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: Vec<u8>,
    pub nonce: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum FactorKeyError {
    #[error("cannot read or write the factor key {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the factor key in {path} is not 64 hexadecimal digits")]
    Invalid { path: PathBuf },
}

/// A sealed secret that does not open (another key, another user, or
/// altered), or a secret that could not be sealed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a second-factor secret could not be sealed or opened with this api's factor key")]
pub struct Unsealable;

impl FactorKey {
    /// Loads `<data dir>/factor/totp.key` (hex), generating it at first start.
    pub fn load_or_generate(data_dir: &Path) -> Result<Self, FactorKeyError> {
        let dir = data_dir.join("factor");
        let path = dir.join("totp.key");
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| FactorKeyError::Io { path, source }
        };
        if !path.exists() {
            let key = XChaCha20Poly1305::generate_key(&mut OsRng);
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            let text = Zeroizing::new(hex::encode(key));
            crate::http::tls::write_private(&path, text.as_bytes()).map_err(io(&path))?;
            tracing::info!(path = %path.display(), "generated the second-factor sealing key");
        }
        let text = Zeroizing::new(std::fs::read_to_string(&path).map_err(io(&path))?);
        let bytes = Zeroizing::new(
            hex::decode(text.trim()).map_err(|_| FactorKeyError::Invalid { path: path.clone() })?,
        );
        let cipher = XChaCha20Poly1305::new_from_slice(&bytes)
            .map_err(|_| FactorKeyError::Invalid { path: path.clone() })?;
        Ok(Self(Arc::new(cipher)))
    }

    /// A fresh key that is never written anywhere (tests, throwaway runs).
    pub fn ephemeral() -> Self {
        Self(Arc::new(XChaCha20Poly1305::new(&XChaCha20Poly1305::generate_key(&mut OsRng))))
    }

    /// Seals `user`'s secret with a fresh random nonce.
    pub fn seal(&self, user: UserId, secret: &[u8]) -> Result<Sealed, Unsealable> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let aad = user.0.to_be_bytes();
        // Encryption only fails for plaintexts beyond 256 GiB.
        let ciphertext =
            self.0.encrypt(&nonce, Payload { msg: secret, aad: &aad }).map_err(|_| Unsealable)?;
        Ok(Sealed { ciphertext, nonce: nonce.to_vec() })
    }

    /// Opens a secret sealed for `user`.
    pub fn open(&self, user: UserId, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, Unsealable> {
        let nonce: [u8; 24] = sealed.nonce.as_slice().try_into().map_err(|_| Unsealable)?;
        let aad = user.0.to_be_bytes();
        self.0
            .decrypt(&XNonce::from(nonce), Payload { msg: &sealed.ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| Unsealable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_only_for_its_user_and_key() {
        let key = FactorKey::ephemeral();
        let sealed = key.seal(UserId(7), b"twenty bytes secret!").expect("seal");
        assert_ne!(sealed.ciphertext[..20], b"twenty bytes secret!"[..]);
        assert_eq!(
            key.open(UserId(7), &sealed).map(|s| s.to_vec()),
            Ok(b"twenty bytes secret!".to_vec())
        );
        assert_eq!(key.open(UserId(8), &sealed), Err(Unsealable));
        assert_eq!(FactorKey::ephemeral().open(UserId(7), &sealed), Err(Unsealable));
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert_eq!(key.open(UserId(7), &altered), Err(Unsealable));
    }

    #[test]
    fn a_generated_key_is_reloaded() {
        let dir = std::env::temp_dir().join(format!("careledger-factor-{}", uuid::Uuid::new_v4()));
        let first = FactorKey::load_or_generate(&dir).expect("generate");
        let sealed = first.seal(UserId(1), b"a secret of twenty b").expect("seal");
        let again = FactorKey::load_or_generate(&dir).expect("reload");
        assert_eq!(
            again.open(UserId(1), &sealed).map(|s| s.to_vec()),
            Ok(b"a secret of twenty b".to_vec())
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
