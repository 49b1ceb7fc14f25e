//! Access tokens: JWTs signed with Ed25519, valid for 15 minutes, carrying
//! the user id, the system-wide identifier, the role and a token id (for
//! revocation at logout). Only `EdDSA` is accepted: `alg: none`, HMAC
//! algorithms (key confusion) and other keys fail verification.

use std::time::Duration;

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::TokenKeys;

/// How long a token is valid.
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);
const ISSUER: &str = "careledger";

/// What a token says about its holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Internal user id.
    pub sub: String,
    /// System-wide identifier, hex.
    pub sid: String,
    /// Role at issue time (the database and the chain stay authoritative).
    pub role: String,
    /// Token id, for revocation.
    pub jti: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub iss: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is invalid or expired")]
    Invalid,
    #[error("signing the token failed")]
    Signing,
}

/// Issues a token for the user; returns it with its claims.
pub fn issue(
    keys: &TokenKeys,
    user_id: i64,
    system_id_hex: &str,
    role: &str,
) -> Result<(String, Claims), TokenError> {
    let now = chrono::Utc::now().timestamp();
    let claims = Claims {
        sub: user_id.to_string(),
        sid: system_id_hex.to_owned(),
        role: role.to_owned(),
        jti: Uuid::new_v4(),
        iat: now,
        exp: now + LIFETIME.as_secs() as i64,
        iss: ISSUER.to_owned(),
    };
    let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &keys.encoding)
        .map_err(|_| TokenError::Signing)?;
    Ok((token, claims))
}

/// Verifies signature, algorithm, issuer and expiry; returns the claims.
pub fn verify(keys: &TokenKeys, token: &str) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.algorithms = vec![Algorithm::EdDSA];
    validation.leeway = 0;
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "iss", "sub"]);
    jsonwebtoken::decode::<Claims>(token, &keys.decoding, &validation)
        .map(|data| data.claims)
        .map_err(|_| TokenError::Invalid)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    fn keys() -> TokenKeys {
        TokenKeys::ephemeral().expect("keys")
    }

    #[test]
    fn issued_token_verifies_with_its_claims() {
        let k = keys();
        let (token, claims) = issue(&k, 7, "ab", "DOCTOR").expect("issue");
        assert_eq!(verify(&k, &token), Ok(claims.clone()));
        assert_eq!(claims.exp - claims.iat, 900);
        assert_eq!((claims.sub.as_str(), claims.role.as_str()), ("7", "DOCTOR"));
    }

    #[test]
    fn another_key_is_refused() {
        let (token, _) = issue(&keys(), 7, "ab", "DOCTOR").expect("issue");
        assert_eq!(verify(&keys(), &token), Err(TokenError::Invalid));
    }

    #[test]
    fn expired_token_is_refused() {
        let k = keys();
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: "7".into(),
            sid: "ab".into(),
            role: "DOCTOR".into(),
            jti: Uuid::new_v4(),
            iat: now - 1000,
            exp: now - 1,
            iss: ISSUER.into(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &k.encoding)
            .expect("encode");
        assert_eq!(verify(&k, &token), Err(TokenError::Invalid));
    }

    #[test]
    fn alg_none_is_refused() {
        let k = keys();
        let (token, _) = issue(&k, 7, "ab", "ROOT").expect("issue");
        let payload = token.split('.').nth(1).expect("payload");
        let forged = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), payload);
        assert_eq!(verify(&k, &forged), Err(TokenError::Invalid));
    }

    #[test]
    fn hmac_key_confusion_is_refused() {
        // An attacker signs with HS256 using the public key bytes as the secret.
        let k = keys();
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).expect("pair");
        let public_pem = pair.public_key_pem();
        let keys = TokenKeys::from_pem(pair.serialize_pem().as_bytes(), public_pem.as_bytes())
            .expect("keys");
        let (_, claims) = issue(&k, 1, "ab", "ROOT").expect("issue");
        let forged = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(public_pem.as_bytes()),
        )
        .expect("encode");
        assert_eq!(verify(&keys, &forged), Err(TokenError::Invalid));
    }
}
