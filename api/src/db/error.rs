//! The one error type at the store boundary. Callers match on the variant (the
//! GraphQL layer turns it into `NOT_FOUND`, `CONFLICT`, `BAD_USER_INPUT` or
//! `INTERNAL`); no variant's message carries SQL or patient data.

use std::fmt;

use super::constraint;

/// Why a repository call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The user, record or version asked for does not exist (or, for writes to
    /// users, was deleted).
    #[error("{0} not found")]
    NotFound(Entity),
    /// The write contradicts what is stored; nothing was written.
    #[error(transparent)]
    Conflict(#[from] Conflict),
    /// An input value was refused; `field` names it as the API spells it.
    #[error(transparent)]
    InvalidInput(#[from] InvalidInput),
    /// Anything else: connection loss, a bug, a corrupt row. Log the source
    /// chain; show the client only that something went wrong.
    #[error("internal database error")]
    Internal(#[source] sqlx::Error),
    /// The same, for a query that answered several requests at once
    /// ([`super::batch`]): each of them gets the one cause.
    #[error("internal database error")]
    Shared(#[source] std::sync::Arc<sqlx::Error>),
}

impl StoreError {
    /// Whether the database was away (see [`is_unavailable`]).
    pub fn is_unavailable(&self) -> bool {
        match self {
            Self::Internal(e) => is_unavailable(e),
            Self::Shared(e) => is_unavailable(e),
            _ => false,
        }
    }
}

/// Whether `e` means the database could not be reached or is shutting down
/// or starting (the request may succeed later), rather than a bug: the
/// client is told UNAVAILABLE, not INTERNAL. SQLSTATE class 08 is a
/// connection exception; 57P01–57P03 are shutdown and start-up.
pub fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|c| {
            c.starts_with("08") || matches!(c.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// What was not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    User,
    Record,
    RecordVersion,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Entity::User => "user",
            Entity::Record => "health record",
            Entity::RecordVersion => "health record version",
        })
    }
}

/// A write refused because of what is already stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// Another account, live or deleted, has this username (case-insensitively).
    #[error("username is already taken")]
    DuplicateUsername,
    /// Another account already has this system-wide identifier.
    #[error("system id is already assigned to another user")]
    DuplicateSystemId,
    /// The record changed since the version the editor saw.
    #[error("the record has changed: its current version is {current}")]
    StaleVersion { current: i32 },
}

impl Conflict {
    /// The input field the conflict is about.
    pub fn field(&self) -> &'static str {
        match self {
            Conflict::DuplicateUsername => "username",
            Conflict::DuplicateSystemId => "systemId",
            Conflict::StaleVersion { .. } => "expectedVersion",
        }
    }
}

/// An input value that was refused, naming the field and a fixed reason (never
/// the value itself, which may be patient data).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {reason}")]
pub struct InvalidInput {
    pub field: &'static str,
    pub reason: &'static str,
}

impl InvalidInput {
    pub const fn new(field: &'static str, reason: &'static str) -> Self {
        Self { field, reason }
    }
}

impl From<sqlx::Error> for StoreError {
    /// Violations of the constraints the schema names become typed errors;
    /// everything else is internal.
    fn from(err: sqlx::Error) -> Self {
        if let Some(name) = err.as_database_error().and_then(|e| e.constraint()) {
            if let Some(typed) = constraint::to_error(name) {
                return typed;
            }
        }
        StoreError::Internal(err)
    }
}

/// A stored row that breaks an invariant the schema should have kept.
pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::Internal(sqlx::Error::Decode(what.into()))
}
