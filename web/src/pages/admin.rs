//! Administration: find, create, edit and delete accounts and change roles.
//! Receptionists see the same screens limited to registering patients.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{
    create_user, delete_user, set_user_role, update_user, user_by_id, CreateUser, DeleteUser,
    SetUserRole, UpdateUser, UserById,
};
use crate::api::{self, ApiError, Person, Role};
use crate::pages::people::PeoplePage;
use crate::routes::Route;
use crate::session::{can, use_api, use_session};
use crate::ui::{bind, bind_change, ErrorBox, Load, Loading};

#[function_component(AdminPage)]
pub fn admin_page() -> Html {
    let role = use_session().map(|s| s.role()).unwrap_or(Role::Patient);
    if !can::manage_users(role) {
        return html! { <section class="card"><h1>{ "Administration" }</h1><p>{ "Your role does not manage accounts." }</p></section> };
    }
    html! {
        <>
            <section class="card">
                <div class="card-head">
                    <div>
                        <h1>{ if role == Role::Receptionist { "Register patients" } else { "Administration" } }</h1>
                        <p class="muted">{ if role == Role::Receptionist {
                            "Register a new patient, or find one to update their details."
                        } else {
                            "Create accounts, edit details, change roles. Find an account below, open it, then edit."
                        } }</p>
                    </div>
                    <Link<Route> to={Route::NewUser} classes="btn btn-primary">
                        { if role == Role::Receptionist { "Register a patient" } else { "New account" } }
                    </Link<Route>>
                </div>
            </section>
            <PeoplePage />
        </>
    }
}

#[derive(Properties, PartialEq)]
pub struct FormProps {
    pub id: Option<String>,
}

#[function_component(UserFormPage)]
pub fn user_form_page(props: &FormProps) -> Html {
    let api = use_api();
    let load =
        use_state(|| if props.id.is_some() { Load::Loading } else { Load::Done(None::<Person>) });
    {
        let load = load.clone();
        use_effect_with(props.id.clone(), move |id| {
            if let Some(id) = id.clone() {
                wasm_bindgen_futures::spawn_local(async move {
                    load.set(match api.run::<UserById>(user_by_id::Variables { id }).await {
                        Ok(d) => match d.user.and_then(api::convert) {
                            Some(p) => Load::Done(Some(p)),
                            None => Load::Failed(ApiError {
                                code: "NOT_FOUND".into(),
                                message: "no such user".into(),
                                retry_after_seconds: None,
                                current_version: None,
                                field: None,
                            }),
                        },
                        Err(e) => Load::Failed(e),
                    })
                });
            }
        });
    }
    match &*load {
        Load::Idle | Load::Loading => html! { <section class="card"><Loading /></section> },
        Load::Failed(e) => html! { <section class="card"><ErrorBox error={e.clone()} /></section> },
        Load::Done(existing) => html! { <UserForm existing={existing.clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct UserFormProps {
    existing: Option<Person>,
}

#[function_component(UserForm)]
fn user_form(props: &UserFormProps) -> Html {
    let api = use_api();
    let navigator = use_navigator();
    let me = use_session().map(|s| s.role()).unwrap_or(Role::Patient);
    let roles = can::creatable_roles(me);
    let e = props.existing.clone();
    let username = use_state(|| e.as_ref().map(|p| p.username.clone()).unwrap_or_default());
    let password = use_state(String::new);
    let full_name = use_state(|| e.as_ref().map(|p| p.full_name.clone()).unwrap_or_default());
    let address = use_state(|| e.as_ref().and_then(|p| p.address.clone()).unwrap_or_default());
    let designation = use_state(|| e.as_ref().and_then(|p| p.position.clone()).unwrap_or_default());
    let department =
        use_state(|| e.as_ref().and_then(|p| p.department.clone()).unwrap_or_default());
    let role = use_state(|| {
        e.as_ref()
            .map(|p| p.role)
            .or(roles.last().copied())
            .unwrap_or(Role::Patient)
            .code()
            .to_owned()
    });
    let error = use_state(|| None::<ApiError>);
    let saved = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());

    let onsubmit = {
        let existing = e.clone();
        let (
            username,
            password,
            full_name,
            address,
            designation,
            department,
            role,
            error,
            saved,
            busy,
        ) = (
            username.clone(),
            password.clone(),
            full_name.clone(),
            address.clone(),
            designation.clone(),
            department.clone(),
            role.clone(),
            error.clone(),
            saved.clone(),
            busy.clone(),
        );
        let (api, navigator) = (api.clone(), navigator.clone());
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            busy.set(true);
            error.set(None);
            saved.set(None);
            let new_role = Role::parse(&role).unwrap_or(Role::Patient);
            let (api, error, saved, busy, navigator, existing) = (
                api.clone(),
                error.clone(),
                saved.clone(),
                busy.clone(),
                navigator.clone(),
                existing.clone(),
            );
            let (u, p, f, a, d) = (
                (*username).clone(),
                (*password).clone(),
                (*full_name).clone(),
                (*address).clone(),
                (*designation).clone(),
            );
            let dep = (*department).clone();
            wasm_bindgen_futures::spawn_local(async move {
                let result = match existing {
                    None => api
                        .run::<CreateUser>(create_user::Variables {
                            input: create_user::CreateUserInput {
                                username: u.trim().to_owned(),
                                password: p,
                                full_name: f.trim().to_owned(),
                                address: opt(&a),
                                designation: opt(&d),
                                department: opt(&dep),
                                role: new_role,
                            },
                        })
                        .await
                        .map(|d| d.create_user.id),
                    Some(old) => {
                        let update = api
                            .run::<UpdateUser>(update_user::Variables {
                                id: old.id.clone(),
                                input: update_user::UpdateUserInput {
                                    full_name: Some(f.trim().to_owned()),
                                    address: opt(&a),
                                    designation: opt(&d),
                                    department: opt(&dep),
                                },
                            })
                            .await
                            .map(|d| d.update_user.id);
                        match update {
                            Ok(id) if new_role != old.role => api
                                .run::<SetUserRole>(set_user_role::Variables { id, role: new_role })
                                .await
                                .map(|d| d.set_user_role.id),
                            other => other,
                        }
                    }
                };
                busy.set(false);
                match result {
                    Ok(id) => {
                        saved.set(Some("Saved.".into()));
                        if let Some(n) = navigator {
                            n.push(&Route::Person { id });
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    let on_delete = e.as_ref().map(|old| {
        let (id, api, error, navigator) =
            (old.id.clone(), api.clone(), error.clone(), navigator.clone());
        Callback::from(move |_| {
            let (id, api, error, navigator) =
                (id.clone(), api.clone(), error.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<DeleteUser>(delete_user::Variables { id }).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Admin)
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    });
    let editing = e.is_some();
    let role_editable = !editing || can::set_role(me);
    html! {
        <section class="card" aria-labelledby="user-form-title">
            <h1 id="user-form-title">{ match &e { Some(p) => format!("Edit {}", p.full_name), None if me == Role::Receptionist => "Register a patient".into(), None => "New account".into() } }</h1>
            if let Some(err) = &*error { <ErrorBox error={err.clone()} /> }
            if let Some(s) = &*saved { <div class="alert alert-info" role="status">{ s.clone() }</div> }
            <form class="form" {onsubmit} id="user-form">
                <label for="full-name">{ "Full name" }</label>
                <input id="full-name" required=true value={(*full_name).clone()} oninput={bind(&full_name)} autocomplete="off" />
                <label for="new-username">{ "Username" }</label>
                <input id="new-username" required=true value={(*username).clone()} oninput={bind(&username)} autocomplete="off"
                    readonly={editing} aria-describedby="username-help" />
                <p class="muted small" id="username-help">{ "3 to 64 characters: a–z, 0–9, dot, underscore, dash. Cannot be changed later." }</p>
                if !editing {
                    <label for="new-password">{ "Initial password" }</label>
                    <input id="new-password" type="password" required=true minlength="12" value={(*password).clone()} oninput={bind(&password)} autocomplete="new-password" />
                }
                if *role != Role::Patient.code() {
                    <label for="department">{ "Department" }</label>
                    <input id="department" value={(*department).clone()} oninput={bind(&department)} placeholder="Cardiology" />
                    <label for="designation">{ "Position" }</label>
                    <input id="designation" value={(*designation).clone()} oninput={bind(&designation)} placeholder="Attending Physician" />
                }
                <label for="address">{ "Address" }</label>
                <input id="address" value={(*address).clone()} oninput={bind(&address)} autocomplete="off" />
                if role_editable && !roles.is_empty() {
                    <label for="new-role">{ "Role" }</label>
                    <select id="new-role" onchange={bind_change(&role)}>
                        { for roles.iter().map(|r| html! { <option value={r.code()} selected={*role == r.code()}>{ r.label() }</option> }) }
                    </select>
                }
                <div class="actions">
                    <button class="btn btn-primary" type="submit" id="save-user" disabled={*busy}>{ if editing { "Save changes" } else { "Create account" } }</button>
                    if let (Some(cb), true) = (on_delete, can::delete_user(me)) {
                        <button class="btn btn-danger" type="button" id="delete-user" onclick={cb}>{ "Delete account" }</button>
                    }
                </div>
            </form>
        </section>
    }
}
