//! Who is signed in (kept in memory only: a reload signs out), the receipts
//! of the current page, and the `Api` handle pages call through.

use std::rc::Rc;

use careledger_vocab::ErrorCode;
use graphql_client::GraphQLQuery;
use yew::prelude::*;

use crate::api::{self, Account, ApiError, Receipt, Role};

/// Signed out after this long without a key press, click or touch.
pub const IDLE_LIMIT_MS: f64 = 15.0 * 60.0 * 1000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Session {
    pub token: String,
    pub user: Account,
    /// When `token` expires (RFC 3339); renewed while the user is active.
    pub expires_at: String,
    /// When the session ends whatever renewals happen (12 hours after login).
    pub session_ends_at: String,
}

impl Session {
    pub fn role(&self) -> Role {
        self.user.role
    }
}

/// The app's state: the session and a notice for the login page.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Auth {
    pub session: Option<Session>,
    pub notice: Option<String>,
    pub receipts: Vec<Receipt>,
}

pub enum AuthAction {
    SignIn(Session),
    /// The session's next token (`renewSession`).
    Renew {
        token: String,
        expires_at: String,
    },
    SignOut(Option<String>),
    AddReceipts(Vec<Receipt>),
    ClearReceipts,
}

impl Reducible for Auth {
    type Action = AuthAction;
    fn reduce(self: Rc<Self>, action: AuthAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            AuthAction::SignIn(s) => {
                next.session = Some(s);
                next.notice = None;
            }
            AuthAction::Renew { token, expires_at } => {
                if let Some(session) = next.session.as_mut() {
                    session.token = token;
                    session.expires_at = expires_at;
                }
            }
            AuthAction::SignOut(notice) => {
                next.session = None;
                next.notice = notice;
                next.receipts.clear();
            }
            AuthAction::AddReceipts(r) => next.receipts.extend(r),
            AuthAction::ClearReceipts => next.receipts.clear(),
        }
        Rc::new(next)
    }
}

pub type AuthHandle = UseReducerHandle<Auth>;

/// The signed-in session, if any.
#[hook]
pub fn use_session() -> Option<Session> {
    use_context::<AuthHandle>().and_then(|a| a.session.clone())
}

/// Calls the api as the signed-in user, records the receipts on the page,
/// and signs out when the server says the session is over.
#[derive(Clone)]
pub struct Api {
    auth: Option<AuthHandle>,
}

#[hook]
pub fn use_api() -> Api {
    Api { auth: use_context::<AuthHandle>() }
}

impl Api {
    pub fn token(&self) -> Option<String> {
        self.auth.as_ref().and_then(|a| a.session.as_ref().map(|s| s.token.clone()))
    }

    pub async fn run<Q: GraphQLQuery>(
        &self,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, ApiError> {
        let token = self.token();
        let path = current_path();
        let outcome = api::run::<Q>(token.as_deref(), variables).await;
        if let Some(auth) = &self.auth {
            // Receipts belong to the page that asked (not to one opened since).
            if !outcome.receipts.is_empty() && current_path() == path {
                auth.dispatch(AuthAction::AddReceipts(outcome.receipts));
            }
            if let Err(e) = &outcome.result {
                if e.code == ErrorCode::Unauthenticated && token.is_some() {
                    auth.dispatch(AuthAction::SignOut(Some(
                        "Your session has ended. Please sign in again.".into(),
                    )));
                }
            }
        }
        outcome.result
    }

    pub fn sign_in(&self, session: Session) {
        if let Some(a) = &self.auth {
            a.dispatch(AuthAction::SignIn(session));
        }
    }

    /// Asks for the session's next token and keeps it. A refusal signs out
    /// through [`Api::run`]; a failed attempt is tried again by the caller.
    pub async fn renew(&self) -> bool {
        let Ok(data) = self.run::<api::ops::RenewSession>(api::ops::renew_session::Variables).await
        else {
            return false;
        };
        if let Some(a) = &self.auth {
            let renewed = data.renew_session;
            a.dispatch(AuthAction::Renew { token: renewed.token, expires_at: renewed.expires_at });
        }
        true
    }

    /// Revokes the token on the server and forgets it here.
    pub fn sign_out(&self, notice: Option<String>) {
        let token = self.token();
        if let Some(a) = &self.auth {
            a.dispatch(AuthAction::SignOut(notice));
        }
        if let Some(token) = token {
            wasm_bindgen_futures::spawn_local(async move {
                let _ =
                    api::run::<api::ops::Logout>(Some(&token), api::ops::logout::Variables).await;
            });
        }
    }
}

fn current_path() -> Option<String> {
    web_sys::window().and_then(|w| w.location().pathname().ok())
}

/// What a role may do in the app (the shared table, checked against the
/// contract's default matrix; the server still decides, and its refusals are
/// shown).
pub use careledger_vocab::can;
