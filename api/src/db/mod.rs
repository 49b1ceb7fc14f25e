//! The PostgreSQL store: pool creation, migrations, and the error type every
//! repository function returns. The tables themselves belong to the domain
//! modules (`users`, `records`) that query them; the schema is in `migrations/`.

pub mod batch;
mod constraint;
mod error;
mod pool;

pub use error::{is_unavailable, Conflict, Entity, InvalidInput, StoreError};
pub use pool::{connect, migrate, options as pool_options, PoolConfig, MIGRATOR};

pub(crate) use error::corrupt;
