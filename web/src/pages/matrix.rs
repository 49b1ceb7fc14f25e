//! Root's permission matrix editor: the contract's matrix as it is on chain
//! (role × resource × action → scope), each cell a choice; changed cells
//! are saved one by one with `setPermission`, and the break-the-glass
//! duration with `setBreakGlassDuration`. Both ask for a fresh second factor
//! when root has one (the step-up form appears with the refusal; save
//! again after it). Every change is an event on chain.

use std::rc::Rc;

use serde::Deserialize;
use yew::prelude::*;

use crate::api::ops::{
    permissions, set_break_glass_duration, set_permission, AccessAction, AccessResource,
    Permissions, SetBreakGlassDuration, SetPermission,
};
use crate::api::{self, enum_code, enum_of, ApiError, Role, Scope};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::session::{can, use_api, use_session};
use crate::ui::{change_to, input_to, ErrorBox, Load, Loading};

type Key = (Role, AccessResource, AccessAction);

#[derive(Clone, Copy, PartialEq, Deserialize)]
struct Cell {
    role: Role,
    resource: AccessResource,
    action: AccessAction,
    scope: Scope,
}

#[derive(Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Matrix {
    cells: Vec<Cell>,
    break_glass_minutes: i64,
}

impl Matrix {
    fn scope(&self, (role, resource, action): Key) -> Scope {
        self.cells
            .iter()
            .find(|c| c.role == role && c.resource == resource && c.action == action)
            .map_or(Scope::None, |c| c.scope)
    }
}

fn cell_name((role, resource, action): Key) -> String {
    format!("{} · {} · {}", role.label(), resource.label(), action.label())
}

/// The edits not yet saved, and how saving went.
#[derive(Clone, PartialEq, Default)]
struct Edits {
    cells: Vec<(Key, Scope)>,
    minutes: Option<String>,
    busy: bool,
    error: Option<ApiError>,
    saved: Vec<String>,
    /// Bumped to redraw the table from the matrix (discarding its choices).
    generation: u32,
}

enum Edit {
    /// A cell chosen, and its scope on chain now.
    Cell(Key, Scope, Scope),
    Minutes(String),
    Saving,
    Saved(Option<Key>, String),
    Failed(ApiError),
    Finished,
    Discard,
}

impl Reducible for Edits {
    type Action = Edit;
    fn reduce(self: Rc<Self>, action: Edit) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Edit::Cell(key, scope, on_chain) => {
                next.cells.retain(|(k, _)| *k != key);
                if scope != on_chain {
                    next.cells.push((key, scope));
                }
            }
            Edit::Minutes(m) => next.minutes = Some(m),
            Edit::Saving => {
                next.busy = true;
                next.error = None;
                next.saved.clear();
            }
            Edit::Saved(key, what) => {
                match key {
                    Some(key) => next.cells.retain(|(k, _)| *k != key),
                    None => next.minutes = None,
                }
                next.saved.push(what);
            }
            Edit::Failed(e) => next.error = Some(e),
            Edit::Finished => next.busy = false,
            Edit::Discard => {
                next.cells.clear();
                next.minutes = None;
                next.error = None;
                next.generation += 1;
            }
        }
        Rc::new(next)
    }
}

#[function_component(MatrixPage)]
pub fn matrix_page() -> Html {
    let api = use_api();
    let root = use_session().is_some_and(|s| can::edit_permissions(s.role()));
    let matrix = use_query::<Permissions, _, _>(root.then_some(permissions::Variables), |d| {
        api::convert::<_, Matrix>(d.permission_matrix)
    });
    let edits = use_reducer(Edits::default);
    let save = {
        let (edits, matrix) = (edits.clone(), matrix.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            edits.dispatch(Edit::Saving);
            let (cells, minutes) = (edits.cells.clone(), edits.minutes.clone());
            let (api, edits, matrix) = (api.clone(), edits.dispatcher(), matrix.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = apply(&api, &edits, cells, minutes).await {
                    edits.dispatch(Edit::Failed(e));
                }
                edits.dispatch(Edit::Finished);
                matrix.reload();
            });
        })
    };
    let discard = {
        let edits = edits.dispatcher();
        Callback::from(move |_| edits.dispatch(Edit::Discard))
    };
    if !root {
        return html! { <section class="card"><h1>{ "Permission matrix" }</h1><p>{ "Only root changes the permission matrix." }</p></section> };
    }
    let body = match &*matrix {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(None) => html! { <p class="empty">{ "The matrix could not be read." }</p> },
        Load::Done(Some(m)) => {
            let changes = edits.cells.len() + usize::from(edits.minutes.is_some());
            html! {
                <form id="matrix-form" onsubmit={save.clone()}>
                    <div class="field glass-minutes">
                        <label for="glass-minutes">{ "Break-the-glass grants last (minutes)" }</label>
                        <input id="glass-minutes" type="number" min="1" max="10080" required=true
                            value={edits.minutes.clone().unwrap_or_else(|| m.break_glass_minutes.to_string())}
                            oninput={input_to(&edits, Edit::Minutes)} />
                    </div>
                    <MatrixTable key={edits.generation} matrix={m.clone()} edits={edits.clone()} />
                    <div class="actions sticky-actions">
                        <button class="btn btn-primary" type="submit" id="save-matrix" disabled={edits.busy || changes == 0}>
                            { match changes { 0 => "No changes".to_owned(), 1 => "Save 1 change".to_owned(), n => format!("Save {n} changes") } }
                        </button>
                        <button class="btn" type="button" id="discard-matrix" onclick={discard} disabled={edits.busy || changes == 0}>{ "Discard" }</button>
                    </div>
                </form>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="matrix-title">
            <h1 id="matrix-title">{ "Permission matrix" }</h1>
            <p class="muted">{ "What each role may do, as the access contract decides it now. “In their care”: patients on the clinician's care team or admitted to their department, or reached by break-the-glass; never one who restricted them. A change takes effect with the next access and is recorded on chain." }</p>
            if let Some(e) = &edits.error { <ErrorBox error={e.clone()} /> }
            if !edits.saved.is_empty() {
                <div class="alert alert-info" role="status" id="matrix-saved">
                    <strong>{ "Saved on chain" }</strong>
                    <ul>{ for edits.saved.iter().map(|s| html! { <li>{ s.clone() }</li> }) }</ul>
                </div>
            }
            { body }
        </section>
    }
}

/// Sends the edits one by one, noting each saved; stops at the first refusal.
async fn apply(
    api: &crate::session::Api,
    edits: &UseReducerDispatcher<Edits>,
    cells: Vec<(Key, Scope)>,
    minutes: Option<String>,
) -> Result<(), ApiError> {
    for (key, scope) in cells {
        let (role, resource, action) = key;
        let vars = set_permission::Variables { role, resource, action, scope };
        api.run::<SetPermission>(vars).await?;
        edits.dispatch(Edit::Saved(Some(key), format!("{}: {}", cell_name(key), scope.label())));
    }
    if let Some(m) = minutes {
        let minutes = m.trim().parse().map_err(|_| {
            ApiError::local(careledger_vocab::ErrorCode::BadUserInput, "minutes: a whole number")
        })?;
        let vars = set_break_glass_duration::Variables { minutes };
        let set = api.run::<SetBreakGlassDuration>(vars).await?;
        let now = set.set_break_glass_duration.break_glass_minutes;
        edits.dispatch(Edit::Saved(None, format!("Break-the-glass grants last {now} minutes")));
    }
    Ok(())
}

#[derive(Properties, PartialEq)]
struct TableProps {
    matrix: Matrix,
    edits: UseReducerHandle<Edits>,
}

#[function_component(MatrixTable)]
fn matrix_table(props: &TableProps) -> Html {
    let m = &props.matrix;
    let select = |key: Key| {
        let on_chain = m.scope(key);
        let shown = props.edits.cells.iter().find(|(k, _)| *k == key).map_or(on_chain, |(_, s)| *s);
        let (role, resource, action) = key;
        let id = format!("cell-{}-{}-{}", role.as_str(), enum_code(resource), enum_code(action));
        html! {
            <td class={classes!((shown != on_chain).then_some("changed"))}>
                <select {id} aria-label={cell_name(key)} disabled={props.edits.busy}
                    onchange={change_to(&props.edits, move |v: String| enum_of(&v).map(|s| Edit::Cell(key, s, on_chain)))}>
                    { for Scope::ALL.iter().map(|s| html! {
                        <option value={enum_code(*s)} selected={*s == shown}>{ s.label() }</option>
                    }) }
                </select>
            </td>
        }
    };
    html! {
        <div class="table-wrap">
            <table class="table matrix" id="matrix">
                // Each role's rows open with the actions, so a long table reads without scrolling back up.
                { for Role::ALL.iter().map(|&role| html! {
                    <tbody data-role={role.as_str()}>
                        <tr class="role-head">
                            <th scope="rowgroup">{ role.label() }</th>
                            { for AccessAction::ALL.iter().map(|a| html! { <th scope="col">{ a.label() }</th> }) }
                        </tr>
                        { for AccessResource::ALL.iter().map(|&resource| html! {
                            <tr>
                                <th scope="row">{ resource.label() }</th>
                                { for AccessAction::ALL.iter().map(|&action| select((role, resource, action))) }
                            </tr>
                        }) }
                    </tbody>
                }) }
            </table>
        </div>
    }
}
