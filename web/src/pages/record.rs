//! A record's page: the current version, its history as a timeline, any two
//! versions side by side with the differences highlighted, and its
//! integrity against the hashes anchored on chain.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{
    delete_record, record_page, verify_record, DeleteRecord, RecordPage as RecordPageQuery,
    VerifyRecord,
};
use crate::api::{self, ApiError, IntegrityStatus, Record, Version};
use crate::diff::{self, Line};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::receipts::short_hash;
use crate::routes::Route;
use crate::session::{can, use_api, use_session};
use crate::ui::{bind_change, when, ErrorBox, Load, Loading};

#[derive(Properties, PartialEq)]
pub struct Props {
    pub id: String,
}

#[derive(Clone, PartialEq)]
struct Page {
    record: Record,
    history: Vec<Version>,
}

#[function_component(RecordPage)]
pub fn record_page(props: &Props) -> Html {
    let vars = record_page::Variables { id: props.id.clone() };
    let load = use_query::<RecordPageQuery, _, _>(Some(vars), |d| {
        d.record.and_then(api::convert).map(|record| {
            let mut history: Vec<Version> =
                d.record_history.into_iter().filter_map(api::convert).collect();
            history.sort_by_key(|v| v.version);
            Page { record, history }
        })
    });
    match &*load {
        Load::Idle | Load::Loading => html! { <section class="card"><Loading /></section> },
        Load::Failed(e) => {
            html! { <section class="card"><h1>{ "Health record" }</h1><ErrorBox error={e.clone()} /></section> }
        }
        Load::Done(None) => {
            html! { <section class="card"><h1>{ "Health record" }</h1><p class="empty">{ "No such record." }</p></section> }
        }
        Load::Done(Some(page)) => html! {
            <>
                <Current record={page.record.clone()} />
                <div class="two-col">
                    <Timeline history={page.history.clone()} />
                    <Integrity id={page.record.id.clone()} />
                </div>
                <Compare history={page.history.clone()} />
            </>
        },
    }
}

#[derive(Properties, PartialEq)]
struct CurrentProps {
    record: Record,
}

#[function_component(Current)]
fn current(props: &CurrentProps) -> Html {
    let r = &props.record;
    let api = use_api();
    let navigator = use_navigator();
    let role = use_session().map(|s| s.role());
    let error = use_state(|| None::<ApiError>);
    let confirming = use_state(|| false);
    let on_delete = {
        let (id, error, confirming) = (r.id.clone(), error.clone(), confirming.clone());
        let back = r
            .patient
            .as_ref()
            .map(|p| Route::PatientRecords { id: p.id.clone() })
            .unwrap_or(Route::Patients);
        Callback::from(move |_| {
            if !*confirming {
                confirming.set(true);
                return;
            }
            let (api, error, navigator, back) =
                (api.clone(), error.clone(), navigator.clone(), back.clone());
            let vars = delete_record::Variables { id: id.clone() };
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<DeleteRecord>(vars).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&back)
                        }
                    }
                    Err(e) => error.set(Some(e)),
                }
            });
        })
    };
    html! {
        <section class="card" aria-labelledby="record-title">
            <p class="eyebrow">{ r.record_type.label() }</p>
            <div class="card-head">
                <h1 id="record-title">{ r.title.clone() }</h1>
                <div class="actions">
                    if role.map(can::update_record).unwrap_or(false) {
                        <Link<Route> to={Route::EditRecord { id: r.id.clone() }} classes="btn btn-primary">{ "Edit" }</Link<Route>>
                    }
                    if role.map(can::delete_record).unwrap_or(false) {
                        <button class="btn btn-danger" id="delete-record" onclick={on_delete}>
                            { if *confirming { "Confirm delete" } else { "Delete" } }
                        </button>
                    }
                </div>
            </div>
            if let Some(e) = &*error { <ErrorBox error={e.clone()} /> }
            <dl class="facts">
                <dt>{ "Patient" }</dt>
                <dd>{ r.patient.as_ref().map(|p| p.full_name.clone()).unwrap_or_else(|| "—".into()) }</dd>
                <dt>{ "Version" }</dt><dd id="record-version">{ r.version }</dd>
                <dt>{ "Last saved" }</dt>
                <dd>{ format!("{} by {}", when(&r.updated_at), r.author.as_ref().map(|a| a.full_name.clone()).unwrap_or_else(|| "—".into())) }</dd>
                <dt>{ "Content hash" }</dt><dd><code class="hash" title={r.content_hash.clone()}>{ short_hash(&r.content_hash) }</code></dd>
            </dl>
            <h2 class="sub">{ "Content" }</h2>
            { content_view(&r.content) }
        </section>
    }
}

/// An object as a definition list, anything else as formatted JSON.
pub fn content_view(content: &serde_json::Value) -> Html {
    match content {
        serde_json::Value::Object(map) if map.values().all(|v| !v.is_object() && !v.is_array()) => {
            html! {
                <dl class="facts content" id="record-content">
                    { for map.iter().map(|(k, v)| html! {
                        <><dt>{ k.replace('_', " ") }</dt><dd>{ v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string()) }</dd></>
                    }) }
                </dl>
            }
        }
        other => {
            html! { <pre class="json" id="record-content">{ serde_json::to_string_pretty(other).unwrap_or_default() }</pre> }
        }
    }
}

#[derive(Properties, PartialEq)]
struct HistoryProps {
    history: Vec<Version>,
}

#[function_component(Timeline)]
fn timeline(props: &HistoryProps) -> Html {
    html! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">{ "Version history" }</h2>
            <ol class="timeline" id="history" reversed=true>
                { for props.history.iter().rev().map(|v| html! {
                    <li class="timeline-item" data-version={v.version.to_string()}>
                        <span class="timeline-dot" aria-hidden="true"></span>
                        <div>
                            <strong>{ format!("Version {}", v.version) }</strong>
                            if v.valid_to.is_none() { <span class="badge badge-ok">{ "current" }</span> }
                            <div class="muted small">
                                { format!("{} · {}", when(&v.valid_from), v.author.as_ref().map(|a| a.full_name.clone()).unwrap_or_else(|| "—".into())) }
                            </div>
                            <div class="small">{ v.title.clone() }</div>
                        </div>
                    </li>
                }) }
            </ol>
        </section>
    }
}

#[function_component(Compare)]
fn compare(props: &HistoryProps) -> Html {
    let n = props.history.len();
    let left = use_state(|| {
        props.history.get(n.saturating_sub(2)).map(|v| v.version.to_string()).unwrap_or_default()
    });
    let right =
        use_state(|| props.history.last().map(|v| v.version.to_string()).unwrap_or_default());
    if n < 2 {
        return html! {
            <section class="card"><h2>{ "Compare versions" }</h2><p class="empty">{ "There is only one version so far." }</p></section>
        };
    }
    let find = |s: &str| props.history.iter().find(|v| v.version.to_string() == s);
    let (Some(a), Some(b)) = (find(&left), find(&right)) else { return html! {} };
    let lines = diff::lines(&diff::text(&a.title, &a.content), &diff::text(&b.title, &b.content));
    let options = |selected: &str| {
        props.history.iter().map(|v| {
            let s = v.version.to_string();
            html! { <option value={s.clone()} selected={s == selected}>{ format!("Version {s}") }</option> }
        }).collect::<Html>()
    };
    let cell = |line: &Line, side: bool| -> Html {
        match (line, side) {
            (Line::Same(t), _) => html! { <td class="same">{ t.clone() }</td> },
            (Line::Removed(t), false) => {
                html! { <td class="removed"><span class="sr-only">{ "removed: " }</span>{ t.clone() }</td> }
            }
            (Line::Added(t), true) => {
                html! { <td class="added"><span class="sr-only">{ "added: " }</span>{ t.clone() }</td> }
            }
            _ => html! { <td class="blank"></td> },
        }
    };
    html! {
        <section class="card" aria-labelledby="compare-title">
            <h2 id="compare-title">{ "Compare versions" }</h2>
            <div class="search-row">
                <div class="field"><label for="compare-left">{ "Older" }</label>
                    <select id="compare-left" onchange={bind_change(&left)}>{ options(&left) }</select></div>
                <div class="field"><label for="compare-right">{ "Newer" }</label>
                    <select id="compare-right" onchange={bind_change(&right)}>{ options(&right) }</select></div>
            </div>
            <div class="diff-wrap">
                <table class="diff" id="diff">
                    <thead><tr><th>{ format!("Version {}", a.version) }</th><th>{ format!("Version {}", b.version) }</th></tr></thead>
                    <tbody>
                        { for lines.iter().map(|l| html! { <tr>{ cell(l, false) }{ cell(l, true) }</tr> }) }
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct IntegrityProps {
    id: String,
}

#[function_component(Integrity)]
fn integrity(props: &IntegrityProps) -> Html {
    let vars = verify_record::Variables { id: props.id.clone() };
    let load = use_query::<VerifyRecord, _, _>(Some(vars), |d| d.verify_record);
    let body = match &*load {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(report) => {
            let all_ok = report.verified;
            html! {
                <>
                    <p class={classes!("integrity", if all_ok { "ok" } else { "bad" })} id="integrity-verdict">
                        { if all_ok { "✓ Every version matches the hash anchored on chain." } else { "⚠ Some versions do not match the chain." } }
                    </p>
                    <ul class="rows" id="integrity">
                        { for report.versions.iter().map(|v| html! {
                            <li class="integrity-row">
                                <strong>{ format!("Version {}", v.version) }</strong>
                                <span class={classes!("badge", if v.status == IntegrityStatus::Verified { "badge-ok" } else { "badge-bad" })}>
                                    { status_label(v.status) }
                                </span>
                                <span class="muted small">
                                    { v.transaction_hash.as_deref().map(|t| html! { <>{ "tx " }<code class="hash" title={t.to_owned()}>{ short_hash(t) }</code></> }).unwrap_or_default() }
                                </span>
                            </li>
                        }) }
                    </ul>
                </>
            }
        }
    };
    html! {
        <section class="card" aria-labelledby="integrity-title">
            <h2 id="integrity-title">{ "Integrity" }</h2>
            { body }
        </section>
    }
}

fn status_label(s: IntegrityStatus) -> &'static str {
    match s {
        IntegrityStatus::Verified => "verified",
        IntegrityStatus::Mismatch => "content differs from chain",
        IntegrityStatus::MissingOnChain => "not anchored",
        IntegrityStatus::MissingInDatabase => "missing in database",
    }
}
