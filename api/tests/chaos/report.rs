//! What a round measured, printed (run with `--nocapture` to see it) and,
//! with `CHAOS_REPORT=<dir>`, written as `<dir>/chaos-<fault>.json` for
//! docs/RELIABILITY.md.

use std::collections::BTreeMap;

use careledger_bench::client::Outcome;
use serde::Serialize;

use crate::load::{Kind, Response};

#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub fault: &'static str,
    /// How many times it was killed (the chain again when a kill lost too little).
    pub kills: usize,
    pub clients: usize,
    /// Seconds of load before the kill, and again after the process was back.
    pub load_seconds_each_side: f64,
    pub requests: usize,
    /// Every answer by outcome: OK, an error code, or TRANSPORT:<what>.
    pub outcomes: BTreeMap<String, usize>,
    /// The same for requests in flight while the process was away.
    pub outcomes_while_away: BTreeMap<String, usize>,
    /// Answers that returned the data asked for.
    pub returned_data: usize,
    pub acknowledged_writes: usize,
    /// Request ids the answers named in `extensions.audit`.
    pub requests_named: usize,
    /// Blocks the chain no longer had when it came back (chain kill).
    pub chain_blocks_lost: Option<u64>,
    /// Transactions the journal found lost and recorded again, and the
    /// access requests and lifecycle entries they carried.
    pub transactions_re_recorded: i64,
    pub requests_re_recorded: i64,
    pub entries_re_recorded: i64,
    /// Named requests or acknowledged versions not on chain after recovery (must be 0).
    pub events_lost: usize,
    /// Kill to the process answering again (`/healthz` ok).
    pub seconds_away: f64,
    /// The longest any request waited for its answer.
    pub slowest_answer_seconds: f64,
    /// Kill to the first acknowledged answer to a request sent after it.
    pub seconds_to_first_answer: Option<f64>,
    /// Kill to the last lost transaction recorded again (chain kill).
    pub seconds_to_re_record: Option<f64>,
    /// End of the load to everything named being on chain and indexed.
    pub seconds_to_settle_after_load: f64,
    /// Versions committed without an answer (a write in flight at the kill)
    /// whose anchor was still pending at the end (the outbox sends it when
    /// the dead writer's claim runs out, within two minutes).
    pub unanswered_versions_not_yet_anchored: usize,
}

pub fn key(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "OK".to_owned(),
        Outcome::Error(code) => code.clone(),
        Outcome::Transport(what) => format!("TRANSPORT:{what}"),
    }
}

pub fn tally<'a>(responses: impl IntoIterator<Item = &'a Response>) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for r in responses {
        let kind = match r.kind {
            Kind::Read => "read",
            Kind::Write => "write",
        };
        *out.entry(format!("{kind} {}", key(&r.outcome))).or_default() += 1;
    }
    out
}

impl Figures {
    pub fn print(&self) {
        println!("chaos: {}", serde_json::to_string_pretty(self).expect("figures serialize"));
    }

    pub fn write(&self) {
        let Some(dir) = std::env::var_os("CHAOS_REPORT") else { return };
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("CHAOS_REPORT dir");
        let path = dir.join(format!("chaos-{}.json", self.fault));
        let text = serde_json::to_string_pretty(self).expect("figures serialize");
        std::fs::write(&path, text).expect("write the chaos report");
    }

    /// Every request's timeline (`started,ended,kind,outcome`, seconds from
    /// the start of the load) beside the figures.
    pub fn write_timeline(&self, responses: &[Response]) {
        let Some(dir) = std::env::var_os("CHAOS_REPORT") else { return };
        let mut csv = String::from("started,ended,kind,outcome\n");
        for r in responses {
            let kind = if r.kind == Kind::Read { "read" } else { "write" };
            csv.push_str(&format!(
                "{:.3},{:.3},{kind},{}\n",
                r.started.as_secs_f64(),
                r.ended.as_secs_f64(),
                key(&r.outcome)
            ));
        }
        let path = std::path::PathBuf::from(dir).join(format!("chaos-{}-timeline.csv", self.fault));
        std::fs::write(path, csv).expect("write the timeline");
    }
}
