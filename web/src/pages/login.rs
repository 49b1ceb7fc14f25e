//! Sign in: clear errors for wrong credentials, a lock-out (with the wait)
//! and an unreachable server.

use std::rc::Rc;

use careledger_vocab::ErrorCode;
use yew::prelude::*;

use crate::api::ops::{login, Login};
use crate::api::{self, ApiError};
use crate::session::{use_api, AuthHandle, Session};
use crate::status::SystemStatus;
use crate::ui::input_to;

/// The sign-in form and how the last attempt went.
#[derive(Clone, PartialEq, Default)]
struct Credentials {
    username: String,
    password: String,
    busy: bool,
    error: Option<ApiError>,
}

enum CredentialsAction {
    Username(String),
    Password(String),
    Trying,
    /// Refused: the password is cleared.
    Refused(ApiError),
}

impl Reducible for Credentials {
    type Action = CredentialsAction;
    fn reduce(self: Rc<Self>, action: CredentialsAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            CredentialsAction::Username(v) => next.username = v,
            CredentialsAction::Password(v) => next.password = v,
            CredentialsAction::Trying => {
                next.busy = true;
                next.error = None;
            }
            CredentialsAction::Refused(e) => {
                next.password.clear();
                next.error = Some(e);
                next.busy = false;
            }
        }
        Rc::new(next)
    }
}

#[function_component(LoginPage)]
pub fn login_page() -> Html {
    let api = use_api();
    let notice = use_context::<AuthHandle>().and_then(|a| a.notice.clone());
    let form = use_reducer(Credentials::default);
    let onsubmit = {
        let form = form.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if form.busy {
                return;
            }
            form.dispatch(CredentialsAction::Trying);
            let vars = login::Variables {
                username: form.username.trim().to_owned(),
                password: form.password.clone(),
            };
            let (api, form) = (api.clone(), form.dispatcher());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<Login>(vars).await {
                    Ok(data) => {
                        let login = data.login;
                        if let Some(user) = api::convert(login.user) {
                            api.sign_in(Session {
                                token: login.token,
                                user,
                                expires_at: login.expires_at,
                                session_ends_at: login.session_ends_at,
                            });
                        }
                    }
                    Err(e) => form.dispatch(CredentialsAction::Refused(e)),
                }
            });
        })
    };
    let message = form.error.as_ref().map(|e| match e.code {
        ErrorCode::Unauthenticated => "Wrong username or password.".to_owned(),
        ErrorCode::TooManyAttempts => format!(
            "Too many failed attempts from this device. Try again in {}.",
            api::wait_text(e.retry_after_seconds.unwrap_or(900))
        ),
        _ => e.explain(),
    });
    html! {
        <div class="login-layout">
            <section class="card login-card" aria-labelledby="login-title">
                <h1 id="login-title">{ "Sign in" }</h1>
                <p class="muted">{ "Every access to a record is checked and recorded on chain." }</p>
                if let Some(n) = notice {
                    <div class="alert alert-info" role="status" id="notice">{ n }</div>
                }
                if let Some(m) = message {
                    <div class="alert alert-error" role="alert" id="login-error">{ m }</div>
                }
                <form {onsubmit} class="form" id="login-form">
                    <label for="username">{ "Username" }</label>
                    <input id="username" name="username" autocomplete="username" required=true
                        value={form.username.clone()} oninput={input_to(&form, CredentialsAction::Username)} />
                    <label for="password">{ "Password" }</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required=true
                        value={form.password.clone()} oninput={input_to(&form, CredentialsAction::Password)} />
                    <button class="btn btn-primary" type="submit" id="sign-in" disabled={form.busy}>
                        { if form.busy { "Signing in…" } else { "Sign in" } }
                    </button>
                </form>
            </section>
            <SystemStatus />
        </div>
    }
}
