//! Who you are: password hashing, signing keys, access tokens, the caller a
//! token stands for, login and its throttling, and the purge of what expired.

pub mod access;
pub mod caller;
pub mod factor;
pub mod keys;
pub mod login;
pub mod password;
pub mod purge;
pub mod throttle;
pub mod token;
