//! The lifecycle outbox. A change and its outbox row commit in one database
//! transaction; the row is then sent to the chain through the gate and
//! marked sent. Whatever is still unsent when the api starts (the process
//! died between the commit and the chain) is sent then, and a background
//! task retries anything a failed send left behind.
//!
//! The row is written already claimed by its writer for [`CLAIM`]: the
//! writer sends it right after the commit, and no other sender takes it in
//! the meantime. Nothing is held locked while the chain mines it, so a request
//! waiting for its anchor holds no database connection. A failed send gives
//! its claim back at once; a sender that dies leaves its claims to run out,
//! and the rows are then sent by whoever sweeps next (within [`CLAIM`] plus
//! [`SWEEP`]).
//!
//! Rows are marked sent together: requests answered by the same chain
//! transaction reach the marker at about the same time, and one statement
//! marks all that are waiting (as the gate groups requests into one
//! transaction).
//!
//! Delivery is at least once: a crash after the chain mined an entry but
//! before the row was marked (or a send slower than its claim) leaves it to
//! be sent again. A copy of a role-bearing entry is refused by the contract
//! as `LifecycleRefused` (REPLAYED: its sequence was applied already), an
//! older one as STALE; a copy of any other entry is emitted again and indexed
//! as a duplicate. Either way the row is done.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::B256;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot, Notify};

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
    /// The care kinds' other party (see [`LifecycleEntry::counterpart`]).
    pub counterpart: B256,
    pub department: u32,
    pub until: u64,
    pub detail: u8,
}

/// An empty USER_MODIFIED change, for filling in the fields a kind uses.
impl Default for Change {
    fn default() -> Self {
        Self::user(LifecycleKind::UserModified, B256::ZERO, B256::ZERO, 0)
    }
}

impl Change {
    /// A change to a user account: no record, no version, and no content hash
    /// (nothing about a person goes on chain). `role` is the contract code of
    /// the role set by USER_ADDED / ROLE_CHANGED, 0 otherwise.
    pub fn user(kind: LifecycleKind, actor: B256, subject: B256, role: u8) -> Self {
        Self {
            kind,
            actor,
            subject,
            record: B256::ZERO,
            version: 0,
            content_hash: B256::ZERO,
            role,
            counterpart: B256::ZERO,
            department: 0,
            until: 0,
            detail: 0,
        }
    }

    /// A care change (`kind.is_care()`) by `actor` about `subject` (the
    /// patient; the staff member for DEPARTMENT_ASSIGNED); the builder
    /// methods below fill in what the kind needs.
    pub fn care(kind: LifecycleKind, actor: B256, subject: B256) -> Self {
        Self::user(kind, actor, subject, 0)
    }

    pub fn with_counterpart(mut self, counterpart: B256) -> Self {
        self.counterpart = counterpart;
        self
    }

    pub fn with_department(mut self, department: u32) -> Self {
        self.department = department;
        self
    }

    pub fn with_until(mut self, until: u64) -> Self {
        self.until = until;
        self
    }

    pub fn with_detail(mut self, detail: u8) -> Self {
        self.detail = detail;
        self
    }

    pub fn with_record(mut self, record: B256, content_hash: B256) -> Self {
        self.record = record;
        self.content_hash = content_hash;
        self
    }

    /// The contract refuses (reverts) entries without an actor or subject
    /// (a refused sign-in alone may name nobody), a record event without a
    /// record, or a role event without a role; a refused entry would take its
    /// whole batch down, so it is caught here.
    pub fn check(&self) -> Result<(), OutboxError> {
        let record_kind =
            matches!(self.kind, LifecycleKind::RecordVersionCreated | LifecycleKind::RecordDeleted);
        let role_kind = matches!(self.kind, LifecycleKind::UserAdded | LifecycleKind::RoleChanged);
        let may_name_nobody = self.kind == LifecycleKind::SignInFailed;
        let needs_counterpart = matches!(
            self.kind,
            LifecycleKind::CareAdded | LifecycleKind::CareEnded | LifecycleKind::GlassReviewed
        );
        let restriction =
            matches!(self.kind, LifecycleKind::Restricted | LifecycleKind::RestrictionLifted);
        let problem = if may_name_nobody {
            None
        } else if self.actor.is_zero() {
            Some("actor")
        } else if self.subject.is_zero() {
            Some("subject")
        } else if record_kind && self.record.is_zero() {
            Some("record")
        } else if role_kind && self.role == 0 {
            Some("role")
        } else if needs_counterpart && self.counterpart.is_zero() {
            Some("counterpart")
        } else if self.kind == LifecycleKind::GlassReviewed && self.record.is_zero() {
            Some("record")
        } else if self.kind == LifecycleKind::Admitted && self.department == 0 {
            Some("department")
        } else if restriction && self.counterpart.is_zero() == (self.department == 0) {
            Some("counterpart")
        } else {
            None
        };
        problem.map_or(Ok(()), |field| Err(OutboxError::Invalid(field)))
    }
}

/// Writes the change into the outbox inside the caller's transaction,
/// claimed by the caller, and returns the entry to hand to
/// [`Outbox::deliver`] once the transaction has committed.
pub async fn enqueue(
    conn: &mut PgConnection,
    change: Change,
) -> Result<LifecycleEntry, OutboxError> {
    change.check()?;
    let entry_id = super::random_id();
    // The database numbers role-bearing entries (migration 0041).
    let sequence = sqlx::query_scalar!(
        "INSERT INTO chain_outbox (entry_id, kind, actor, subject, record_id, version, content_hash, role,
                                   counterpart, department, until, detail, claimed_until)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now() + make_interval(secs => $13))
         RETURNING sequence",
        entry_id.as_slice(),
        change.kind as i16,
        change.actor.as_slice(),
        change.subject.as_slice(),
        change.record.as_slice(),
        i64::try_from(change.version).unwrap_or(i64::MAX),
        change.content_hash.as_slice(),
        i16::from(change.role),
        change.counterpart.as_slice(),
        i64::from(change.department),
        i64::try_from(change.until).unwrap_or(i64::MAX),
        i16::from(change.detail),
        CLAIM.as_secs_f64(),
    )
    .fetch_one(conn)
    .await?;
    Ok(LifecycleEntry {
        entry_id,
        kind: change.kind,
        actor: change.actor,
        subject: change.subject,
        record: change.record,
        version: change.version,
        content_hash: change.content_hash,
        role: change.role,
        sequence: u64::try_from(sequence).unwrap_or_default(),
        counterpart: change.counterpart,
        department: change.department,
        until: change.until,
        detail: change.detail,
    })
}

/// Names `actor` as who makes the changes of the caller's transaction, for
/// the entries the database writes itself: a staff member's
/// DEPARTMENT_ASSIGNED follows `users.department` by trigger (migration
/// 0052), which would otherwise name the system.
pub async fn name_actor(conn: &mut PgConnection, actor: B256) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT set_config('careledger.actor', $1, true)", hex::encode(actor))
        .fetch_one(conn)
        .await?;
    Ok(())
}

/// Claims, in the caller's transaction, the entries of `kind` about
/// `subject` that the database wrote itself and nobody is sending, oldest
/// first: the caller delivers them with its own once committed, so the
/// change is on chain when it is answered (not at the next sweep).
pub async fn claim_written(
    conn: &mut PgConnection,
    kind: LifecycleKind,
    subject: B256,
) -> Result<Vec<LifecycleEntry>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        "UPDATE chain_outbox SET claimed_until = now() + make_interval(secs => $3)
          WHERE kind = $1 AND subject = $2 AND sent_at IS NULL
            AND (claimed_until IS NULL OR claimed_until < now())
         RETURNING id, entry_id, kind, actor, subject, record_id, version, content_hash, role, sequence,
                   counterpart, department, until, detail",
        kind as i16,
        subject.as_slice(),
        CLAIM.as_secs_f64(),
    )
    .fetch_all(conn)
    .await?;
    Ok(entries_in_order(rows))
}

#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Gate(#[from] GateError),
    #[error("outbox database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("a lifecycle entry must name its {0}")]
    Invalid(&'static str),
    /// Marking the rows sent failed (the entries are on chain; their claims
    /// run out and they are sent again, kept once by the audit index).
    #[error("outbox database error while marking entries sent: {0}")]
    Marking(Arc<sqlx::Error>),
    #[error("the outbox has stopped")]
    Closed,
}

/// Sends outbox entries and marks them sent.
#[derive(Clone, Debug)]
pub struct Outbox {
    pool: PgPool,
    gate: Gate,
    wake: Arc<Notify>,
    marker: mpsc::UnboundedSender<Mark>,
}

/// Receipts to store on their rows, and who waits for it.
#[derive(Debug)]
struct Mark {
    sent: Vec<(B256, AuditReceipt)>,
    done: oneshot::Sender<Result<(), Arc<sqlx::Error>>>,
}

impl Outbox {
    /// Needs a Tokio runtime: the marker runs as a task until the last clone
    /// is dropped.
    pub fn new(pool: PgPool, gate: Gate) -> Self {
        let (marker, marks) = mpsc::unbounded_channel();
        tokio::spawn(mark_sent(pool.clone(), marks));
        Self { pool, gate, wake: Arc::new(Notify::new()), marker }
    }

    /// Sends entries its caller enqueued (and so claimed) in a transaction
    /// that has committed; returns their receipts in the order given.
    pub async fn deliver(
        &self,
        entries: &[LifecycleEntry],
    ) -> Result<Vec<(B256, AuditReceipt)>, OutboxError> {
        self.send(entries.to_vec()).await
    }

    /// Sends everything pending and unclaimed, oldest first; returns how many
    /// were sent.
    pub async fn flush(&self) -> Result<usize, OutboxError> {
        let mut total = 0;
        loop {
            let rows = sqlx::query_as!(
                Row,
                "UPDATE chain_outbox SET claimed_until = now() + make_interval(secs => $2)
                 WHERE id IN (SELECT id FROM chain_outbox
                               WHERE sent_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
                               ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
                 RETURNING id, entry_id, kind, actor, subject, record_id, version, content_hash, role, sequence,
                           counterpart, department, until, detail",
                CHUNK,
                CLAIM.as_secs_f64(),
            )
            .fetch_all(&self.pool)
            .await?;
            if rows.is_empty() {
                return Ok(total);
            }
            total += self.send(entries_in_order(rows)).await?.len();
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
            tracing::info!(
                sent,
                "outbox: recorded lifecycle events left pending by an earlier run"
            );
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

    /// Sends claimed entries through the gate and marks them sent; on failure
    /// gives the claims back and wakes the sweep to retry them.
    async fn send(
        &self,
        entries: Vec<LifecycleEntry>,
    ) -> Result<Vec<(B256, AuditReceipt)>, OutboxError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<B256> = entries.iter().map(|e| e.entry_id).collect();
        let receipts = match self.gate.record(entries).await {
            Ok(receipts) => receipts,
            Err(error) => {
                let ids: Vec<Vec<u8>> = ids.iter().map(|id| id.to_vec()).collect();
                sqlx::query!(
                    "UPDATE chain_outbox SET claimed_until = NULL WHERE entry_id = ANY($1)",
                    &ids
                )
                .execute(&self.pool)
                .await?;
                self.wake.notify_one();
                return Err(error.into());
            }
        };
        let sent: Vec<(B256, AuditReceipt)> = ids.into_iter().zip(receipts).collect();
        let (done, marked) = oneshot::channel();
        self.marker.send(Mark { sent: sent.clone(), done }).map_err(|_| OutboxError::Closed)?;
        marked.await.map_err(|_| OutboxError::Closed)?.map_err(OutboxError::Marking)?;
        Ok(sent)
    }
}

/// The marker: takes every mark waiting and stores them in one statement.
async fn mark_sent(pool: PgPool, mut marks: mpsc::UnboundedReceiver<Mark>) {
    while let Some(first) = marks.recv().await {
        let mut batch = vec![first];
        while let Ok(mark) = marks.try_recv() {
            batch.push(mark);
        }
        let sent = batch.iter().flat_map(|m| m.sent.iter());
        let number = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let result = sqlx::query!(
            "UPDATE chain_outbox o
                SET sent_tx = r.tx, sent_block = r.block, sent_log_index = r.log_index, sent_at = now(),
                    claimed_until = NULL
               FROM UNNEST($1::bytea[], $2::bytea[], $3::int8[], $4::int8[]) AS r(entry_id, tx, block, log_index)
              WHERE o.entry_id = r.entry_id",
            &sent.clone().map(|(id, _)| id.to_vec()).collect::<Vec<_>>(),
            &sent.clone().map(|(_, r)| r.transaction_hash.to_vec()).collect::<Vec<_>>(),
            &sent.clone().map(|(_, r)| number(r.block_number)).collect::<Vec<_>>(),
            &sent.map(|(_, r)| number(r.log_index)).collect::<Vec<_>>(),
        )
        .execute(&pool)
        .await
        .map(|_| ())
        .map_err(Arc::new);
        for mark in batch {
            let _ = mark.done.send(result.clone());
        }
    }
}

/// Claimed rows as entries, oldest first.
fn entries_in_order(mut rows: Vec<Row>) -> Vec<LifecycleEntry> {
    rows.sort_by_key(|r| r.id);
    rows.iter().filter_map(Row::entry).collect()
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
    sequence: i64,
    counterpart: Vec<u8>,
    department: i64,
    until: i64,
    detail: i16,
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
            sequence: u64::try_from(self.sequence).ok()?,
            counterpart: b(&self.counterpart)?,
            department: u32::try_from(self.department).ok()?,
            until: u64::try_from(self.until).ok()?,
            detail: u8::try_from(self.detail).ok()?,
        })
    }
}
