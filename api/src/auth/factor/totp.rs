//! TOTP (RFC 6238) through `totp-rs`: SHA-1, six digits, 30-second steps,
//! as every authenticator app understands. A code is accepted for the
//! current step or one step either side (clock drift), and the step it
//! matched is returned, so the caller can refuse it a second time.

use qrcode::render::svg;
use qrcode::QrCode;
use rand::RngCore;
use totp_rs::{Algorithm, TOTP};

/// Seconds per step.
pub const STEP: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Bytes of secret: 160 bits, as RFC 4226 recommends.
pub const SECRET_BYTES: usize = 20;
/// The issuer an authenticator app shows.
pub const ISSUER: &str = "CareLedger";

/// What an authenticator app needs to add the account: the `otpauth://`
/// URI, the same as a QR code (SVG), and the secret in base32 for typing.
#[derive(Debug, Clone)]
pub struct Provisioning {
    pub uri: String,
    pub qr_svg: String,
    pub secret_base32: String,
}

/// A new random secret.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; SECRET_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    secret
}

/// The generator for `secret`, labelled with `account` (no skew: the
/// window is chosen in [`matching_step`], so the step is known).
fn generator(secret: &[u8], account: &str) -> TOTP {
    // `new_unchecked`: the secret is always SECRET_BYTES long and a username
    // never contains ':' (a-z 0-9 . _ -).
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP,
        secret.to_vec(),
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
}

/// The time step `code` is valid for at `now` (Unix seconds): the current
/// one or one either side; `None` when it matches none.
pub fn matching_step(secret: &[u8], code: &str, now: u64) -> Option<u64> {
    let totp = generator(secret, "");
    let current = now / STEP;
    [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .find(|step| totp.check(code, step * STEP))
}

/// The code for `secret` at `time` (what an authenticator shows).
pub fn code_at(secret: &[u8], time: u64) -> String {
    generator(secret, "").generate(time)
}

/// The URI, QR code and base32 secret for enrolling `account`.
pub fn provisioning(secret: &[u8], account: &str) -> Result<Provisioning, qrcode::types::QrError> {
    let totp = generator(secret, account);
    let uri = totp.get_url();
    let qr_svg = QrCode::new(uri.as_bytes())?
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Ok(Provisioning { uri, qr_svg, secret_base32: totp.get_secret_base32() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B's published SHA-1 test secret (public, a test
    /// vector only; base32 `GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ`).
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 6238 appendix B, SHA-1, the last six of its eight digits.
    #[test]
    fn rfc_6238_vectors() {
        let secret = RFC_SECRET;
        assert_eq!(code_at(secret, 59), "287082");
        assert_eq!(code_at(secret, 1_111_111_109), "081804");
        assert_eq!(code_at(secret, 1_234_567_890), "005924");
        assert_eq!(code_at(secret, 2_000_000_000), "279037");
    }

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let secret = RFC_SECRET;
        let code = code_at(secret, 1_234_567_890); // step 41_152_263
        assert_eq!(matching_step(secret, &code, 1_234_567_890), Some(41_152_263));
        assert_eq!(matching_step(secret, &code, 1_234_567_890 + 30), Some(41_152_263));
        assert_eq!(matching_step(secret, &code, 1_234_567_890 - 30), Some(41_152_263));
        assert_eq!(matching_step(secret, &code, 1_234_567_890 + 60), None);
        assert_eq!(matching_step(secret, "000000", 1_234_567_890), None);
    }

    #[test]
    fn provisioning_names_the_issuer_and_account() {
        let p = provisioning(RFC_SECRET, "dr.grey").expect("qr");
        // The RFC test secret in base32 (public).
        assert_eq!(p.secret_base32, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert!(p.uri.starts_with("otpauth://totp/CareLedger:dr.grey?"), "{}", p.uri);
        assert!(p.uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{}", p.uri);
        assert!(p.qr_svg.contains("<svg"), "an SVG image");
    }
}
