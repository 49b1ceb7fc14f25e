//! The index tables: rows in, position kept, rows of reorganised blocks out.

use alloy::primitives::B256;
use sqlx::{PgConnection, PgExecutor};

use crate::audit::event::AuditEvent;

/// The last block indexed completely and its hash (none before the
/// deployment block is indexed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub block: u64,
    pub hash: Option<B256>,
}

fn db_u64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Serialises index writers (any process) until the transaction ends.
pub async fn lock(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    // An arbitrary constant naming "the audit index".
    sqlx::query!("SELECT pg_advisory_xact_lock(7261022001)").execute(conn).await?;
    Ok(())
}

/// Rows in the index.
pub async fn count(db: impl PgExecutor<'_>) -> Result<u64, sqlx::Error> {
    let n = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM audit_events"#).fetch_one(db).await?;
    Ok(u64::try_from(n).unwrap_or_default())
}

pub async fn position(db: impl PgExecutor<'_>) -> Result<Option<Position>, sqlx::Error> {
    let row = sqlx::query!("SELECT block_number, block_hash FROM audit_index_position")
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| Position {
        block: u64::try_from(r.block_number).unwrap_or_default(),
        hash: r.block_hash.filter(|h| h.len() == 32).map(|h| B256::from_slice(&h)),
    }))
}

pub async fn set_position(conn: &mut PgConnection, position: Position) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO audit_index_position (singleton, block_number, block_hash) VALUES (true, $1, $2)
         ON CONFLICT (singleton) DO UPDATE SET block_number = $1, block_hash = $2, updated_at = now()",
        db_u64(position.block),
        position.hash.as_ref().map(|h| h.as_slice()),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts one row; marks it a duplicate when its lifecycle entry id is
/// already indexed. Returns the row as stored, or `None` when this log was
/// already there.
pub async fn insert(conn: &mut PgConnection, event: &AuditEvent) -> Result<Option<AuditEvent>, sqlx::Error> {
    let lifecycle = event.kind.is_lifecycle();
    let duplicate = sqlx::query_scalar!(
        r#"
        INSERT INTO audit_events
            (block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
             record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                $17 AND EXISTS (SELECT 1 FROM audit_events
                                 WHERE entry_id = $14 AND kind <> 'ACCESS_REQUESTED'))
        ON CONFLICT ON CONSTRAINT audit_events_log_key DO NOTHING
        RETURNING duplicate
        "#,
        db_u64(event.block_number),
        event.block_hash.as_slice(),
        event.transaction_hash.as_slice(),
        db_u64(event.log_index),
        event.timestamp,
        event.kind.as_str(),
        event.actor.as_slice(),
        event.subject.as_ref().map(|w| w.as_slice()),
        event.record.as_ref().map(|w| w.as_slice()),
        event.action.map(|a| a as i16),
        event.resource.map(|r| r as i16),
        event.role.map(i16::from),
        event.approved,
        event.entry_id.as_ref().map(|w| w.as_slice()),
        event.version.map(db_u64),
        event.content_hash.as_ref().map(|w| w.as_slice()),
        lifecycle,
    )
    .fetch_optional(conn)
    .await?;
    Ok(duplicate.map(|duplicate| AuditEvent { duplicate, ..event.clone() }))
}

/// Forgets every row after `block` (a reorganisation, or a rebuild).
pub async fn truncate_after(conn: &mut PgConnection, block: u64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!("DELETE FROM audit_events WHERE block_number > $1", db_u64(block))
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}
