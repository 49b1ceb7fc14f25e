//! Client-side routes and the role-aware navigation.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::Role;
use crate::pages;
use crate::session::can;

#[derive(Routable, Clone, PartialEq, Debug)]
pub enum Route {
    #[at("/")]
    Home,
    #[at("/people")]
    People,
    #[at("/people/:id")]
    Person { id: String },
    #[at("/patients")]
    Patients,
    #[at("/patients/:id")]
    PatientRecords { id: String },
    #[at("/patients/:id/new-record")]
    NewRecord { id: String },
    #[at("/records/:id")]
    Record { id: String },
    #[at("/records/:id/edit")]
    EditRecord { id: String },
    #[at("/admin")]
    Admin,
    #[at("/admin/new")]
    NewUser,
    #[at("/admin/users/:id")]
    EditUser { id: String },
    #[at("/audit")]
    Audit,
    #[at("/my-records")]
    MyRecords,
    #[at("/my-access")]
    MyAccess,
    #[at("/security")]
    Security,
    #[at("/reviews")]
    Reviews,
    #[at("/my-restrictions")]
    Restrictions,
    #[at("/matrix")]
    Matrix,
    #[not_found]
    #[at("/not-found")]
    NotFound,
}

pub fn render(route: Route) -> Html {
    match route {
        Route::Home => html! { <pages::home::HomePage /> },
        Route::People => html! { <pages::people::PeoplePage /> },
        Route::Person { id } => html! { <pages::person::PersonPage {id} /> },
        Route::Patients => html! { <pages::patients::PatientSearchPage /> },
        Route::PatientRecords { id } => html! { <pages::patients::PatientRecordsPage {id} /> },
        Route::NewRecord { id } => html! { <pages::record_form::NewRecordPage patient_id={id} /> },
        Route::Record { id } => html! { <pages::record::RecordPage {id} /> },
        Route::EditRecord { id } => html! { <pages::record_form::EditRecordPage {id} /> },
        Route::Admin => html! { <pages::admin::AdminPage /> },
        Route::NewUser => html! { <pages::admin::UserFormPage id={None::<String>} /> },
        Route::EditUser { id } => html! { <pages::admin::UserFormPage id={Some(id)} /> },
        Route::Audit => html! { <pages::audit::AuditPage /> },
        Route::MyRecords => html! { <pages::patients::MyRecordsPage /> },
        Route::MyAccess => html! { <pages::audit::MyAccessPage /> },
        Route::Security => html! { <pages::security::SecurityPage /> },
        Route::Reviews => html! { <pages::reviews::ReviewsPage /> },
        Route::Restrictions => html! { <pages::restrictions::RestrictionsPage /> },
        Route::Matrix => html! { <pages::matrix::MatrixPage /> },
        Route::NotFound => html! {
            <section class="card"><h1>{ "Page not found" }</h1><p>{ "There is nothing at this address." }</p></section>
        },
    }
}

/// The sections a role can use.
pub fn sections(role: Role) -> Vec<(Route, &'static str)> {
    let mut out = vec![(Route::Home, "Home")];
    if can::search_people(role) {
        out.push((Route::People, "People"));
    }
    if can::read_records(role) {
        out.push((Route::Patients, "Health records"));
    }
    if can::own_records(role) {
        out.push((Route::MyRecords, "My records"));
    }
    if can::own_access_trail(role) {
        out.push((Route::MyAccess, "Who accessed my records"));
    }
    if can::restrict_own_records(role) {
        out.push((Route::Restrictions, "Restrictions"));
    }
    if can::manage_users(role) {
        out.push((
            Route::Admin,
            if role == Role::Receptionist { "Register patients" } else { "Administration" },
        ));
    }
    if can::audit(role) {
        out.push((Route::Audit, "Audit"));
    }
    if can::review_break_glass(role) {
        out.push((Route::Reviews, "Break-the-glass reviews"));
    }
    if can::edit_permissions(role) {
        out.push((Route::Matrix, "Permission matrix"));
    }
    out.push((Route::Security, "Security"));
    out
}

#[derive(Properties, PartialEq)]
pub struct NavProps {
    pub role: Role,
}

#[function_component(Nav)]
pub fn nav(props: &NavProps) -> Html {
    let current = use_route::<Route>();
    html! {
        <nav class="nav" aria-label="Main">
            { for sections(props.role).into_iter().map(|(route, label)| {
                let active = current.as_ref() == Some(&route);
                html! {
                    <Link<Route> to={route} classes={classes!("nav-link", active.then_some("active"))}>{ label }</Link<Route>>
                }
            }) }
        </nav>
    }
}
