//! The signed-in start page: who you are and where to go.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api;
use crate::api::ops::{change_password, me, ChangePassword, Me};
use crate::api::ApiError;
use crate::hooks::use_query;
use crate::labels::Label;
use crate::pages::reviews::OpenReviews;
use crate::routes::{sections, Route};
use crate::session::{can, use_api, use_session};
use crate::status::SystemStatus;
use crate::ui::bind;
use crate::ui::{ErrorBox, Load, Loading};

fn blurb(route: &Route) -> &'static str {
    match route {
        Route::People => "Find staff and patients by name.",
        Route::Patients => "Open a patient's health records by their patient ID.",
        Route::MyRecords => "Your own health records and their history.",
        Route::MyAccess => "Every access to your records, as recorded on chain.",
        Route::Admin => "Create, edit and remove accounts.",
        Route::Audit => "The live feed of accesses and the searchable trail.",
        Route::Security => "A second factor: an authenticator app and recovery codes.",
        Route::Reviews => "Decide whether each break-the-glass access was justified.",
        Route::Restrictions => "Staff or departments who may not see your records.",
        Route::Matrix => "What each role may do, as the contract decides it; change a cell.",
        _ => "",
    }
}

#[function_component(HomePage)]
pub fn home_page() -> Html {
    let Some(session) = use_session() else { return html! {} };
    let user = &session.user;
    html! {
        <>
            <section class="card" aria-labelledby="welcome">
                <h1 id="welcome">{ format!("Welcome, {}", user.full_name) }</h1>
                <p class="muted" id="welcome-role">
                    { session.role().label() }
                    { user.designation.as_ref().map(|d| format!(" · {d}")).unwrap_or_default() }
                </p>
                <ul class="tiles">
                    { for sections(session.role()).into_iter().skip(1).map(|(route, label)| html! {
                        <li><Link<Route> to={route.clone()} classes="tile">
                            <strong>{ label }</strong><span>{ blurb(&route) }</span>
                        </Link<Route>></li>
                    }) }
                </ul>
            </section>
            if can::review_break_glass(session.role()) {
                <OpenReviews />
            }
            <div class="two-col">
                <Account />
                <SystemStatus />
            </div>
            <PasswordCard />
        </>
    }
}

/// The signed-in account as stored now (a READ of oneself, so audited).
#[function_component(Account)]
fn account() -> Html {
    let load =
        use_query::<Me, _, _>(Some(me::Variables), |d| api::convert::<_, api::Account>(d.me));
    let body = match &*load {
        Load::Idle | Load::Loading | Load::Done(None) => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(Some(p)) => html! {
            <dl class="facts" id="account">
                <dt>{ "Username" }</dt><dd>{ format!("@{}", p.username) }</dd>
                <dt>{ "Role" }</dt><dd>{ p.role.label() }</dd>
                <dt>{ "Department" }</dt><dd>{ p.department.clone().unwrap_or_else(|| "—".into()) }</dd>
                <dt>{ if p.role == api::Role::Patient { "Patient ID" } else { "Account ID" } }</dt><dd><code>{ p.id.clone() }</code></dd>
                <dt>{ "System ID" }</dt><dd><code class="hash">{ p.system_id.clone().unwrap_or_else(|| "—".into()) }</code></dd>
            </dl>
        },
    };
    html! {
        <section class="card" aria-labelledby="account-title">
            <h2 id="account-title">{ "Your account" }</h2>
            { body }
        </section>
    }
}

/// Changing one's own password.
#[function_component(PasswordCard)]
fn password_card() -> Html {
    let api = use_api();
    let current = use_state(String::new);
    let new = use_state(String::new);
    let outcome = use_state(|| None::<Result<(), ApiError>>);
    let onsubmit = {
        let (current, new, outcome) = (current.clone(), new.clone(), outcome.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let vars =
                change_password::Variables { current: (*current).clone(), new: (*new).clone() };
            let (api, outcome, current, new) =
                (api.clone(), outcome.clone(), current.clone(), new.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = api.run::<ChangePassword>(vars).await.map(|_| ());
                if r.is_ok() {
                    current.set(String::new());
                    new.set(String::new());
                }
                outcome.set(Some(r));
            });
        })
    };
    html! {
        <details class="card">
            <summary><h2 class="inline">{ "Change your password" }</h2></summary>
            <form class="form" {onsubmit} id="password-form">
                if let Some(r) = &*outcome {
                    { match r {
                        Ok(()) => html! { <div class="alert alert-info" role="status">{ "Your password was changed." }</div> },
                        Err(e) => html! { <ErrorBox error={e.clone()} /> },
                    } }
                }
                <label for="current-password">{ "Current password" }</label>
                <input id="current-password" type="password" autocomplete="current-password" required=true value={(*current).clone()} oninput={bind(&current)} />
                <label for="new-password-self">{ "New password" }</label>
                <input id="new-password-self" type="password" autocomplete="new-password" required=true minlength="12" value={(*new).clone()} oninput={bind(&new)} />
                <button class="btn btn-primary" type="submit">{ "Change password" }</button>
            </form>
        </details>
    }
}
