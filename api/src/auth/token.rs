//! Access tokens: JWTs signed with Ed25519, valid for 15 minutes, carrying
//! the user id, the system-wide identifier, the role, a token id (for
//! revocation at logout) and the session it belongs to. A session is the
//! chain of tokens one login starts: while its holder is active, a token is
//! renewed for another 15 minutes ([`renew`]), up to [`MAX_SESSION`] after
//! the login; then the holder signs in again. Only `EdDSA` is accepted: `alg: none`, HMAC
//! algorithms (key confusion) and other keys fail verification.

use std::time::Duration;

use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::keys::TokenKeys;

/// How long a token is valid.
pub const LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long a session may be renewed after its login.
pub const MAX_SESSION: Duration = Duration::from_secs(12 * 60 * 60);
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
    /// The session: the first token's id, kept by every renewal.
    #[serde(default)]
    pub ses: Uuid,
    /// When the session's login happened (seconds since the epoch).
    #[serde(default)]
    pub auth_time: i64,
}

impl Claims {
    /// The session's id; a token from before sessions were named is its own.
    pub fn session(&self) -> Uuid {
        if self.ses.is_nil() {
            self.jti
        } else {
            self.ses
        }
    }

    /// When the session must end, whatever renewals happen.
    pub fn session_ends(&self) -> i64 {
        let login = if self.auth_time > 0 { self.auth_time } else { self.iat };
        login + MAX_SESSION.as_secs() as i64
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the token is invalid or expired")]
    Invalid,
    #[error("signing the token failed")]
    Signing,
    #[error("the session reached its 12-hour limit; sign in again")]
    SessionOver,
}

/// Issues the first token of a new session for the user; returns it with
/// its claims.
pub fn issue(
    keys: &TokenKeys,
    user_id: i64,
    system_id_hex: &str,
    role: &str,
) -> Result<(String, Claims), TokenError> {
    let now = chrono::Utc::now().timestamp();
    let jti = Uuid::new_v4();
    let claims = Claims {
        sub: user_id.to_string(),
        sid: system_id_hex.to_owned(),
        role: role.to_owned(),
        jti,
        iat: now,
        exp: now + LIFETIME.as_secs() as i64,
        iss: ISSUER.to_owned(),
        ses: jti,
        auth_time: now,
    };
    sign(keys, claims)
}

/// Issues the next token of `current`'s session, with `role` (the account's
/// role now): valid for another [`LIFETIME`], but never past the session's
/// end; a session at its end is refused.
pub fn renew(
    keys: &TokenKeys,
    current: &Claims,
    role: &str,
) -> Result<(String, Claims), TokenError> {
    let now = chrono::Utc::now().timestamp();
    let ends = current.session_ends();
    if ends <= now {
        return Err(TokenError::SessionOver);
    }
    let claims = Claims {
        role: role.to_owned(),
        jti: Uuid::new_v4(),
        iat: now,
        exp: (now + LIFETIME.as_secs() as i64).min(ends),
        ses: current.session(),
        auth_time: ends - MAX_SESSION.as_secs() as i64,
        ..current.clone()
    };
    sign(keys, claims)
}

fn sign(keys: &TokenKeys, claims: Claims) -> Result<(String, Claims), TokenError> {
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
            ses: Uuid::nil(),
            auth_time: 0,
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &k.encoding)
            .expect("encode");
        assert_eq!(verify(&k, &token), Err(TokenError::Invalid));
    }

    #[test]
    fn a_renewal_keeps_the_session_and_stops_at_its_end() {
        let k = keys();
        let (_, first) = issue(&k, 7, "ab", "NURSE").expect("issue");
        assert_eq!((first.ses, first.auth_time), (first.jti, first.iat));
        let (token, next) = renew(&k, &first, "DOCTOR").expect("renew");
        assert_eq!(verify(&k, &token), Ok(next.clone()));
        assert_ne!(next.jti, first.jti);
        assert_eq!((next.ses, next.auth_time, next.sub.as_str()), (first.jti, first.iat, "7"));
        assert_eq!(next.role, "DOCTOR", "a renewal carries the role of now");
        assert_eq!(next.exp - next.iat, 900);

        // Eleven hours and 55 minutes after the login: 5 minutes are left.
        let now = chrono::Utc::now().timestamp();
        let late = Claims { auth_time: now - 12 * 3600 + 300, ..first.clone() };
        let (_, last) = renew(&k, &late, "NURSE").expect("renew");
        assert_eq!(last.exp, now - 12 * 3600 + 300 + 12 * 3600);
        assert!(last.exp - last.iat <= 300);
        let over = Claims { auth_time: now - 12 * 3600, ..first };
        assert_eq!(renew(&k, &over, "NURSE"), Err(TokenError::SessionOver));
    }

    #[test]
    fn a_token_from_before_sessions_is_its_own_session() {
        let k = keys();
        let (_, mut claims) = issue(&k, 7, "ab", "NURSE").expect("issue");
        claims.ses = Uuid::nil();
        claims.auth_time = 0;
        assert_eq!(claims.session(), claims.jti);
        assert_eq!(claims.session_ends(), claims.iat + 12 * 3600);
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
