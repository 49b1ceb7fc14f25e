//! The second factor: TOTP authenticators and passkeys (WebAuthn), with
//! one-time recovery codes (migrations 0050, 0051, 0060).
//!
//! - [`enrol`]: a secret sealed at rest ([`sealing`]), shown once as a QR
//!   code; confirmed by a first code, which also gives ten recovery codes.
//! - [`login_step`]: a correct password for an account with a factor gets a
//!   short-lived challenge ([`challenge`]) instead of a token; the challenge
//!   and a code get the token. Under the root's [`policy`], a staff account
//!   without a factor is made to enrol at that step.
//! - [`check`]: a code is accepted once: a TOTP code only for a later time
//!   step than the last accepted, a recovery code only while unused; a
//!   passkey's assertion once per ceremony ([`passkey`]).
//! - [`passkey`]: registering, using and removing passkeys.
//! - [`step_up`]: account, role and permission changes need a factor proved
//!   within the last five minutes.
//! - [`reset`]: an administrator removes a lost factor (recorded on chain as
//!   `UserModified`, the user's sessions end).
//!
//! Every outcome, accepted or refused, is a row of `factor_events`
//! ([`events`]); no code or secret is ever logged.

pub mod challenge;
pub mod check;
pub mod code;
pub mod enrol;
pub mod events;
pub mod login_step;
pub mod passkey;
pub mod policy;
pub mod purge;
pub mod reset;
pub mod sealing;
pub mod status;
pub mod step_up;
pub mod totp;

use std::time::Duration;

pub use check::Answer;
pub use code::FactorCode;
pub use passkey::RelyingParty;
pub use sealing::FactorKey;

use crate::db::InvalidInput;
use crate::lifecycle::ServiceError;

/// Refused codes allowed per account within [`WINDOW`], across challenges
/// and step-ups; then codes are refused unchecked until the window passes.
pub const REFUSALS_LIMIT: i64 = 10;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

/// Why a factor operation did not happen. The messages are what the client sees.
#[derive(Debug, thiserror::Error)]
pub enum FactorError {
    #[error("{}: {}", .0.field, .0.reason)]
    Invalid(InvalidInput),
    #[error("the code is wrong (or its 30 seconds have passed)")]
    WrongCode,
    #[error("this code has been used already: wait for the next one")]
    ReusedCode,
    #[error("this recovery code has been used already")]
    UsedRecoveryCode,
    #[error("the sign-in step expired, was used, or had too many wrong codes: sign in again")]
    ChallengeInvalid,
    #[error("too many wrong codes; try again in {} minute(s)", retry_after.as_secs().div_ceil(60))]
    TooManyAttempts { retry_after: Duration },
    #[error("a second factor is already enrolled")]
    AlreadyEnrolled,
    #[error("no enrolment in progress: begin one first")]
    NotStarted,
    #[error("you have no second factor: enrol one first")]
    NoFactor,
    #[error("this change needs a second factor proved in the last 5 minutes: confirm a code and try again")]
    StepUpRequired,
    #[error("the policy requires a second factor for your role: enrol one first")]
    EnrolmentRequired,
    #[error("this account has no second factor to reset")]
    NothingToReset,
    #[error("only root may set the second-factor policy")]
    NotRoot,
    #[error(transparent)]
    Unsealable(#[from] sealing::Unsealable),
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Login(#[from] crate::auth::login::LoginError),
    #[error("a second-factor query failed")]
    Database(#[from] sqlx::Error),
    #[error("the QR code could not be made")]
    Qr(#[from] qrcode::types::QrError),
    #[error("the passkey was not accepted")]
    PasskeyRefused,
    #[error("no passkey request is in progress: start again")]
    NoCeremony,
    #[error("the passkey request expired, was used, or belongs to another session: start again")]
    CeremonyInvalid,
    #[error("you have no passkey: add one on the Security page first")]
    NoPasskey,
    #[error("you have no such passkey")]
    PasskeyNotFound,
    #[error(
        "the policy requires a second factor for your role: add another before removing your last"
    )]
    LastFactor,
    #[error("a WebAuthn ceremony could not be started")]
    Webauthn(#[from] webauthn_rs::prelude::WebauthnError),
    #[error("a stored passkey or ceremony could not be read: {0}")]
    StoredPasskey(String),
}

impl From<InvalidInput> for FactorError {
    fn from(e: InvalidInput) -> Self {
        Self::Invalid(e)
    }
}

impl From<crate::db::StoreError> for FactorError {
    fn from(e: crate::db::StoreError) -> Self {
        Self::Service(e.into())
    }
}
