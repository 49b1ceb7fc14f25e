//! A patient's restrictions: staff members or whole departments refused
//! their records even on their care team (only break-the-glass overrides
//! one, and the patient sees every such access). Patients may not search
//! the staff directory (the contract gives them no USER_RECORD SEARCH), so
//! the staff offered are the ones they know of: their care team and
//! everyone their access report names; a name narrows the list.

use yew::prelude::*;

use crate::api::ops::{
    audit_trail, care_team, departments, lift_restriction, my_restrictions, restrict_access,
    AccessResource, AuditTrail, CareTeam, Departments, LiftRestriction, MyRestrictions,
    RestrictAccess,
};
use crate::api::{self, ApiError, Event, Person, Role};
use crate::hooks::use_query;
use crate::pages::audit::audit_filter;
use crate::pages::care_team::person_cell;
use crate::session::{can, use_api, use_session};
use crate::ui::{bind, bind_change, when, Empty, ErrorBox, Load, Loading, Outcome};

#[derive(Clone, PartialEq)]
struct Restriction {
    person: Option<Person>,
    department: Option<String>,
    since: String,
}

/// Whom a restriction names, as `restrictAccess` and `liftRestriction` take it.
#[derive(Clone, PartialEq)]
enum Whom {
    Staff(Person),
    Department(String),
}

impl Whom {
    fn describe(&self) -> String {
        match self {
            Whom::Staff(p) => p.full_name.clone(),
            Whom::Department(d) => format!("the {d} department"),
        }
    }
}

/// A staff member the patient knows of, and how.
#[derive(Clone, PartialEq)]
struct Known {
    person: Person,
    how: &'static str,
}

fn restrictions(d: my_restrictions::ResponseData) -> Vec<Restriction> {
    d.my_restrictions
        .into_iter()
        .map(|r| Restriction {
            person: r.person.and_then(api::convert),
            department: r.department,
            since: r.since,
        })
        .collect()
}

/// The patient's health-record events of late: who opened (or tried) them
/// (a patient's trail is about them alone, whatever the filter).
fn record_events() -> audit_trail::Variables {
    audit_trail::Variables {
        filter: Some(audit_trail::AuditFilter {
            resource: Some(AccessResource::HealthRecord),
            ..audit_filter()
        }),
        first: Some(100),
        after: None,
    }
}

#[function_component(RestrictionsPage)]
pub fn restrictions_page() -> Html {
    let api = use_api();
    let session = use_session();
    let me = session.as_ref().map(|s| s.user.id.clone()).unwrap_or_default();
    let mine = session.as_ref().is_some_and(|s| can::restrict_own_records(s.role()));
    let current =
        use_query::<MyRestrictions, _, _>(mine.then_some(my_restrictions::Variables), restrictions);
    let team = use_query::<CareTeam, _, _>(
        mine.then(|| care_team::Variables { patient_id: me.clone() }),
        |d| {
            d.care_team
                .members
                .into_iter()
                .filter_map(|m| api::convert(m.person))
                .collect::<Vec<Person>>()
        },
    );
    let accessed = use_query::<AuditTrail, _, _>(mine.then(record_events), |d| {
        d.audit_events
            .edges
            .into_iter()
            .filter_map(|e| api::convert::<_, Event>(e.node)?.actor)
            .collect::<Vec<Person>>()
    });
    let names =
        use_query::<Departments, _, _>(mine.then_some(departments::Variables), |d| d.departments);
    let outcome = use_state(|| None::<Result<String, ApiError>>);
    let change = {
        let (current, outcome) = (current.clone(), outcome.clone());
        Callback::from(move |(whom, restrict): (Whom, bool)| {
            let (user_id, department) = match &whom {
                Whom::Staff(p) => (Some(p.id.clone()), None),
                Whom::Department(d) => (None, Some(d.clone())),
            };
            let (api, current, outcome) = (api.clone(), current.clone(), outcome.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let done = if restrict {
                    let vars = restrict_access::Variables { user_id, department };
                    api.run::<RestrictAccess>(vars).await.map(|d| match d.restrict_access {
                        true => format!("Restricted: {}.", whom.describe()),
                        false => format!("Restricted already: {}.", whom.describe()),
                    })
                } else {
                    let vars = lift_restriction::Variables { user_id, department };
                    api.run::<LiftRestriction>(vars)
                        .await
                        .map(|_| format!("Lifted the restriction on {}.", whom.describe()))
                };
                if done.is_ok() {
                    current.reload();
                }
                outcome.set(Some(done));
            });
        })
    };
    if !mine {
        return html! { <section class="card"><h1>{ "Restrictions" }</h1><p>{ "Only patients restrict who may see their records." }</p></section> };
    }
    // What is restricted already is not offered again.
    let in_force = match &*current {
        Load::Done(list) => list.clone(),
        _ => vec![],
    };
    let restricted_staff =
        |id: &str| in_force.iter().any(|r| r.person.as_ref().is_some_and(|p| p.id == id));
    // Everyone the patient knows of, once each, care team first.
    let mut known: Vec<Known> = vec![];
    let sources = [(&*team, "On your care team"), (&*accessed, "Opened or tried your records")];
    for (load, how) in sources {
        if let Load::Done(people) = load {
            for p in people {
                let staff = p.role.is_some_and(|r| r != Role::Patient);
                if staff && !restricted_staff(&p.id) && !known.iter().any(|k| k.person.id == p.id) {
                    known.push(Known { person: p.clone(), how });
                }
            }
        }
    }
    let list = match &*current {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(list) if list.is_empty() => {
            html! { <Empty>{ "You have restricted no one: everyone caring for you may see your records." }</Empty> }
        }
        Load::Done(list) => html! {
            <div class="table-wrap">
                <table class="table" id="restrictions">
                    <thead><tr><th>{ "Who" }</th><th>{ "Since" }</th><th><span class="sr-only">{ "Lift" }</span></th></tr></thead>
                    <tbody>
                        { for list.iter().filter_map(|r| {
                            let whom = match (&r.person, &r.department) {
                                (Some(p), _) => Whom::Staff(p.clone()),
                                (None, Some(d)) => Whom::Department(d.clone()),
                                (None, None) => return None,
                            };
                            let label = format!("Lift the restriction on {}", whom.describe());
                            let cell = match &whom {
                                Whom::Staff(p) => person_cell(p),
                                Whom::Department(d) => html! { <>{ format!("{d} department") }<div class="muted small">{ "Everyone working there" }</div></> },
                            };
                            Some(html! {
                                <tr>
                                    <td>{ cell }</td>
                                    <td class="nowrap">{ when(&r.since) }</td>
                                    <td><button class="btn lift" type="button" aria-label={label}
                                        onclick={change.reform(move |_| (whom.clone(), false))}>{ "Lift" }</button></td>
                                </tr>
                            })
                        }) }
                    </tbody>
                </table>
            </div>
        },
    };
    let departments = match &*names {
        Load::Done(n) => n
            .iter()
            .filter(|d| !in_force.iter().any(|r| r.department.as_ref() == Some(*d)))
            .cloned()
            .collect(),
        _ => vec![],
    };
    html! {
        <>
            <section class="card" aria-labelledby="restrictions-title">
                <h1 id="restrictions-title">{ "Who may not see my records" }</h1>
                <p class="muted">{ "A staff member you restrict, or everyone in a department you restrict, is refused your records even on your care team. They are not told why. Only break-the-glass overrides it, and every such access shows in “Who accessed my records”." }</p>
                <Outcome outcome={(*outcome).clone()} id="restriction-done" />
                { list }
            </section>
            <div class="two-col">
                <StaffPicker known={known} loading={matches!(*team, Load::Loading) || matches!(*accessed, Load::Loading)}
                    on_restrict={change.reform(|p: Person| (Whom::Staff(p), true))} />
                <DepartmentPicker {departments} on_restrict={change.reform(|d: String| (Whom::Department(d), true))} />
            </div>
        </>
    }
}

#[derive(Properties, PartialEq)]
struct StaffProps {
    known: Vec<Known>,
    loading: bool,
    on_restrict: Callback<Person>,
}

/// The staff the patient knows of, narrowed by name.
#[function_component(StaffPicker)]
fn staff_picker(props: &StaffProps) -> Html {
    let query = use_state(String::new);
    let q = query.trim().to_lowercase();
    let shown: Vec<&Known> =
        props.known.iter().filter(|k| k.person.full_name.to_lowercase().contains(&q)).collect();
    html! {
        <section class="card" aria-labelledby="restrict-staff-title">
            <h2 id="restrict-staff-title">{ "Restrict a staff member" }</h2>
            <p class="muted small">{ "The staff on your care team and everyone who opened or tried to open your records." }</p>
            <div class="field">
                <label for="restrict-query">{ "Name" }</label>
                <input id="restrict-query" type="search" autocomplete="off" value={(*query).clone()} oninput={bind(&query)} />
            </div>
            if props.loading {
                <Loading />
            } else if shown.is_empty() {
                <Empty>{ "No staff member you know of matches." }</Empty>
            } else {
                <ul class="rows" id="restrict-candidates">
                    { for shown.into_iter().map(|k| html! {
                        <li class="candidate" data-id={k.person.id.clone()}>
                            <span>{ person_cell(&k.person) }<span class="muted small">{ k.how }</span></span>
                            <button class="btn btn-danger restrict" type="button"
                                aria-label={format!("Restrict {}", k.person.full_name)}
                                onclick={props.on_restrict.reform({ let p = k.person.clone(); move |_| p.clone() })}>{ "Restrict" }</button>
                        </li>
                    }) }
                </ul>
            }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct DepartmentProps {
    departments: Vec<String>,
    on_restrict: Callback<String>,
}

#[function_component(DepartmentPicker)]
fn department_picker(props: &DepartmentProps) -> Html {
    let chosen = use_state(String::new);
    let onsubmit = {
        let (chosen, on_restrict) = (chosen.clone(), props.on_restrict.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if !chosen.is_empty() {
                on_restrict.emit((*chosen).clone());
                chosen.set(String::new());
            }
        })
    };
    html! {
        <section class="card" aria-labelledby="restrict-department-title">
            <h2 id="restrict-department-title">{ "Restrict a department" }</h2>
            <form class="form" {onsubmit} id="restrict-department-form">
                <label for="restrict-department">{ "Department" }</label>
                // Drawn anew when the list changes (a department restricted leaves it).
                <select id="restrict-department" key={props.departments.join("\n")} required=true onchange={bind_change(&chosen)}>
                    <option value="" selected={chosen.is_empty()}>{ "Choose a department" }</option>
                    { for props.departments.iter().map(|d| html! {
                        <option value={d.clone()} selected={*chosen == *d}>{ d.clone() }</option>
                    }) }
                </select>
                <button class="btn btn-danger" type="submit" id="restrict-department-submit">{ "Restrict the department" }</button>
            </form>
        </section>
    }
}
