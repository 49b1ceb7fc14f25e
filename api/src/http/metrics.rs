//! `/metrics`: Prometheus text format — request latencies, gate batch
//! sizes, transactions in flight, lifecycle outbox backlog, database pool use,
//! batched record reads.
//!
//! Served on a listener of its own (`CARELEDGER_METRICS_BIND`, loopback by
//! default, plain HTTP), never on the public HTTPS port: how busy the api is
//! and how its cache behaves is for the operator's scraper, not for anyone
//! who can reach the web app.

use std::fmt::Write as _;
use std::sync::atomic::Ordering;
use std::sync::LazyLock;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::app::AppState;
use crate::metrics::{scalar, Histogram, LATENCY_BOUNDS};

static GRAPHQL_LATENCY: LazyLock<Histogram> = LazyLock::new(|| Histogram::new(LATENCY_BOUNDS));
static OTHER_LATENCY: LazyLock<Histogram> = LazyLock::new(|| Histogram::new(LATENCY_BOUNDS));

/// Middleware timing every request.
pub async fn time_requests(request: Request, next: Next) -> Response {
    let graphql = request.uri().path().starts_with("/graphql");
    let started = Instant::now();
    let response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    if graphql { &GRAPHQL_LATENCY } else { &OTHER_LATENCY }.observe(seconds);
    response
}

/// The metrics listener's routes.
pub fn router(state: AppState) -> axum::Router {
    axum::Router::new().route("/metrics", axum::routing::get(metrics)).with_state(state)
}

/// Serves [`router`] on `bind` in the background. A listener that cannot be
/// opened (the port taken, say by another instance on this machine) is
/// logged and the api serves on without it.
pub async fn spawn(bind: std::net::SocketAddr, state: AppState) -> Option<std::net::SocketAddr> {
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(error) => {
            tracing::error!(%bind, %error, "CARELEDGER_METRICS_BIND: cannot serve metrics; continuing without them");
            return None;
        }
    };
    let local = listener.local_addr().ok();
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, router(state)).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    local
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    GRAPHQL_LATENCY.render(
        &mut out,
        "careledger_http_request_seconds",
        "Request latency.",
        "route=\"graphql\"",
    );
    OTHER_LATENCY.render(
        &mut out,
        "careledger_http_request_seconds",
        "Request latency.",
        "route=\"other\"",
    );
    let admission = &state.admission;
    scalar(
        &mut out,
        "careledger_http_in_progress",
        "gauge",
        "GraphQL requests over HTTPS in progress.",
        admission.in_progress() as f64,
    );
    scalar(
        &mut out,
        "careledger_http_in_progress_max",
        "gauge",
        "Most GraphQL requests in progress at once (CARELEDGER_MAX_IN_PROGRESS).",
        admission.max() as f64,
    );
    scalar(
        &mut out,
        "careledger_http_overloaded_total",
        "counter",
        "GraphQL requests answered OVERLOADED, at capacity.",
        admission.refused() as f64,
    );
    scalar(
        &mut out,
        "careledger_http_rate_limited_total",
        "counter",
        "Requests answered RATE_LIMITED, past their user's quota (CARELEDGER_USER_RATE).",
        state.quotas.refused() as f64,
    );
    let stats = state.gate.stats();
    if let Some(batches) = state.gate.batch_sizes() {
        batches.render(
            &mut out,
            "careledger_gate_batch_size",
            "Access requests and lifecycle entries per transaction.",
            "",
        );
    }
    if let Some(confirm) = state.gate.confirm_seconds() {
        confirm.render(
            &mut out,
            "careledger_gate_confirm_seconds",
            "From sending a transaction to holding its receipt.",
            "",
        );
    }
    scalar(
        &mut out,
        "careledger_gate_transactions_total",
        "counter",
        "Transactions the gate sent.",
        stats.transactions as f64,
    );
    scalar(
        &mut out,
        "careledger_gate_transactions_in_flight",
        "gauge",
        "Transactions sent and not yet mined.",
        stats.in_flight as f64,
    );
    scalar(
        &mut out,
        "careledger_gate_requests_total",
        "counter",
        "Access requests decided on chain.",
        stats.requests as f64,
    );
    scalar(
        &mut out,
        "careledger_gate_lifecycle_entries_total",
        "counter",
        "Lifecycle entries recorded on chain.",
        stats.lifecycle_entries as f64,
    );
    let journal = &state.journal.counts;
    for (name, help, counter) in [
        (
            "careledger_journal_transactions_total",
            "Chain transactions journaled before answering.",
            &journal.journaled,
        ),
        (
            "careledger_journal_safe_total",
            "Journaled transactions found safe (deep and old enough) on chain.",
            &journal.safe,
        ),
        (
            "careledger_journal_lost_total",
            "Journaled transactions the chain no longer held.",
            &journal.lost,
        ),
        (
            "careledger_journal_re_recorded_total",
            "Lost transactions recorded again with recommit.",
            &journal.re_recorded,
        ),
        (
            "careledger_journal_rollbacks_total",
            "Times the chain was seen to lose blocks it had mined.",
            &journal.rollbacks,
        ),
    ] {
        scalar(
            &mut out,
            name,
            "counter",
            help,
            counter.load(std::sync::atomic::Ordering::Relaxed) as f64,
        );
    }
    if let Ok(unsettled) = state.journal.unsettled().await {
        scalar(
            &mut out,
            "careledger_journal_unsettled",
            "gauge",
            "Journaled transactions not yet safe on chain (watched, or being recorded again).",
            unsettled as f64,
        );
    }
    if let Ok(pending) = state.outbox.pending().await {
        scalar(
            &mut out,
            "careledger_outbox_pending",
            "gauge",
            "Lifecycle entries committed but not yet on chain.",
            pending as f64,
        );
    }
    render_check(&mut out, state.audit.check_counts());
    let index = state.audit.status();
    let (indexed, head) = (index.last_indexed(), index.head());
    scalar(
        &mut out,
        "careledger_audit_index_block",
        "gauge",
        "Last block the audit index holds completely.",
        indexed as f64,
    );
    scalar(
        &mut out,
        "careledger_audit_index_head_block",
        "gauge",
        "Chain head seen at the indexer's last poll.",
        head as f64,
    );
    scalar(
        &mut out,
        "careledger_audit_index_lag_blocks",
        "gauge",
        "Blocks the audit index is behind the chain head.",
        head.saturating_sub(indexed) as f64,
    );
    let _ = writeln!(
        out,
        "# HELP careledger_login_attempts_total Sign-in attempts and sign-outs by outcome \
         (signed_in, failed and signed_out are on chain; throttled and malformed only here and \
         in the log).\n# TYPE careledger_login_attempts_total counter"
    );
    for (outcome, count) in state.logins.outcomes() {
        let _ = writeln!(out, "careledger_login_attempts_total{{outcome=\"{outcome}\"}} {count}");
    }
    let (sessions, subjects) = (&state.sessions, &state.subjects);
    let hits = |c: &crate::cache::Counts| c.hits.load(std::sync::atomic::Ordering::Relaxed) as f64;
    let misses =
        |c: &crate::cache::Counts| c.misses.load(std::sync::atomic::Ordering::Relaxed) as f64;
    scalar(
        &mut out,
        "careledger_session_cache_hits_total",
        "counter",
        "Requests whose token check was remembered.",
        hits(&sessions.counts),
    );
    scalar(
        &mut out,
        "careledger_session_cache_misses_total",
        "counter",
        "Requests whose token was checked against the database.",
        misses(&sessions.counts),
    );
    scalar(
        &mut out,
        "careledger_session_cache_entries",
        "gauge",
        "Token checks remembered.",
        sessions.entries() as f64,
    );
    scalar(
        &mut out,
        "careledger_session_cache_listening",
        "gauge",
        "1 while listening for session changes (else nothing is remembered).",
        f64::from(u8::from(sessions.is_listening())),
    );
    scalar(
        &mut out,
        "careledger_subject_cache_hits_total",
        "counter",
        "Guard subject lookups answered from memory.",
        hits(&subjects.counts),
    );
    scalar(
        &mut out,
        "careledger_subject_cache_misses_total",
        "counter",
        "Guard subject lookups that asked the database.",
        misses(&subjects.counts),
    );
    let [by_id, by_patient] = state.reads.stats();
    for (kind, stats) in [("record", by_id), ("patient_records", by_patient)] {
        let (keys, queries) =
            (stats.keys.load(Ordering::Relaxed), stats.queries.load(Ordering::Relaxed));
        scalar(
            &mut out,
            &format!("careledger_db_{kind}_reads_total"),
            "counter",
            "Batched reads answered (requests).",
            keys as f64,
        );
        scalar(
            &mut out,
            &format!("careledger_db_{kind}_read_queries_total"),
            "counter",
            "Queries that answered them (requests per query = the batch size).",
            queries as f64,
        );
    }
    let size = state.pool.size() as f64;
    let idle = state.pool.num_idle() as f64;
    scalar(&mut out, "careledger_db_pool_connections", "gauge", "Open database connections.", size);
    scalar(
        &mut out,
        "careledger_db_pool_in_use",
        "gauge",
        "Database connections in use.",
        size - idle,
    );
    scalar(
        &mut out,
        "careledger_db_pool_max",
        "gauge",
        "Largest pool allowed.",
        f64::from(state.config.db_pool_size),
    );
    ([(CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// What the api's check of the audit index against the chain found.
fn render_check(out: &mut String, check: &crate::audit::check::CheckCounts) {
    use std::sync::atomic::Ordering::Relaxed;

    use crate::audit::check::Finding;
    let _ = writeln!(
        out,
        "# HELP careledger_audit_check_findings_total Index rows found different from the chain \
         (and repaired from it), by finding.\n# TYPE careledger_audit_check_findings_total counter"
    );
    for finding in Finding::ALL {
        let _ = writeln!(
            out,
            "careledger_audit_check_findings_total{{finding=\"{}\"}} {}",
            finding.as_str(),
            check.findings(finding)
        );
    }
    for (name, kind, help, value) in [
        (
            "careledger_audit_check_block",
            "gauge",
            "Newest block the audit index was checked against the chain up to.",
            check.checked_to.load(Relaxed),
        ),
        (
            "careledger_audit_check_newest_passes_total",
            "counter",
            "Checks of the newest indexed blocks against the chain.",
            check.passes_newest.load(Relaxed),
        ),
        (
            "careledger_audit_check_full_passes_total",
            "counter",
            "Checks of every indexed block against the chain.",
            check.passes_full.load(Relaxed),
        ),
        (
            "careledger_audit_check_failures_total",
            "counter",
            "Checks that could not compare with the chain (retried).",
            check.failures.load(Relaxed),
        ),
    ] {
        scalar(out, name, kind, help, value as f64);
    }
}
