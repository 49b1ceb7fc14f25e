//! Who you are: password hashing, signing keys, access tokens, the caller a
//! token stands for, login and its throttling, the purge of what expired, and
//! authentication on the audit trail.

pub mod access;
pub mod caller;
pub mod factor;
pub mod keys;
pub mod login;
pub mod password;
pub mod purge;
pub mod throttle;
pub mod token;
pub mod trail;
