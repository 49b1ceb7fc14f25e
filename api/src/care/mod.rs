//! Care relationships: who treats whom. A patient's care team (clinicians
//! added with a start and an optional end), admissions to a department,
//! break-the-glass grants and their reviews, and the patient's restrictions.
//!
//! The contract decides every clinician's access to health records from its
//! copy of this state (the CARE scope, contracts/README.md); the database
//! keeps the history and what stays off chain (department names,
//! justifications, notes). Each change is one database transaction that
//! writes the change and its lifecycle entry (`gate::outbox`), then delivers
//! the entry: the change counts on chain once its event is mined.
//!
//! Staff members' departments follow `users.department` (a trigger writes
//! their DEPARTMENT_ASSIGNED entries, migration 0052).

mod service;
mod store;

use chrono::{DateTime, Utc};

pub use service::*;
pub use store::{
    admission, break_glass_grant, break_glass_reviews, care_team, count_reviews, departments,
    restrictions, Admission, CareMember, Department, Grant, Restriction, Review,
};

use crate::db::StoreError;
use crate::gate::outbox::OutboxError;
use crate::users::UserId;

/// Why a clinician broke the glass. Codes match the contract's `GlassReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, async_graphql::Enum)]
pub enum GlassReason {
    EmergencyTreatment = 0,
    ContinuityOfCare = 1,
    PatientRequest = 2,
    Other = 3,
}

impl GlassReason {
    pub const ALL: [GlassReason; 4] =
        [Self::EmergencyTreatment, Self::ContinuityOfCare, Self::PatientRequest, Self::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmergencyTreatment => "EMERGENCY_TREATMENT",
            Self::ContinuityOfCare => "CONTINUITY_OF_CARE",
            Self::PatientRequest => "PATIENT_REQUEST",
            Self::Other => "OTHER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Whom a patient restricts: a named staff member, or a whole department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restricted {
    Staff(UserId),
    Department(String),
}

/// Why a care change was refused or failed. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum CareError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error("{field}: {message}")]
    BadInput { field: &'static str, message: String },
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{0}")]
    Conflict(String),
    #[error("the password is wrong")]
    WrongPassword,
}

impl From<sqlx::Error> for CareError {
    fn from(e: sqlx::Error) -> Self {
        CareError::Store(StoreError::from(e))
    }
}

impl CareError {
    fn bad(field: &'static str, message: impl Into<String>) -> Self {
        Self::BadInput { field, message: message.into() }
    }
}

/// How long a break-the-glass grant lasts now (the contract's setting), in seconds.
pub async fn glass_seconds(
    chain: &crate::chain::Chain,
    contract: alloy::primitives::Address,
) -> Result<u64, crate::chain::ChainError> {
    let access = crate::chain::bindings::CareLedgerAccess::new(contract, chain.provider());
    access
        .breakGlassDuration()
        .call()
        .await
        .map_err(|e| crate::chain::ChainError::Call(e.to_string()))
}

/// A time as Unix seconds for the chain (0 for none).
fn unix(at: Option<DateTime<Utc>>) -> u64 {
    at.map_or(0, |t| u64::try_from(t.timestamp()).unwrap_or_default())
}
