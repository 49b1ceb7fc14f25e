//! Who you are: password hashing, signing keys, access tokens, the caller a
//! token stands for, and login.

pub mod access;
pub mod caller;
pub mod keys;
pub mod login;
pub mod password;
pub mod token;
