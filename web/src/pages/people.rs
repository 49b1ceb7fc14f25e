//! People search: one box and a role filter. The server never returns ROOT
//! or ADMIN accounts, and the filter does not offer them. Results show a
//! person's name, role and designation (and a patient's ID); the whole
//! account is on the person's page, itself an audited read. Every patient
//! listed here is recorded on chain as listed, in their own report.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{search_users, SearchUsers};
use crate::api::{self, Person, Role};
use crate::labels::Label;
use crate::routes::Route;
use crate::session::use_api;
use crate::ui::{bind, bind_change, Empty, ErrorBox, Load, Loading};

const PAGE: i64 = 25;

#[derive(Clone, PartialEq)]
struct Found {
    people: Vec<Person>,
    next: Option<String>,
}

#[function_component(PeoplePage)]
pub fn people_page() -> Html {
    let api = use_api();
    let query = use_state(String::new);
    let role = use_state(String::new);
    let load = use_state(|| Load::<Found>::Idle);
    let search = {
        let (api, query, role, load) = (api.clone(), query.clone(), role.clone(), load.clone());
        move |after: Option<String>| {
            let previous = match (&*load, &after) {
                (Load::Done(f), Some(_)) => f.people.clone(),
                _ => vec![],
            };
            if after.is_none() {
                load.set(Load::Loading);
            }
            let vars = search_users::Variables {
                query: Some((*query).trim().to_owned()).filter(|q| !q.is_empty()),
                role: role.parse().ok(),
                first: Some(PAGE),
                after,
            };
            let (api, load) = (api.clone(), load.clone());
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match api.run::<SearchUsers>(vars).await {
                    Ok(d) => {
                        let mut people = previous;
                        people.extend(
                            d.search_users
                                .edges
                                .into_iter()
                                .filter_map(|e| api::convert::<_, Person>(e.node)),
                        );
                        let page = d.search_users.page_info;
                        Found { people, next: page.end_cursor.filter(|_| page.has_next_page) }
                            .into()
                    }
                    Err(e) => Load::Failed(e),
                })
            });
        }
    };
    let onsubmit = {
        let search = search.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            search(None);
        })
    };
    let results = match &*load {
        Load::Idle => {
            html! { <Empty>{ "Search by name or username, or pick a role to list everyone in it." }</Empty> }
        }
        Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(f) if f.people.is_empty() => {
            html! { <Empty>{ "No one matches this search." }</Empty> }
        }
        Load::Done(f) => {
            let more = f.next.clone().map(|cursor| {
                let search = search.clone();
                html! { <button class="btn" id="more" onclick={Callback::from(move |_| search(Some(cursor.clone())))}>{ "Show more" }</button> }
            });
            html! {
                <>
                    <p class="muted" role="status">{ format!("{} shown", f.people.len()) }</p>
                    <table class="table" id="people-results">
                        <thead><tr><th>{ "Name" }</th><th>{ "Role" }</th><th>{ "Designation" }</th><th>{ "Department" }</th></tr></thead>
                        <tbody>
                            { for f.people.iter().map(|p| html! {
                                <tr>
                                    <td><Link<Route> to={Route::Person { id: p.id.clone() }}>{ p.full_name.clone() }</Link<Route>>
                                        if p.role == Some(Role::Patient) {
                                            <div class="muted small">{ format!("Patient ID {}", p.id) }</div>
                                        }</td>
                                    <td>{ p.role.map(|r| html! { <span class="badge" data-role={r.as_str()}>{ r.label() }</span> }).unwrap_or_default() }</td>
                                    <td>{ p.position.clone().or_else(|| p.designation.clone()).unwrap_or_else(|| "—".into()) }</td>
                                    <td>{ p.department.clone().unwrap_or_else(|| "—".into()) }</td>
                                </tr>
                            }) }
                        </tbody>
                    </table>
                    { for more }
                </>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="people-title">
            <h1 id="people-title">{ "People" }</h1>
            <form class="search-row" {onsubmit} role="search">
                <div class="field grow">
                    <label for="people-query">{ "Name or username" }</label>
                    <input id="people-query" type="search" value={(*query).clone()} oninput={bind(&query)} placeholder="e.g. Garcia" />
                </div>
                <div class="field">
                    <label for="people-role">{ "Role" }</label>
                    <select id="people-role" onchange={bind_change(&role)}>
                        <option value="" selected={role.is_empty()}>{ "Any role" }</option>
                        { for Role::SEARCHABLE.iter().map(|r| html! {
                            <option value={r.as_str()} selected={*role == r.as_str()}>{ r.label() }</option>
                        }) }
                    </select>
                </div>
                <button class="btn btn-primary" type="submit" id="people-search">{ "Search" }</button>
            </form>
            { results }
        </section>
    }
}

impl From<Found> for Load<Found> {
    fn from(f: Found) -> Self {
        Load::Done(f)
    }
}
