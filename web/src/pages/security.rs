//! Security: the signed-in user's second factor — set up an authenticator
//! app (QR code, then a code), add and remove passkeys, see how many
//! recovery codes are left, renew them — and, for root, the policy
//! requiring a factor of every staff account.

use yew::prelude::*;

use crate::api::ops::{
    renew_recovery_codes, security_status, set_factor_policy, RenewRecoveryCodes, SecurityStatus,
    SetFactorPolicy,
};
use crate::api::{ApiError, Role};
use crate::factor::{EnrolTotp, Enrolled, RecoveryCodes};
use crate::hooks::use_query;
use crate::pages::passkeys::Passkeys;
use crate::session::{use_api, use_session};
use crate::ui::{when, ErrorBox, Load, Loading};

#[function_component(SecurityPage)]
pub fn security_page() -> Html {
    let api = use_api();
    let role = use_session().map(|s| s.role()).unwrap_or(Role::Patient);
    let status = use_query::<SecurityStatus, _, _>(Some(security_status::Variables), |d| d);
    let enrolling = use_state(|| false);
    let codes = use_state(|| None::<Vec<String>>);
    let error = use_state(|| None::<ApiError>);
    let on_enrolled = {
        let (enrolling, codes, status) = (enrolling.clone(), codes.clone(), status.clone());
        Callback::from(move |done: Enrolled| {
            enrolling.set(false);
            // The account's first factor brings recovery codes; a later one keeps them.
            if !done.recovery_codes.is_empty() {
                codes.set(Some(done.recovery_codes));
            }
            status.reload();
        })
    };
    let on_passkeys = {
        let (codes, status) = (codes.clone(), status.clone());
        Callback::from(move |given: Vec<String>| {
            if !given.is_empty() {
                codes.set(Some(given));
            }
            status.reload();
        })
    };
    let renew = {
        let (api, codes, error, status) =
            (api.clone(), codes.clone(), error.clone(), status.clone());
        Callback::from(move |_| {
            let (api, codes, error, status) =
                (api.clone(), codes.clone(), error.clone(), status.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<RenewRecoveryCodes>(renew_recovery_codes::Variables).await {
                    Ok(d) => {
                        error.set(None);
                        codes.set(Some(d.renew_recovery_codes));
                        status.reload();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let set_policy = |required: bool| {
        let (api, error, status) = (api.clone(), error.clone(), status.clone());
        Callback::from(move |_| {
            let (api, error, status) = (api.clone(), error.clone(), status.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let vars = set_factor_policy::Variables { staff_required: required };
                match api.run::<SetFactorPolicy>(vars).await {
                    Ok(_) => {
                        error.set(None);
                        status.reload();
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let body = match &*status {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(d) => {
            let mine = &d.my_second_factor;
            let policy = &d.factor_policy;
            html! {
                <>
                    <dl class="facts" id="factor-status">
                        <dt>{ "Authenticator app" }</dt>
                        <dd>{ if mine.totp_enrolled { html! { <span class="badge badge-ok">{ "Set up" }</span> } } else { html! { <span class="badge">{ "Not set up" }</span> } } }</dd>
                        <dt>{ "Recovery codes left" }</dt>
                        <dd id="recovery-left">{ mine.recovery_codes_left }</dd>
                        <dt>{ "Required for your role" }</dt>
                        <dd>{ if mine.required { "Yes (the policy requires it of staff)" } else { "No" } }</dd>
                        if let Some(until) = &mine.fresh_until {
                            <dt>{ "Confirmed for account changes until" }</dt>
                            <dd>{ format!("{} UTC", when(until)) }</dd>
                        }
                    </dl>
                    if let Some(c) = &*codes { <RecoveryCodes codes={c.clone()} /> }
                    if let Some(e) = &*error { <ErrorBox error={e.clone()} /> }
                    if !mine.totp_enrolled && !*enrolling {
                        <button class="btn btn-primary" id="start-enrol" onclick={let e = enrolling.clone(); Callback::from(move |_| e.set(true))}>{ "Set up an authenticator app" }</button>
                    }
                    if *enrolling { <EnrolTotp on_done={on_enrolled.clone()} /> }
                    <Passkeys passkeys={mine.passkeys.clone()} on_change={on_passkeys} />
                    if mine.totp_enrolled || !mine.passkeys.is_empty() {
                        <div class="actions">
                            <button class="btn" id="renew-recovery" onclick={renew}>{ "Renew recovery codes" }</button>
                        </div>
                    }
                    if role == Role::Root {
                        <section class="policy" aria-labelledby="policy-title">
                            <h2 id="policy-title">{ "Policy" }</h2>
                            <p id="policy-state">{ if policy.staff_required {
                                "Every staff account must have a second factor; staff without one set it up at their next sign-in. Patients may choose to."
                            } else {
                                "A second factor is optional for everyone."
                            } }</p>
                            <p class="muted small">{ format!("Last changed {} UTC.", when(&policy.set_at)) }</p>
                            if policy.staff_required {
                                <button class="btn" id="policy-off" onclick={set_policy(false)}>{ "Make it optional" }</button>
                            } else {
                                <button class="btn btn-primary" id="policy-on" onclick={set_policy(true)}>{ "Require it of all staff" }</button>
                            }
                        </section>
                    }
                </>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="security-title">
            <h1 id="security-title">{ "Security" }</h1>
            <p class="muted">{ "A second factor: a code from an app on your phone, or a passkey, asked at sign-in and before account, role and permission changes." }</p>
            { body }
        </section>
    }
}
