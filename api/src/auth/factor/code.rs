//! What a user types as a second factor, parsed once: the six digits an
//! authenticator shows, or a recovery code (16 base32 characters, shown in
//! groups of four; spaces, hyphens and case do not matter).

use std::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::totp::DIGITS;
use crate::db::InvalidInput;

/// Characters in a recovery code: 80 random bits in base32.
pub const RECOVERY_CHARS: usize = 16;

/// A typed second-factor code. Never printed.
pub enum FactorCode {
    Totp(Zeroizing<String>),
    Recovery(Zeroizing<String>),
}

impl fmt::Debug for FactorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Totp(_) => "FactorCode::Totp(..)",
            Self::Recovery(_) => "FactorCode::Recovery(..)",
        })
    }
}

impl FactorCode {
    /// Parses what the user typed into `field`.
    pub fn parse(raw: &str, field: &'static str) -> Result<Self, InvalidInput> {
        let compact: Zeroizing<String> = Zeroizing::new(
            raw.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        if compact.len() == DIGITS && compact.chars().all(|c| c.is_ascii_digit()) {
            return Ok(Self::Totp(compact));
        }
        if compact.len() == RECOVERY_CHARS
            && data_encoding::BASE32_NOPAD.decode(compact.as_bytes()).is_ok()
        {
            return Ok(Self::Recovery(compact));
        }
        Err(InvalidInput::new(
            field,
            "must be the 6 digits your authenticator app shows, or one of your recovery codes",
        ))
    }

    /// Whether it is a recovery code.
    pub fn is_recovery(&self) -> bool {
        matches!(self, Self::Recovery(_))
    }
}

/// A new recovery code, as shown to the user once: `ABCD-EFGH-IJKL-MNOP`.
pub fn new_recovery_code() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; RECOVERY_CHARS * 5 / 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes);
    text.as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// What is stored of a recovery code: SHA-256 of its compact form.
pub fn recovery_hash(compact: &str) -> Vec<u8> {
    Sha256::digest(compact.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_digits_and_recovery_codes_and_nothing_else() {
        assert!(
            matches!(FactorCode::parse(" 123 456 ", "code"), Ok(FactorCode::Totp(c)) if c.as_str() == "123456")
        );
        assert!(
            matches!(FactorCode::parse("abcd-efgh-ijkl-mnop", "code"), Ok(FactorCode::Recovery(c)) if c.as_str() == "ABCDEFGHIJKLMNOP")
        );
        for bad in ["", "12345", "1234567", "12345a", "ABCD-EFGH-IJKL-MNO1", "ABCD-EFGH-IJKL-MNOPQ"]
        {
            let refused = FactorCode::parse(bad, "code").expect_err(bad);
            assert_eq!(refused.field, "code");
        }
    }

    #[test]
    fn a_new_recovery_code_parses_back_to_its_hash() {
        let shown = new_recovery_code();
        assert_eq!(shown.len(), 19, "{shown}");
        let Ok(FactorCode::Recovery(compact)) = FactorCode::parse(&shown, "code") else {
            panic!("{shown} does not parse");
        };
        assert_eq!(recovery_hash(&compact), recovery_hash(&shown.replace('-', "")));
        assert_ne!(new_recovery_code(), shown);
    }
}
