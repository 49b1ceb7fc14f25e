//! Creating and editing records. An edit sends the version the editor saw;
//! if someone else saved first, the server answers CONFLICT and the page
//! shows their version next to the editor's text.

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{
    create_record, record_page, update_record, CreateRecord, RecordPage as RecordPageQuery,
    UpdateRecord,
};
use crate::api::{self, ApiError, Record, RecordType};
use crate::pages::record::content_view;
use crate::routes::Route;
use crate::session::use_api;
use crate::ui::{bind, bind_change, when, ErrorBox, Load, Loading};

/// Parses the content box: JSON if it is JSON, else a clinical note text.
fn parse_content(text: &str) -> Result<serde_json::Value, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("Content cannot be empty.".into());
    }
    if t.starts_with('{') || t.starts_with('[') {
        serde_json::from_str(t).map_err(|e| format!("Content is not valid JSON: {e}"))
    } else {
        Ok(serde_json::json!({ "text": t }))
    }
}

fn content_text(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

#[derive(Properties, PartialEq)]
pub struct NewProps {
    pub patient_id: String,
}

#[function_component(NewRecordPage)]
pub fn new_record_page(props: &NewProps) -> Html {
    let api = use_api();
    let navigator = use_navigator();
    let kind = use_state(|| RecordType::ClinicalNote.code().to_owned());
    let title = use_state(String::new);
    let content = use_state(|| "{\n  \"text\": \"\"\n}".to_owned());
    let problem = use_state(|| None::<String>);
    let error = use_state(|| None::<ApiError>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (kind, title, content, problem, error, busy, patient) = (
            kind.clone(),
            title.clone(),
            content.clone(),
            problem.clone(),
            error.clone(),
            busy.clone(),
            props.patient_id.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = match parse_content(&content) {
                Ok(v) => v,
                Err(p) => return problem.set(Some(p)),
            };
            problem.set(None);
            busy.set(true);
            let vars = create_record::Variables {
                input: create_record::CreateRecordInput {
                    patient_id: patient.clone(),
                    record_type: RecordType::parse(&kind).unwrap_or(RecordType::ClinicalNote),
                    title: title.trim().to_owned(),
                    content: parsed,
                },
            };
            let (api, error, busy, navigator) =
                (api.clone(), error.clone(), busy.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<CreateRecord>(vars).await {
                    Ok(d) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Record { id: d.create_record.id });
                        }
                    }
                    Err(e) => {
                        error.set(Some(e));
                        busy.set(false);
                    }
                }
            });
        })
    };
    html! {
        <section class="card" aria-labelledby="new-title">
            <h1 id="new-title">{ "New health record" }</h1>
            <p class="muted small">{ "Patient ID " }<code>{ props.patient_id.clone() }</code></p>
            if let Some(e) = &*error { <ErrorBox error={e.clone()} /> }
            <form class="form" {onsubmit} id="record-form">
                <label for="record-type">{ "Type" }</label>
                <select id="record-type" onchange={bind_change(&kind)}>
                    { for RecordType::ALL.iter().map(|t| html! {
                        <option value={t.code()} selected={*kind == t.code()}>{ t.label() }</option>
                    }) }
                </select>
                <label for="record-title-input">{ "Title" }</label>
                <input id="record-title-input" required=true value={(*title).clone()} oninput={bind(&title)} />
                <label for="record-content-input">{ "Content (JSON)" }</label>
                <textarea id="record-content-input" rows="10" spellcheck="false" value={(*content).clone()} oninput={bind(&content)}
                    aria-describedby="content-problem" />
                if let Some(p) = &*problem { <p class="field-error" id="content-problem" role="alert">{ p.clone() }</p> }
                <button class="btn btn-primary" type="submit" id="save-record" disabled={*busy}>{ "Create record" }</button>
            </form>
        </section>
    }
}

#[derive(Properties, PartialEq)]
pub struct EditProps {
    pub id: String,
}

#[function_component(EditRecordPage)]
pub fn edit_record_page(props: &EditProps) -> Html {
    let api = use_api();
    let load = use_state(|| Load::<Option<Record>>::Loading);
    {
        let load = load.clone();
        use_effect_with(props.id.clone(), move |id| {
            let vars = record_page::Variables { id: id.clone() };
            wasm_bindgen_futures::spawn_local(async move {
                load.set(match api.run::<RecordPageQuery>(vars).await {
                    Ok(d) => Load::Done(d.record.and_then(api::convert)),
                    Err(e) => Load::Failed(e),
                })
            });
        });
    }
    match &*load {
        Load::Idle | Load::Loading => html! { <section class="card"><Loading /></section> },
        Load::Failed(e) => html! { <section class="card"><ErrorBox error={e.clone()} /></section> },
        Load::Done(None) => {
            html! { <section class="card"><p class="empty">{ "No such record." }</p></section> }
        }
        Load::Done(Some(r)) => html! { <Editor record={r.clone()} /> },
    }
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    record: Record,
}

#[function_component(Editor)]
fn editor(props: &EditorProps) -> Html {
    let api = use_api();
    let navigator = use_navigator();
    let base = use_state(|| props.record.clone());
    let title = use_state(|| props.record.title.clone());
    let content = use_state(|| content_text(&props.record.content));
    let problem = use_state(|| None::<String>);
    let error = use_state(|| None::<ApiError>);
    let theirs = use_state(|| None::<Record>);
    let busy = use_state(|| false);
    let onsubmit = {
        let (base, title, content, problem, error, theirs, busy) = (
            base.clone(),
            title.clone(),
            content.clone(),
            problem.clone(),
            error.clone(),
            theirs.clone(),
            busy.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = match parse_content(&content) {
                Ok(v) => v,
                Err(p) => return problem.set(Some(p)),
            };
            problem.set(None);
            busy.set(true);
            let id = base.id.clone();
            let vars = update_record::Variables {
                id: id.clone(),
                expected_version: base.version,
                input: update_record::UpdateRecordInput {
                    title: Some(title.trim().to_owned()),
                    content: Some(parsed),
                },
            };
            let (api, error, theirs, busy, navigator) =
                (api.clone(), error.clone(), theirs.clone(), busy.clone(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<UpdateRecord>(vars).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Record { id });
                        }
                    }
                    Err(e) => {
                        if e.code == "CONFLICT" {
                            let current =
                                api.run::<RecordPageQuery>(record_page::Variables { id }).await;
                            theirs.set(current.ok().and_then(|d| d.record.and_then(api::convert)));
                        }
                        error.set(Some(e));
                        busy.set(false);
                    }
                }
            });
        })
    };
    let adopt = {
        let (base, theirs, error) = (base.clone(), theirs.clone(), error.clone());
        Callback::from(move |_| {
            if let Some(t) = (*theirs).clone() {
                base.set(t);
                theirs.set(None);
                error.set(None);
            }
        })
    };
    let conflict = (*error).as_ref().filter(|e| e.code == "CONFLICT").map(|e| {
        let version = (*theirs).as_ref().map(|t| t.version).or(e.current_version);
        html! {
            <div class="alert alert-warn" role="alert" id="conflict">
                <strong>{ "Someone else saved this record first." }</strong>
                <p>{ format!(
                    "You were editing version {}; the record is now at version {}. Your text is kept below — review their version, then save again on top of it.",
                    base.version, version.map(|v| v.to_string()).unwrap_or_else(|| "?".into())
                ) }</p>
                if let Some(t) = &*theirs {
                    <div class="their-version">
                        <p class="small muted">{ format!("Their version {} · saved {} by {}", t.version, when(&t.updated_at),
                            t.author.as_ref().map(|a| a.full_name.clone()).unwrap_or_else(|| "—".into())) }</p>
                        <p><strong>{ t.title.clone() }</strong></p>
                        { content_view(&t.content) }
                    </div>
                    <button class="btn" type="button" id="adopt" onclick={adopt}>{ "Save mine on top of their version" }</button>
                }
            </div>
        }
    });
    let other_error = (*error)
        .as_ref()
        .filter(|e| e.code != "CONFLICT")
        .map(|e| html! { <ErrorBox error={e.clone()} /> });
    html! {
        <section class="card" aria-labelledby="edit-title">
            <p class="eyebrow">{ props.record.record_type.label() }</p>
            <h1 id="edit-title">{ format!("Edit “{}”", props.record.title) }</h1>
            <p class="muted small" id="editing-version">{ format!("Editing version {}", base.version) }</p>
            { for conflict }
            { for other_error }
            <form class="form" {onsubmit} id="record-form">
                <label for="record-title-input">{ "Title" }</label>
                <input id="record-title-input" required=true value={(*title).clone()} oninput={bind(&title)} />
                <label for="record-content-input">{ "Content (JSON)" }</label>
                <textarea id="record-content-input" rows="12" spellcheck="false" value={(*content).clone()} oninput={bind(&content)} />
                if let Some(p) = &*problem { <p class="field-error" role="alert">{ p.clone() }</p> }
                <div class="actions">
                    <button class="btn btn-primary" type="submit" id="save-record" disabled={*busy}>{ "Save new version" }</button>
                    <Link<Route> to={Route::Record { id: props.record.id.clone() }} classes="btn btn-quiet">{ "Cancel" }</Link<Route>>
                </div>
            </form>
        </section>
    }
}
