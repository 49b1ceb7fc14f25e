//! Second-factor pieces several screens share: enrolling an authenticator
//! app (QR code, secret, first code), the recovery codes shown once, and the
//! step-up form an account change asks for (a code, or a passkey when the
//! account has one).

use yew::prelude::*;

use crate::api::ops::{
    begin_passkey_verification, begin_totp_enrolment, confirm_totp_enrolment, security_status,
    step_up, step_up_with_passkey, BeginPasskeyVerification, BeginTotpEnrolment,
    ConfirmTotpEnrolment, SecurityStatus, StepUp, StepUpWithPasskey,
};
use crate::api::{self, Account, ApiError};
use crate::hooks::use_query;
use crate::session::{use_api, Api, Session};
use crate::ui::{bind, when, ErrorBox, Load, Loading};

/// The QR code (an SVG document from the api) as an image: a `data:` URI,
/// which the Content-Security-Policy allows for images.
fn qr_image(svg: &str) -> Html {
    let encoded = web_sys::window().and_then(|w| w.btoa(svg).ok()).unwrap_or_default();
    html! {
        <img id="totp-qr" class="qr" width="220" height="220"
            src={format!("data:image/svg+xml;base64,{encoded}")}
            alt="QR code to scan with your authenticator app" />
    }
}

/// What a confirmed enrolment gives: the recovery codes and, at login, the session.
#[derive(Clone, PartialEq)]
pub struct Enrolled {
    pub recovery_codes: Vec<String>,
    pub session: Option<Session>,
}

#[derive(Properties, PartialEq)]
pub struct EnrolProps {
    /// The login's challenge, when the policy makes the account enrol there.
    #[prop_or_default]
    pub challenge: Option<String>,
    pub on_done: Callback<Enrolled>,
}

/// Starts an enrolment when shown, then confirms it with the first code.
#[function_component(EnrolTotp)]
pub fn enrol_totp(props: &EnrolProps) -> Html {
    let api = use_api();
    let shown = use_state(|| None::<begin_totp_enrolment::BeginTotpEnrolmentBeginTotpEnrolment>);
    let error = use_state(|| None::<ApiError>);
    let code = use_state(String::new);
    let busy = use_state(|| false);
    {
        let (api, shown, error, challenge) =
            (api.clone(), shown.clone(), error.clone(), props.challenge.clone());
        use_effect_with((), move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let vars = begin_totp_enrolment::Variables { challenge };
                match api.run::<BeginTotpEnrolment>(vars).await {
                    Ok(d) => shown.set(Some(d.begin_totp_enrolment)),
                    Err(e) => error.set(Some(e)),
                }
            });
        });
    }
    let onsubmit = {
        let (api, error, code, busy) = (api.clone(), error.clone(), code.clone(), busy.clone());
        let (challenge, on_done) = (props.challenge.clone(), props.on_done.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            busy.set(true);
            let vars = confirm_totp_enrolment::Variables {
                code: (*code).clone(),
                challenge: challenge.clone(),
            };
            let (api, error, code, busy, on_done) =
                (api.clone(), error.clone(), code.clone(), busy.clone(), on_done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<ConfirmTotpEnrolment>(vars).await {
                    Ok(d) => {
                        let done = d.confirm_totp_enrolment;
                        let session = done.session.and_then(|s| {
                            api::convert::<_, Account>(s.user).map(|user| Session {
                                token: s.token,
                                user,
                                expires_at: s.expires_at,
                                session_ends_at: s.session_ends_at,
                            })
                        });
                        on_done.emit(Enrolled { recovery_codes: done.recovery_codes, session });
                    }
                    Err(e) => {
                        code.set(String::new());
                        error.set(Some(e));
                    }
                }
                busy.set(false);
            });
        })
    };
    html! {
        <div class="enrol" aria-labelledby="enrol-title">
            <h2 id="enrol-title">{ "Set up an authenticator app" }</h2>
            if let Some(e) = &*error { <ErrorBox error={e.clone()} /> }
            if let Some(s) = &*shown {
                <ol class="steps">
                    <li>{ "Scan this QR code with an authenticator app (FreeOTP, Aegis, Google Authenticator, 1Password, …)." }</li>
                    <li>{ "Or type this key into it: " }<code id="totp-secret">{ s.secret.clone() }</code></li>
                    <li>{ "Enter the 6-digit code the app shows." }</li>
                </ol>
                { qr_image(&s.qr_svg) }
                <form class="form" {onsubmit} id="enrol-form">
                    <label for="enrol-code">{ "Code from the app" }</label>
                    <input id="enrol-code" inputmode="numeric" autocomplete="one-time-code" required=true
                        value={(*code).clone()} oninput={bind(&code)} />
                    <button class="btn btn-primary" type="submit" id="confirm-enrol" disabled={*busy}>{ "Confirm" }</button>
                </form>
            } else if error.is_none() {
                <Loading />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct RecoveryProps {
    pub codes: Vec<String>,
}

/// The recovery codes, shown once.
#[function_component(RecoveryCodes)]
pub fn recovery_codes(props: &RecoveryProps) -> Html {
    html! {
        <div class="alert alert-info" role="status">
            <strong>{ "Your recovery codes" }</strong>
            <p class="small">{ "Each signs in once instead of a code from the app. Keep them somewhere safe: they are not shown again." }</p>
            <ol class="recovery" id="recovery-codes">
                { for props.codes.iter().map(|c| html! { <li><code>{ c.clone() }</code></li> }) }
            </ol>
        </div>
    }
}

/// Proves the factor with a passkey: a ceremony from the api, the browser's
/// assertion, the answer; returns until when the session counts as fresh.
async fn step_up_with_passkey(api: &Api) -> Result<String, ApiError> {
    let vars = begin_passkey_verification::Variables { challenge: None };
    let begun = api.run::<BeginPasskeyVerification>(vars).await?.begin_passkey_verification;
    let credential = crate::passkey::get(begun.options).await?;
    let vars = step_up_with_passkey::Variables { challenge: begun.challenge, credential };
    Ok(api.run::<StepUpWithPasskey>(vars).await?.step_up_with_passkey.fresh_until)
}

/// Asks for a code, or a passkey when the account has one, to prove the
/// second factor now (step-up); the change that asked can then be made
/// again within 5 minutes.
#[function_component(StepUpForm)]
pub fn step_up_form() -> Html {
    let api = use_api();
    let code = use_state(String::new);
    let outcome = use_state(|| None::<Result<String, ApiError>>);
    let mine = use_query::<SecurityStatus, _, _>(Some(security_status::Variables), |d| {
        (d.my_second_factor.totp_enrolled, !d.my_second_factor.passkeys.is_empty())
    });
    let (totp, passkey) = match &*mine {
        Load::Done(found) => *found,
        _ => (true, false),
    };
    let use_passkey = {
        let (api, outcome) = (api.clone(), outcome.clone());
        Callback::from(move |_| {
            let (api, outcome) = (api.clone(), outcome.clone());
            wasm_bindgen_futures::spawn_local(async move {
                outcome.set(Some(step_up_with_passkey(&api).await));
            });
        })
    };
    let onsubmit = {
        let (code, outcome) = (code.clone(), outcome.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let (api, code, outcome) = (api.clone(), code.clone(), outcome.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = api.run::<StepUp>(step_up::Variables { code: (*code).clone() }).await;
                code.set(String::new());
                outcome.set(Some(result.map(|d| d.step_up.fresh_until)));
            });
        })
    };
    html! {
        <form class="form step-up" {onsubmit} id="step-up-form">
            if passkey && crate::passkey::supported() {
                <button class="btn btn-primary" type="button" id="step-up-passkey" onclick={use_passkey}>{ "Use a passkey" }</button>
            }
            <label for="step-up-code">{ if !totp && passkey { "Or a recovery code" } else { "Code from your authenticator app (or a recovery code)" } }</label>
            <input id="step-up-code" autocomplete="one-time-code" required=true value={(*code).clone()} oninput={bind(&code)} />
            <button class="btn btn-primary" type="submit" id="step-up-confirm">{ "Confirm it's you" }</button>
            { match &*outcome {
                Some(Ok(until)) => html! { <p class="small" role="status" id="stepped-up">{ format!("Confirmed until {} UTC: try the change again.", when(until)) }</p> },
                Some(Err(e)) => html! { <ErrorBox error={e.clone()} /> },
                None => html! {},
            } }
        </form>
    }
}
