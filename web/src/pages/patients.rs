//! Health records are found only by patient ID: the search box, the
//! patient's records grouped by type with their care team, and a patient's
//! own records. A clinician the contract refused for want of a care
//! relationship is told so and offered break-the-glass.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{patient_records, PatientRecords};
use crate::api::{self, Record, RecordType};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::pages::break_glass::NotOnCareTeam;
use crate::pages::care_team::CareTeamCard;
use crate::routes::Route;
use crate::session::{can, use_session};
use crate::ui::{bind, when, Empty, ErrorBox, Load, Loading};

#[function_component(PatientSearchPage)]
pub fn patient_search_page() -> Html {
    let navigator = use_navigator();
    let id = use_state(String::new);
    let onsubmit = {
        let id = id.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let id = id.trim().to_owned();
            if let (Some(nav), false) = (&navigator, id.is_empty()) {
                nav.push(&Route::PatientRecords { id });
            }
        })
    };
    html! {
        <section class="card" aria-labelledby="patients-title">
            <h1 id="patients-title">{ "Health records" }</h1>
            <p class="muted">{ "Records are opened by patient ID only. Find a patient's ID on their page under People." }</p>
            <form class="search-row" {onsubmit} role="search">
                <div class="field grow">
                    <label for="patient-id">{ "Patient ID" }</label>
                    <input id="patient-id" value={(*id).clone()} oninput={bind(&id)} required=true autocomplete="off" spellcheck="false" />
                </div>
                <button class="btn btn-primary" type="submit" id="open-records">{ "Open records" }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

#[function_component(PatientRecordsPage)]
pub fn patient_records_page(props: &Props) -> Html {
    html! { <RecordList patient_id={props.id.clone()} own={false} /> }
}

#[function_component(MyRecordsPage)]
pub fn my_records_page() -> Html {
    match use_session() {
        Some(s) => html! { <RecordList patient_id={s.user.id.clone()} own={true} /> },
        None => html! {},
    }
}

#[derive(Properties, PartialEq)]
struct ListProps {
    patient_id: String,
    own: bool,
}

#[function_component(RecordList)]
fn record_list(props: &ListProps) -> Html {
    let role = use_session().map(|s| s.role());
    let vars = patient_records::Variables { patient_id: props.patient_id.clone() };
    let load = use_query::<PatientRecords, _, _>(Some(vars), |d| {
        d.patient_records.into_iter().filter_map(api::convert).collect::<Vec<Record>>()
    });
    // The end of a break-the-glass grant made on this page.
    let granted = use_state(|| None::<String>);
    if let Load::Failed(e) = &*load {
        if e.not_on_care_team() && !props.own {
            let (granted, load) = (granted.clone(), load.clone());
            let on_granted = Callback::from(move |until: String| {
                granted.set(Some(until));
                load.reload();
            });
            return html! { <NotOnCareTeam patient_id={props.patient_id.clone()} {on_granted} /> };
        }
    }
    let patient_name = match &*load {
        Load::Done(r) => r.iter().find_map(|r| r.patient.as_ref().map(|p| p.full_name.clone())),
        _ => None,
    };
    let title = if props.own {
        "My health records".to_owned()
    } else {
        patient_name
            .map(|n| format!("Health records — {n}"))
            .unwrap_or_else(|| "Health records".into())
    };
    let body = match &*load {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(records) if records.is_empty() => {
            html! { <Empty>{ "No health records for this patient yet." }</Empty> }
        }
        Load::Done(records) => html! {
            <div id="record-list">
                { for RecordType::ALL.iter().filter_map(|t| {
                    let mut of_type: Vec<&Record> = records.iter().filter(|r| r.record_type == *t).collect();
                    if of_type.is_empty() { return None; }
                    of_type.sort_by(|a, b| b.updated_at.cmp(&a.updated_at));
                    Some(html! {
                        <section class="record-group" aria-label={t.label()}>
                            <h2>{ t.label() }<span class="count">{ of_type.len() }</span></h2>
                            <ul class="rows">
                                { for of_type.into_iter().map(|r| html! {
                                    <li>
                                        <Link<Route> to={Route::Record { id: r.id.clone() }} classes="row-link">
                                            <span class="row-title">{ r.title.clone() }</span>
                                            <span class="row-meta">{ format!("{} · version {}", when(&r.updated_at), r.version) }</span>
                                        </Link<Route>>
                                    </li>
                                }) }
                            </ul>
                        </section>
                    })
                }) }
            </div>
        },
    };
    // The care team once the records are shown (one's own, or a patient's).
    let may_see_team = if props.own { can::own_care_team } else { can::read_care_team };
    let care_team = matches!(*load, Load::Done(_)) && role.is_some_and(may_see_team);
    html! {
        <>
        <section class="card" aria-labelledby="records-title">
            <div class="card-head">
                <h1 id="records-title">{ title }</h1>
                if !props.own && role.map(can::create_record).unwrap_or(false) {
                    <Link<Route> to={Route::NewRecord { id: props.patient_id.clone() }} classes="btn btn-primary" >{ "New record" }</Link<Route>>
                }
            </div>
            if !props.own {
                <p class="muted small">{ "Patient ID " }<code>{ props.patient_id.clone() }</code></p>
            }
            if let Some(until) = &*granted {
                <div class="alert alert-warn" role="status" id="glass-granted">
                    <strong>{ format!("Emergency access until {} UTC.", when(until)) }</strong>
                    <p>{ "You broke the glass: every access until then is marked as an emergency access on chain, the patient sees it, and an auditor reviews it." }</p>
                </div>
            }
            { body }
        </section>
        if care_team {
            <CareTeamCard patient_id={props.patient_id.clone()} />
        }
        </>
    }
}
