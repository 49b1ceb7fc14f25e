//! The one error type at the GraphQL edge. Clients get a stable
//! `extensions.code` and a plain message; internal causes are logged with
//! their whole chain, never sent (no SQL, no stack traces, no patient data).

use async_graphql::ErrorExtensions as _;
use careledger_vocab::ErrorCode;

use crate::db::{Conflict, Entity, StoreError};
use crate::gate::GateError;

///
/// Deliberately not `Display`: async-graphql converts anything displayable
/// into an error without a code, and every error here must carry its code.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated(String),
    Forbidden { action: &'static str, resource: &'static str },
    NotFound(&'static str),
    Conflict { message: String, field: Option<&'static str>, current_version: Option<i32> },
    BadInput { field: String, message: String },
    TooManyAttempts { message: String, retry_after_seconds: u64 },
    Unavailable(String),
    Internal,
}

impl ApiError {
    /// The message the client sees.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Unavailable(m) => m.clone(),
            Self::Forbidden { action, resource } => {
                format!("not permitted: {action} on {resource}")
            }
            Self::NotFound(what) => format!("{what} not found"),
            Self::Conflict { message, .. } | Self::TooManyAttempts { message, .. } => {
                message.clone()
            }
            Self::BadInput { field, message } => format!("{field}: {message}"),
            Self::Internal => "internal error".to_owned(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden { .. } => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::BadInput { .. } => ErrorCode::BadUserInput,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal => ErrorCode::Internal,
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { field: field.into(), message: message.into() }
    }

    /// Logs an internal cause and returns the opaque error the client sees.
    pub fn internal(cause: &(dyn std::error::Error + 'static)) -> Self {
        let mut chain = cause.to_string();
        let mut source = cause.source();
        while let Some(s) = source {
            chain.push_str(": ");
            chain.push_str(&s.to_string());
            source = s.source();
        }
        tracing::error!(error = %chain, "internal error");
        Self::Internal
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        let code = e.code();
        async_graphql::Error::new(e.message()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &e {
                ApiError::Forbidden { action, resource } => {
                    ext.set("action", *action);
                    ext.set("resource", *resource);
                }
                ApiError::BadInput { field, .. } => ext.set("field", field.as_str()),
                ApiError::Conflict { field, current_version, .. } => {
                    if let Some(f) = field {
                        ext.set("field", *f);
                    }
                    if let Some(v) = current_version {
                        ext.set("currentVersion", *v);
                    }
                }
                ApiError::TooManyAttempts { retry_after_seconds, .. } => {
                    ext.set("retryAfterSeconds", *retry_after_seconds)
                }
                _ => {}
            }
        })
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(entity) => ApiError::NotFound(match entity {
                Entity::User => "user",
                Entity::Record => "health record",
                Entity::RecordVersion => "health record version",
            }),
            StoreError::Conflict(conflict) => {
                let current_version = match &conflict {
                    Conflict::StaleVersion { current } => Some(*current),
                    _ => None,
                };
                ApiError::Conflict {
                    message: conflict.to_string(),
                    field: Some(conflict.field()),
                    current_version,
                }
            }
            StoreError::InvalidInput(invalid) => ApiError::bad_input(invalid.field, invalid.reason),
            other => ApiError::internal(&other),
        }
    }
}

impl From<GateError> for ApiError {
    fn from(e: GateError) -> Self {
        tracing::error!(error = %e, "gate error");
        ApiError::Unavailable(
            "the access contract could not record this request, so nothing was read or changed; try again".into(),
        )
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(&e)
    }
}
