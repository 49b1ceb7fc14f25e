//! The auditors' review queue: every break-the-glass, open ones first to
//! close (justified or not, with a note whose salted hash goes on chain),
//! reviewed ones with their verdict; and the count of open reviews the
//! auditor's home page shows. Listing the queue is itself recorded: an
//! EMERGENCY_ACCESS SEARCH, and a READ naming each patient listed.

use std::rc::Rc;

use yew::prelude::*;
use yew_router::prelude::*;

use crate::api::ops::{
    break_glass_reviews, open_review_count, review_break_glass, BreakGlassReviews, OpenReviewCount,
    ReviewBreakGlass,
};
use crate::api::{self, ApiError, GlassReason, Person};
use crate::hooks::use_query;
use crate::labels::Label;
use crate::pages::care_team::person_cell;
use crate::routes::Route;
use crate::session::use_api;
use crate::ui::{bind_change, input_to, when, Empty, ErrorBox, Load, Loading};

/// The most a queue page lists.
const FIRST: i64 = 100;

#[derive(Clone, PartialEq)]
struct Verdict {
    at: String,
    reviewer: Person,
    justified: bool,
    note: Option<String>,
}

#[derive(Clone, PartialEq)]
struct Glass {
    id: String,
    clinician: Person,
    patient: Person,
    reason: GlassReason,
    justification: String,
    broken_at: String,
    expires_at: String,
    active: bool,
    review: Option<Verdict>,
}

fn listed(d: break_glass_reviews::ResponseData) -> Vec<Glass> {
    d.break_glass_reviews
        .into_iter()
        .filter_map(|g| {
            let review = match g.review {
                Some(r) => Some(Verdict {
                    at: r.reviewed_at,
                    reviewer: api::convert(r.reviewer)?,
                    justified: r.justified,
                    note: r.note,
                }),
                None => None,
            };
            Some(Glass {
                id: g.id,
                clinician: api::convert(g.clinician)?,
                patient: api::convert(g.patient)?,
                reason: g.reason,
                justification: g.justification,
                broken_at: g.broken_at,
                expires_at: g.expires_at,
                active: g.active,
                review,
            })
        })
        .collect()
}

/// "No break-the-glass access awaits review." / "1 … awaits" / "n … await".
fn open_count_text(n: i64) -> String {
    match n {
        0 => "No break-the-glass access awaits review.".into(),
        1 => "1 break-the-glass access awaits review.".into(),
        n => format!("{n} break-the-glass accesses await review."),
    }
}

/// The auditor's home page card: how many reviews are open.
#[function_component(OpenReviews)]
pub fn open_reviews() -> Html {
    let count = use_query::<OpenReviewCount, _, _>(Some(open_review_count::Variables), |d| {
        d.break_glass_review_count
    });
    let body = match &*count {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(n) => html! {
            <>
                <p class={classes!("review-count", (*n > 0).then_some("bad"))} id="open-review-count">{ open_count_text(*n) }</p>
                <Link<Route> to={Route::Reviews} classes="btn">{ "Open the review queue" }</Link<Route>>
            </>
        },
    };
    html! {
        <section class="card" aria-labelledby="open-reviews-title">
            <h2 id="open-reviews-title">{ "Break-the-glass reviews" }</h2>
            { body }
        </section>
    }
}

#[function_component(ReviewsPage)]
pub fn reviews_page() -> Html {
    let show = use_state(|| "open".to_owned());
    let open = *show == "open";
    let vars = break_glass_reviews::Variables { open: Some(open), first: Some(FIRST) };
    let queue = use_query::<BreakGlassReviews, _, _>(Some(vars), listed);
    let closed = use_state(|| None::<String>);
    let on_closed = {
        let (queue, closed) = (queue.clone(), closed.clone());
        Callback::from(move |what: String| {
            closed.set(Some(what));
            queue.reload();
        })
    };
    let body = match &*queue {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(list) if list.is_empty() => html! {
            <Empty>{ if open { "No break-the-glass access awaits review." } else { "No break-the-glass access has been reviewed yet." } }</Empty>
        },
        Load::Done(list) => html! {
            <>
                if list.len() as i64 == FIRST {
                    <p class="muted small">{ format!("The newest {FIRST} are shown; close some to see older ones.") }</p>
                }
                <ol class="reviews" id="reviews">
                    { for list.iter().map(|g| html! { <ReviewItem glass={g.clone()} on_closed={on_closed.clone()} /> }) }
                </ol>
            </>
        },
    };
    html! {
        <section class="card" aria-labelledby="reviews-title">
            <h1 id="reviews-title">{ "Break-the-glass reviews" }</h1>
            <p class="muted">{ "Each time a clinician broke the glass to open a patient's records they did not care for. Decide whether it was justified; your verdict and the note's salted hash go on chain." }</p>
            <div class="search-row">
                <div class="field">
                    <label for="reviews-show">{ "Show" }</label>
                    <select id="reviews-show" onchange={bind_change(&show)}>
                        <option value="open" selected={open}>{ "Open" }</option>
                        <option value="reviewed" selected={!open}>{ "Reviewed" }</option>
                    </select>
                </div>
            </div>
            if let Some(what) = &*closed {
                <div class="alert alert-info" role="status" id="review-closed">{ what.clone() }</div>
            }
            { body }
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct ItemProps {
    glass: Glass,
    on_closed: Callback<String>,
}

#[function_component(ReviewItem)]
fn review_item(props: &ItemProps) -> Html {
    let g = &props.glass;
    let heading = format!("review-{}", g.id);
    html! {
        <li class="review" aria-labelledby={heading.clone()} data-id={g.id.clone()}>
            <h2 class="review-title" id={heading}>{ format!("{} broke the glass on {}", g.clinician.full_name, g.patient.full_name) }</h2>
            <dl class="facts review-facts">
                <dt>{ "Clinician" }</dt><dd class="review-clinician">{ person_cell(&g.clinician) }</dd>
                <dt>{ "Patient" }</dt><dd class="review-patient">{ g.patient.full_name.clone() }</dd>
                <dt>{ "Reason" }</dt><dd class="review-reason">{ g.reason.label() }</dd>
                <dt>{ "Justification" }</dt><dd class="review-justification">{ g.justification.clone() }</dd>
                <dt>{ "When" }</dt><dd class="review-when">{ format!("{} UTC", when(&g.broken_at)) }</dd>
                <dt>{ "Access until" }</dt><dd class="review-until">
                    { format!("{} UTC", when(&g.expires_at)) }
                    if g.active { { " " }<span class="badge badge-bad">{ "in force" }</span> }
                </dd>
                if let Some(v) = &g.review {
                    <dt>{ "Verdict" }</dt><dd class="review-verdict">
                        { format!("{} — {}, {} UTC", if v.justified { "Justified" } else { "Not justified" }, v.reviewer.full_name, when(&v.at)) }
                        if let Some(note) = &v.note { <div class="small">{ note.clone() }</div> }
                    </dd>
                }
            </dl>
            if g.review.is_none() {
                <ReviewForm id={g.id.clone()} who={g.clinician.full_name.clone()} on_closed={props.on_closed.clone()} />
            }
        </li>
    }
}

#[derive(Clone, PartialEq, Default)]
struct VerdictForm {
    justified: Option<bool>,
    note: String,
    busy: bool,
    error: Option<ApiError>,
}

enum VerdictAction {
    Justified(bool),
    Note(String),
    Sending,
    Failed(ApiError),
}

impl Reducible for VerdictForm {
    type Action = VerdictAction;
    fn reduce(self: Rc<Self>, action: VerdictAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            VerdictAction::Justified(j) => next.justified = Some(j),
            VerdictAction::Note(n) => next.note = n,
            VerdictAction::Sending => {
                next.busy = true;
                next.error = None;
            }
            VerdictAction::Failed(e) => {
                next.busy = false;
                next.error = Some(e);
            }
        }
        Rc::new(next)
    }
}

#[derive(Properties, PartialEq)]
struct FormProps {
    id: String,
    who: String,
    on_closed: Callback<String>,
}

#[function_component(ReviewForm)]
fn review_form(props: &FormProps) -> Html {
    let api = use_api();
    let form = use_reducer(VerdictForm::default);
    let onsubmit = {
        let (form, id, who, on_closed) =
            (form.clone(), props.id.clone(), props.who.clone(), props.on_closed.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(justified) = form.justified else { return };
            form.dispatch(VerdictAction::Sending);
            let note = Some(form.note.trim().to_owned()).filter(|n| !n.is_empty());
            let vars = review_break_glass::Variables { id: id.clone(), justified, note };
            let (api, form, who, on_closed) =
                (api.clone(), form.dispatcher(), who.clone(), on_closed.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match api.run::<ReviewBreakGlass>(vars).await {
                    Ok(_) => on_closed.emit(format!(
                        "Review closed: {who}'s access {}.",
                        if justified { "was justified" } else { "was not justified" }
                    )),
                    Err(e) => form.dispatch(VerdictAction::Failed(e)),
                }
            });
        })
    };
    let chosen = form.justified;
    let radio = |value: bool, label: &str| {
        let id = format!("justified-{}-{}", props.id, if value { "yes" } else { "no" });
        let form = form.dispatcher();
        html! {
            <label class="check" for={id.clone()}>
                <input type="radio" id={id} name={format!("justified-{}", props.id)} required=true
                    class={if value { "justified-yes" } else { "justified-no" }}
                    checked={chosen == Some(value)}
                    onchange={Callback::from(move |_| form.dispatch(VerdictAction::Justified(value)))} />
                { label.to_owned() }
            </label>
        }
    };
    html! {
        <form class="form review-form" {onsubmit}>
            if let Some(e) = &form.error { <ErrorBox error={e.clone()} /> }
            <fieldset class="verdict">
                <legend>{ "Was it justified?" }</legend>
                { radio(true, "Justified") }
                { radio(false, "Not justified") }
            </fieldset>
            <label for={format!("note-{}", props.id)}>{ "Note (optional)" }</label>
            <textarea id={format!("note-{}", props.id)} class="review-note" rows="2" maxlength="2000"
                value={form.note.clone()} oninput={input_to(&form, VerdictAction::Note)} />
            <button class="btn btn-primary close-review" type="submit" disabled={form.busy}>{ "Close review" }</button>
        </form>
    }
}
