//! The Security page's passkeys: the list (name, added, last used), adding
//! one (the name, then the browser makes it) and removing one. Adding to an
//! account that has a factor, and removing, ask for a fresh factor first
//! (the error box offers it).

use yew::prelude::*;

use crate::api::ops::{
    begin_passkey_enrolment, confirm_passkey_enrolment, remove_passkey, security_status,
    BeginPasskeyEnrolment, ConfirmPasskeyEnrolment, RemovePasskey,
};
use crate::api::ApiError;
use crate::session::{use_api, Api};
use crate::ui::{bind, when, ErrorBox};

pub type Passkey = security_status::SecurityStatusMySecondFactorPasskeys;

/// Registers a passkey named `name`: a ceremony from the api, the browser
/// makes the credential, the api stores it; returns the recovery codes
/// (given with the account's first factor only).
async fn add(api: &Api, name: String) -> Result<Vec<String>, ApiError> {
    let vars = begin_passkey_enrolment::Variables { name };
    let begun = api.run::<BeginPasskeyEnrolment>(vars).await?.begin_passkey_enrolment;
    let credential = crate::passkey::create(begun.options).await?;
    let vars = confirm_passkey_enrolment::Variables { challenge: begun.challenge, credential };
    Ok(api.run::<ConfirmPasskeyEnrolment>(vars).await?.confirm_passkey_enrolment.recovery_codes)
}

#[derive(Properties, PartialEq)]
pub struct PasskeysProps {
    pub passkeys: Vec<Passkey>,
    /// A passkey was added (with the recovery codes it brought) or removed.
    pub on_change: Callback<Vec<String>>,
}

#[function_component(Passkeys)]
pub fn passkeys(props: &PasskeysProps) -> Html {
    let api = use_api();
    let name = use_state(String::new);
    let busy = use_state(|| false);
    let error = use_state(|| None::<ApiError>);
    let onsubmit = {
        let (api, name, busy, error) = (api.clone(), name.clone(), busy.clone(), error.clone());
        let on_change = props.on_change.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            busy.set(true);
            let (api, name, busy, error, on_change) =
                (api.clone(), name.clone(), busy.clone(), error.clone(), on_change.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match add(&api, (*name).clone()).await {
                    Ok(codes) => {
                        name.set(String::new());
                        error.set(None);
                        on_change.emit(codes);
                    }
                    Err(e) => error.set(Some(e)),
                }
                busy.set(false);
            });
        })
    };
    let remove = |id: String| {
        let (api, error, on_change) = (api.clone(), error.clone(), props.on_change.clone());
        Callback::from(move |_| {
            let (api, error, on_change, id) =
                (api.clone(), error.clone(), on_change.clone(), id.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<RemovePasskey>(remove_passkey::Variables { id }).await {
                    Ok(_) => {
                        error.set(None);
                        on_change.emit(vec![]);
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <section class="passkeys" aria-labelledby="passkeys-title">
            <h2 id="passkeys-title">{ "Passkeys" }</h2>
            <p class="muted small">{ "A passkey signs you in with this device's fingerprint, face or screen lock, or a security key: nothing to type, nothing to phish." }</p>
            if props.passkeys.is_empty() {
                <p id="no-passkeys">{ "No passkeys yet." }</p>
            } else {
                <ul class="passkey-list" id="passkeys">
                    { for props.passkeys.iter().map(|p| html! {
                        <li key={p.id.clone()}>
                            <strong class="passkey-name">{ p.name.clone() }</strong>
                            <span class="muted small">{ format!("added {} UTC, {}", when(&p.created_at), match &p.last_used_at {
                                Some(t) => format!("last used {} UTC", when(t)),
                                None => "not used yet".to_owned(),
                            }) }</span>
                            <button class="btn remove-passkey" aria-label={format!("Remove {}", p.name)}
                                onclick={remove(p.id.clone())}>{ "Remove" }</button>
                        </li>
                    }) }
                </ul>
            }
            if let Some(e) = &*error { <ErrorBox error={e.clone()} /> }
            if crate::passkey::supported() {
                <form class="form" {onsubmit} id="passkey-form">
                    <label for="passkey-name">{ "Name for a new passkey" }</label>
                    <input id="passkey-name" required=true maxlength="64" placeholder="Work laptop"
                        value={(*name).clone()} oninput={bind(&name)} />
                    <button class="btn btn-primary" type="submit" id="add-passkey" disabled={*busy}>
                        { if *busy { "Waiting for your device…" } else { "Add a passkey" } }
                    </button>
                </form>
            } else {
                <p class="muted small">{ "This browser does not offer passkeys here: open the app at its configured https address." }</p>
            }
        </section>
    }
}
