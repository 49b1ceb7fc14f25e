//! What a clinician sees when the contract refused them a patient's records
//! for want of a care relationship: a clear page saying so, and the
//! break-the-glass form — a reason, a justification (10 to 2,000
//! characters), the password again, and a fresh second factor when the
//! account has one (the step-up form appears with the refusal). The grant's
//! end goes back to the records page, which then loads.

use std::rc::Rc;

use yew::prelude::*;

use crate::api::ops::{break_glass, user_by_id, BreakGlass, UserById};
use crate::api::{enum_code, enum_of, ApiError, GlassReason};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::session::{can, use_api, use_session};
use crate::ui::{change_to, input_to, ErrorBox, Load};

/// A justification's length, in characters (the api's rule).
const JUSTIFICATION_MIN: usize = 10;
const JUSTIFICATION_MAX: usize = 2000;

#[derive(Clone, PartialEq, Default)]
struct GlassForm {
    reason: Option<GlassReason>,
    justification: String,
    password: String,
    busy: bool,
    error: Option<ApiError>,
}

enum GlassAction {
    Reason(Option<GlassReason>),
    Justification(String),
    Password(String),
    Sending,
    Failed(ApiError),
}

impl Reducible for GlassForm {
    type Action = GlassAction;
    fn reduce(self: Rc<Self>, action: GlassAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            GlassAction::Reason(r) => next.reason = r,
            GlassAction::Justification(j) => next.justification = j,
            GlassAction::Password(p) => next.password = p,
            GlassAction::Sending => {
                next.busy = true;
                next.error = None;
            }
            GlassAction::Failed(e) => {
                // A wrong password is typed again; after a step-up the same
                // request is simply sent again.
                if e.field.as_deref() == Some("password") {
                    next.password.clear();
                }
                next.busy = false;
                next.error = Some(e);
            }
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub patient_id: String,
    /// The grant's end (RFC 3339), once the contract granted it.
    pub on_granted: Callback<String>,
}

#[function_component(NotOnCareTeam)]
pub fn not_on_care_team(props: &Props) -> Html {
    let api = use_api();
    let role = use_session().map(|s| s.role());
    // Who the patient is, so the clinician breaks the glass on the right one.
    let vars = user_by_id::Variables { id: props.patient_id.clone() };
    let patient = use_query::<UserById, _, _>(Some(vars), |d| d.user.map(|u| u.full_name));
    let form = use_reducer(GlassForm::default);
    let onsubmit = {
        let (form, patient_id, on_granted) =
            (form.clone(), props.patient_id.clone(), props.on_granted.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(reason) = form.reason else { return };
            form.dispatch(GlassAction::Sending);
            let vars = break_glass::Variables {
                patient_id: patient_id.clone(),
                reason,
                justification: form.justification.trim().to_owned(),
                password: form.password.clone(),
            };
            let (api, form, on_granted) = (api.clone(), form.dispatcher(), on_granted.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<BreakGlass>(vars).await {
                    Ok(d) => on_granted.emit(d.break_glass.expires_at),
                    Err(e) => form.dispatch(GlassAction::Failed(e)),
                }
            });
        })
    };
    let typed = form.justification.trim().chars().count();
    let name = match &*patient {
        Load::Done(Some(name)) => name.clone(),
        _ => "this patient".to_owned(),
    };
    html! {
        <section class="card" aria-labelledby="no-care-title">
            <p class="eyebrow">{ "Health records" }</p>
            <h1 id="no-care-title">{ "You are not on this patient's care team" }</h1>
            <p id="no-care-text">{ format!(
                "The contract refused you {name}'s records, and the refusal is on the audit trail. Clinicians on the patient's care team, \
                 or in the department the patient is admitted to, may open them: ask a colleague on the team to add you."
            ) }</p>
            <p class="muted small">{ "Patient ID " }<code>{ props.patient_id.clone() }</code></p>
            if role.is_some_and(can::break_glass) {
                <form class="form glass" onsubmit={onsubmit} id="break-glass-form" aria-labelledby="glass-title" aria-describedby="glass-help">
                    <h2 id="glass-title">{ "Break the glass" }</h2>
                    <p class="small" id="glass-help">{ "In an emergency you may open the records for a limited time. Every access is marked as an emergency access on chain, the patient sees it, and an auditor reviews why you did it." }</p>
                    if let Some(e) = &form.error { <ErrorBox error={e.clone()} /> }
                    <label for="glass-reason">{ "Reason" }</label>
                    <select id="glass-reason" required=true onchange={change_to(&form, |v: String| Some(GlassAction::Reason(enum_of(&v))))}>
                        <option value="" selected={form.reason.is_none()}>{ "Choose a reason" }</option>
                        { for GlassReason::ALL.iter().map(|r| html! {
                            <option value={enum_code(*r)} selected={form.reason == Some(*r)}>{ r.label() }</option>
                        }) }
                    </select>
                    <label for="glass-justification">{ "Justification" }</label>
                    <textarea id="glass-justification" rows="4" required=true
                        minlength={JUSTIFICATION_MIN.to_string()} maxlength={JUSTIFICATION_MAX.to_string()}
                        value={form.justification.clone()} oninput={input_to(&form, GlassAction::Justification)}
                        aria-describedby="glass-count" />
                    <p class="muted small" id="glass-count" aria-live="polite">{ format!(
                        "{typed} of {JUSTIFICATION_MAX} characters (at least {JUSTIFICATION_MIN}). It stays in the hospital's database; only its salted hash goes on chain."
                    ) }</p>
                    <label for="glass-password">{ "Your password" }</label>
                    <input id="glass-password" type="password" required=true autocomplete="current-password"
                        value={form.password.clone()} oninput={input_to(&form, GlassAction::Password)} />
                    <button class="btn btn-danger" type="submit" id="break-glass" disabled={form.busy}>{ "Break the glass" }</button>
                </form>
            }
        </section>
    }
}
