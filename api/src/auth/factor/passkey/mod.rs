//! Passkeys (WebAuthn) as a second factor beside TOTP, through `webauthn-rs`
//! (migration 0060): no WebAuthn or cryptography of our own.
//!
//! - [`register`]: a signed-in user (or one the policy makes enrol at
//!   sign-in) registers a named passkey; the first factor of an account
//!   also gets the ten recovery codes.
//! - [`verify`]: a passkey answers the login's second step, or proves the
//!   factor for step-up. Every ceremony's state stays server-side on a
//!   `factor_challenges` row ([`super::challenge`]), is answered once and
//!   lives five minutes; a refused assertion counts with wrong codes.
//! - [`remove`]: a user removes one of their passkeys (after step-up).
//! - [`store`]: the `passkeys` table.
//!
//! The relying party ([`RelyingParty`]) is this installation's origin and
//! RP id (`CARELEDGER_WEBAUTHN_ORIGIN`, `CARELEDGER_WEBAUTHN_RP_ID`): a
//! passkey made for one works nowhere else.

pub mod register;
pub mod remove;
pub mod store;
pub mod verify;

use std::sync::Arc;

use webauthn_rs::prelude::{Url, Webauthn, WebauthnBuilder, WebauthnError};

use crate::db::InvalidInput;
use crate::users::name::plain_name;

/// The WebAuthn relying party. Cheap to clone.
#[derive(Clone)]
pub struct RelyingParty(Arc<Webauthn>);

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RelyingParty").field(&self.0.get_allowed_origins()).finish()
    }
}

/// The name the authenticator shows for the relying party.
pub const RP_NAME: &str = "CareLedger";

impl RelyingParty {
    pub fn new(rp_id: &str, origin: &Url) -> Result<Self, WebauthnError> {
        let webauthn = WebauthnBuilder::new(rp_id, origin)?.rp_name(RP_NAME).build()?;
        Ok(Self(Arc::new(webauthn)))
    }

    pub(super) fn webauthn(&self) -> &Webauthn {
        &self.0
    }
}

/// Most characters in a passkey's name.
pub const NAME_MAX_CHARS: usize = 64;

/// What a user calls one of their passkeys ("Work laptop"): trimmed, 1 to
/// 64 characters, no control, invisible or direction-changing characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        plain_name(raw, "name", NAME_MAX_CHARS, "must be 1 to 64 characters").map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_plain() {
        assert_eq!(PasskeyName::parse("  Work laptop ").map(|n| n.0), Ok("Work laptop".into()));
        for bad in ["", "   ", &"x".repeat(65), "a\u{7}b", "Phone\u{202E}"] {
            assert_eq!(PasskeyName::parse(bad).expect_err(bad).field, "name");
        }
    }

    #[test]
    fn the_relying_party_is_its_origin() {
        let origin = Url::parse("https://localhost:8443").expect("url");
        let rp = RelyingParty::new("localhost", &origin).expect("rp");
        assert_eq!(rp.webauthn().get_allowed_origins(), [origin]);
        let elsewhere = Url::parse("https://records.example.org").expect("url");
        assert!(RelyingParty::new("localhost", &elsewhere).is_err());
    }
}
