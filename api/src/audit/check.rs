//! The index checked against the chain itself.
//!
//! The audit index is a copy; anyone with write access to the database could
//! delete a row, edit one, add one, or mark one a duplicate so searches skip
//! it. The check reads the contract's logs again and compares them, position
//! by position (block number, log index), with the rows:
//!
//! - MISSING: the chain has a log the index has no row for;
//! - ALTERED: the row differs from the log in anything but the duplicate flag
//!   (or no longer parses);
//! - EXTRA: a row where the chain has no log;
//! - DUPLICATE_FLAG: the row is marked a duplicate when it is the first
//!   delivery of its entry, or the other way round.
//!
//! With `repair`, each difference is set right from the chain in the same
//! transaction that found it, and written to `audit_repairs` with the row as
//! found and as repaired (see `migrations/0044_audit_lost_and_checked.sql`),
//! so auditors see every repair. Ranges are checked under the index's
//! advisory lock, never beyond the indexed position, and only while the
//! chain still holds the indexed head (otherwise the indexer rewinds first).
//!
//! The api runs the check itself ([`watch`]): the newest blocks every minute
//! (`CARELEDGER_AUDIT_CHECK_SECONDS`), every block since the deployment at least every
//! [`FULL_EVERY`].
//! `careledger audit check` runs a full pass on demand.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::B256;
use alloy::rpc::types::Filter;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use tokio::sync::watch;

use super::event::{AuditEvent, AuditKind};
use super::indexer::store::{self, db_u64};
use super::indexer::{decode_all, IndexError, Indexer, RANGE};
use super::search;

/// How often the api checks every block.
pub const FULL_EVERY: Duration = Duration::from_secs(3600);
/// How many blocks before the last checked one the newest-blocks pass
/// starts again (rows written just before the previous pass ended).
pub const OVERLAP: u64 = 64;

/// What differs between a row and the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Finding {
    Missing,
    Altered,
    Extra,
    DuplicateFlag,
}

impl Finding {
    pub const ALL: [Finding; 4] =
        [Finding::Missing, Finding::Altered, Finding::Extra, Finding::DuplicateFlag];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "MISSING",
            Self::Altered => "ALTERED",
            Self::Extra => "EXTRA",
            Self::DuplicateFlag => "DUPLICATE_FLAG",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// One difference, at one position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub finding: Finding,
    pub block_number: u64,
    pub log_index: u64,
    /// The row as the chain has it (none for EXTRA).
    pub expected: Option<AuditEvent>,
    /// The row as the index has it, as JSON (none for MISSING).
    pub found: Option<serde_json::Value>,
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "block {} log {}: {}", self.block_number, self.log_index, self.finding.as_str())?;
        if let Some(e) = &self.expected {
            write!(f, " — chain has {} in {}", e.kind.as_str(), e.transaction_hash)?;
        }
        if let Some(found) = &self.found {
            let kind = found.get("kind").and_then(|k| k.as_str()).unwrap_or("?");
            let duplicate = found.get("duplicate").and_then(|d| d.as_bool()).unwrap_or(false);
            write!(f, " — index has {kind}{}", if duplicate { " (duplicate)" } else { "" })?;
        }
        Ok(())
    }
}

/// What a pass found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The blocks compared (`from..=to`); `to < from` when none were.
    pub from: u64,
    pub to: u64,
    /// Logs on chain in those blocks.
    pub logs: u64,
    pub differences: Vec<Difference>,
    /// Whether the differences were repaired.
    pub repaired: bool,
}

impl Report {
    pub fn clean(&self) -> bool {
        self.differences.is_empty()
    }
    pub fn count(&self, finding: Finding) -> usize {
        self.differences.iter().filter(|d| d.finding == finding).count()
    }
}

/// Counts for `/metrics`.
#[derive(Debug, Default)]
pub struct CheckCounts {
    pub passes_newest: AtomicU64,
    pub passes_full: AtomicU64,
    pub failures: AtomicU64,
    /// The newest block compared with the chain.
    pub checked_to: AtomicU64,
    findings: [AtomicU64; 4],
}

impl CheckCounts {
    pub fn findings(&self, finding: Finding) -> u64 {
        self.findings[finding as usize].load(Ordering::Relaxed)
    }
    fn add(&self, report: &Report) {
        for d in &report.differences {
            self.findings[d.finding as usize].fetch_add(1, Ordering::Relaxed);
        }
        if report.to >= report.from {
            self.checked_to.fetch_max(report.to, Ordering::Relaxed);
        }
    }
}

/// Compares blocks `from..=to` (clamped to the indexed position) with the
/// chain, in ranges of [`RANGE`] blocks, each in its own transaction.
pub async fn check(
    indexer: &Indexer,
    from: u64,
    to: u64,
    repair: bool,
) -> Result<Report, IndexError> {
    let from = from.max(indexer.first_block());
    let mut report =
        Report { from, to: from.saturating_sub(1), repaired: repair, ..Report::default() };
    let mut start = from;
    while start <= to {
        let end = to.min(start + RANGE - 1);
        let Some(part) = check_range(indexer, start, end, repair).await? else { break };
        report.to = part.to;
        report.logs += part.logs;
        report.differences.extend(part.differences);
        if part.to < end {
            break;
        }
        start = end + 1;
    }
    Ok(report)
}

/// Every block from the deployment to the indexed position.
pub async fn full(indexer: &Indexer, repair: bool) -> Result<Report, IndexError> {
    let position = store::position(indexer.pool()).await?.map_or(0, |p| p.block);
    let report = check(indexer, indexer.first_block(), position, repair).await?;
    if report.to >= report.from {
        // A pass the indexer interrupted (the chain lost blocks) is not a full one.
        set_status(indexer.pool(), report.to, report.to >= position).await?;
    }
    Ok(report)
}

/// The blocks indexed since the last check (and [`OVERLAP`] before).
pub async fn newest(indexer: &Indexer, repair: bool) -> Result<Report, IndexError> {
    let position = store::position(indexer.pool()).await?.map_or(0, |p| p.block);
    let checked = status(indexer.pool()).await?.map_or(0, |s| s.checked_to);
    let from = checked.saturating_sub(OVERLAP).max(indexer.first_block());
    let report = check(indexer, from, position, repair).await?;
    if report.to >= report.from {
        set_status(indexer.pool(), report.to, false).await?;
    }
    Ok(report)
}

/// One range, `None` when the chain no longer holds the indexed head (the
/// indexer must rewind before anything can be compared).
async fn check_range(
    indexer: &Indexer,
    from: u64,
    to: u64,
    repair: bool,
) -> Result<Option<Report>, IndexError> {
    let mut tx = indexer.pool().begin().await?;
    store::lock(&mut tx).await?;
    let Some(position) = store::position(&mut *tx).await? else { return Ok(None) };
    if let Some(hash) = position.hash {
        if indexer.block_hash(position.block).await? != Some(hash) {
            return Ok(None);
        }
    }
    let to = to.min(position.block);
    if to < from {
        return Ok(Some(Report { from, to, repaired: repair, ..Report::default() }));
    }
    let filter = Filter::new().address(indexer.contract()).from_block(from).to_block(to);
    let mut expected = decode_all(indexer.chain().logs(&filter).await?);
    let logs = expected.len() as u64;
    mark_duplicates(&mut tx, from, &mut expected).await?;

    let found: BTreeMap<(u64, u64), AuditEvent> = search::in_blocks(&mut *tx, from, to)
        .await?
        .into_iter()
        .map(|e| ((e.block_number, e.log_index), e))
        .collect();
    let raw = raw_rows(&mut tx, from, to).await?;
    let expected: BTreeMap<(u64, u64), AuditEvent> =
        expected.into_iter().map(|e| ((e.block_number, e.log_index), e)).collect();
    let positions: BTreeSet<(u64, u64)> = expected.keys().chain(raw.keys()).copied().collect();

    let mut differences = Vec::new();
    for position in positions {
        let (want, json) = (expected.get(&position), raw.get(&position));
        let finding = match (want, json, found.get(&position)) {
            (Some(_), None, _) => Finding::Missing,
            (None, Some(_), _) => Finding::Extra,
            (Some(want), Some(_), Some(row)) if row == want => continue,
            (Some(want), Some(_), Some(row))
                if AuditEvent { duplicate: want.duplicate, ..row.clone() } == *want =>
            {
                Finding::DuplicateFlag
            }
            (Some(_), Some(_), _) => Finding::Altered,
            (None, None, _) => continue,
        };
        differences.push(Difference {
            finding,
            block_number: position.0,
            log_index: position.1,
            expected: want.cloned(),
            found: json.cloned(),
        });
    }
    if repair {
        for difference in &differences {
            apply(&mut tx, difference).await?;
        }
    }
    tx.commit().await?;
    for d in &differences {
        tracing::warn!(difference = %d, repaired = repair, "audit check: the index differs from the chain");
    }
    Ok(Some(Report { from, to, logs, differences, repaired: repair }))
}

/// Sets each lifecycle row's duplicate flag as the indexer would: a later
/// delivery of an entry (same kind, same entry id) already indexed before
/// `from` or earlier in `events`.
async fn mark_duplicates(
    conn: &mut PgConnection,
    from: u64,
    events: &mut [AuditEvent],
) -> Result<(), sqlx::Error> {
    let entries: Vec<Vec<u8>> = events
        .iter()
        .filter(|e| e.kind.is_lifecycle())
        .filter_map(|e| e.entry_id.map(|id| id.to_vec()))
        .collect();
    let earlier = sqlx::query!(
        r#"SELECT DISTINCT kind, entry_id AS "entry_id!" FROM audit_events
            WHERE block_number < $1 AND entry_id = ANY($2) AND kind <> 'ACCESS_REQUESTED'"#,
        db_u64(from),
        &entries,
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut seen: HashSet<(AuditKind, B256)> = earlier
        .into_iter()
        .filter(|r| r.entry_id.len() == 32)
        .filter_map(|r| Some((AuditKind::parse(&r.kind)?, B256::from_slice(&r.entry_id))))
        .collect();
    for e in events.iter_mut() {
        e.duplicate =
            e.kind.is_lifecycle() && e.entry_id.is_some_and(|id| !seen.insert((e.kind, id)));
    }
    Ok(())
}

/// The rows of `from..=to` exactly as stored, as JSON.
async fn raw_rows(
    conn: &mut PgConnection,
    from: u64,
    to: u64,
) -> Result<BTreeMap<(u64, u64), serde_json::Value>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT block_number, log_index, to_jsonb(a) AS "row!"
             FROM audit_events a WHERE block_number BETWEEN $1 AND $2"#,
        db_u64(from),
        db_u64(to),
    )
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let position = (
                u64::try_from(r.block_number).unwrap_or_default(),
                u64::try_from(r.log_index).unwrap_or_default(),
            );
            (position, r.row)
        })
        .collect())
}

/// Sets one position right from the chain and records the repair.
async fn apply(conn: &mut PgConnection, d: &Difference) -> Result<(), sqlx::Error> {
    let (block, log) = (db_u64(d.block_number), db_u64(d.log_index));
    if d.finding == Finding::DuplicateFlag {
        let duplicate = d.expected.as_ref().is_some_and(|e| e.duplicate);
        sqlx::query!(
            "UPDATE audit_events SET duplicate = $3 WHERE block_number = $1 AND log_index = $2",
            block,
            log,
            duplicate
        )
        .execute(&mut *conn)
        .await?;
    } else {
        sqlx::query!(
            "DELETE FROM audit_events WHERE block_number = $1 AND log_index = $2",
            block,
            log
        )
        .execute(&mut *conn)
        .await?;
        if let Some(event) = &d.expected {
            insert_exact(&mut *conn, event).await?;
        }
    }
    let transaction = d
        .expected
        .as_ref()
        .map(|e| e.transaction_hash.to_vec())
        .or_else(|| json_word(d.found.as_ref()?, "transaction_hash"))
        .unwrap_or_else(|| vec![0; 32]);
    let kind = d
        .expected
        .as_ref()
        .map(|e| e.kind.as_str().to_owned())
        .or_else(|| Some(d.found.as_ref()?.get("kind")?.as_str()?.to_owned()))
        .unwrap_or_default();
    sqlx::query!(
        r#"INSERT INTO audit_repairs (finding, block_number, log_index, transaction_hash, kind, before, after)
           SELECT $1, $2, $3, $4, $5, $6,
                  (SELECT to_jsonb(a) FROM audit_events a WHERE block_number = $2 AND log_index = $3)"#,
        d.finding.as_str(),
        block,
        log,
        transaction,
        kind,
        d.found.clone() as Option<serde_json::Value>,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A `bytea` column of a `to_jsonb` row (`"\\x…"`).
fn json_word(row: &serde_json::Value, column: &str) -> Option<Vec<u8>> {
    let text = row.get(column)?.as_str()?.strip_prefix("\\x")?;
    alloy::hex::decode(text).ok().filter(|b| b.len() == 32)
}

/// Inserts `e` exactly as given, duplicate flag included.
async fn insert_exact(conn: &mut PgConnection, e: &AuditEvent) -> Result<(), sqlx::Error> {
    let w = |w: &Option<B256>| w.map(|w| w.to_vec());
    sqlx::query!(
        r#"INSERT INTO audit_events
               (block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
                record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
                refusal, original_tx, original_block, original_at, details)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                   $20, $21, $22)"#,
        db_u64(e.block_number),
        e.block_hash.as_slice(),
        e.transaction_hash.as_slice(),
        db_u64(e.log_index),
        e.timestamp,
        e.kind.as_str(),
        e.actor.as_slice(),
        w(&e.subject),
        w(&e.record),
        e.action.map(|a| a as i16),
        e.resource.map(|r| r as i16),
        e.role.map(i16::from),
        e.approved,
        w(&e.entry_id),
        e.version.map(db_u64),
        w(&e.content_hash),
        e.duplicate,
        e.refusal.map(i16::from),
        e.original.map(|o| o.transaction_hash.to_vec()),
        e.original.map(|o| db_u64(o.block_number)),
        e.original.map(|o| o.timestamp),
        e.details.clone() as Option<serde_json::Value>,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// How far the index has been checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Status {
    pub checked_to: u64,
    pub full_pass_at: Option<DateTime<Utc>>,
    pub full_pass_to: Option<u64>,
    /// Repairs ever made (rows of `audit_repairs`).
    pub repairs: u64,
}

pub async fn status(db: impl PgExecutor<'_> + Copy) -> Result<Option<Status>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT checked_to, full_pass_at, full_pass_to,
                  (SELECT count(*) FROM audit_repairs) AS "repairs!"
             FROM audit_check_status"#
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Status {
        checked_to: u64::try_from(r.checked_to).unwrap_or_default(),
        full_pass_at: r.full_pass_at,
        full_pass_to: r.full_pass_to.and_then(|b| u64::try_from(b).ok()),
        repairs: u64::try_from(r.repairs).unwrap_or_default(),
    }))
}

async fn set_status(db: impl PgExecutor<'_>, to: u64, full: bool) -> Result<(), sqlx::Error> {
    sqlx::query!(
        r#"INSERT INTO audit_check_status (singleton, checked_to, full_pass_at, full_pass_to)
           VALUES (true, $1::bigint, CASE WHEN $2::boolean THEN now() END, CASE WHEN $2 THEN $1::bigint END)
           ON CONFLICT (singleton) DO UPDATE
              SET checked_to = GREATEST(audit_check_status.checked_to, $1),
                  full_pass_at = CASE WHEN $2 THEN now() ELSE audit_check_status.full_pass_at END,
                  full_pass_to = CASE WHEN $2 THEN $1 ELSE audit_check_status.full_pass_to END,
                  updated_at = now()"#,
        db_u64(to),
        full,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One repair, as auditors see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Repair {
    pub id: i64,
    pub found_at: DateTime<Utc>,
    pub finding: Finding,
    pub block_number: u64,
    pub log_index: u64,
    pub transaction_hash: B256,
    pub kind: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// The newest repairs first, at most `first`, older than `before` (an id).
pub async fn repairs(
    db: impl PgExecutor<'_>,
    first: i64,
    before: Option<i64>,
) -> Result<Vec<Repair>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, found_at, finding, block_number, log_index, transaction_hash, kind, before, after
             FROM audit_repairs
            WHERE ($2::bigint IS NULL OR id < $2)
            ORDER BY id DESC
            LIMIT $1"#,
        first,
        before,
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(Repair {
                id: r.id,
                found_at: r.found_at,
                finding: Finding::parse(&r.finding)?,
                block_number: u64::try_from(r.block_number).ok()?,
                log_index: u64::try_from(r.log_index).ok()?,
                transaction_hash: (r.transaction_hash.len() == 32)
                    .then(|| B256::from_slice(&r.transaction_hash))?,
                kind: r.kind,
                before: r.before,
                after: r.after,
            })
        })
        .collect())
}

/// The api's own check, until stopped: `every` (the first at start) the newest blocks, or every block when the last full pass
/// (by any process, as `audit_check_status` says) is older than
/// [`FULL_EVERY`]; what differs is repaired.
pub(crate) async fn watch(
    indexer: Indexer,
    every: Duration,
    counts: Arc<CheckCounts>,
    mut stopped: watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            changed = stopped.changed() => {
                if changed.is_err() || *stopped.borrow() { break }
                continue;
            }
        }
        let due = match status(indexer.pool()).await {
            Ok(status) => status.and_then(|s| s.full_pass_at).is_none_or(|at| {
                Utc::now().signed_duration_since(at).to_std().unwrap_or_default() >= FULL_EVERY
            }),
            Err(_) => false,
        };
        let (pass, result) = if due {
            ("full", full(&indexer, true).await)
        } else {
            ("newest", newest(&indexer, true).await)
        };
        match result {
            Ok(report) => {
                counts.add(&report);
                let passes = if due { &counts.passes_full } else { &counts.passes_newest };
                passes.fetch_add(1, Ordering::Relaxed);
                if !report.clean() {
                    tracing::warn!(
                        pass,
                        repaired = report.differences.len(),
                        to = report.to,
                        "audit check: the index was repaired from the chain"
                    );
                }
            }
            Err(error) => {
                counts.failures.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, pass, "audit check: could not compare with the chain; will retry");
            }
        }
    }
}
