//! Sign in: clear errors for wrong credentials, a lock-out (with the wait)
//! and an unreachable server.

use careledger_vocab::ErrorCode;
use yew::prelude::*;

use crate::api::ops::{login, Login};
use crate::api::{self, ApiError};
use crate::session::{use_api, AuthHandle, Session};
use crate::status::SystemStatus;
use crate::ui::bind;

#[function_component(LoginPage)]
pub fn login_page() -> Html {
    let api = use_api();
    let notice = use_context::<AuthHandle>().and_then(|a| a.notice.clone());
    let username = use_state(String::new);
    let password = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let onsubmit = {
        let (username, password, busy, error) =
            (username.clone(), password.clone(), busy.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if *busy {
                return;
            }
            busy.set(true);
            error.set(None);
            let vars = login::Variables {
                username: (*username).trim().to_owned(),
                password: (*password).clone(),
            };
            let (api, busy, error, password) =
                (api.clone(), busy.clone(), error.clone(), password.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<Login>(vars).await {
                    Ok(data) => {
                        let login = data.login;
                        if let Some(user) = api::convert(login.user) {
                            api.sign_in(Session {
                                token: login.token,
                                user,
                                expires_at: login.expires_at,
                            });
                        }
                    }
                    Err(e) => {
                        password.set(String::new());
                        error.set(Some(e));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let message = (*error).as_ref().map(|e| match e.code {
        ErrorCode::Unauthenticated => "Wrong username or password.".to_owned(),
        ErrorCode::TooManyAttempts => format!(
            "This account is locked after too many failed attempts. Try again in {}.",
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
                        value={(*username).clone()} oninput={bind(&username)} />
                    <label for="password">{ "Password" }</label>
                    <input id="password" name="password" type="password" autocomplete="current-password" required=true
                        value={(*password).clone()} oninput={bind(&password)} />
                    <button class="btn btn-primary" type="submit" id="sign-in" disabled={*busy}>
                        { if *busy { "Signing in…" } else { "Sign in" } }
                    </button>
                </form>
            </section>
            <SystemStatus />
        </div>
    }
}
