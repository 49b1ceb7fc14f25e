//! Small shared pieces: loading, empty and error states, page headings.

use careledger_vocab::ErrorCode;
use yew::prelude::*;

use crate::api::ApiError;

#[function_component(Loading)]
pub fn loading() -> Html {
    html! { <p class="muted loading" aria-live="polite" role="status"><span class="spinner" aria-hidden="true"></span>{ "Loading…" }</p> }
}

#[derive(Properties, PartialEq)]
pub struct ErrorProps {
    pub error: ApiError,
}

/// A refusal or failure, explained.
#[function_component(ErrorBox)]
pub fn error_box(props: &ErrorProps) -> Html {
    html! {
        <div class="alert alert-error" role="alert" data-code={props.error.code.as_str()}>
            <strong>{ props.error.explain() }</strong>
            if matches!(props.error.code, ErrorCode::Internal | ErrorCode::Unavailable) {
                <div class="small">{ format!("Details: {}", props.error.message) }</div>
            }
            if props.error.code == ErrorCode::FactorRequired {
                <crate::factor::StepUpForm />
            }
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct OutcomeProps {
    /// What the last change did (`Ok`), or why it failed; none yet.
    pub outcome: Option<Result<String, ApiError>>,
    /// The id of the success notice.
    pub id: &'static str,
}

/// How the last change on a page went: a notice, or the refusal explained.
#[function_component(Outcome)]
pub fn outcome(props: &OutcomeProps) -> Html {
    match &props.outcome {
        Some(Ok(done)) => {
            html! { <div class="alert alert-info" role="status" id={props.id}>{ done.clone() }</div> }
        }
        Some(Err(e)) => html! { <ErrorBox error={e.clone()} /> },
        None => html! {},
    }
}

#[derive(Properties, PartialEq)]
pub struct EmptyProps {
    pub children: Html,
}

#[function_component(Empty)]
pub fn empty(props: &EmptyProps) -> Html {
    html! { <p class="empty">{ props.children.clone() }</p> }
}

/// Loading state of one fetch.
#[derive(Clone, Debug, PartialEq)]
pub enum Load<T> {
    Idle,
    Loading,
    Done(T),
    Failed(ApiError),
}

/// `2026-11-24T00:13:25.123Z` → `2026-11-24 00:13`.
pub fn when(ts: &str) -> String {
    let t = ts.replace('T', " ");
    t.get(..16).map(str::to_owned).unwrap_or(t)
}

/// The value of an input/select/textarea from its event.
pub fn value_of(e: &Event) -> String {
    use wasm_bindgen::JsCast;
    let target = e.target();
    if let Some(i) = target.clone().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
        return i.value();
    }
    if let Some(s) = target.clone().and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok()) {
        return s.value();
    }
    if let Some(t) = target.and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
        return t.value();
    }
    String::new()
}

/// A state setter from an input event.
pub fn bind(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| state.set(value_of(&e)))
}

/// A state setter from a change event (selects).
pub fn bind_change(state: &UseStateHandle<String>) -> Callback<Event> {
    let state = state.clone();
    Callback::from(move |e: Event| state.set(value_of(&e)))
}

/// A reducer action from an input event: `action(value)`.
pub fn input_to<R, F>(form: &UseReducerHandle<R>, action: F) -> Callback<InputEvent>
where
    R: Reducible + 'static,
    F: Fn(String) -> R::Action + 'static,
{
    let form = form.dispatcher();
    Callback::from(move |e: InputEvent| form.dispatch(action(value_of(&e))))
}

/// A reducer action from a change event (selects), if `action` makes one of
/// the value.
pub fn change_to<R, F>(form: &UseReducerHandle<R>, action: F) -> Callback<Event>
where
    R: Reducible + 'static,
    F: Fn(String) -> Option<R::Action> + 'static,
{
    let form = form.dispatcher();
    Callback::from(move |e: Event| {
        if let Some(a) = action(value_of(&e)) {
            form.dispatch(a);
        }
    })
}
