//! The token signing key: Ed25519 (JWT `alg: EdDSA`), generated at first
//! start under `<data dir>/jwt/` or given by configuration, and reused.

use std::path::{Path, PathBuf};

use jsonwebtoken::{DecodingKey, EncodingKey};

/// The key pair tokens are signed and checked with.
#[derive(Clone)]
pub struct TokenKeys {
    pub(crate) encoding: EncodingKey,
    pub(crate) decoding: DecodingKey,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKeys(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read or write the token key under {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the token key in {path} is not a valid Ed25519 PEM key: {detail}")]
    Invalid { path: PathBuf, detail: String },
    #[error("cannot generate a token key: {0}")]
    Generate(#[from] rcgen::Error),
}

impl TokenKeys {
    /// Loads `<data dir>/jwt/ed25519.pem` (PKCS#8 private key) and its public
    /// half, generating both at first start.
    pub fn load_or_generate(data_dir: &Path) -> Result<Self, KeyError> {
        let dir = data_dir.join("jwt");
        let private = dir.join("ed25519.pem");
        let public = dir.join("ed25519.pub.pem");
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| KeyError::Io { path, source }
        };
        if !private.exists() || !public.exists() {
            let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
            std::fs::create_dir_all(&dir).map_err(io(&dir))?;
            crate::http::tls::write_private(&private, pair.serialize_pem().as_bytes())
                .map_err(io(&private))?;
            std::fs::write(&public, pair.public_key_pem()).map_err(io(&public))?;
            tracing::info!(path = %private.display(), "generated the token signing key");
        }
        let private_pem = std::fs::read(&private).map_err(io(&private))?;
        let public_pem = std::fs::read(&public).map_err(io(&public))?;
        Self::from_pem(&private_pem, &public_pem)
            .map_err(|detail| KeyError::Invalid { path: private, detail })
    }

    /// Builds the keys from PEM: a PKCS#8 Ed25519 private key and its SPKI public key.
    pub fn from_pem(private_pem: &[u8], public_pem: &[u8]) -> Result<Self, String> {
        Ok(Self {
            encoding: EncodingKey::from_ed_pem(private_pem).map_err(|e| e.to_string())?,
            decoding: DecodingKey::from_ed_pem(public_pem).map_err(|e| e.to_string())?,
        })
    }

    /// A fresh key pair that is never written anywhere (tests, throwaway runs).
    pub fn ephemeral() -> Result<Self, KeyError> {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519)?;
        Self::from_pem(pair.serialize_pem().as_bytes(), pair.public_key_pem().as_bytes())
            .map_err(|detail| KeyError::Invalid { path: PathBuf::from("(memory)"), detail })
    }
}
