//! The database layer against a real PostgreSQL, a fresh database per test
//! with every migration applied: the connection pool, users, search, and
//! versioned health records.

mod pool;
mod records_concurrency;
mod records_integrity;
mod records_reads;
mod records_temporal;
mod records_versions;
mod support;
mod user_search;
mod users;
