//! The app's own hooks.

mod use_query;

pub use use_query::use_query;
