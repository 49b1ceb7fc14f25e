//! Who is calling, per request: the token's holder (checked by
//! [`crate::auth::caller::check`]; a passed check is remembered until the
//! database reports a change, see [`crate::cache::sessions`]), the client's
//! address, and the on-chain receipts this request produced.

use std::net::IpAddr;
use std::sync::Mutex;

use serde::Serialize;

use super::error::ApiError;
use crate::app::AppState;
use crate::auth::caller::{self, Caller, TokenRefused};
use crate::gate::AuditReceipt;

/// One on-chain event this request produced, as listed in `extensions.audit`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AuditNote {
    /// `AccessRequested` or the lifecycle event's name.
    pub event: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<&'static str>,
    /// The request id (`AccessRequested`) or lifecycle entry id in the event:
    /// how a client finds its own events on chain, even once re-recorded.
    pub id: String,
    pub transaction_hash: String,
    pub block_number: u64,
    pub log_index: u64,
    pub approved: bool,
}

impl AuditNote {
    pub fn new(event: &'static str, receipt: &AuditReceipt) -> Self {
        Self {
            event,
            action: None,
            resource: None,
            id: receipt.id.to_string(),
            transaction_hash: receipt.transaction_hash.to_string(),
            block_number: receipt.block_number,
            log_index: receipt.log_index,
            approved: receipt.approved,
        }
    }
}

/// Why a presented token made no caller.
#[derive(Debug, Clone)]
enum AuthFailure {
    /// Invalid, expired, revoked, or its account gone: UNAUTHENTICATED.
    Refused(String),
    /// The database could not be asked: UNAVAILABLE.
    Unavailable(String),
}

/// Per-request data, attached to every GraphQL request.
#[derive(Debug)]
pub struct Session {
    auth: Result<Option<Caller>, AuthFailure>,
    pub address: Option<IpAddr>,
    audit: Mutex<Vec<AuditNote>>,
}

impl Session {
    pub fn anonymous(address: Option<IpAddr>) -> Self {
        Self::with(Ok(None), address)
    }

    pub fn authenticated(caller: Caller, address: Option<IpAddr>) -> Self {
        Self::with(Ok(Some(caller)), address)
    }

    fn with(auth: Result<Option<Caller>, AuthFailure>, address: Option<IpAddr>) -> Self {
        Self { auth, address, audit: Mutex::new(Vec::new()) }
    }

    /// Builds the session from the `Authorization` header, if any. A token
    /// that is present but invalid, expired, revoked or whose account was
    /// deleted makes every guarded field answer UNAUTHENTICATED; one that
    /// could not be checked (the database away) UNAVAILABLE, so a client
    /// keeps its session and tries again.
    pub async fn from_header(
        state: &AppState,
        authorization: Option<&str>,
        address: Option<IpAddr>,
    ) -> Self {
        let Some(value) = authorization else { return Self::anonymous(address) };
        let auth = match value.strip_prefix("Bearer ").map(str::trim) {
            None => Err(AuthFailure::Refused(
                "the Authorization header must be `Bearer <token>`".to_owned(),
            )),
            Some(raw) => state
                .sessions
                .caller(raw, caller::check(&state.pool, &state.token_keys, raw))
                .await
                .map(Some)
                .map_err(|refused| match refused {
                    TokenRefused::Refused => AuthFailure::Refused(refused.to_string()),
                    TokenRefused::Unchecked(_) => AuthFailure::Unavailable(refused.to_string()),
                }),
        };
        Self::with(auth, address)
    }

    /// The caller, or UNAUTHENTICATED (or UNAVAILABLE when the token could
    /// not be checked).
    pub fn caller(&self) -> Result<&Caller, ApiError> {
        match &self.auth {
            Ok(Some(caller)) => Ok(caller),
            Ok(None) => Err(ApiError::Unauthenticated("log in first: this needs a token".into())),
            Err(AuthFailure::Refused(reason)) => Err(ApiError::Unauthenticated(reason.clone())),
            Err(AuthFailure::Unavailable(reason)) => Err(ApiError::Unavailable(reason.clone())),
        }
    }

    pub fn note(&self, note: AuditNote) {
        if let Ok(mut audit) = self.audit.lock() {
            audit.push(note);
        }
    }

    pub fn audit(&self) -> Vec<AuditNote> {
        self.audit.lock().map(|a| a.clone()).unwrap_or_default()
    }
}
