//! Audit: the live feed (subscription) and the searchable trail for
//! auditors; for patients, "who accessed my records".

use yew::prelude::*;

use crate::api::ops::{
    audit_check, audit_feed, audit_trail, AccessAction, AccessResource, AuditCheck, AuditFeed,
    AuditTrail,
};
use crate::api::ws::{self, FeedUpdate, Live};
use crate::api::{self, ActorKind, ApiError, Event};
use crate::hooks::use_query;
use crate::labels::{audit_kind, is_nobody, unnamed_actor, Label};
use crate::receipts::short_hash;
use crate::session::{use_api, use_session};
use crate::ui::{bind, bind_change, when, Empty, ErrorBox, Load, Loading};

const RESOURCES: [&str; 6] =
    ["HEALTH_RECORD", "USER_RECORD", "AUDIT_TRAIL", "CARE_TEAM", "EMERGENCY_ACCESS", "RESTRICTION"];
const ACTIONS: [&str; 5] = ["READ", "SEARCH", "CREATE", "UPDATE", "DELETE"];
const FEED_MAX: usize = 200;

fn pretty(code: &str) -> String {
    let s = code.replace('_', " ").to_lowercase();
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
}

#[derive(Clone, PartialEq, Default)]
struct Filters {
    resource: String,
    action: String,
    verdict: String,
}

impl Filters {
    fn approved(&self) -> Option<bool> {
        match self.verdict.as_str() {
            "approved" => Some(true),
            "refused" => Some(false),
            _ => None,
        }
    }
    fn opt(s: &str) -> Option<String> {
        Some(s.to_owned()).filter(|s| !s.is_empty())
    }
    fn action(&self) -> Option<AccessAction> {
        api::enum_of(&self.action)
    }
    fn resource(&self) -> Option<AccessResource> {
        api::enum_of(&self.resource)
    }
}

#[derive(Properties, PartialEq)]
struct FilterProps {
    prefix: &'static str,
    resource: UseStateHandle<String>,
    action: UseStateHandle<String>,
    verdict: UseStateHandle<String>,
}

#[function_component(FilterFields)]
fn filter_fields(p: &FilterProps) -> Html {
    let id = |n: &str| format!("{}-{n}", p.prefix);
    html! {
        <>
            <div class="field"><label for={id("resource")}>{ "Resource" }</label>
                <select id={id("resource")} onchange={bind_change(&p.resource)}>
                    <option value="" selected={p.resource.is_empty()}>{ "Any" }</option>
                    { for RESOURCES.iter().map(|r| html! { <option value={*r} selected={*p.resource == *r}>{ pretty(r) }</option> }) }
                </select></div>
            <div class="field"><label for={id("action")}>{ "Action" }</label>
                <select id={id("action")} onchange={bind_change(&p.action)}>
                    <option value="" selected={p.action.is_empty()}>{ "Any" }</option>
                    { for ACTIONS.iter().map(|a| html! { <option value={*a} selected={*p.action == *a}>{ pretty(a) }</option> }) }
                </select></div>
            <div class="field"><label for={id("verdict")}>{ "Verdict" }</label>
                <select id={id("verdict")} onchange={bind_change(&p.verdict)}>
                    <option value="" selected={p.verdict.is_empty()}>{ "Any" }</option>
                    <option value="approved" selected={*p.verdict == "approved"}>{ "Approved" }</option>
                    <option value="refused" selected={*p.verdict == "refused"}>{ "Refused" }</option>
                </select></div>
        </>
    }
}

fn who(name: &Option<api::Person>, sid: &Option<String>) -> Html {
    match (name, sid) {
        (Some(p), _) => {
            html! { <>{ p.full_name.clone() }{ p.role.map(|r| html! { <span class="muted small">{ format!(" · {}", r.label()) }</span> }).unwrap_or_default() }</> }
        }
        (None, Some(s)) if is_nobody(s) => html! { <span class="muted">{ "unknown" }</span> },
        (None, Some(s)) => html! { <code class="hash" title={s.clone()}>{ short_hash(s) }</code> },
        (None, None) => html! { "—" },
    }
}

/// Who acted, as a patient's own report shows them: "You", a staff member by
/// name, role and designation (department and position), or in words;
/// never an identifier.
fn who_for_patient(e: &Event, you: &str) -> Html {
    match (&e.actor, e.actor_kind) {
        (Some(p), _) if p.id == you => html! { <strong class="you">{ "You" }</strong> },
        (Some(p), ActorKind::Person) => {
            let role = p.role.map(|r| r.label().to_owned());
            let about: Vec<String> = role.into_iter().chain(p.designation.clone()).collect();
            html! { <>{ p.full_name.clone() }<div class="muted small">{ about.join(" · ") }</div></> }
        }
        (_, kind) => html! { <span class="muted">{ unnamed_actor(kind) }</span> },
    }
}

/// A chain account (an api server's gateway key, the contract's admin),
/// shortened, with the whole address on hover.
fn account(address: &str) -> Html {
    html! {
        <><code class="hash" title={address.to_owned()}>{ short_hash(address) }</code>
        <span class="muted small">{ " · chain account" }</span></>
    }
}

/// An access under break-the-glass, or the break itself.
fn is_emergency(e: &Event) -> bool {
    e.emergency || matches!(e.kind.as_str(), "GLASS_BROKEN" | "EMERGENCY_ACCESS")
}

/// What a care event or an emergency access adds, in words: the reason,
/// the clinician or staff member, the department, until when, the verdict.
fn care_detail(e: &Event) -> Option<String> {
    let parts: Vec<String> = [
        e.glass_reason.map(|r| r.label().to_owned()),
        e.counterpart.as_ref().map(|p| p.full_name.clone()),
        e.department.as_ref().map(|d| format!("{d} department")),
        e.until.as_ref().map(|u| format!("until {} UTC", when(u))),
        e.justified.map(|j| if j { "justified" } else { "not justified" }.to_owned()),
    ]
    .into_iter()
    .flatten()
    .collect();
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The events as a table; `you` (the signed-in patient's id) for their own
/// report, which names people in words only.
fn event_rows(events: &[Event], id: &str, you: Option<&str>) -> Html {
    html! {
        <div class="table-wrap">
            <table class="table events" id={id.to_owned()}>
                <thead><tr><th>{ "When" }</th><th>{ "Who" }</th><th>{ "What" }</th><th>{ "About" }</th><th>{ "Verdict" }</th><th>{ "On chain" }</th></tr></thead>
                <tbody>
                    // A patient's report leaves out the EMERGENCY_ACCESS marks: each
                    // repeats the access before it, which is flagged itself.
                    { for events.iter().filter(|e| you.is_none() || e.kind != "EMERGENCY_ACCESS").map(|e| html! {
                        <tr class={classes!((!e.approved).then_some("refused"), e.lost_at.is_some().then_some("lost"), is_emergency(e).then_some("emergency"))}>
                            <td class="nowrap">{ when(&e.timestamp) }
                                if let Some(at) = &e.original_at {
                                    <div class="small muted re-recorded">{ format!("re-recorded; happened {}", when(at)) }</div>
                                }
                                if let Some(at) = &e.lost_at {
                                    <div class="small bad lost-mark">{ format!("lost from the chain {}", when(at)) }</div>
                                }</td>
                            <td>{ match (&e.sender, you) {
                                (_, Some(you)) => who_for_patient(e, you),
                                (Some(a), None) => account(a),
                                (None, None) => who(&e.actor, &e.actor_system_id),
                            } }</td>
                            <td>{ match (&e.action, &e.resource) {
                                // A search naming a subject: that search listed them.
                                (Some(a), Some(_)) if a == "SEARCH" && e.subject_system_id.is_some() => {
                                    "Listed in a search".to_owned()
                                }
                                (Some(a), Some(r)) => format!("{} · {}", pretty(a), pretty(r)),
                                _ => audit_kind(&e.kind).map_or_else(|| pretty(&e.kind), str::to_owned),
                            } }
                                if e.emergency {
                                    <div><span class="badge badge-bad emergency-mark">{ "Emergency access" }</span></div>
                                }
                                if let Some(d) = care_detail(e) {
                                    <div class="small muted care-detail">{ d }</div>
                                }</td>
                            <td>{ match (&e.account, you) {
                                // A patient's report is about them alone.
                                (_, Some(_)) => html! { <strong class="you">{ "You" }</strong> },
                                (Some(a), None) => account(a),
                                (None, None) => who(&e.subject, &e.subject_system_id),
                            } }</td>
                            <td>{ if e.approved { html! { <span class="badge badge-ok">{ "approved" }</span> } } else { html! { <span class="badge badge-bad">{ "refused" }</span> } } }</td>
                            <td class="small"><code class="hash" title={e.transaction_hash.clone()}>{ short_hash(&e.transaction_hash) }</code>
                                <span class="muted">{ format!(" · block {}", e.block_number) }</span></td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
    }
}

#[function_component(AuditPage)]
pub fn audit_page() -> Html {
    html! { <><LiveFeed /><Trail title="Audit trail" own={false} /></> }
}

#[function_component(MyAccessPage)]
pub fn my_access_page() -> Html {
    html! { <><EmergencyAccesses /><Trail title="Who accessed my records" own={true} /></> }
}

/// A patient's break-the-glass events, first on their report: who broke the
/// glass on them, when, why, and until when their records were open.
#[function_component(EmergencyAccesses)]
fn emergency_accesses() -> Html {
    let vars = audit_trail::Variables {
        filter: Some(audit_trail::AuditFilter {
            kind: Some("GLASS_BROKEN".to_owned()),
            ..audit_filter()
        }),
        first: Some(50),
        after: None,
    };
    let load = use_query::<AuditTrail, _, _>(Some(vars), |d| Page::of(d).events);
    let body = match &*load {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(events) if events.is_empty() => html! {
            <p id="no-emergency">{ "No one has broken the glass to open your records." }</p>
        },
        Load::Done(events) => html! {
            <>
                <p>{ "A clinician who does not care for you may open your records in an emergency, for a limited time, by “breaking the glass”. Each time is shown here and reviewed by an auditor; every access made under it is marked in the list below." }</p>
                <ul class="rows" id="emergency-accesses">
                    { for events.iter().map(|e| {
                        let who = e.actor.as_ref().map_or_else(|| unnamed_actor(e.actor_kind).to_owned(), |p| {
                            let about: Vec<String> = p.role.map(|r| r.label().to_owned()).into_iter().chain(p.designation.clone()).collect();
                            format!("{} ({})", p.full_name, about.join(" · "))
                        });
                        html! {
                            <li class="emergency-item">
                                <strong>{ who }</strong>
                                { format!(" broke the glass on {} UTC", when(&e.timestamp)) }
                                <div class="small">{ care_detail(e).unwrap_or_default() }</div>
                            </li>
                        }
                    }) }
                </ul>
            </>
        },
    };
    html! {
        <section class="card emergency-card" aria-labelledby="emergency-title">
            <h2 id="emergency-title">{ "Emergency access to your records" }</h2>
            { body }
        </section>
    }
}

#[function_component(LiveFeed)]
fn live_feed() -> Html {
    let api = use_api();
    let resource = use_state(String::new);
    let action = use_state(String::new);
    let verdict = use_state(String::new);
    let events = use_state(Vec::<Event>::new);
    let state = use_state(|| "connecting".to_owned());
    let live = use_mut_ref(|| None::<Live>);
    let filters = Filters {
        resource: (*resource).clone(),
        action: (*action).clone(),
        verdict: (*verdict).clone(),
    };
    // A renewed token reconnects the feed (the socket's session ends with
    // the token it was opened with); new filters also start a new list.
    let token = api.token();
    let shown_filters = use_mut_ref(|| None::<Filters>);
    {
        let (events, state, live) = (events.clone(), state.clone(), live.clone());
        use_effect_with((filters, token), move |(f, token)| {
            state.set("connecting".into());
            let vars = audit_feed::Variables {
                filter: Some(audit_feed::AuditFilter {
                    actor: None,
                    subject: None,
                    record_id: None,
                    action: f.action(),
                    resource: f.resource(),
                    approved: f.approved(),
                    kind: None,
                    since: None,
                    until: None,
                    include_duplicates: None,
                    include_lost: None,
                }),
            };
            // Items arrive one at a time; keep the list in a shared buffer so
            // each callback sees the latest one.
            let same_filters = shown_filters.borrow().as_ref() == Some(f);
            *shown_filters.borrow_mut() = Some(f.clone());
            let kept = if same_filters { (*events).clone() } else { vec![] };
            let buffer = std::rc::Rc::new(std::cell::RefCell::new(kept.clone()));
            events.set(kept);
            let on_update =
                Callback::from(move |u: FeedUpdate<audit_feed::ResponseData>| match u {
                    FeedUpdate::Connected => state.set("live".into()),
                    FeedUpdate::Item(d) => {
                        if let Some(e) = api::convert::<_, Event>(d.audit_events) {
                            let mut b = buffer.borrow_mut();
                            b.insert(0, e);
                            b.truncate(FEED_MAX);
                            events.set(b.clone());
                        }
                    }
                    FeedUpdate::Closed(reason) => state.set(reason),
                });
            *live.borrow_mut() =
                token.clone().map(|t| ws::subscribe::<AuditFeed>(t, vars, on_update));
            move || {
                live.borrow_mut().take();
            }
        });
    }
    let status = match state.as_str() {
        "live" => {
            html! { <span class="live" id="feed-state"><span class="live-dot" aria-hidden="true"></span>{ "Live" }</span> }
        }
        "connecting" => html! { <span class="muted" id="feed-state">{ "Connecting…" }</span> },
        other => {
            html! { <span class="bad" id="feed-state" role="alert">{ other.to_owned() }</span> }
        }
    };
    html! {
        <section class="card" aria-labelledby="feed-title">
            <div class="card-head"><h1 id="feed-title">{ "Live access feed" }</h1>{ status }</div>
            <div class="search-row">
                <FilterFields prefix="feed" resource={resource.clone()} action={action.clone()} verdict={verdict.clone()} />
            </div>
            <div aria-live="polite">
                if events.is_empty() {
                    <Empty>{ "Waiting for accesses… each one appears here as soon as its block is mined." }</Empty>
                } else {
                    { event_rows(&events, "feed", None) }
                }
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct TrailProps {
    title: &'static str,
    own: bool,
}

#[derive(Clone, PartialEq)]
struct Page {
    events: Vec<Event>,
    next: Option<String>,
}

impl Page {
    fn of(d: audit_trail::ResponseData) -> Page {
        let events =
            d.audit_events.edges.into_iter().filter_map(|e| api::convert(e.node)).collect();
        let p = d.audit_events.page_info;
        Page { events, next: p.end_cursor.filter(|_| p.has_next_page) }
    }
}

/// A filter narrowing nothing (the caller sets what it narrows by).
pub fn audit_filter() -> audit_trail::AuditFilter {
    audit_trail::AuditFilter {
        actor: None,
        subject: None,
        record_id: None,
        action: None,
        resource: None,
        approved: None,
        kind: None,
        since: None,
        until: None,
        include_duplicates: None,
        include_lost: None,
    }
}

/// The trail's first page for these filters (`from`/`to` are dates; `lost`
/// also lists the events of blocks the chain lost).
fn trail_query(
    f: &Filters,
    person: &str,
    from: &str,
    to: &str,
    lost: bool,
) -> audit_trail::Variables {
    audit_trail::Variables {
        filter: Some(audit_trail::AuditFilter {
            actor: Filters::opt(person.trim()),
            action: f.action(),
            resource: f.resource(),
            approved: f.approved(),
            since: Filters::opt(from).map(|d| format!("{d}T00:00:00Z")),
            until: Filters::opt(to).map(|d| format!("{d}T23:59:59Z")),
            include_lost: Some(lost),
            ..audit_filter()
        }),
        first: Some(50),
        after: None,
    }
}

#[function_component(Trail)]
fn trail(props: &TrailProps) -> Html {
    let api = use_api();
    // A patient's own report names people in words only.
    let you = use_session().map(|s| s.user.id).filter(|_| props.own);
    let resource = use_state(String::new);
    let action = use_state(String::new);
    let verdict = use_state(String::new);
    let from = use_state(String::new);
    let to = use_state(String::new);
    let person = use_state(String::new);
    // The search last asked for: its first page loads on mount and whenever
    // it changes; "Show more" appends the pages after it.
    let lost = use_state(|| false);
    let query = use_state(|| trail_query(&Filters::default(), "", "", "", false));
    let first = use_query::<AuditTrail, _, _>(Some((*query).clone()), Page::of);
    let more = use_state(|| None::<Result<Page, ApiError>>);
    let onsubmit = {
        let (query, first, more) = (query.clone(), first.clone(), more.clone());
        let (resource, action, verdict, from, to, person, lost) = (
            resource.clone(),
            action.clone(),
            verdict.clone(),
            from.clone(),
            to.clone(),
            person.clone(),
            lost.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let f = Filters {
                resource: (*resource).clone(),
                action: (*action).clone(),
                verdict: (*verdict).clone(),
            };
            let next = trail_query(&f, &person, &from, &to, *lost);
            more.set(None);
            if next == *query {
                first.reload();
            } else {
                query.set(next);
            }
        })
    };
    // The pages shown: the first, and any more.
    let shown = match (&*first, &*more) {
        (_, Some(Err(e))) => Load::Failed(e.clone()),
        (Load::Done(p), Some(Ok(m))) => Load::Done(Page {
            events: p.events.iter().chain(&m.events).cloned().collect(),
            next: m.next.clone(),
        }),
        (load, _) => load.clone(),
    };
    let show_more = {
        let (query, more) = (query.clone(), more.clone());
        Callback::from(move |cursor: String| {
            let vars = audit_trail::Variables { after: Some(cursor), ..(*query).clone() };
            let mut events = match &*more {
                Some(Ok(m)) => m.events.clone(),
                _ => vec![],
            };
            let (api, more) = (api.clone(), more.clone());
            wasm_bindgen_futures::spawn_local(async move {
                more.set(Some(api.run::<AuditTrail>(vars).await.map(|d| {
                    let page = Page::of(d);
                    events.extend(page.events);
                    Page { events, next: page.next }
                })));
            });
        })
    };
    let body = match &shown {
        Load::Idle | Load::Loading => html! { <Loading /> },
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(p) if p.events.is_empty() => {
            html! { <Empty>{ "No recorded accesses match." }</Empty> }
        }
        Load::Done(p) => html! {
            <>
                { event_rows(&p.events, "trail", you.as_deref()) }
                if let Some(cursor) = p.next.clone() {
                    <button class="btn" onclick={show_more.reform(move |_| cursor.clone())}>{ "Show more" }</button>
                }
            </>
        },
    };
    html! {
        <section class="card" aria-labelledby="trail-title">
            <h1 id="trail-title">{ props.title }</h1>
            if !props.own {
                <CheckStatus />
            }
            if props.own {
                <p class="muted">{ "Everyone who looked at or changed your records, and every refused attempt, as recorded on the blockchain." }</p>
            }
            <form class="search-row wrap" {onsubmit} role="search">
                <FilterFields prefix="trail" resource={resource.clone()} action={action.clone()} verdict={verdict.clone()} />
                if !props.own {
                    <div class="field"><label for="trail-actor">{ "Actor system ID" }</label>
                        <input id="trail-actor" value={(*person).clone()} oninput={bind(&person)} spellcheck="false" /></div>
                }
                <div class="field"><label for="trail-from">{ "From" }</label>
                    <input id="trail-from" type="date" value={(*from).clone()} oninput={bind(&from)} /></div>
                <div class="field"><label for="trail-to">{ "To" }</label>
                    <input id="trail-to" type="date" value={(*to).clone()} oninput={bind(&to)} /></div>
                if !props.own {
                    <label class="check" for="trail-lost">
                        <input id="trail-lost" type="checkbox" checked={*lost}
                            onchange={let lost = lost.clone(); Callback::from(move |_| lost.set(!*lost))} />
                        { " Include events the chain lost" }</label>
                }
                <button class="btn btn-primary" type="submit" id="trail-search">{ "Search" }</button>
            </form>
            { body }
        </section>
    }
}

/// "Checked against the chain up to block N; M repairs", and the repairs.
#[function_component(CheckStatus)]
fn check_status() -> Html {
    let check = use_query::<AuditCheck, _, _>(Some(audit_check::Variables), |d| d.audit_check);
    match &*check {
        Load::Idle | Load::Loading => html! {},
        Load::Failed(e) => html! { <ErrorBox error={e.clone()} /> },
        Load::Done(c) => {
            let checked = match &c.checked_to_block {
                Some(block) => format!("Checked against the chain up to block {block}"),
                None => "Not yet checked against the chain".to_owned(),
            };
            let repairs = match c.repair_count {
                1 => "1 repair".to_owned(),
                n => format!("{n} repairs"),
            };
            html! {
                <div class="check-status">
                    <p><span id="audit-check">{ format!("{checked}; {repairs}.") }</span>
                        if let Some(at) = &c.full_pass_at {
                            <span class="muted small">{ format!(" Every block checked {}.", when(at)) }</span>
                        }</p>
                    if !c.repairs.is_empty() {
                        <details id="audit-repairs"><summary>{ "Repairs made from the chain" }</summary>
                            <ul class="small">
                                { for c.repairs.iter().map(|r| html! {
                                    <li>{ format!("{} — {} at block {}, log {} ({}): {}", when(&r.found_at), pretty(&r.kind),
                                        r.block_number, r.log_index, short_hash(&r.transaction_hash), finding(&r.finding)) }</li>
                                }) }
                            </ul>
                        </details>
                    }
                </div>
            }
        }
    }
}

fn finding(f: &audit_check::AuditRepairFinding) -> &'static str {
    use audit_check::AuditRepairFinding as F;
    match f {
        F::MISSING => "the index had lost this event; restored",
        F::ALTERED => "the index row had been changed; rewritten from the chain",
        F::EXTRA => "the index had an event the chain never held; removed",
        F::DUPLICATE_FLAG => "the duplicate mark was wrong; corrected",
        F::Other(_) => "repaired",
    }
}
