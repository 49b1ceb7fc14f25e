//! The load: concurrent clients over the api's HTTPS endpoint, each a doctor
//! reading patients' records (`patientRecords`, `record`) and, every fourth
//! request, amending its own patient's record (so versions never race between
//! clients). Every response is kept with what it returned and the events it
//! names in `extensions.audit`.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use careledger_bench::client::{Client, Outcome};
use careledger_bench::fixture::Fixture;
use serde_json::json;
use tokio::task::JoinSet;

use crate::ops::{self, amend_record, read_patient_records, read_record, Note};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// A write the api acknowledged: the version it made and that version's hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acked {
    pub record: String,
    pub version: i64,
    pub content_hash: String,
}

/// One request as its client saw it.
#[derive(Debug, Clone)]
pub struct Response {
    pub kind: Kind,
    /// When it was sent and answered, from the start of the load.
    pub started: Duration,
    pub ended: Duration,
    pub outcome: Outcome,
    /// It answered with the data asked for (a read's records, a write's new version).
    pub returned_data: bool,
    pub notes: Vec<Note>,
    pub acked: Option<Acked>,
    /// A CONFLICT right after a write of the same record that got no answer
    /// (that write may have committed): expected, not a fault.
    pub conflict_after_unanswered_write: bool,
}

/// Acknowledged reads and writes sent after a mark, counted as they come.
#[derive(Debug)]
struct Since {
    mark_ms: AtomicU64,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl Since {
    fn count(&self, response: &Response) {
        let mark = Duration::from_millis(self.mark_ms.load(Ordering::Relaxed));
        if response.started < mark || !response.returned_data {
            return;
        }
        let counter = if response.acked.is_some() { &self.writes } else { &self.reads };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// The running clients.
pub struct Load {
    stop: Arc<AtomicBool>,
    since: Arc<Since>,
    clients: JoinSet<Vec<Response>>,
    pub began: Instant,
}

impl Load {
    /// `clients` clients, client `i` amending patient `i`'s record.
    pub fn start(client: &Client, fixture: &Fixture, clients: usize) -> Self {
        assert!(fixture.patients.len() >= clients, "a patient per client");
        let stop = Arc::new(AtomicBool::new(false));
        let since = Arc::new(Since {
            mark_ms: AtomicU64::new(u64::MAX),
            reads: AtomicUsize::new(0),
            writes: AtomicUsize::new(0),
        });
        let began = Instant::now();
        let mut set = JoinSet::new();
        for i in 0..clients {
            let (client, fixture) = (client.clone(), fixture.clone());
            let (stop, since) = (stop.clone(), since.clone());
            set.spawn(async move { run(i, client, fixture, stop, since, began).await });
        }
        Self { stop, since, clients: set, began }
    }

    pub fn elapsed(&self) -> Duration {
        self.began.elapsed()
    }

    /// Waits until `reads` reads and `writes` writes sent after `mark` were
    /// answered with data (the service is back for the clients), for at most
    /// `within`; returns whether they were.
    pub async fn answered_after(
        &self,
        mark: Duration,
        (reads, writes): (usize, usize),
        within: Duration,
    ) -> bool {
        self.since.mark_ms.store(mark.as_millis() as u64, Ordering::Relaxed);
        let deadline = Instant::now() + within;
        while self.since.reads.load(Ordering::Relaxed) < reads
            || self.since.writes.load(Ordering::Relaxed) < writes
        {
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        true
    }

    /// Stops every client after its current request; every response, in order sent.
    pub async fn stop(mut self) -> Vec<Response> {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Vec::new();
        while let Some(done) = self.clients.join_next().await {
            all.extend(done.expect("a client panicked"));
        }
        all.sort_by_key(|r| r.started);
        all
    }
}

async fn run(
    i: usize,
    client: Client,
    fixture: Fixture,
    stop: Arc<AtomicBool>,
    since: Arc<Since>,
    began: Instant,
) -> Vec<Response> {
    let token = fixture.doctors[i % fixture.doctors.len()].1.clone();
    let token = Some(token.as_str());
    let own = &fixture.patients[i].record_id;
    let mut version = 1; // the fixture made version 1
    let mut unanswered_write = false;
    let mut out = Vec::new();
    let mut n = 0usize;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let started = began.elapsed();
        let other = &fixture.patients[(i + n) % fixture.patients.len()];
        let mut conflict_after_unanswered_write = false;
        let (kind, outcome, returned_data, notes, acked) = if n % 4 == 0 {
            let variables = amend_record::Variables {
                id: own.clone(),
                expected_version: version,
                input: amend_record::UpdateRecordInput {
                    title: None,
                    content: Some(json!({ "pulse": 60 + n % 40, "reading": n })),
                },
            };
            let a = ops::send::<ops::AmendRecord>(&client, token, variables).await;
            let acked = a.data.as_ref().map(|d| Acked {
                record: d.update_record.id.clone(),
                version: d.update_record.version,
                content_hash: d.update_record.content_hash.clone(),
            });
            match (&a.outcome, &acked) {
                (Outcome::Ok, Some(acked)) => {
                    version = acked.version;
                    unanswered_write = false;
                }
                (Outcome::Error(code), _) if code == "CONFLICT" => {
                    conflict_after_unanswered_write = unanswered_write;
                    version = a.current_version.unwrap_or(version);
                    unanswered_write = false;
                }
                _ => unanswered_write = true,
            }
            (Kind::Write, a.outcome, acked.is_some(), a.notes, acked)
        } else if n % 2 == 0 {
            let variables = read_patient_records::Variables { patient_id: other.id.clone() };
            let a = ops::send::<ops::ReadPatientRecords>(&client, token, variables).await;
            let data = a.data.is_some_and(|d| !d.patient_records.is_empty());
            (Kind::Read, a.outcome, data, a.notes, None)
        } else {
            let variables = read_record::Variables { id: other.record_id.clone() };
            let a = ops::send::<ops::ReadRecord>(&client, token, variables).await;
            let data = a.data.is_some_and(|d| d.record.is_some());
            (Kind::Read, a.outcome, data, a.notes, None)
        };
        let failed = outcome != Outcome::Ok;
        let response = Response {
            kind,
            started,
            ended: began.elapsed(),
            outcome,
            returned_data,
            notes,
            acked,
            conflict_after_unanswered_write,
        };
        since.count(&response);
        out.push(response);
        if failed {
            // Not a hot loop against a service that is away.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    out
}
