//! CareLedger api: a GraphQL server whose every access to user data, health
//! records or the audit trail is decided and recorded by a contract on a
//! private Ethereum chain, over versioned records kept in PostgreSQL.

pub mod app;
pub mod audit;
pub mod auth;
pub mod bootstrap;
pub mod cache;
pub mod care;
pub mod chain;
pub mod config;
pub mod db;
pub mod gate;
pub mod graphql;
pub mod http;
pub mod lifecycle;
pub mod metrics;
pub mod records;
pub mod seed;
pub mod serve;
pub mod users;
