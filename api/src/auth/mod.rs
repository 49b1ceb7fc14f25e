//! Who you are: password hashing, signing keys, and access tokens.

pub mod keys;
pub mod login;
pub mod password;
pub mod token;
