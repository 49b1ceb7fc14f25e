//! Administration: find, create, edit and delete accounts and change roles
//! (root also gets the list of administrators). Receptionists see the same
//! screens limited to registering patients.

use yew::prelude::*;
use yew_router::prelude::*;

use std::rc::Rc;

use careledger_vocab::{limits, ErrorCode};

use crate::api::ops::{
    create_user, delete_user, reset_second_factor, set_user_role, update_user, user_by_id,
    CreateUser, DeleteUser, ResetSecondFactor, SetUserRole, UpdateUser, UserById,
};
use crate::api::{self, Account, ApiError, Role};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::pages::administrators::AdministratorsCard;
use crate::pages::people::PeoplePage;
use crate::routes::Route;
use crate::session::{can, use_api, use_session};
use crate::ui::{change_to, input_to, ErrorBox, Load, Loading};

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
            if can::list_administrators(role) {
                <AdministratorsCard />
            }
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
    let vars = props.id.clone().map(|id| user_by_id::Variables { id });
    let load = use_query::<UserById, _, _>(vars, |d| d.user.and_then(api::convert::<_, Account>));
    match &*load {
        Load::Loading => html! { <section class="card"><Loading /></section> },
        Load::Failed(e) => html! { <section class="card"><ErrorBox error={e.clone()} /></section> },
        Load::Done(None) => {
            let e = ApiError::local(ErrorCode::NotFound, "no such user");
            html! { <section class="card"><ErrorBox error={e} /></section> }
        }
        Load::Done(Some(p)) => html! { <UserForm existing={Some(p.clone())} /> },
        Load::Idle => html! { <UserForm existing={None::<Account>} /> },
    }
}

#[derive(Properties, PartialEq)]
struct UserFormProps {
    existing: Option<Account>,
}

/// The account form's fields and how saving went.
#[derive(Clone, PartialEq)]
struct UserFormState {
    username: String,
    password: String,
    full_name: String,
    address: String,
    designation: String,
    department: String,
    role: Role,
    error: Option<ApiError>,
    saved: Option<String>,
    busy: bool,
}

impl UserFormState {
    /// Filled from the account being edited, or blank with `role` chosen.
    fn new(existing: Option<&Account>, role: Role) -> Self {
        let text = |f: fn(&Account) -> Option<String>| existing.and_then(f).unwrap_or_default();
        Self {
            username: text(|p| Some(p.username.clone())),
            password: String::new(),
            full_name: text(|p| Some(p.full_name.clone())),
            address: text(|p| p.address.clone()),
            designation: text(|p| p.position.clone()),
            department: text(|p| p.department.clone()),
            role: existing.map(|p| p.role).unwrap_or(role),
            error: None,
            saved: None,
            busy: false,
        }
    }
}

enum UserFormAction {
    Username(String),
    Password(String),
    FullName(String),
    Address(String),
    Designation(String),
    Department(String),
    Role(Role),
    Saving,
    Saved,
    /// Something other than the form was done (a factor reset).
    Done(&'static str),
    Failed(ApiError),
}

impl Reducible for UserFormState {
    type Action = UserFormAction;
    fn reduce(self: Rc<Self>, action: UserFormAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            UserFormAction::Username(v) => next.username = v,
            UserFormAction::Password(v) => next.password = v,
            UserFormAction::FullName(v) => next.full_name = v,
            UserFormAction::Address(v) => next.address = v,
            UserFormAction::Designation(v) => next.designation = v,
            UserFormAction::Department(v) => next.department = v,
            UserFormAction::Role(r) => next.role = r,
            UserFormAction::Saving => {
                next.busy = true;
                next.error = None;
                next.saved = None;
            }
            UserFormAction::Saved => {
                next.busy = false;
                next.saved = Some("Saved.".into());
            }
            UserFormAction::Done(what) => {
                next.busy = false;
                next.error = None;
                next.saved = Some(what.into());
            }
            UserFormAction::Failed(e) => {
                next.busy = false;
                next.error = Some(e);
            }
        }
        Rc::new(next)
    }
}

#[function_component(UserForm)]
fn user_form(props: &UserFormProps) -> Html {
    let api = use_api();
    let navigator = use_navigator();
    let me = use_session().map(|s| s.role()).unwrap_or(Role::Patient);
    let roles = can::creatable_roles(me);
    let e = props.existing.clone();
    let form = {
        let (e, role) = (e.clone(), roles.last().copied().unwrap_or(Role::Patient));
        use_reducer(move || UserFormState::new(e.as_ref(), role))
    };
    let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());

    let onsubmit = {
        let existing = e.clone();
        let (form, api, navigator) = (form.clone(), api.clone(), navigator.clone());
        Callback::from(move |ev: SubmitEvent| {
            ev.prevent_default();
            form.dispatch(UserFormAction::Saving);
            let f = (*form).clone();
            let new_role = f.role;
            let (api, form, navigator, existing) =
                (api.clone(), form.dispatcher(), navigator.clone(), existing.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = match existing {
                    None => api
                        .run::<CreateUser>(create_user::Variables {
                            input: create_user::CreateUserInput {
                                username: f.username.trim().to_owned(),
                                password: f.password,
                                full_name: f.full_name.trim().to_owned(),
                                address: opt(&f.address),
                                designation: opt(&f.designation),
                                department: opt(&f.department),
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
                                    full_name: Some(f.full_name.trim().to_owned()),
                                    address: opt(&f.address),
                                    designation: opt(&f.designation),
                                    department: opt(&f.department),
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
                match result {
                    Ok(id) => {
                        form.dispatch(UserFormAction::Saved);
                        if let Some(n) = navigator {
                            n.push(&Route::Person { id });
                        }
                    }
                    Err(e) => form.dispatch(UserFormAction::Failed(e)),
                }
            });
        })
    };
    let on_delete = e.as_ref().map(|old| {
        let (id, api, form, navigator) =
            (old.id.clone(), api.clone(), form.dispatcher(), navigator.clone());
        Callback::from(move |_| {
            let (id, api, form, navigator) =
                (id.clone(), api.clone(), form.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<DeleteUser>(delete_user::Variables { id }).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Admin)
                        }
                    }
                    Err(e) => form.dispatch(UserFormAction::Failed(e)),
                }
            });
        })
    });
    let on_reset = e.as_ref().map(|old| {
        let (id, api, form) = (old.id.clone(), api.clone(), form.dispatcher());
        Callback::from(move |_| {
            let (id, api, form) = (id.clone(), api.clone(), form.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<ResetSecondFactor>(reset_second_factor::Variables { id }).await {
                    Ok(_) => form.dispatch(UserFormAction::Done(
                        "Second factor reset: their sessions ended, and they sign in with the password (then set up a new app if the policy requires one).",
                    )),
                    Err(e) => form.dispatch(UserFormAction::Failed(e)),
                }
            });
        })
    });
    let editing = e.is_some();
    let role_editable = !editing || can::set_role(me);
    let username_help = format!(
        "{} to {} characters: a–z, 0–9, dot, underscore, dash. Cannot be changed later.",
        limits::USERNAME_MIN_CHARS,
        limits::USERNAME_MAX_CHARS
    );
    html! {
        <section class="card" aria-labelledby="user-form-title">
            <h1 id="user-form-title">{ match &e { Some(p) => format!("Edit {}", p.full_name), None if me == Role::Receptionist => "Register a patient".into(), None => "New account".into() } }</h1>
            if let Some(err) = &form.error { <ErrorBox error={err.clone()} /> }
            if let Some(s) = &form.saved { <div class="alert alert-info" role="status" id="saved">{ s.clone() }</div> }
            <form class="form" {onsubmit} id="user-form">
                <label for="full-name">{ "Full name" }</label>
                <input id="full-name" required=true value={form.full_name.clone()} oninput={input_to(&form, UserFormAction::FullName)} autocomplete="off" />
                <label for="new-username">{ "Username" }</label>
                <input id="new-username" required=true value={form.username.clone()} oninput={input_to(&form, UserFormAction::Username)} autocomplete="off"
                    readonly={editing} aria-describedby="username-help" />
                <p class="muted small" id="username-help">{ username_help }</p>
                if !editing {
                    <label for="new-password">{ "Initial password" }</label>
                    <input id="new-password" type="password" required=true minlength={limits::PASSWORD_MIN_CHARS.to_string()} value={form.password.clone()} oninput={input_to(&form, UserFormAction::Password)} autocomplete="new-password" />
                }
                if form.role != Role::Patient {
                    <label for="department">{ "Department" }</label>
                    <input id="department" value={form.department.clone()} oninput={input_to(&form, UserFormAction::Department)} placeholder="Cardiology" />
                    <label for="designation">{ "Position" }</label>
                    <input id="designation" value={form.designation.clone()} oninput={input_to(&form, UserFormAction::Designation)} placeholder="Attending Physician" />
                }
                <label for="address">{ "Address" }</label>
                <input id="address" value={form.address.clone()} oninput={input_to(&form, UserFormAction::Address)} autocomplete="off" />
                if role_editable && !roles.is_empty() {
                    <label for="new-role">{ "Role" }</label>
                    <select id="new-role" onchange={change_to(&form, |v: String| v.parse().ok().map(UserFormAction::Role))}>
                        { for roles.iter().map(|r| html! { <option value={r.as_str()} selected={form.role == *r}>{ r.label() }</option> }) }
                    </select>
                }
                <div class="actions">
                    <button class="btn btn-primary" type="submit" id="save-user" disabled={form.busy}>{ if editing { "Save changes" } else { "Create account" } }</button>
                    if let (Some(cb), true) = (on_reset, can::set_role(me)) {
                        <button class="btn" type="button" id="reset-factor" onclick={cb}>{ "Reset second factor" }</button>
                    }
                    if let (Some(cb), true) = (on_delete, can::delete_user(me)) {
                        <button class="btn btn-danger" type="button" id="delete-user" onclick={cb}>{ "Delete account" }</button>
                    }
                </div>
            </form>
        </section>
    }
}
