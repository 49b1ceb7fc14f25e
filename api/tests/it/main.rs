//! Integration tests, built as one binary: each module covers one domain and
//! runs against the real PostgreSQL (a fresh database per test) and, where the
//! chain is involved, a real Anvil.

mod api;
mod audit;
mod auth;
mod auth_trail;
mod chain;
mod data;
mod factor;
mod gate;
mod http;
mod journal;
mod keys;
mod limits;
mod ops;
mod passkey;
mod support;
mod throttle;
