//! Creating and editing records. An edit sends the version the editor saw;
//! if someone else saved first, the server answers CONFLICT and the page
//! shows their version next to the editor's text.

use std::rc::Rc;

use careledger_vocab::ErrorCode;
use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{
    create_record, record_page, update_record, CreateRecord, RecordPage as RecordPageQuery,
    UpdateRecord,
};
use crate::api::{self, ApiError, Record, RecordType};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::pages::record::content_view;
use crate::routes::Route;
use crate::session::use_api;
use crate::ui::{change_to, input_to, when, ErrorBox, Load, Loading};

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

/// A record being written: the fields, what is wrong with the content, and
/// how sending went. Editing adds the version it is based on and, after a
/// CONFLICT, the version someone else saved first.
#[derive(Clone, PartialEq)]
struct Draft {
    kind: RecordType,
    title: String,
    content: String,
    problem: Option<String>,
    error: Option<ApiError>,
    busy: bool,
    base: Option<Record>,
    theirs: Option<Record>,
}

impl Draft {
    fn new_record() -> Self {
        Self {
            kind: RecordType::ClinicalNote,
            title: String::new(),
            content: "{\n  \"text\": \"\"\n}".to_owned(),
            problem: None,
            error: None,
            busy: false,
            base: None,
            theirs: None,
        }
    }

    fn editing(record: &Record) -> Self {
        Self {
            kind: record.record_type,
            title: record.title.clone(),
            content: content_text(&record.content),
            base: Some(record.clone()),
            ..Self::new_record()
        }
    }

    fn base_version(&self) -> i64 {
        self.base.as_ref().map(|b| b.version).unwrap_or_default()
    }

    fn conflict(&self) -> Option<&ApiError> {
        self.error.as_ref().filter(|e| e.code == ErrorCode::Conflict)
    }
}

enum DraftAction {
    Kind(RecordType),
    Title(String),
    Content(String),
    /// The content does not parse: nothing is sent.
    Invalid(String),
    Sending,
    Failed(ApiError),
    /// Someone else saved first; their version, if it could be read.
    Conflict(ApiError, Option<Box<Record>>),
    /// Base the edit on their version.
    AdoptTheirs,
}

impl Reducible for Draft {
    type Action = DraftAction;
    fn reduce(self: Rc<Self>, action: DraftAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            DraftAction::Kind(k) => next.kind = k,
            DraftAction::Title(v) => next.title = v,
            DraftAction::Content(v) => next.content = v,
            DraftAction::Invalid(p) => next.problem = Some(p),
            DraftAction::Sending => {
                next.problem = None;
                next.busy = true;
            }
            DraftAction::Failed(e) => {
                next.error = Some(e);
                next.busy = false;
            }
            DraftAction::Conflict(e, theirs) => {
                next.theirs = theirs.map(|t| *t);
                next.error = Some(e);
                next.busy = false;
            }
            DraftAction::AdoptTheirs => {
                if let Some(t) = next.theirs.take() {
                    next.base = Some(t);
                    next.error = None;
                }
            }
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
pub struct NewProps {
    pub patient_id: String,
}

#[function_component(NewRecordPage)]
pub fn new_record_page(props: &NewProps) -> Html {
    let api = use_api();
    let navigator = use_navigator();
    let draft = use_reducer(Draft::new_record);
    let onsubmit = {
        let (draft, patient) = (draft.clone(), props.patient_id.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = match parse_content(&draft.content) {
                Ok(v) => v,
                Err(p) => return draft.dispatch(DraftAction::Invalid(p)),
            };
            draft.dispatch(DraftAction::Sending);
            let vars = create_record::Variables {
                input: create_record::CreateRecordInput {
                    patient_id: patient.clone(),
                    record_type: draft.kind,
                    title: draft.title.trim().to_owned(),
                    content: parsed,
                },
            };
            let (api, draft, navigator) = (api.clone(), draft.dispatcher(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<CreateRecord>(vars).await {
                    Ok(d) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Record { id: d.create_record.id });
                        }
                    }
                    Err(e) => draft.dispatch(DraftAction::Failed(e)),
                }
            });
        })
    };
    html! {
        <section class="card" aria-labelledby="new-title">
            <h1 id="new-title">{ "New health record" }</h1>
            <p class="muted small">{ "Patient ID " }<code>{ props.patient_id.clone() }</code></p>
            if let Some(e) = &draft.error { <ErrorBox error={e.clone()} /> }
            <form class="form" {onsubmit} id="record-form">
                <label for="record-type">{ "Type" }</label>
                <select id="record-type" onchange={change_to(&draft, |v: String| v.parse().ok().map(DraftAction::Kind))}>
                    { for RecordType::ALL.iter().map(|t| html! {
                        <option value={t.as_str()} selected={draft.kind == *t}>{ t.label() }</option>
                    }) }
                </select>
                <label for="record-title-input">{ "Title" }</label>
                <input id="record-title-input" required=true value={draft.title.clone()} oninput={input_to(&draft, DraftAction::Title)} />
                <label for="record-content-input">{ "Content (JSON)" }</label>
                <textarea id="record-content-input" rows="10" spellcheck="false" value={draft.content.clone()} oninput={input_to(&draft, DraftAction::Content)}
                    aria-describedby="content-problem" />
                if let Some(p) = &draft.problem { <p class="field-error" id="content-problem" role="alert">{ p.clone() }</p> }
                <button class="btn btn-primary" type="submit" id="save-record" disabled={draft.busy}>{ "Create record" }</button>
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
    let vars = record_page::Variables { id: props.id.clone() };
    let load = use_query::<RecordPageQuery, _, _>(Some(vars), |d| {
        d.record.and_then(api::convert::<_, Record>)
    });
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
    let draft = {
        let record = props.record.clone();
        use_reducer(move || Draft::editing(&record))
    };
    let onsubmit = {
        let draft = draft.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = match parse_content(&draft.content) {
                Ok(v) => v,
                Err(p) => return draft.dispatch(DraftAction::Invalid(p)),
            };
            let Some(base) = draft.base.clone() else { return };
            draft.dispatch(DraftAction::Sending);
            let id = base.id.clone();
            let vars = update_record::Variables {
                id: id.clone(),
                expected_version: base.version,
                input: update_record::UpdateRecordInput {
                    title: Some(draft.title.trim().to_owned()),
                    content: Some(parsed),
                },
            };
            let (api, draft, navigator) = (api.clone(), draft.dispatcher(), navigator.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<UpdateRecord>(vars).await {
                    Ok(_) => {
                        if let Some(n) = navigator {
                            n.push(&Route::Record { id });
                        }
                    }
                    Err(e) if e.code == ErrorCode::Conflict => {
                        let current =
                            api.run::<RecordPageQuery>(record_page::Variables { id }).await;
                        let theirs = current
                            .ok()
                            .and_then(|d| d.record.and_then(api::convert))
                            .map(Box::new);
                        draft.dispatch(DraftAction::Conflict(e, theirs));
                    }
                    Err(e) => draft.dispatch(DraftAction::Failed(e)),
                }
            });
        })
    };
    let adopt = {
        let draft = draft.dispatcher();
        Callback::from(move |_| draft.dispatch(DraftAction::AdoptTheirs))
    };
    let conflict = draft.conflict().map(|e| {
        let version = draft.theirs.as_ref().map(|t| t.version).or(e.current_version);
        html! {
            <div class="alert alert-warn" role="alert" id="conflict">
                <strong>{ "Someone else saved this record first." }</strong>
                <p>{ format!(
                    "You were editing version {}; the record is now at version {}. Your text is kept below — review their version, then save again on top of it.",
                    draft.base_version(), version.map(|v| v.to_string()).unwrap_or_else(|| "?".into())
                ) }</p>
                if let Some(t) = &draft.theirs {
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
    let other_error = (draft.error.as_ref())
        .filter(|e| e.code != ErrorCode::Conflict)
        .map(|e| html! { <ErrorBox error={e.clone()} /> });
    html! {
        <section class="card" aria-labelledby="edit-title">
            <p class="eyebrow">{ props.record.record_type.label() }</p>
            <h1 id="edit-title">{ format!("Edit “{}”", props.record.title) }</h1>
            <p class="muted small" id="editing-version">{ format!("Editing version {}", draft.base_version()) }</p>
            { for conflict }
            { for other_error }
            <form class="form" {onsubmit} id="record-form">
                <label for="record-title-input">{ "Title" }</label>
                <input id="record-title-input" required=true value={draft.title.clone()} oninput={input_to(&draft, DraftAction::Title)} />
                <label for="record-content-input">{ "Content (JSON)" }</label>
                <textarea id="record-content-input" rows="12" spellcheck="false" value={draft.content.clone()} oninput={input_to(&draft, DraftAction::Content)} />
                if let Some(p) = &draft.problem { <p class="field-error" role="alert">{ p.clone() }</p> }
                <div class="actions">
                    <button class="btn btn-primary" type="submit" id="save-record" disabled={draft.busy}>{ "Save new version" }</button>
                    <Link<Route> to={Route::Record { id: props.record.id.clone() }} classes="btn btn-quiet">{ "Cancel" }</Link<Route>>
                </div>
            </form>
        </section>
    }
}
