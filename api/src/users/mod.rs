//! The user directory: who exists, under which username and role, and the
//! system-wide identifier the access contract knows each user by.
//!
//! Types here parse their input once (`Username::parse`, `SystemId::from_str`,
//! ...); the repository functions in [`repo`] take and return only parsed
//! values. Writes take `&mut PgConnection` so a caller can add its own rows
//! (an outbox entry, say) to the same transaction.

mod id;
mod model;
pub mod name;
mod password;
mod person;
pub mod repo;
mod role;
pub mod service;
mod username;

pub use id::{SystemId, UserId};
pub use model::{NewUser, User, UserChanges};
pub use name::FullName;
pub use password::PasswordHash;
pub use person::Person;
pub use repo::search::{SearchCursor, UserEdge, UserPage};
pub use role::Role;
pub use username::Username;
