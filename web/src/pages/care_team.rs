//! A patient's care team and admission, on the patient's page: who treats
//! them (since, until, who added them) and the department they are admitted
//! to. Where the role may: add a doctor or nurse found by name (with an
//! optional end date), end a membership, admit (a department from the list,
//! or a new one) and discharge. Each load and change is decided by the
//! contract and recorded.

use careledger_vocab::ErrorCode;
use yew::prelude::*;

use crate::api::ops::{
    add_care_team_member, admit_patient, care_team, departments, discharge_patient,
    end_care_relationship, search_users, AddCareTeamMember, AdmitPatient, CareTeam, Departments,
    DischargePatient, EndCareRelationship, SearchUsers,
};
use crate::api::{self, ApiError, Person, Role};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::session::{can, use_api, use_session};
use crate::ui::{bind, bind_change, when, ErrorBox, Load, Loading, Outcome};

#[derive(Clone, PartialEq)]
struct Member {
    person: Person,
    since: String,
    until: Option<String>,
    added_by: Person,
}

#[derive(Clone, PartialEq)]
struct Admission {
    department: String,
    since: String,
    admitted_by: Person,
}

#[derive(Clone, PartialEq)]
struct Team {
    members: Vec<Member>,
    admission: Option<Admission>,
}

impl Team {
    fn of(d: care_team::ResponseData) -> Team {
        let person = |p| api::convert::<_, Person>(p);
        let members = d
            .care_team
            .members
            .into_iter()
            .filter_map(|m| {
                Some(Member {
                    person: person(m.person)?,
                    since: m.since,
                    until: m.until,
                    added_by: person(m.added_by)?,
                })
            })
            .collect();
        let admission = d.care_team.admission.and_then(|a| {
            Some(Admission {
                department: a.department,
                since: a.since,
                admitted_by: person(a.admitted_by)?,
            })
        });
        Team { members, admission }
    }
}

/// "Test Name" with "Doctor · Cardiology" beneath.
pub fn person_cell(p: &Person) -> Html {
    let about: Vec<String> = p
        .role
        .map(|r| r.label().to_owned())
        .into_iter()
        .chain(p.department.clone())
        .chain(p.position.clone())
        .collect();
    html! { <>{ p.full_name.clone() }<div class="muted small">{ about.join(" · ") }</div></> }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub patient_id: String,
}

#[function_component(CareTeamCard)]
pub fn care_team_card(props: &Props) -> Html {
    let api = use_api();
    let role = use_session().map(|s| s.role()).unwrap_or(Role::Patient);
    let vars = care_team::Variables { patient_id: props.patient_id.clone() };
    let team = use_query::<CareTeam, _, _>(Some(vars), Team::of);
    // The last change made here: what it did, or why it failed.
    let outcome = use_state(|| None::<Result<String, ApiError>>);
    let done = {
        let (team, outcome) = (team.clone(), outcome.clone());
        Callback::from(move |r: Result<String, ApiError>| {
            if r.is_ok() {
                team.reload();
            }
            outcome.set(Some(r));
        })
    };
    let end = {
        let (api, done, patient_id) = (api.clone(), done.clone(), props.patient_id.clone());
        Callback::from(move |p: Person| {
            let vars =
                end_care_relationship::Variables { patient_id: patient_id.clone(), user_id: p.id };
            let (api, done) = (api.clone(), done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = api.run::<EndCareRelationship>(vars).await;
                done.emit(r.map(|_| format!("{} is no longer on the care team.", p.full_name)));
            });
        })
    };
    let discharge = {
        let (api, done, patient_id) = (api.clone(), done.clone(), props.patient_id.clone());
        Callback::from(move |_| {
            let vars = discharge_patient::Variables { patient_id: patient_id.clone() };
            let (api, done) = (api.clone(), done.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = api.run::<DischargePatient>(vars).await;
                done.emit(r.map(|_| "The patient was discharged.".to_owned()));
            });
        })
    };
    let body = match &*team {
        Load::Idle | Load::Loading => html! { <Loading /> },
        // Reading the records under break-the-glass: the grant opens the
        // records, never the team (the refusal is on the page's receipts).
        Load::Failed(e) if e.code == ErrorCode::Forbidden => html! {
            <p class="empty" id="care-team-hidden">
                { "Only the patient's care team, the front desk and administrators see who is on it." }
            </p>
        },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(t) => html! {
            <>
                if t.members.is_empty() {
                    <p class="empty" id="care-team-empty">{ "No one is on this patient's care team." }</p>
                } else {
                    <div class="table-wrap">
                        <table class="table" id="care-team">
                            <thead><tr><th>{ "Clinician" }</th><th>{ "Since" }</th><th>{ "Until" }</th><th>{ "Added by" }</th>
                                if can::end_care_member(role) { <th><span class="sr-only">{ "End" }</span></th> }</tr></thead>
                            <tbody>
                                { for t.members.iter().map(|m| html! {
                                    <tr data-id={m.person.id.clone()}>
                                        <td>{ person_cell(&m.person) }</td>
                                        <td class="nowrap">{ when(&m.since) }</td>
                                        <td class="nowrap">{ m.until.as_deref().map_or_else(|| "until ended".to_owned(), when) }</td>
                                        <td>{ m.added_by.full_name.clone() }</td>
                                        if can::end_care_member(role) {
                                            <td><button class="btn btn-danger end-member" type="button"
                                                aria-label={format!("End {}'s care relationship", m.person.full_name)}
                                                onclick={end.reform({ let p = m.person.clone(); move |_| p.clone() })}>{ "End" }</button></td>
                                        }
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                }
                <h3 class="sub">{ "Admission" }</h3>
                { match &t.admission {
                    Some(a) => html! {
                        <div class="search-row">
                            <p id="admission">{ format!("Admitted to {} since {}, by {}.", a.department, when(&a.since), a.admitted_by.full_name) }</p>
                            if can::admit_patients(role) {
                                <button class="btn" type="button" id="discharge" onclick={discharge}>{ "Discharge" }</button>
                            }
                        </div>
                    },
                    None => html! { <p id="admission">{ "Not admitted to a department." }</p> },
                } }
                if can::admit_patients(role) {
                    <AdmitForm patient_id={props.patient_id.clone()} admitted={t.admission.is_some()} on_done={done.clone()} />
                }
                if can::add_care_member(role) {
                    <AddMember patient_id={props.patient_id.clone()} on_done={done.clone()} />
                }
            </>
        },
    };
    html! {
        <section class="card" aria-labelledby="care-team-title">
            <h2 id="care-team-title">{ "Care team" }</h2>
            <p class="muted small">{ "Clinicians on the care team, and those of the department the patient is admitted to, may open the patient's records." }</p>
            <Outcome outcome={(*outcome).clone()} id="care-done" />
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct FormProps {
    patient_id: String,
    on_done: Callback<Result<String, ApiError>>,
}

#[derive(Properties, PartialEq)]
struct AdmitProps {
    patient_id: String,
    /// Admitted now: the form moves the patient.
    admitted: bool,
    on_done: Callback<Result<String, ApiError>>,
}

/// Admit to a department (or move there): one from the list, or a new name.
#[function_component(AdmitForm)]
fn admit_form(props: &AdmitProps) -> Html {
    let api = use_api();
    let names = use_query::<Departments, _, _>(Some(departments::Variables), |d| d.departments);
    let department = use_state(String::new);
    let onsubmit = {
        let (department, names, patient_id, on_done) =
            (department.clone(), names.clone(), props.patient_id.clone(), props.on_done.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let name = department.trim().to_owned();
            let vars =
                admit_patient::Variables { patient_id: patient_id.clone(), department: name };
            let (api, on_done, department, names) =
                (api.clone(), on_done.clone(), department.clone(), names.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = api.run::<AdmitPatient>(vars).await;
                if r.is_ok() {
                    department.set(String::new());
                    // A new name is a new department: list it.
                    names.reload();
                }
                on_done.emit(r.map(|d| format!("Admitted to {}.", d.admit_patient.department)));
            });
        })
    };
    let options = match &*names {
        Load::Done(names) => names.clone(),
        _ => vec![],
    };
    html! {
        <form class="search-row" {onsubmit} id="admit-form">
            <div class="field grow">
                <label for="admit-department">{ if props.admitted { "Move to department" } else { "Admit to department" } }</label>
                <input id="admit-department" list="department-names" required=true autocomplete="off"
                    value={(*department).clone()} oninput={bind(&department)} aria-describedby="admit-help" />
                <datalist id="department-names">
                    { for options.iter().map(|n| html! { <option value={n.clone()} /> }) }
                </datalist>
            </div>
            <button class="btn" type="submit" id="admit">{ if props.admitted { "Move" } else { "Admit" } }</button>
            <p class="muted small" id="admit-help">{ "Pick a department from the list, or type the name of a new one." }</p>
        </form>
    }
}

/// Add a doctor or nurse, found by name, until an optional date.
#[function_component(AddMember)]
fn add_member(props: &FormProps) -> Html {
    let api = use_api();
    let role = use_state(|| Role::Doctor.as_str().to_owned());
    let name = use_state(String::new);
    let until = use_state(String::new);
    let found = use_state(|| Load::<Vec<Person>>::Idle);
    let onsubmit = {
        let (api, role, name, found) = (api.clone(), role.clone(), name.clone(), found.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            found.set(Load::Loading);
            // One role at a time: a search listing patients would record each.
            let vars = search_users::Variables {
                query: Some(name.trim().to_owned()).filter(|q| !q.is_empty()),
                role: role.parse().ok(),
                first: Some(10),
                after: None,
            };
            let (api, found) = (api.clone(), found.clone());
            wasm_bindgen_futures::spawn_local(async move {
                found.set(match api.run::<SearchUsers>(vars).await {
                    Ok(d) => Load::Done(
                        d.search_users
                            .edges
                            .into_iter()
                            .filter_map(|e| api::convert(e.node))
                            .collect(),
                    ),
                    Err(e) => Load::Failed(e),
                });
            });
        })
    };
    let add = {
        let (until, found) = (until.clone(), found.clone());
        let (patient_id, on_done) = (props.patient_id.clone(), props.on_done.clone());
        Callback::from(move |p: Person| {
            let vars = add_care_team_member::Variables {
                patient_id: patient_id.clone(),
                user_id: p.id.clone(),
                // The end of the chosen day, UTC.
                until: Some(until.trim().to_owned())
                    .filter(|d| !d.is_empty())
                    .map(|d| format!("{d}T23:59:59Z")),
            };
            let (api, on_done, found) = (api.clone(), on_done.clone(), found.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let r = api.run::<AddCareTeamMember>(vars).await;
                if r.is_ok() {
                    found.set(Load::Idle);
                }
                on_done.emit(r.map(|_| format!("{} is on the care team.", p.full_name)));
            });
        })
    };
    let results = match &*found {
        Load::Idle => html! {},
        Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(people) if people.is_empty() => {
            html! { <p class="empty">{ "No one matches this search." }</p> }
        }
        Load::Done(people) => html! {
            <ul class="rows" id="member-candidates">
                { for people.iter().map(|p| html! {
                    <li class="candidate" data-id={p.id.clone()}>
                        <span>{ person_cell(p) }</span>
                        <button class="btn btn-primary add-member" type="button"
                            aria-label={format!("Add {} to the care team", p.full_name)}
                            onclick={add.reform({ let p = p.clone(); move |_| p.clone() })}>{ "Add" }</button>
                    </li>
                }) }
            </ul>
        },
    };
    html! {
        <div class="add-member-form">
            <h3 class="sub">{ "Add to the care team" }</h3>
            <form class="search-row" {onsubmit} role="search" id="member-search">
                <div class="field">
                    <label for="member-role">{ "Role" }</label>
                    <select id="member-role" onchange={bind_change(&role)}>
                        { for [Role::Doctor, Role::Nurse].iter().map(|r| html! {
                            <option value={r.as_str()} selected={*role == r.as_str()}>{ r.label() }</option>
                        }) }
                    </select>
                </div>
                <div class="field grow">
                    <label for="member-name">{ "Name" }</label>
                    <input id="member-name" type="search" value={(*name).clone()} oninput={bind(&name)} autocomplete="off" />
                </div>
                <div class="field">
                    <label for="member-until">{ "Until (optional)" }</label>
                    <input id="member-until" type="date" value={(*until).clone()} oninput={bind(&until)} aria-describedby="until-help" />
                </div>
                <button class="btn" type="submit" id="find-member">{ "Find" }</button>
            </form>
            <p class="muted small" id="until-help">{ "With an end date the membership ends by itself at the end of that day (UTC); without one it lasts until someone ends it." }</p>
            { results }
        </div>
    }
}
