//! Sign in: clear errors for wrong credentials, a lock-out (with the wait)
//! and an unreachable server; then, for an account with a second factor, a
//! code from the authenticator app (or a recovery code) or a passkey, or —
//! when the policy requires a factor the account lacks — setting one up.

use std::rc::Rc;

use careledger_vocab::ErrorCode;
use yew::prelude::*;

use crate::api::ops::{
    begin_passkey_verification, login, verify_factor, verify_passkey, BeginPasskeyVerification,
    Login, VerifyFactor, VerifyPasskey,
};
use crate::api::{self, ApiError};
use crate::factor::{EnrolTotp, Enrolled, RecoveryCodes};
use crate::session::{use_api, AuthHandle, Session};
use crate::status::SystemStatus;
use crate::ui::{bind, input_to};

/// Where sign-in stands after a correct password.
#[derive(Clone, PartialEq)]
enum SecondStep {
    /// A code from the enrolled factor (or a passkey, when the account has
    /// one), with this challenge.
    Code(String, bool),
    /// The policy requires a factor: enrol one with this challenge.
    Enrol(String),
    /// Enrolled at sign-in: the recovery codes, then the session.
    Enrolled(Vec<String>, Session),
}

/// The sign-in form and how the last attempt went.
#[derive(Clone, PartialEq, Default)]
struct Credentials {
    username: String,
    password: String,
    busy: bool,
    error: Option<ApiError>,
    step: Option<SecondStep>,
}

enum CredentialsAction {
    Username(String),
    Password(String),
    Trying,
    /// Refused: the password is cleared.
    Refused(ApiError),
    /// The password was right; a second step is due.
    Step(SecondStep),
    /// A code was refused: the step stays.
    CodeRefused(ApiError),
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
                next.step = None;
            }
            CredentialsAction::Step(step) => {
                next.password.clear();
                next.busy = false;
                next.error = None;
                next.step = Some(step);
            }
            CredentialsAction::CodeRefused(e) => {
                next.busy = false;
                next.error = Some(e);
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
        let (form, api) = (form.clone(), api.clone());
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
                        if let Some(c) = login.factor_challenge {
                            form.dispatch(CredentialsAction::Step(if c.enrolment_required {
                                SecondStep::Enrol(c.challenge)
                            } else {
                                SecondStep::Code(c.challenge, c.passkey)
                            }));
                        } else if let (Some(token), Some(user), Some(expires_at), Some(ends)) = (
                            login.token,
                            login.user.and_then(api::convert),
                            login.expires_at,
                            login.session_ends_at,
                        ) {
                            api.sign_in(Session { token, user, expires_at, session_ends_at: ends });
                        }
                    }
                    Err(e) => form.dispatch(CredentialsAction::Refused(e)),
                }
            });
        })
    };
    if let Some(step) = &form.step {
        return html! {
            <div class="login-layout">
                <section class="card login-card" aria-labelledby="login-title">
                    <h1 id="login-title">{ "Sign in" }</h1>
                    { second_step(step, &form, &api) }
                </section>
            </div>
        };
    }
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

/// The second step: a code, an enrolment, or the recovery codes just made.
fn second_step(
    step: &SecondStep,
    form: &UseReducerHandle<Credentials>,
    api: &crate::session::Api,
) -> Html {
    match step {
        SecondStep::Code(challenge, passkey) => html! {
            <CodeStep challenge={challenge.clone()} passkey={*passkey} error={form.error.clone()} busy={form.busy}
                on_result={let form = form.dispatcher(); Callback::from(move |a| form.dispatch(a))} />
        },
        SecondStep::Enrol(challenge) => {
            let form = form.dispatcher();
            let on_done = Callback::from(move |done: Enrolled| {
                if let Some(session) = done.session {
                    form.dispatch(CredentialsAction::Step(SecondStep::Enrolled(
                        done.recovery_codes,
                        session,
                    )));
                }
            });
            html! {
                <>
                    <p class="alert alert-info" role="status" id="enrol-required">
                        { "Your role requires a second factor. Set up an authenticator app to finish signing in." }
                    </p>
                    <EnrolTotp challenge={Some(challenge.clone())} {on_done} />
                </>
            }
        }
        SecondStep::Enrolled(codes, session) => {
            let (api, session) = (api.clone(), session.clone());
            html! {
                <>
                    <RecoveryCodes codes={codes.clone()} />
                    <button class="btn btn-primary" id="continue" onclick={Callback::from(move |_| api.sign_in(session.clone()))}>
                        { "I have saved them: continue" }
                    </button>
                </>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
struct CodeStepProps {
    challenge: String,
    /// The account has a passkey: offer it.
    passkey: bool,
    error: Option<ApiError>,
    busy: bool,
    on_result: Callback<CredentialsAction>,
}

/// Answers the login's challenge with a passkey: the ceremony begun on the
/// challenge, the browser's assertion, the answer; returns the session.
async fn sign_in_with_passkey(
    api: &crate::session::Api,
    challenge: String,
) -> Result<Session, ApiError> {
    let vars = begin_passkey_verification::Variables { challenge: Some(challenge.clone()) };
    let begun = api.run::<BeginPasskeyVerification>(vars).await?.begin_passkey_verification;
    let credential = crate::passkey::get(begun.options).await?;
    let s = api
        .run::<VerifyPasskey>(verify_passkey::Variables { challenge, credential })
        .await?
        .verify_passkey;
    let user = api::convert(s.user)
        .ok_or_else(|| ApiError::local(ErrorCode::Internal, "the account could not be read"))?;
    Ok(Session {
        token: s.token,
        user,
        expires_at: s.expires_at,
        session_ends_at: s.session_ends_at,
    })
}

/// Where a refused second step leaves the form: a spent challenge starts
/// again from the password; anything else keeps the step.
fn step_refused(e: ApiError) -> CredentialsAction {
    if e.code == ErrorCode::Unauthenticated {
        // The challenge is spent: start again from the password.
        CredentialsAction::Refused(ApiError::local(
            ErrorCode::BadUserInput,
            "That sign-in step expired or had too many wrong codes. Sign in again.",
        ))
    } else {
        CredentialsAction::CodeRefused(e)
    }
}

/// A code from the authenticator app (or a recovery code), or a passkey,
/// for the challenge.
#[function_component(CodeStep)]
fn code_step(props: &CodeStepProps) -> Html {
    let api = use_api();
    let code = use_state(String::new);
    let use_passkey = {
        let (api, challenge, on_result) =
            (api.clone(), props.challenge.clone(), props.on_result.clone());
        Callback::from(move |_| {
            on_result.emit(CredentialsAction::Trying);
            let (api, challenge, on_result) = (api.clone(), challenge.clone(), on_result.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match sign_in_with_passkey(&api, challenge).await {
                    Ok(session) => api.sign_in(session),
                    Err(e) => on_result.emit(step_refused(e)),
                }
            });
        })
    };
    let onsubmit = {
        let (code, challenge, on_result) =
            (code.clone(), props.challenge.clone(), props.on_result.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_result.emit(CredentialsAction::Trying);
            let vars =
                verify_factor::Variables { challenge: challenge.clone(), code: (*code).clone() };
            code.set(String::new());
            let (api, on_result) = (api.clone(), on_result.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<VerifyFactor>(vars).await {
                    Ok(d) => {
                        let s = d.verify_factor;
                        if let Some(user) = api::convert(s.user) {
                            api.sign_in(Session {
                                token: s.token,
                                user,
                                expires_at: s.expires_at,
                                session_ends_at: s.session_ends_at,
                            });
                        }
                    }
                    Err(e) => on_result.emit(step_refused(e)),
                }
            });
        })
    };
    html! {
        <>
            if let Some(e) = &props.error {
                <div class="alert alert-error" role="alert" id="code-error">{ code_refusal(e) }</div>
            }
            if props.passkey && crate::passkey::supported() {
                <p class="muted">{ "Confirm it's you with your passkey (your device asks for a fingerprint, face or PIN)." }</p>
                <button class="btn btn-primary" type="button" id="use-passkey" onclick={use_passkey} disabled={props.busy}>
                    { "Use a passkey" }
                </button>
                <p class="muted">{ "Or enter a code from your authenticator app, or one of your recovery codes." }</p>
            } else {
                <p class="muted">{ "Enter the 6-digit code your authenticator app shows, or one of your recovery codes." }</p>
            }
            <form {onsubmit} class="form" id="code-form">
                <label for="factor-code">{ "Code" }</label>
                <input id="factor-code" name="code" autocomplete="one-time-code" required=true
                    value={(*code).clone()} oninput={bind(&code)} />
                <button class="btn btn-primary" type="submit" id="verify-code" disabled={props.busy}>
                    { if props.busy { "Checking…" } else { "Verify" } }
                </button>
            </form>
        </>
    }
}

/// Why a code was not accepted, as the server said (wrong, reused, spent),
/// or the general explanation for anything else.
fn code_refusal(e: &ApiError) -> String {
    match (e.code, e.field.as_deref()) {
        (ErrorCode::BadUserInput, Some(field)) => format!(
            "Not accepted: {}.",
            e.message.strip_prefix(&format!("{field}: ")).unwrap_or(&e.message)
        ),
        _ => e.explain(),
    }
}
