//! Connecting to PostgreSQL and bringing its schema up to date.

use std::time::Duration;

use sqlx::migrate::{MigrateError, Migrator};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection as _, PgPool};

/// Every migration in `migrations/`, embedded at compile time.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// How many connections to keep, how long to wait for one, and when to check
/// one before handing it out.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// A connection that has sat unused in the pool at least this long is
    /// checked with a round trip before it is handed out (and replaced if the
    /// server has gone away); one used more recently is handed out as it is.
    pub check_idle_after: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(30),
            check_idle_after: Duration::from_secs(1),
        }
    }
}

/// The pool's options. sqlx already checks every connection with a round trip
/// when it comes back to the pool; by default it checks it again when it is
/// taken out, which under load doubles the round trips of a one-query request
/// for a connection that answered moments ago. Here only a connection idle for
/// [`PoolConfig::check_idle_after`] is checked again on the way out.
pub fn options(config: &PoolConfig) -> PgPoolOptions {
    let check_idle_after = config.check_idle_after;
    PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(config.acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= check_idle_after {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// Opens a pool to the database at `url` (`postgres://user@host:port/db`).
pub async fn connect(url: &str, config: &PoolConfig) -> Result<PgPool, sqlx::Error> {
    options(config).connect(url).await
}

/// Applies every migration not yet applied; safe to run at every start.
pub async fn migrate(pool: &PgPool) -> Result<(), MigrateError> {
    MIGRATOR.run(pool).await
}
