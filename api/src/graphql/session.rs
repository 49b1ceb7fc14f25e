//! Who is calling, per request: the token's holder (checked by
//! [`crate::auth::caller::check`]; a passed check is remembered until the
//! database reports a change, see [`crate::cache::sessions`]), the client's
//! address, and the on-chain receipts this request produced.

use std::net::IpAddr;
use std::sync::Mutex;

use serde::Serialize;
use tokio::sync::{broadcast, watch};

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

/// Per-request data, attached to every GraphQL request (and, over a
/// WebSocket, to every operation of the connection).
#[derive(Debug)]
pub struct Session {
    auth: Result<Option<Caller>, AuthFailure>,
    pub address: Option<IpAddr>,
    audit: Mutex<Vec<AuditNote>>,
    /// A connection's session: becomes true when it ended (see
    /// [`Session::for_socket`]); `None` for one request over HTTP.
    ended: Option<watch::Receiver<bool>>,
    /// Operations running on this session's connection
    /// ([`Session::begin_operation`]).
    operations: std::sync::atomic::AtomicUsize,
}

/// A place taken by one operation on a connection, given back when dropped.
#[derive(Debug)]
pub struct OperationPlace(std::sync::Arc<Session>);

impl Drop for OperationPlace {
    fn drop(&mut self) {
        self.0.operations.fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// What a caller whose held-open session ended is told.
const ENDED: &str = "the session ended (logged out, expired, password or role changed, or the \
                     account deleted): log in again";

impl Session {
    pub fn anonymous(address: Option<IpAddr>) -> Self {
        Self::with(Ok(None), address)
    }

    pub fn authenticated(caller: Caller, address: Option<IpAddr>) -> Self {
        Self::with(Ok(Some(caller)), address)
    }

    fn with(auth: Result<Option<Caller>, AuthFailure>, address: Option<IpAddr>) -> Self {
        Self {
            auth,
            address,
            audit: Mutex::new(Vec::new()),
            ended: None,
            operations: Default::default(),
        }
    }

    /// Takes a place for one more operation on this session's connection, or
    /// `None` when `most` are already running.
    pub fn begin_operation(self: &std::sync::Arc<Self>, most: usize) -> Option<OperationPlace> {
        use std::sync::atomic::Ordering;
        self.operations
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < most).then_some(n + 1))
            .ok()
            .map(|_| OperationPlace(self.clone()))
    }

    /// The session of a WebSocket connection, which outlives any one check
    /// of its token. It ends — every later operation answers UNAUTHENTICATED
    /// and every running subscription ends with that error — when the token
    /// expires, or when the database reports a change to its user (logout,
    /// password change, role change, deletion: [`crate::cache::sessions`])
    /// after which the token no longer checks or carries another role.
    pub async fn for_socket(
        state: &AppState,
        authorization: Option<&str>,
        address: Option<IpAddr>,
    ) -> Self {
        // Listen before checking: a change committed after the check is heard.
        let changes = state.sessions.changes();
        let mut session = Self::from_header(state, authorization, address).await;
        let token = authorization.and_then(|v| v.strip_prefix("Bearer ")).map(str::trim);
        if let (Ok(Some(caller)), Some(token)) = (&session.auth, token) {
            let (ended, watched) = watch::channel(false);
            session.ended = Some(watched);
            tokio::spawn(watch_socket_session(
                state.clone(),
                changes,
                token.to_owned(),
                caller.clone(),
                ended,
            ));
        }
        session
    }

    /// Resolves once a connection's session has ended; never for a request
    /// over HTTP.
    pub fn ended(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let watched = self.ended.clone();
        async move {
            match watched {
                Some(mut watched) => {
                    let _ = watched.wait_for(|ended| *ended).await;
                }
                None => std::future::pending().await,
            }
        }
    }

    /// UNAUTHENTICATED, saying the held-open session ended.
    pub fn ended_error() -> ApiError {
        ApiError::Unauthenticated(ENDED.to_owned())
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
        if self.ended.as_ref().is_some_and(|ended| *ended.borrow()) {
            return Err(Self::ended_error());
        }
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

/// Watches a connection's session until it ends or the connection closes
/// (every receiver dropped). A change named for its user (or for everyone,
/// when the api's listener reconnected) makes it check the token against the
/// database again, past the remembered checks.
async fn watch_socket_session(
    state: AppState,
    mut changes: broadcast::Receiver<Option<crate::users::UserId>>,
    token: String,
    caller: Caller,
    ended: watch::Sender<bool>,
) {
    let left = caller.claims.exp - chrono::Utc::now().timestamp();
    let expiry = tokio::time::sleep(std::time::Duration::from_secs(left.max(0).unsigned_abs()));
    tokio::pin!(expiry);
    loop {
        tokio::select! {
            () = ended.closed() => return,
            () = &mut expiry => break,
            change = changes.recv() => match change {
                Ok(Some(user)) if user != caller.user_id => {}
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {
                    match caller::check(&state.pool, &state.token_keys, &token).await {
                        Ok(now) if now.role == caller.role => {}
                        // The database is away: the change cannot be read
                        // now; the session stands until the next notice.
                        Err(TokenRefused::Unchecked(_)) => {}
                        Ok(_) | Err(TokenRefused::Refused) => break,
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
    tracing::info!(user = %caller.user_id, "a held-open session ended");
    let _ = ended.send(true);
}
