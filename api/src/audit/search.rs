//! Searching the index: filters, newest first, keyset pagination.

use alloy::primitives::B256;
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::event::{AuditEvent, AuditKind};
use crate::gate::{Action, Resource};

/// What to look for. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub actor: Option<B256>,
    pub subject: Option<B256>,
    pub record: Option<B256>,
    pub action: Option<Action>,
    pub resource: Option<Resource>,
    pub approved: Option<bool>,
    pub kind: Option<AuditKind>,
    /// From this instant (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Until this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
    /// Also the second deliveries of lifecycle entries (off by default, so
    /// nothing is counted twice).
    pub include_duplicates: bool,
    /// Also the rows of blocks the chain lost (off by default: what was
    /// re-recorded is on chain again, so nothing is counted twice).
    pub include_lost: bool,
}

impl Filter {
    /// The same test as the SQL below, for the live feed.
    pub fn matches(&self, e: &AuditEvent) -> bool {
        self.actor.is_none_or(|a| e.actor == a)
            && self.subject.is_none_or(|s| e.subject == Some(s))
            && self.record.is_none_or(|r| e.record == Some(r))
            && self.action.is_none_or(|a| e.action == Some(a))
            && self.resource.is_none_or(|r| e.resource == Some(r))
            && self.approved.is_none_or(|a| e.approved == a)
            && self.kind.is_none_or(|k| e.kind == k)
            && self.since.is_none_or(|t| e.timestamp >= t)
            && self.until.is_none_or(|t| e.timestamp < t)
            && (self.include_duplicates || !e.duplicate)
            && (self.include_lost || e.lost_at.is_none())
    }
}

/// Where a page starts: after this event (newest first; at one position a
/// row on chain comes before the lost rows that held it, newest loss first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub block_number: u64,
    pub log_index: u64,
    pub lost_at: Option<DateTime<Utc>>,
}

impl Cursor {
    pub fn of(e: &AuditEvent) -> Self {
        Self { block_number: e.block_number, log_index: e.log_index, lost_at: e.lost_at }
    }
    /// `<block>:<log index>`, and `:<microseconds>` of a lost row's loss.
    pub fn encode(&self) -> String {
        match self.lost_at {
            None => format!("{}:{}", self.block_number, self.log_index),
            Some(t) => format!("{}:{}:{}", self.block_number, self.log_index, t.timestamp_micros()),
        }
    }
    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.split(':');
        let block_number = parts.next()?.parse().ok()?;
        let log_index = parts.next()?.parse().ok()?;
        let lost_at = match parts.next() {
            None => None,
            Some(t) => Some(DateTime::from_timestamp_micros(t.parse().ok()?)?),
        };
        if parts.next().is_some() {
            return None;
        }
        Some(Self { block_number, log_index, lost_at })
    }
}

/// One page of results and whether more follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub has_next: bool,
}

fn word(bytes: Option<Vec<u8>>) -> Option<B256> {
    bytes.filter(|b| b.len() == 32).map(|b| B256::from_slice(&b))
}

/// Row of `audit_events` as read back.
pub(crate) struct Row {
    pub block_number: i64,
    pub block_hash: Vec<u8>,
    pub transaction_hash: Vec<u8>,
    pub log_index: i64,
    pub occurred_at: DateTime<Utc>,
    pub kind: String,
    pub actor: Vec<u8>,
    pub subject: Option<Vec<u8>>,
    pub record_id: Option<Vec<u8>>,
    pub action: Option<i16>,
    pub resource: Option<i16>,
    pub role: Option<i16>,
    pub approved: bool,
    pub entry_id: Option<Vec<u8>>,
    pub version: Option<i64>,
    pub content_hash: Option<Vec<u8>>,
    pub duplicate: bool,
    pub refusal: Option<i16>,
    pub original_tx: Option<Vec<u8>>,
    pub original_block: Option<i64>,
    pub original_at: Option<chrono::DateTime<chrono::Utc>>,
    pub lost_at: Option<chrono::DateTime<chrono::Utc>>,
    pub details: Option<serde_json::Value>,
}

impl Row {
    pub(crate) fn into_event(self) -> Option<AuditEvent> {
        Some(AuditEvent {
            block_number: u64::try_from(self.block_number).ok()?,
            block_hash: word(Some(self.block_hash))?,
            transaction_hash: word(Some(self.transaction_hash))?,
            log_index: u64::try_from(self.log_index).ok()?,
            timestamp: self.occurred_at,
            kind: AuditKind::parse(&self.kind)?,
            actor: word(Some(self.actor))?,
            subject: word(self.subject),
            record: word(self.record_id),
            action: self.action.and_then(|a| Action::from_code(u8::try_from(a).ok()?)),
            resource: self.resource.and_then(|r| Resource::from_code(u8::try_from(r).ok()?)),
            role: self.role.and_then(|r| u8::try_from(r).ok()),
            approved: self.approved,
            entry_id: word(self.entry_id),
            version: self.version.and_then(|v| u64::try_from(v).ok()),
            content_hash: word(self.content_hash),
            duplicate: self.duplicate,
            refusal: self.refusal.and_then(|r| u8::try_from(r).ok()),
            original: match (word(self.original_tx), self.original_block, self.original_at) {
                (Some(transaction_hash), Some(block), Some(timestamp)) => {
                    Some(crate::audit::event::Original {
                        transaction_hash,
                        block_number: u64::try_from(block).ok()?,
                        timestamp,
                    })
                }
                _ => None,
            },
            lost_at: self.lost_at,
            details: self.details,
        })
    }
}

/// Up to `first` events matching `filter`, newest first, after `after`.
#[tracing::instrument(skip(db))]
pub async fn search(
    db: impl PgExecutor<'_>,
    filter: &Filter,
    first: u32,
    after: Option<Cursor>,
) -> Result<AuditPage, sqlx::Error> {
    let limit = i64::from(first) + 1;
    let b = |w: &Option<B256>| w.map(|w| w.to_vec());
    let rows = sqlx::query_as!(
        Row,
        r#"
        (SELECT block_number AS "block_number!", block_hash AS "block_hash!",
                transaction_hash AS "transaction_hash!", log_index AS "log_index!",
                occurred_at AS "occurred_at!", kind AS "kind!", actor AS "actor!", subject, record_id,
                action, resource, role, approved AS "approved!", entry_id, version, content_hash,
                duplicate AS "duplicate!", refusal, original_tx, original_block, original_at,
                NULL::timestamptz AS lost_at, details
           FROM audit_events
          WHERE ($1::bytea IS NULL OR actor = $1)
            AND ($2::bytea IS NULL OR subject = $2)
            AND ($3::bytea IS NULL OR record_id = $3)
            AND ($4::smallint IS NULL OR action = $4)
            AND ($5::smallint IS NULL OR resource = $5)
            AND ($6::boolean IS NULL OR approved = $6)
            AND ($7::text IS NULL OR kind = $7)
            AND ($8::timestamptz IS NULL OR occurred_at >= $8)
            AND ($9::timestamptz IS NULL OR occurred_at < $9)
            AND ($10 OR NOT duplicate)
            AND ($11::bigint IS NULL OR (block_number, log_index) < ($11, $12::bigint))
          ORDER BY block_number DESC, log_index DESC
          LIMIT $13)
        UNION ALL
        (SELECT block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
                record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
                refusal, original_tx, original_block, original_at, lost_at, details
           FROM audit_lost_events
          WHERE $14
            AND ($1::bytea IS NULL OR actor = $1)
            AND ($2::bytea IS NULL OR subject = $2)
            AND ($3::bytea IS NULL OR record_id = $3)
            AND ($4::smallint IS NULL OR action = $4)
            AND ($5::smallint IS NULL OR resource = $5)
            AND ($6::boolean IS NULL OR approved = $6)
            AND ($7::text IS NULL OR kind = $7)
            AND ($8::timestamptz IS NULL OR occurred_at >= $8)
            AND ($9::timestamptz IS NULL OR occurred_at < $9)
            AND ($10 OR NOT duplicate)
            AND ($11::bigint IS NULL
                 OR (block_number, log_index, lost_at) < ($11, $12::bigint, COALESCE($15::timestamptz, 'infinity'::timestamptz)))
          ORDER BY block_number DESC, log_index DESC, lost_at DESC
          LIMIT $13)
         -- By position (the first branch names the columns `block_number!`, …).
         ORDER BY 1 DESC, 4 DESC, 22 DESC NULLS FIRST
         LIMIT $13
        "#,
        b(&filter.actor),
        b(&filter.subject),
        b(&filter.record),
        filter.action.map(|a| a as i16),
        filter.resource.map(|r| r as i16),
        filter.approved,
        filter.kind.map(AuditKind::as_str),
        filter.since,
        filter.until,
        filter.include_duplicates,
        after.map(|c| i64::try_from(c.block_number).unwrap_or(i64::MAX)),
        after.map(|c| i64::try_from(c.log_index).unwrap_or(i64::MAX)),
        limit,
        filter.include_lost,
        after.and_then(|c| c.lost_at),
    )
    .fetch_all(db)
    .await?;
    let has_next = rows.len() as i64 == limit;
    let mut events: Vec<AuditEvent> = rows.into_iter().filter_map(Row::into_event).collect();
    events.truncate(first as usize);
    Ok(AuditPage { events, has_next })
}

/// Every event, oldest first, in pages of `chunk` (for exports).
pub async fn all_from(
    db: impl PgExecutor<'_>,
    after: Option<Cursor>,
    chunk: i64,
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
               record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
               refusal, original_tx, original_block, original_at, NULL::timestamptz AS lost_at, details
          FROM audit_events
         WHERE ($1::bigint IS NULL OR (block_number, log_index) > ($1, $2::bigint))
         ORDER BY block_number, log_index
         LIMIT $3
        "#,
        after.map(|c| i64::try_from(c.block_number).unwrap_or(i64::MAX)),
        after.map(|c| i64::try_from(c.log_index).unwrap_or(i64::MAX)),
        chunk,
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().filter_map(Row::into_event).collect())
}

/// Every row of blocks `from..=to`, in chain order (for the check against
/// the chain).
pub async fn in_blocks(
    db: impl PgExecutor<'_>,
    from: u64,
    to: u64,
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"
        SELECT block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
               record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
               refusal, original_tx, original_block, original_at, NULL::timestamptz AS lost_at, details
          FROM audit_events
         WHERE block_number BETWEEN $1 AND $2
         ORDER BY block_number, log_index
        "#,
        i64::try_from(from).unwrap_or(i64::MAX),
        i64::try_from(to).unwrap_or(i64::MAX),
    )
    .fetch_all(db)
    .await?;
    // A row that no longer parses (a kind or code edited to nonsense) is kept
    // as unreadable: the check reports it rather than skipping it.
    Ok(rows.into_iter().filter_map(Row::into_event).collect())
}
