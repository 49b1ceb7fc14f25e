//! The lifecycle outbox. A change and its outbox row commit in one database
//! transaction; the row is then sent to the chain through the gate and
//! marked sent. Whatever is still unsent when the api starts (the process
//! died between the commit and the chain) is sent then, and a background
//! task retries anything a failed send left behind.
//!
//! Delivery is at least once: a crash after the chain mined an entry but
//! before the row was marked leaves it to be sent again; the entry id on
//! chain lets the audit index keep one copy.

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

    /// Sends the given entries now (those not already taken by another
    /// sender) and returns their receipts in order of the ids given.
    pub async fn deliver(&self, ids: &[B256]) -> Result<Vec<(B256, AuditReceipt)>, OutboxError> {
        let ids: Vec<Vec<u8>> = ids.iter().map(|id| id.to_vec()).collect();
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query_as!(
            Row,
            "SELECT id, entry_id, kind, actor, subject, record_id, version, content_hash, role
             FROM chain_outbox WHERE entry_id = ANY($1) AND sent_at IS NULL
             ORDER BY id FOR UPDATE SKIP LOCKED",
            &ids
        )
        .fetch_all(&mut *tx)
        .await?;
        let sent = self.send_rows(&mut tx, rows).await;
        tx.commit().await?;
        let sent = sent?;
        if sent.len() < ids.len() {
            self.wake.notify_one();
        }
        Ok(sent)
    }

    /// Sends everything pending, oldest first; returns how many were sent.
    pub async fn flush(&self) -> Result<usize, OutboxError> {
        let mut total = 0;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows = sqlx::query_as!(
                Row,
                "SELECT id, entry_id, kind, actor, subject, record_id, version, content_hash, role
                 FROM chain_outbox WHERE sent_at IS NULL
                 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                CHUNK
            )
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                return Ok(total);
            }
            let sent = self.send_rows(&mut tx, rows).await?;
            tx.commit().await?;
            total += sent.len();
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

    async fn send_rows(
        &self,
        conn: &mut PgConnection,
        rows: Vec<Row>,
    ) -> Result<Vec<(B256, AuditReceipt)>, OutboxError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let entries: Vec<LifecycleEntry> = rows.iter().filter_map(Row::entry).collect();
        let receipts = self.gate.record(entries.clone()).await?;
        for (entry, receipt) in entries.iter().zip(&receipts) {
            sqlx::query!(
                "UPDATE chain_outbox SET sent_tx = $2, sent_block = $3, sent_log_index = $4, sent_at = now()
                 WHERE entry_id = $1",
                entry.entry_id.as_slice(),
                receipt.transaction_hash.as_slice(),
                i64::try_from(receipt.block_number).unwrap_or(i64::MAX),
                i64::try_from(receipt.log_index).unwrap_or(i64::MAX),
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(entries.iter().map(|e| e.entry_id).zip(receipts).collect())
    }
}

struct Row {
    #[allow(dead_code)]
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
