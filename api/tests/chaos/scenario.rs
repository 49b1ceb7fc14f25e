//! One chaos round: the whole system under load, one process killed with
//! `kill -9` and brought back as `make run` (or a container's restart policy)
//! would, the load kept up across it, then everything the clients were told
//! checked against the chain, the database and the audit views.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use alloy::primitives::B256;
use alloy::providers::{Provider, ProviderBuilder};
use careledger_bench::client::Outcome;
use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

use crate::checks::{self, Pending};
use crate::load::{Load, Response};
use crate::report::{self, Figures};
use crate::stack::Stack;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Anvil, restarted by its supervisor from its state file.
    Chain,
    /// The api, started again by the test.
    Api,
    /// PostgreSQL (the server and every backend), started again by the test.
    Postgres,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Self::Chain => "chain",
            Self::Api => "api",
            Self::Postgres => "postgres",
        }
    }
}

/// Concurrent clients.
const CLIENTS: usize = 6;
/// How long the api or PostgreSQL stays dead before it is started again
/// (Anvil's supervisor restarts it within half a second).
const DOWN: Duration = Duration::from_secs(3);
/// A generous bound on the clients being answered again once the killed
/// process is back (a liveness check, not a speed target).
const ANSWERED_WITHIN: Duration = Duration::from_secs(120);
/// How long the journal watcher and the indexer get to catch up.
const SETTLE_WITHIN: Duration = Duration::from_secs(60);

/// Seconds of load on each side of the fault: 6, or `CHAOS_SECONDS` (the
/// benchmark's longer round).
fn load_each_side() -> Duration {
    let seconds = std::env::var("CHAOS_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(6);
    Duration::from_secs(seconds)
}

/// The rounds are CPU-heavy (PostgreSQL, Anvil and the api each): one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

pub async fn run(fault: Fault) {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut stack = Stack::start().await;
    let fixture = stack.hospital(CLIENTS).await;
    let auditor = stack.auditor().await;

    let load = Load::start(&stack.client, &fixture, CLIENTS);
    tokio::time::sleep(load_each_side()).await;
    // From when the killed process is gone.
    let (killed_at, killed_wall);
    let mut kills = 1;
    let mut deep_loss = false;
    let chain_blocks_lost = match fault {
        Fault::Chain => {
            let provider =
                ProviderBuilder::new().connect_http(stack.chain.url().parse().expect("url"));
            let mut first = None;
            let mut lost = 0;
            // Killed again (up to three times) when Anvil saved between the
            // empty blocks and the kill, so the chain loses the api's blocks
            // and more than a shallow reorganisation would.
            for kill in 1..=3 {
                after_a_state_save(&stack).await;
                let before = provider.get_block_number().await.expect("head before the kill");
                tokio::task::block_in_place(|| stack.chain.kill9());
                first.get_or_insert((load.elapsed(), Utc::now()));
                let this_kill = before.saturating_sub(head_once_back(&provider).await);
                lost += this_kill;
                kills = kill;
                if this_kill > EMPTY_BLOCKS_LOST {
                    deep_loss = true;
                    break;
                }
            }
            (killed_at, killed_wall) = first.expect("killed");
            Some(lost)
        }
        Fault::Api => {
            stack.api.kill9();
            (killed_at, killed_wall) = (load.elapsed(), Utc::now());
            tokio::time::sleep(DOWN).await;
            stack.api.restart();
            None
        }
        Fault::Postgres => {
            tokio::task::block_in_place(|| stack.pg.kill9());
            (killed_at, killed_wall) = (load.elapsed(), Utc::now());
            tokio::time::sleep(DOWN).await;
            tokio::task::block_in_place(|| stack.pg.start());
            None
        }
    };
    stack.healthy().await;
    let back_at = load.elapsed();
    tokio::time::sleep(load_each_side()).await;
    // Every client is answered again: no request is left hanging on the fault.
    let answered = load.answered_after(back_at, (CLIENTS, CLIENTS), ANSWERED_WITHIN).await;
    let responses = load.stop().await;

    let chain_url = stack.chain.url();
    let (settle, chain, pending) = checks::settle(
        &stack.db,
        &chain_url,
        stack.contract,
        stack.deploy_block,
        &responses,
        SETTLE_WITHIN,
    )
    .await;

    let mut figures = figures(fault, &stack, &responses, (killed_at, back_at), killed_wall, &chain)
        .await
        .with(chain_blocks_lost, settle, &pending);
    figures.kills = kills;
    figures.print();
    figures.write();
    figures.write_timeline(&responses);

    assert!(stack.api.running(), "the api stopped during the round (its log follows)");
    assert!(answered, "reads and writes answered again within {ANSWERED_WITHIN:?} of recovery");
    the_load_ran_on_both_sides(&responses, killed_at, back_at);
    assert_eq!(pending, Pending::default(), "still pending {settle:?} after the load");
    assert_eq!(figures.events_lost, 0, "events lost");
    checks::every_named_access_is_on_chain_once(&chain, &responses);
    checks::every_acknowledged_write_is_stored_and_anchored(&stack.db, &chain, &responses).await;
    checks::the_index_holds_each_entry_once(&stack.db, &responses).await;
    checks::the_index_holds_only_what_the_chain_holds(&stack.db, &chain).await;
    checks::the_auditors_trail_lists_each_event_once(
        &stack.client,
        &auditor,
        &chain_url,
        stack.contract,
        stack.deploy_block,
        &responses,
    )
    .await;
    if fault == Fault::Chain {
        assert!(stack.chain.restarts() >= 1, "the supervisor started Anvil again");
        assert!(
            deep_loss && figures.transactions_re_recorded > 0 && figures.requests_re_recorded > 0,
            "a kill came 0.6 s after a state save, under load: the chain lost the empty blocks \
             and the api's transactions, and the journal recorded those again"
        );
    }
    integrity_checks_after_recovery(&stack).await;
    // Last, so a wrong code does not hide whether anything was lost.
    codes_are_clear(fault, &responses);
}

/// Empty blocks mined between Anvil's last save and the kill, besides the
/// api's: Anvil mining a few hundred blocks a second loses that many and more
/// (docs/RELIABILITY.md), deeper than a reorganisation usually goes.
const EMPTY_BLOCKS_LOST: u64 = 100;

/// Waits for Anvil's next state save, mines [`EMPTY_BLOCKS_LOST`] empty
/// blocks and lets the api work for 0.6 s more (the next save comes a second
/// after the last), so the kill loses the api's blocks and those.
async fn after_a_state_save(stack: &Stack) {
    let state = stack.scratch.0.join("anvil-state.json");
    let modified = || std::fs::metadata(&state).and_then(|m| m.modified()).ok();
    let last = modified();
    let deadline = Instant::now() + Duration::from_secs(10);
    while modified() == last || modified().is_none() {
        assert!(Instant::now() < deadline, "Anvil writes its state every second");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let provider = ProviderBuilder::new().connect_http(stack.chain.url().parse().expect("url"));
    let count = format!("0x{EMPTY_BLOCKS_LOST:x}");
    let _: serde_json::Value =
        provider.raw_request("anvil_mine".into(), (count,)).await.expect("anvil_mine");
    tokio::time::sleep(Duration::from_millis(600)).await;
}

/// The head once Anvil's supervisor has brought it back.
async fn head_once_back(provider: &impl Provider) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(head) = provider.get_block_number().await {
            return head;
        }
        assert!(Instant::now() < deadline, "Anvil was not started again within 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Every error the clients saw while something was away is UNAVAILABLE
/// (never UNAUTHENTICATED: the caller's token did not change), a CONFLICT
/// right after a write that got no answer (that write may have committed),
/// or, while the api itself is dead, a refused connection.
fn codes_are_clear(fault: Fault, responses: &[Response]) {
    let unauthenticated = responses
        .iter()
        .filter(|r| matches!(&r.outcome, Outcome::Error(c) if c == "UNAUTHENTICATED"))
        .count();
    assert_eq!(
        unauthenticated,
        0,
        "UNAUTHENTICATED answers while the {} was away: {:?}",
        fault.name(),
        report::tally(responses)
    );
    let unclear: HashSet<String> = responses
        .iter()
        .filter(|r| match &r.outcome {
            Outcome::Ok => false,
            Outcome::Error(code) if code == "UNAVAILABLE" => false,
            Outcome::Error(code) if code == "CONFLICT" => !r.conflict_after_unanswered_write,
            Outcome::Transport(_) => fault != Fault::Api,
            Outcome::Error(_) => true,
        })
        .map(|r| report::key(&r.outcome))
        .collect();
    assert!(
        unclear.is_empty(),
        "answers other than UNAVAILABLE while the {} was away: {unclear:?} (all: {:?})",
        fault.name(),
        report::tally(responses)
    );
}

/// The fault hit a running load: answers with data and acknowledged writes
/// before the kill and after the process was back.
fn the_load_ran_on_both_sides(responses: &[Response], killed_at: Duration, back_at: Duration) {
    let before: Vec<&Response> = responses.iter().filter(|r| r.ended < killed_at).collect();
    let after: Vec<&Response> = responses.iter().filter(|r| r.started > back_at).collect();
    for (side, rs) in [("before the kill", before), ("after recovery", after)] {
        assert!(rs.iter().any(|r| r.returned_data && r.acked.is_none()), "reads answered {side}");
        assert!(rs.iter().any(|r| r.acked.is_some()), "writes acknowledged {side}");
    }
}

/// The recovered system verifies against the chain; then the tamper cases of
/// issue 18 are caught: content edited with a recomputed hash and its index
/// row rewritten to match, an index row deleted, a row flagged a duplicate.
async fn integrity_checks_after_recovery(stack: &Stack) {
    let (clean, out) = stack.api.cli(&["audit", "check"]);
    assert!(clean, "after recovery the index is the chain's: {out}");
    // A write that got no answer when the api died may be stored with its
    // outbox row still claimed by the dead process (for two minutes): not yet
    // anchored, and never acknowledged. Only those may be MISSING_ON_CHAIN.
    let unanchored = unanswered_versions(&stack.db).await;
    let (verified, out) = stack.api.cli(&["verify"]);
    let problems: Vec<&str> = out.lines().filter(|l| l.starts_with("record ")).collect();
    assert!(
        problems.iter().all(|p| unanchored.contains(*p)) && (verified || !unanchored.is_empty()),
        "after recovery every record verifies against the chain: {out}"
    );

    let (record, version) = tamper::content_with_a_recomputed_hash(&stack.db).await;
    let anchor = record_anchor_position(&stack.db, &record, version).await;
    let deleted = tamper::delete_a_read(&stack.db).await;
    let flagged = tamper::flag_an_anchor(&stack.db, &record).await;

    let (verified, out) = stack.api.cli(&["verify"]);
    assert!(!verified, "verify exits non-zero");
    let mismatch = format!("record {record} version {version}: MISMATCH");
    let problems: Vec<&str> = out.lines().filter(|l| l.starts_with("record ")).collect();
    assert!(
        problems.contains(&mismatch.as_str())
            && problems.iter().all(|p| *p == mismatch || unanchored.contains(*p)),
        "the edited record, and only it, is a MISMATCH against its anchor on chain: {out}"
    );
    let (clean, out) = stack.api.cli(&["audit", "check"]);
    assert!(!clean, "audit check exits non-zero");
    for (position, finding) in
        [(anchor, "ALTERED"), (deleted, "MISSING"), (flagged, "DUPLICATE_FLAG")]
    {
        let line = format!("block {} log {}: {finding}", position.0, position.1);
        assert!(out.contains(&line), "{line} in: {out}");
    }
    assert!(out.contains("1 missing, 1 altered, 0 extra, 1 duplicate flag"), "{out}");
    let (_, repaired) = stack.api.cli(&["audit", "check", "--repair"]);
    assert!(repaired.contains("(repaired)"), "{repaired}");
    let (clean, out) = stack.api.cli(&["audit", "check"]);
    assert!(clean, "repaired from the chain: {out}");
}

/// `careledger verify`'s line for each stored version whose outbox row is
/// not yet sent (a write the api died answering).
async fn unanswered_versions(db: &sqlx::PgPool) -> std::collections::HashSet<String> {
    let rows: Vec<(Vec<u8>, i64)> = sqlx::query_as(
        "SELECT record_id, version FROM chain_outbox WHERE sent_at IS NULL AND kind = 4",
    )
    .fetch_all(db)
    .await
    .expect("pending outbox rows");
    rows.into_iter()
        .filter_map(|(word, version)| {
            let id = careledger::records::RecordId::from_word(
                &alloy::primitives::B256::try_from(word.as_slice()).ok()?,
            )?;
            Some(format!("record {id} version {version}: MISSING_ON_CHAIN"))
        })
        .collect()
}

/// Where the anchor of `version` of `record` is indexed.
async fn record_anchor_position(
    db: &sqlx::PgPool,
    record: &uuid::Uuid,
    version: i32,
) -> (i64, i64) {
    sqlx::query_as(
        "SELECT block_number, log_index FROM audit_events
          WHERE kind = 'RECORD_VERSION_CREATED' AND record_id = $1 AND version = $2",
    )
    .bind(alloy::primitives::B256::from(careledger::records::RecordId(*record)).as_slice())
    .bind(i64::from(version))
    .fetch_one(db)
    .await
    .expect("the anchor's row")
}

/// What an insider with the database's password does.
mod tamper {
    use careledger::records::hash::{content_hash, ContentSalt, HashedFields};
    use careledger::records::{CanonicalJson, RecordId, RecordType};
    use careledger::users::UserId;
    use sqlx::PgPool;

    /// Rewrites a record's current content (the triggers that keep history
    /// switched off), stores the hash recomputed exactly as
    /// `records/hash.rs` documents, and writes that hash into the index
    /// row of its anchor. Returns the record id and version.
    pub async fn content_with_a_recomputed_hash(db: &PgPool) -> (uuid::Uuid, i32) {
        type Row = (uuid::Uuid, i32, i64, i64, String, String, Vec<u8>);
        let (id, version, patient, author, kind, title, salt): Row = sqlx::query_as(
            "SELECT id, version, patient_id, author_id, record_type::text, title, content_salt
               FROM health_records h
              WHERE NOT EXISTS (
                    SELECT 1 FROM chain_outbox o
                     WHERE o.sent_at IS NULL
                       AND o.record_id = decode(lpad(replace(h.id::text, '-', ''), 64, '0'), 'hex'))
              ORDER BY id LIMIT 1",
        )
        .fetch_one(db)
        .await
        .expect("a record");
        let forged = r#"{"note":"edited behind the api"}"#;
        let content = CanonicalJson::from_json_text(forged).expect("canonical");
        let fields = HashedFields {
            record_id: RecordId(id),
            patient_id: UserId(patient),
            author_id: UserId(author),
            record_type: kind.parse::<RecordType>().expect("record type"),
            title: &title,
            version,
            content: &content,
        };
        let hash = content_hash(&ContentSalt::from_slice(&salt).expect("salt"), &fields);
        let mut tx = db.begin().await.expect("begin");
        for table in ["health_records", "health_records_history"] {
            sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                .execute(&mut *tx)
                .await
                .expect("disable");
        }
        let done = sqlx::query(
            "UPDATE health_records SET content = $2::jsonb, content_hash = $3 WHERE id = $1",
        )
        .bind(id)
        .bind(forged)
        .bind(hash.as_bytes().as_slice())
        .execute(&mut *tx)
        .await
        .expect("edit");
        assert_eq!(done.rows_affected(), 1);
        for table in ["health_records", "health_records_history"] {
            sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER USER"))
                .execute(&mut *tx)
                .await
                .expect("enable");
        }
        let done = sqlx::query(
            "UPDATE audit_events SET content_hash = $2
              WHERE kind = 'RECORD_VERSION_CREATED' AND record_id = $1 AND version = $3",
        )
        .bind(alloy::primitives::B256::from(RecordId(id)).as_slice())
        .bind(hash.as_bytes().as_slice())
        .bind(i64::from(version))
        .execute(&mut *tx)
        .await
        .expect("rewrite the index");
        assert_eq!(done.rows_affected(), 1, "one anchor row");
        tx.commit().await.expect("commit");
        (id, version)
    }

    /// Deletes the index row of the newest approved read; returns its position.
    pub async fn delete_a_read(db: &PgPool) -> (i64, i64) {
        sqlx::query_as(
            "DELETE FROM audit_events WHERE (block_number, log_index) =
               (SELECT block_number, log_index FROM audit_events
                 WHERE kind = 'ACCESS_REQUESTED' AND approved AND action = 1 AND resource = 1
                 ORDER BY block_number DESC, log_index DESC LIMIT 1)
             RETURNING block_number, log_index",
        )
        .fetch_one(db)
        .await
        .expect("a read to delete")
    }

    /// Marks the newest anchor of another record a duplicate, so searches skip it.
    pub async fn flag_an_anchor(db: &PgPool, not: &uuid::Uuid) -> (i64, i64) {
        sqlx::query_as(
            "UPDATE audit_events SET duplicate = true WHERE (block_number, log_index) =
               (SELECT block_number, log_index FROM audit_events
                 WHERE kind = 'RECORD_VERSION_CREATED' AND NOT duplicate AND record_id <> $1
                 ORDER BY block_number DESC, log_index DESC LIMIT 1)
             RETURNING block_number, log_index",
        )
        .bind(alloy::primitives::B256::from(RecordId(*not)).as_slice())
        .fetch_one(db)
        .await
        .expect("an anchor to flag")
    }
}

async fn figures(
    fault: Fault,
    stack: &Stack,
    responses: &[Response],
    (killed_at, back_at): (Duration, Duration),
    killed_wall: DateTime<Utc>,
    chain: &checks::OnChain,
) -> Figures {
    let (transactions, requests, entries, last): (i64, i64, i64, Option<DateTime<Utc>>) =
        sqlx::query_as(
            "SELECT count(*), coalesce(sum(cardinality(request_ids)), 0)::bigint,
                    coalesce(sum(cardinality(entry_ids)), 0)::bigint, max(settled_at)
               FROM chain_journal WHERE state = 'RE_RECORDED'",
        )
        .fetch_one(&stack.db)
        .await
        .expect("journal");
    let away = responses.iter().filter(|r| r.ended >= killed_at && r.started <= back_at);
    let first_answer = responses
        .iter()
        .filter(|r| r.started >= killed_at && r.outcome == Outcome::Ok)
        .map(|r| r.ended)
        .min();
    let notes = checks::access_notes(responses);
    let named: HashSet<B256> = notes.iter().map(|(id, _, _)| *id).collect();
    let acked = checks::acked(responses);
    let lost = named.iter().filter(|id| !chain.access.contains_key(*id)).count()
        + acked.iter().filter(|a| !chain.versions.contains_key(&checks::version_key(a))).count();
    Figures {
        fault: fault.name(),
        kills: 1,
        clients: CLIENTS,
        load_seconds_each_side: load_each_side().as_secs_f64(),
        requests: responses.len(),
        outcomes: report::tally(responses),
        outcomes_while_away: report::tally(away),
        returned_data: responses.iter().filter(|r| r.returned_data).count(),
        acknowledged_writes: acked.len(),
        requests_named: named.len(),
        chain_blocks_lost: None,
        transactions_re_recorded: transactions,
        requests_re_recorded: requests,
        entries_re_recorded: entries,
        events_lost: lost,
        seconds_away: (back_at - killed_at).as_secs_f64(),
        slowest_answer_seconds: responses
            .iter()
            .map(|r| (r.ended - r.started).as_secs_f64())
            .fold(0.0, f64::max),
        seconds_to_first_answer: first_answer.map(|t| (t - killed_at).as_secs_f64()),
        seconds_to_re_record: last
            .filter(|_| transactions > 0)
            .map(|t| (t - killed_wall).num_milliseconds() as f64 / 1000.0),
        seconds_to_settle_after_load: 0.0,
        unanswered_versions_not_yet_anchored: unanchored(stack, chain, &acked).await,
    }
}

/// Versions of the load's records in the database that are neither
/// acknowledged nor anchored on chain yet.
async fn unanchored(
    stack: &Stack,
    chain: &checks::OnChain,
    acked: &[&crate::load::Acked],
) -> usize {
    let records: Vec<uuid::Uuid> = acked
        .iter()
        .map(|a| a.record.parse().expect("record id"))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let stored: Vec<(uuid::Uuid, i32)> =
        sqlx::query_as("SELECT id, version FROM health_record_versions WHERE id = ANY($1)")
            .bind(&records)
            .fetch_all(&stack.db)
            .await
            .expect("versions");
    let answered: HashSet<(B256, u64)> = acked.iter().map(|a| checks::version_key(a)).collect();
    stored
        .into_iter()
        .map(|(id, version)| (B256::from(careledger::records::RecordId(id)), version as u64))
        .filter(|key| !answered.contains(key) && !chain.versions.contains_key(key))
        .count()
}

impl Figures {
    fn with(mut self, blocks_lost: Option<u64>, settle: Duration, pending: &Pending) -> Self {
        self.chain_blocks_lost = blocks_lost;
        self.seconds_to_settle_after_load = settle.as_secs_f64();
        if *pending != Pending::default() {
            println!("chaos: still pending after {settle:?}: {pending:?}");
        }
        self
    }
}
