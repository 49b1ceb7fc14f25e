//! The one error type at the GraphQL edge. Clients get a stable
//! `extensions.code` and a plain message; internal causes are logged with
//! their whole chain, never sent (no SQL, no stack traces, no patient data).

use async_graphql::ErrorExtensions as _;
use careledger_vocab::ErrorCode;

use crate::audit::verify::VerifyError;
use crate::chain::ChainError;
use crate::db::{Conflict, Entity, StoreError};
use crate::gate::GateError;

/// What a resolver answers when it fails (resolvers return
/// `Result<T, ApiError>`, and `?` converts the domain errors through the
/// `From` impls here and in `service_error`).
///
/// Deliberately not `Display`: async-graphql converts anything displayable
/// into an error without a code, and every error here must carry its code.
#[derive(Debug)]
pub enum ApiError {
    Unauthenticated(String),
    Forbidden {
        action: &'static str,
        resource: &'static str,
    },
    /// A clinician refused a patient's health records under a CARE cell: no
    /// care relationship (or a restriction, which looks exactly the same).
    /// FORBIDDEN, with `extensions.careRelationship` false: the web app
    /// offers break-the-glass. (Refused under any other scope — a nurse
    /// creating a record — is the plain FORBIDDEN.)
    NoCareRelationship {
        action: &'static str,
    },
    NotFound(&'static str),
    Conflict {
        message: String,
        field: Option<&'static str>,
        current_version: Option<i32>,
    },
    BadInput {
        field: String,
        message: String,
    },
    TooManyAttempts {
        message: String,
        retry_after_seconds: u64,
    },
    Unavailable(String),
    /// A fresh second factor (or an enrolled one) is needed first.
    FactorRequired(String),
    /// Something failed inside: the cause is logged with its whole chain
    /// when the error reaches the client, who sees only INTERNAL.
    Internal(anyhow::Error),
}

impl ApiError {
    /// The message the client sees.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated(m) | Self::Unavailable(m) | Self::FactorRequired(m) => m.clone(),
            Self::Forbidden { action, resource } => {
                format!("not permitted: {action} on {resource}")
            }
            Self::NoCareRelationship { .. } => {
                "you are not on this patient's care team: break the glass if you must".to_owned()
            }
            Self::NotFound(what) => format!("{what} not found"),
            Self::Conflict { message, .. } | Self::TooManyAttempts { message, .. } => {
                message.clone()
            }
            Self::BadInput { field, message } => format!("{field}: {message}"),
            Self::Internal(_) => "internal error".to_owned(),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated(_) => ErrorCode::Unauthenticated,
            Self::Forbidden { .. } | Self::NoCareRelationship { .. } => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Conflict { .. } => ErrorCode::Conflict,
            Self::BadInput { .. } => ErrorCode::BadUserInput,
            Self::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::FactorRequired(_) => ErrorCode::FactorRequired,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }

    pub fn bad_input(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadInput { field: field.into(), message: message.into() }
    }

    /// UNAVAILABLE because the database is away; the cause is logged.
    pub fn database_away(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "the database did not answer");
        Self::Unavailable(
            "the database could not be reached, so nothing was read or changed; try again".into(),
        )
    }

    /// The opaque error the client sees, carrying its cause for the log.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        Self::Internal(cause.into())
    }
}

/// The edge: an internal cause is logged here, once, with its whole chain;
/// the client gets the code and the plain message.
impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        if let ApiError::Internal(cause) = &e {
            tracing::error!(error = format!("{cause:#}"), "internal error");
        }
        let code = e.code();
        async_graphql::Error::new(e.message()).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            match &e {
                ApiError::Forbidden { action, resource } => {
                    ext.set("action", *action);
                    ext.set("resource", *resource);
                }
                ApiError::NoCareRelationship { action } => {
                    ext.set("action", *action);
                    ext.set("resource", "HEALTH_RECORD");
                    ext.set("careRelationship", false);
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
            other if other.is_unavailable() => ApiError::database_away(other),
            other => ApiError::internal(other),
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
        if crate::db::is_unavailable(&e) {
            ApiError::database_away(e)
        } else {
            ApiError::internal(e)
        }
    }
}

impl From<ChainError> for ApiError {
    fn from(e: ChainError) -> Self {
        match e {
            ChainError::Unreachable { .. } | ChainError::Rpc(_) => {
                tracing::warn!(error = %e, "the chain did not answer");
                ApiError::Unavailable("the chain could not be reached; try again".into())
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<VerifyError> for ApiError {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Store(e) => e.into(),
            VerifyError::Database(e) => e.into(),
            VerifyError::Chain(e) => e.into(),
        }
    }
}
