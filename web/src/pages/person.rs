//! A person's page: their details, for those allowed to see them; for a
//! patient, their care team and admission to staff who manage them but do
//! not open records (the front desk, administrators: clinicians see it with
//! the records).

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{user_by_id, UserById};
use crate::api::{self, Account, Role};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::pages::care_team::CareTeamCard;
use crate::routes::Route;
use crate::session::{can, use_session};
use crate::ui::{ErrorBox, Load, Loading};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

#[function_component(PersonPage)]
pub fn person_page(props: &Props) -> Html {
    let me = use_session().map(|s| s.role());
    let load =
        use_query::<UserById, _, _>(Some(user_by_id::Variables { id: props.id.clone() }), |d| {
            d.user.and_then(api::convert::<_, Account>)
        });
    let body = match &*load {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(None) => html! { <p class="empty">{ "No such person." }</p> },
        Load::Done(Some(p)) => {
            let row = |label: &str, value: Option<String>| {
                html! {
                    <><dt>{ label.to_owned() }</dt><dd>{ value.unwrap_or_else(|| "—".into()) }</dd></>
                }
            };
            let role = me.unwrap_or(Role::Patient);
            let may_edit =
                can::manage_users(role) && (role != Role::Receptionist || p.role == Role::Patient);
            html! {
                <>
                    <h1 id="person-name">{ p.full_name.clone() }</h1>
                    <p><span class="badge" data-role={p.role.as_str()}>{ p.role.label() }</span></p>
                    <dl class="facts" id="person-facts">
                        { row("Username", Some(format!("@{}", p.username))) }
                        { row("Designation", p.designation.clone()) }
                        { row("Department", p.department.clone()) }
                        { row("Position", p.position.clone()) }
                        { row("Address", p.address.clone()) }
                        { row(if p.role == Role::Patient { "Patient ID" } else { "Account ID" }, Some(p.id.clone())) }
                        <dt>{ "System ID" }</dt><dd><code class="hash">{ p.system_id.clone().unwrap_or_else(|| "—".into()) }</code></dd>
                    </dl>
                    <div class="actions">
                        if p.role == Role::Patient && can::read_records(role) {
                            <Link<Route> to={Route::PatientRecords { id: p.id.clone() }} classes="btn btn-primary">{ "Health records" }</Link<Route>>
                        }
                        if may_edit {
                            <Link<Route> to={Route::EditUser { id: p.id.clone() }} classes="btn">{ "Edit account" }</Link<Route>>
                        }
                    </div>
                </>
            }
        }
    };
    let care_team = match (&*load, me) {
        (Load::Done(Some(p)), Some(r)) if p.role == Role::Patient => {
            (can::read_care_team(r) && !can::read_records(r)).then(|| p.id.clone())
        }
        _ => None,
    };
    html! {
        <>
            <section class="card">{ body }</section>
            if let Some(patient_id) = care_team {
                <CareTeamCard {patient_id} />
            }
        </>
    }
}
