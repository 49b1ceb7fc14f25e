//! What the domain services share: the error at their boundary, and sending
//! lifecycle events after the database commit.
//!
//! Every write runs one database transaction that stores the change and its
//! lifecycle outbox row(s) (`gate::outbox::enqueue`), commits, then asks the
//! outbox to deliver those rows and returns their receipts. If delivery
//! fails after the commit, the change stands (it is acknowledged) and the
//! outbox's background sweep sends the event later; the caller then gets no
//! receipt for it, and the failure is logged.
//!
//! User events carry a zero content hash: nothing about a person is anchored
//! on chain, not even a salted hash of their name (the database is the only
//! place names live).

use crate::auth::password::PasswordError;
use crate::db::StoreError;
use crate::gate::outbox::{Outbox, OutboxError};
use crate::gate::{AuditReceipt, LifecycleEntry};

/// A lifecycle event on chain: its name (`UserAdded`, `RecordVersionCreated`, ...)
/// and the receipt of the log that recorded it.
#[derive(Debug, Clone)]
pub struct LifecycleReceipt {
    pub event: &'static str,
    pub receipt: AuditReceipt,
}

/// The result of a write, with the lifecycle events it produced (empty when
/// nothing changed, or when delivery is left to the outbox sweep).
#[derive(Debug, Clone)]
pub struct Written<T> {
    pub value: T,
    pub events: Vec<LifecycleReceipt>,
}

impl<T> Written<T> {
    pub fn unchanged(value: T) -> Self {
        Self { value, events: Vec::new() }
    }
}

/// Why a domain service refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// `changePassword` with a wrong current password.
    #[error("the current password is wrong")]
    WrongPassword,
    /// The account has no system-wide identifier yet (imported, never logged in).
    #[error("{0} has no system-wide identifier yet: they must log in once first")]
    NotRegistered(&'static str),
}

impl From<sqlx::Error> for ServiceError {
    fn from(e: sqlx::Error) -> Self {
        ServiceError::Store(StoreError::from(e))
    }
}

/// Delivers committed outbox entries now; returns the receipts of those
/// delivered. A failure is logged and left to the outbox sweep: the change
/// is committed and stands.
pub async fn deliver(
    outbox: &Outbox,
    entries: &[(LifecycleEntry, &'static str)],
) -> Vec<LifecycleReceipt> {
    if entries.is_empty() {
        return Vec::new();
    }
    let claimed: Vec<LifecycleEntry> = entries.iter().map(|(entry, _)| *entry).collect();
    match outbox.deliver(&claimed).await {
        Ok(sent) => sent
            .into_iter()
            .filter_map(|(id, receipt)| {
                entries
                    .iter()
                    .find(|(e, _)| e.entry_id == id)
                    .map(|(_, event)| LifecycleReceipt { event, receipt })
            })
            .collect(),
        Err(error) => {
            tracing::warn!(%error, "lifecycle events committed but not yet on chain; the outbox will send them");
            Vec::new()
        }
    }
}
