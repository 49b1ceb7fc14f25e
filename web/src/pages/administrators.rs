//! Root's list of administrators, on the administration page: the people
//! search never shows ADMIN accounts, so this is how root finds the ones it
//! made. Loading it is itself an access the contract decides (root only)
//! and records; each name opens the person's page, where root manages them.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{administrators, Administrators};
use crate::api::{self, ApiError, Person};
use crate::hooks::use_query;
use crate::routes::Route;
use crate::session::use_api;
use crate::ui::{Empty, ErrorBox, Load, Loading};

const PAGE: i64 = 25;

#[derive(Clone, PartialEq)]
struct Found {
    people: Vec<Person>,
    next: Option<String>,
}

impl Found {
    fn of(d: administrators::ResponseData) -> Found {
        let people = d
            .administrators
            .edges
            .into_iter()
            .filter_map(|e| api::convert::<_, Person>(e.node))
            .collect();
        let page = d.administrators.page_info;
        Found { people, next: page.end_cursor.filter(|_| page.has_next_page) }
    }
}

fn page(after: Option<String>) -> administrators::Variables {
    administrators::Variables { first: Some(PAGE), after }
}

#[function_component(AdministratorsCard)]
pub fn administrators_card() -> Html {
    let api = use_api();
    let first = use_query::<Administrators, _, _>(Some(page(None)), Found::of);
    // The pages after the first, appended by "Show more".
    let more = use_state(|| None::<Result<Found, ApiError>>);
    let shown = match (&*first, &*more) {
        (_, Some(Err(e))) => Load::Failed(e.clone()),
        (Load::Done(f), Some(Ok(m))) => Load::Done(Found {
            people: f.people.iter().chain(&m.people).cloned().collect(),
            next: m.next.clone(),
        }),
        (load, _) => load.clone(),
    };
    let show_more = {
        let more = more.clone();
        Callback::from(move |cursor: String| {
            let mut people = match &*more {
                Some(Ok(m)) => m.people.clone(),
                _ => vec![],
            };
            let (api, more) = (api.clone(), more.clone());
            wasm_bindgen_futures::spawn_local(async move {
                more.set(Some(api.run::<Administrators>(page(Some(cursor))).await.map(|d| {
                    let found = Found::of(d);
                    people.extend(found.people);
                    Found { people, next: found.next }
                })));
            });
        })
    };
    let body = match &shown {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(f) if f.people.is_empty() => {
            html! { <Empty>{ "No administrator accounts yet." }</Empty> }
        }
        Load::Done(f) => html! {
            <>
                <table class="table" id="admin-list">
                    <thead><tr><th>{ "Name" }</th><th>{ "Department" }</th><th>{ "Position" }</th></tr></thead>
                    <tbody>
                        { for f.people.iter().map(|p| html! {
                            <tr>
                                <td><Link<Route> to={Route::Person { id: p.id.clone() }}>{ p.full_name.clone() }</Link<Route>></td>
                                <td>{ p.department.clone().unwrap_or_else(|| "—".into()) }</td>
                                <td>{ p.position.clone().unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
                if let Some(cursor) = f.next.clone() {
                    <button class="btn" id="admin-list-more" onclick={show_more.reform(move |_| cursor.clone())}>{ "Show more" }</button>
                }
            </>
        },
    };
    html! {
        <section class="card" aria-labelledby="admin-list-title">
            <h2 id="admin-list-title">{ "Administrators" }</h2>
            <p class="muted">{ "Administrator accounts are never listed in the people search. Open one to edit it, change its role or delete it." }</p>
            { body }
        </section>
    }
}
