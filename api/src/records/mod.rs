//! Health records, versioned in PostgreSQL temporal tables.
//!
//! `health_records` holds the current version of each live record,
//! `health_records_history` every earlier one (and the last version of a
//! deleted record), each with its validity period; triggers in
//! `migrations/0003_health_records.sql` keep them (see
//! `ARCHITECTURE-records.md`). Every version carries a salted content hash
//! ([`hash`]) so tampering with stored rows can be detected.
//!
//! Reads take any executor; writes take `&mut PgConnection`, so callers can
//! commit them together with rows of their own.

pub mod canonical;
mod fields;
pub mod hash;
mod id;
mod model;
pub mod reads;
mod record_type;
pub mod repo;
pub mod service;

pub use canonical::CanonicalJson;
pub use fields::{RecordContent, RecordTitle};
pub use hash::{ContentHash, ContentSalt};
pub use id::RecordId;
pub use model::{HealthRecord, NewRecord, RecordChanges, RecordVersion, UpdateOutcome};
pub use record_type::RecordType;
pub use repo::VersionCheck;
