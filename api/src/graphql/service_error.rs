//! Domain-service errors as the client sees them.

use super::error::ApiError;
use crate::auth::factor::FactorError;
use crate::auth::login::LoginError;
use crate::auth::password::PasswordError;
use crate::gate::outbox::OutboxError;
use crate::lifecycle::ServiceError;

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Store(store) => store.into(),
            ServiceError::Password(e @ PasswordError::Hashing) => ApiError::internal(e),
            ServiceError::Password(rule) => ApiError::bad_input("new", rule.to_string()),
            ServiceError::WrongPassword => {
                ApiError::bad_input("current", "the current password is wrong")
            }
            ServiceError::NotRegistered(who) => ApiError::Conflict {
                message: format!(
                    "{who} has no system-wide identifier yet: they must log in once first"
                ),
                field: None,
                current_version: None,
            },
            ServiceError::Outbox(OutboxError::Gate(gate)) => gate.into(),
            ServiceError::Outbox(OutboxError::Database(e)) => e.into(),
            ServiceError::Outbox(other) => ApiError::internal(other),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::BadCredentials | LoginError::Malformed | LoginError::SessionOver => {
                ApiError::Unauthenticated(e.to_string())
            }
            LoginError::TooManyAttempts { retry_after } => ApiError::TooManyAttempts {
                message: e.to_string(),
                retry_after_seconds: (retry_after.as_secs_f64().ceil() as u64).max(1),
            },
            LoginError::Internal(cause)
                if cause
                    .chain()
                    .any(|c| c.downcast_ref().is_some_and(crate::db::is_unavailable)) =>
            {
                ApiError::database_away(format!("{cause:#}"))
            }
            LoginError::Internal(cause) => ApiError::Internal(cause.context("login failed")),
        }
    }
}

impl From<FactorError> for ApiError {
    fn from(e: FactorError) -> Self {
        let message = e.to_string();
        match e {
            FactorError::Invalid(invalid) => ApiError::bad_input(invalid.field, invalid.reason),
            FactorError::WrongCode | FactorError::ReusedCode | FactorError::UsedRecoveryCode => {
                ApiError::bad_input("code", message)
            }
            FactorError::PasskeyRefused => ApiError::bad_input("credential", message),
            FactorError::CeremonyInvalid => ApiError::bad_input("challenge", message),
            FactorError::NoCeremony | FactorError::LastFactor => {
                ApiError::Conflict { message, field: None, current_version: None }
            }
            FactorError::NoPasskey => ApiError::FactorRequired(message),
            FactorError::PasskeyNotFound => ApiError::NotFound("passkey"),
            FactorError::ChallengeInvalid => ApiError::Unauthenticated(message),
            FactorError::TooManyAttempts { retry_after } => ApiError::TooManyAttempts {
                message,
                retry_after_seconds: retry_after.as_secs().max(1),
            },
            FactorError::AlreadyEnrolled | FactorError::NotStarted => {
                ApiError::Conflict { message, field: None, current_version: None }
            }
            FactorError::NoFactor
            | FactorError::StepUpRequired
            | FactorError::EnrolmentRequired => ApiError::FactorRequired(message),
            FactorError::NothingToReset => ApiError::NotFound("second factor"),
            FactorError::NotRoot => {
                ApiError::Forbidden { action: "UPDATE", resource: "FACTOR_POLICY" }
            }
            FactorError::Service(e) => e.into(),
            FactorError::Login(e) => e.into(),
            FactorError::Database(e) => e.into(),
            FactorError::Unsealable(_)
            | FactorError::Qr(_)
            | FactorError::Webauthn(_)
            | FactorError::StoredPasskey(_) => ApiError::internal(e),
        }
    }
}
