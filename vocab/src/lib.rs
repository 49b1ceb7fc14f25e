//! The vocabulary the api, the web app and the bench share: roles, record
//! types, error codes, field limits, and what each role is offered in the app.
//!
//! Wasm-safe: it builds for `wasm32-unknown-unknown` as well as natively.
//! With the `sqlx` feature (the api's), [`Role`] and [`RecordType`] map to the
//! PostgreSQL enums `user_role` and `record_type`.

pub mod can;
mod error_code;
pub mod limits;
mod record_type;
mod role;

pub use error_code::{ErrorCode, UnknownErrorCode};
pub use record_type::{RecordType, UnknownRecordType};
pub use role::{Role, UnknownRole};
