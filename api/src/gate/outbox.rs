//! The lifecycle outbox. A change and its outbox row commit in one database
//! transaction; the row is then sent to the chain through the gate and
//! marked sent. Whatever is still unsent when the api starts (the process
//! died between the commit and the chain) is sent then, and a background
//! task retries anything a failed send left behind.
//!
//! A sender claims its rows for [`CLAIM`] (one short statement) rather than
//! holding them locked in a transaction while the chain mines them, so a
//! request waiting for its anchor holds no database connection. A failed send
//! gives its claim back at once; a sender that dies leaves its claim to run
//! out, and the rows are then sent by whoever sweeps next.
//!
//! Delivery is at least once: a crash after the chain mined an entry but
//! before the row was marked (or a send slower than its claim) leaves it to
//! be sent again; the entry id on chain lets the audit index keep one copy.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::B256;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;

use super::{AuditReceipt, Gate, GateError, LifecycleEntry, LifecycleKind};

/// Most entries sent in one go.
const CHUNK: i64 = 400;
/// How often the background task looks for entries a failed send left behind.
const SWEEP: Duration = Duration::from_secs(2);
/// How long a sender has to get claimed rows on chain before another sender
/// may take them: longer than the gate's slowest answer (three mining
/// timeouts of 30 s, see gate/submit.rs).
const CLAIM: Duration = Duration::from_secs(120);

/// A lifecycle entry before it has an id: what changed, by whom, to whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    pub kind: LifecycleKind,
    pub actor: B256,
    pub subject: B256,
    pub record: B256,
    pub version: u64,
    pub content_hash: B256,
    pub role: u8,
}

impl Change {
    /// A change to a user account: no record, no version, and no content hash
    /// (nothing about a person goes on chain). `role` is the contract code of
    /// the role set by USER_ADDED / ROLE_CHANGED, 0 otherwise.
    pub fn user(kind: LifecycleKind, actor: B256, subject: B256, role: u8) -> Self {
        Self { kind, actor, subject, record: B256::ZERO, version: 0, content_hash: B256::ZERO, role }
    }

    /// The contract refuses (reverts) entries without an actor or subject, a
    /// record event without a record, or a role event without a role; a
    /// refused entry would take its whole batch down, so it is caught here.
    pub fn check(&self) -> Result<(), OutboxError> {
        let record_kind = matches!(self.kind, LifecycleKind::RecordVersionCreated | LifecycleKind::RecordDeleted);
        let role_kind = matches!(self.kind, LifecycleKind::UserAdded | LifecycleKind::RoleChanged);
        let problem = if self.actor.is_zero() {
            Some("actor")
        } else if self.subject.is_zero() {
            Some("subject")
        } else if record_kind && self.record.is_zero() {
            Some("record")
        } else if role_kind && self.role == 0 {
            Some("role")
        } else {
            None
        };
        problem.map_or(Ok(()), |field| Err(OutboxError::Invalid(field)))
    }
}

/// Writes the change into the outbox inside the caller's transaction and
/// returns its entry id.
pub async fn enqueue(conn: &mut PgConnection, change: Change) -> Result<B256, OutboxError> {
    change.check()?;
    let entry_id = super::random_id();
    sqlx::query!(
        "INSERT INTO chain_outbox (entry_id, kind, actor, subject, record_id, version, content_hash, role)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        entry_id.as_slice(),
        change.kind as i16,
        change.actor.as_slice(),
        change.subject.as_slice(),
        change.record.as_slice(),
        i64::try_from(change.version).unwrap_or(i64::MAX),
        change.content_hash.as_slice(),
        i16::from(change.role),
    )
    .execute(conn)
    .await?;
    Ok(entry_id)
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error("outbox database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a lifecycle entry must name its {0}")]
    Invalid(&'static str),
}

/// Sends outbox entries and marks them sent.
#[derive(Clone, Debug)]
pub struct Outbox {
    pool: PgPool,
    gate: Gate,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(pool: PgPool, gate: Gate) -> Self {
        Self { pool, gate, wake: Arc::new(Notify::new()) }
    }

    /// Sends the given entries now (those not already claimed by another
    /// sender) and returns their receipts in order of the ids given.
    pub async fn deliver(&self, ids: &[B256]) -> Result<Vec<(B256, AuditReceipt)>, OutboxError> {
        let wanted: Vec<Vec<u8>> = ids.iter().map(|id| id.to_vec()).collect();
        let mut rows = sqlx::query_as!(
            Row,
            "UPDATE chain_outbox SET claimed_until = now() + make_interval(secs => $2)
             WHERE entry_id = ANY($1) AND sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
             RETURNING id, entry_id, kind, actor, subject, record_id, version, content_hash, role",
            &wanted,
            CLAIM.as_secs_f64(),
        )
        .fetch_all(&self.pool)
        .await?;
        rows.sort_by_key(|r| r.id);
        let sent = self.send_rows(rows).await?;
        if sent.len() < ids.len() {
            self.wake.notify_one();
        }
        let mut sent: std::collections::HashMap<B256, AuditReceipt> = sent.into_iter().collect();
        Ok(ids.iter().filter_map(|id| sent.remove(id).map(|r| (*id, r))).collect())
    }

    /// Sends everything pending and unclaimed, oldest first; returns how many
    /// were sent.
    pub async fn flush(&self) -> Result<usize, OutboxError> {
        let mut total = 0;
        loop {
            let mut rows = sqlx::query_as!(
                Row,
                "UPDATE chain_outbox SET claimed_until = now() + make_interval(secs => $2)
                 WHERE id IN (SELECT id FROM chain_outbox
                               WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                               ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
                 RETURNING id, entry_id, kind, actor, subject, record_id, version, content_hash, role",
                CHUNK,
                CLAIM.as_secs_f64(),
            )
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(total);
            }
            rows.sort_by_key(|r| r.id);
            total += self.send_rows(rows).await?.len();
        }
    }

    /// Number of entries not yet on chain.
    pub async fn pending(&self) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar!("SELECT count(*) AS \"n!\" FROM chain_outbox WHERE sent_at IS NULL")
            .fetch_one(&self.pool)
            .await
    }

    /// Sends what is pending now, then keeps sweeping in the background.
    pub async fn start(self) -> Result<Self, OutboxError> {
        let sent = self.flush().await?;
        if sent > 0 {
            tracing::info!(sent, "outbox: recorded lifecycle events left pending by an earlier run");
        }
        let background = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = background.wake.notified() => {}
                    _ = tokio::time::sleep(SWEEP) => {}
                }
                if let Err(error) = background.flush().await {
                    tracing::warn!(%error, "outbox: sending pending lifecycle events failed; will retry");
                }
            }
        });
        Ok(self)
    }

    /// Sends claimed rows through the gate and marks them sent; on failure
    /// gives the claim back so the next sweep retries them.
    async fn send_rows(&self, rows: Vec<Row>) -> Result<Vec<(B256, AuditReceipt)>, OutboxError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let entries: Vec<LifecycleEntry> = rows.iter().filter_map(Row::entry).collect();
        let ids: Vec<Vec<u8>> = entries.iter().map(|e| e.entry_id.to_vec()).collect();
        let receipts = match self.gate.record(entries.clone()).await {
            Ok(receipts) => receipts,
            Err(error) => {
                sqlx::query!("UPDATE chain_outbox SET claimed_until = NULL WHERE entry_id = ANY($1)", &ids)
                    .execute(&self.pool)
                    .await?;
                return Err(error.into());
            }
        };
        let number = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        sqlx::query!(
            "UPDATE chain_outbox o
                SET sent_tx = r.tx, sent_block = r.block, sent_log_index = r.log_index, sent_at = now(),
                    claimed_until = NULL
               FROM UNNEST($1::bytea[], $2::bytea[], $3::int8[], $4::int8[]) AS r(entry_id, tx, block, log_index)
              WHERE o.entry_id = r.entry_id",
            &ids,
            &receipts.iter().map(|r| r.transaction_hash.to_vec()).collect::<Vec<_>>(),
            &receipts.iter().map(|r| number(r.block_number)).collect::<Vec<_>>(),
            &receipts.iter().map(|r| number(r.log_index)).collect::<Vec<_>>(),
        )
        .execute(&self.pool)
        .await?;
        Ok(entries.iter().map(|e| e.entry_id).zip(receipts).collect())
    }
}

struct Row {
    id: i64,
    entry_id: Vec<u8>,
    kind: i16,
    actor: Vec<u8>,
    subject: Vec<u8>,
    record_id: Vec<u8>,
    version: i64,
    content_hash: Vec<u8>,
    role: i16,
}

impl Row {
    fn entry(&self) -> Option<LifecycleEntry> {
        let b = |v: &[u8]| (v.len() == 32).then(|| B256::from_slice(v));
        Some(LifecycleEntry {
            entry_id: b(&self.entry_id)?,
            kind: LifecycleKind::from_code(u8::try_from(self.kind).ok()?)?,
            actor: b(&self.actor)?,
            subject: b(&self.subject)?,
            record: b(&self.record_id)?,
            version: u64::try_from(self.version).ok()?,
            content_hash: b(&self.content_hash)?,
            role: u8::try_from(self.role).ok()?,
        })
    }
}
