//! The index tables: rows in, position kept, rows of lost blocks set aside.

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

pub(crate) fn db_u64(n: u64) -> i64 {
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
    let n =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM audit_events"#).fetch_one(db).await?;
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

/// Inserts a range's rows in one statement, in chain order. A lifecycle row
/// whose entry id is already indexed, or appears earlier in `events`, is
/// marked a duplicate. Returns the rows as stored, without those whose log
/// was already there.
pub async fn insert_all(
    conn: &mut PgConnection,
    events: &[AuditEvent],
) -> Result<Vec<AuditEvent>, sqlx::Error> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    // Rows of one statement do not see each other, so repeats within the
    // range are found here; repeats of earlier ranges by the EXISTS below.
    let mut seen = std::collections::HashSet::new();
    let repeated: Vec<bool> = events
        .iter()
        .map(|e| e.kind.is_lifecycle() && e.entry_id.is_some_and(|id| !seen.insert(id)))
        .collect();
    let bytes = |w: &B256| w.as_slice().to_vec();
    let optional = |w: &Option<B256>| w.as_ref().map(bytes);
    let stored = sqlx::query!(
        r#"
        INSERT INTO audit_events
            (block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
             record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
             refusal, original_tx, original_block, original_at, details)
        SELECT block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
               record_id, action, resource, role, approved, entry_id, version, content_hash,
               repeated OR (lifecycle AND EXISTS (SELECT 1 FROM audit_events a
                                                   WHERE a.entry_id = r.entry_id AND a.kind = r.kind
                                                     -- names the partial index's predicate, so
                                                     -- the lookup uses it (migration 0020)
                                                     AND a.kind <> 'ACCESS_REQUESTED')),
               refusal, original_tx, original_block, original_at, details
          FROM UNNEST($1::int8[], $2::bytea[], $3::bytea[], $4::int8[], $5::timestamptz[], $6::text[],
                      $7::bytea[], $8::bytea[], $9::bytea[], $10::int2[], $11::int2[], $12::int2[],
                      $13::bool[], $14::bytea[], $15::int8[], $16::bytea[], $17::bool[], $18::bool[],
                      $19::int2[], $20::bytea[], $21::int8[], $22::timestamptz[], $23::jsonb[])
               WITH ORDINALITY AS r(block_number, block_hash, transaction_hash, log_index, occurred_at, kind,
                                    actor, subject, record_id, action, resource, role, approved, entry_id,
                                    version, content_hash, lifecycle, repeated, refusal, original_tx,
                                    original_block, original_at, details, position)
         ORDER BY position
        ON CONFLICT ON CONSTRAINT audit_events_position_key DO NOTHING
        RETURNING transaction_hash, log_index, duplicate
        "#,
        &events.iter().map(|e| db_u64(e.block_number)).collect::<Vec<_>>(),
        &events.iter().map(|e| bytes(&e.block_hash)).collect::<Vec<_>>(),
        &events.iter().map(|e| bytes(&e.transaction_hash)).collect::<Vec<_>>(),
        &events.iter().map(|e| db_u64(e.log_index)).collect::<Vec<_>>(),
        &events.iter().map(|e| e.timestamp).collect::<Vec<_>>(),
        &events.iter().map(|e| e.kind.as_str().to_owned()).collect::<Vec<_>>(),
        &events.iter().map(|e| bytes(&e.actor)).collect::<Vec<_>>(),
        &events.iter().map(|e| optional(&e.subject)).collect::<Vec<_>>() as &[Option<Vec<u8>>],
        &events.iter().map(|e| optional(&e.record)).collect::<Vec<_>>() as &[Option<Vec<u8>>],
        &events.iter().map(|e| e.action.map(|a| a as i16)).collect::<Vec<_>>() as &[Option<i16>],
        &events.iter().map(|e| e.resource.map(|r| r as i16)).collect::<Vec<_>>() as &[Option<i16>],
        &events.iter().map(|e| e.role.map(i16::from)).collect::<Vec<_>>() as &[Option<i16>],
        &events.iter().map(|e| e.approved).collect::<Vec<_>>(),
        &events.iter().map(|e| optional(&e.entry_id)).collect::<Vec<_>>() as &[Option<Vec<u8>>],
        &events.iter().map(|e| e.version.map(db_u64)).collect::<Vec<_>>() as &[Option<i64>],
        &events.iter().map(|e| optional(&e.content_hash)).collect::<Vec<_>>() as &[Option<Vec<u8>>],
        &events.iter().map(|e| e.kind.is_lifecycle()).collect::<Vec<_>>(),
        &repeated,
        &events.iter().map(|e| e.refusal.map(i16::from)).collect::<Vec<_>>() as &[Option<i16>],
        &events.iter().map(|e| e.original.map(|o| o.transaction_hash.to_vec())).collect::<Vec<_>>()
            as &[Option<Vec<u8>>],
        &events.iter().map(|e| e.original.map(|o| db_u64(o.block_number))).collect::<Vec<_>>()
            as &[Option<i64>],
        &events.iter().map(|e| e.original.map(|o| o.timestamp)).collect::<Vec<_>>()
            as &[Option<chrono::DateTime<chrono::Utc>>],
        &events.iter().map(|e| e.details.clone()).collect::<Vec<_>>() as &[Option<serde_json::Value>],
    )
    .fetch_all(conn)
    .await?;
    let duplicate: std::collections::HashMap<(Vec<u8>, i64), bool> =
        stored.into_iter().map(|r| ((r.transaction_hash, r.log_index), r.duplicate)).collect();
    Ok(events
        .iter()
        .filter_map(|e| {
            let key = (bytes(&e.transaction_hash), db_u64(e.log_index));
            duplicate.get(&key).map(|&duplicate| AuditEvent { duplicate, ..e.clone() })
        })
        .collect())
}

/// Moves every row after `block` to `audit_lost_events` (the chain no
/// longer holds them); returns how many.
pub async fn lose_after(conn: &mut PgConnection, block: u64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        r#"
        WITH gone AS (DELETE FROM audit_events WHERE block_number > $1 RETURNING *)
        INSERT INTO audit_lost_events
               (block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
                record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
                refusal, original_tx, original_block, original_at, details)
        SELECT block_number, block_hash, transaction_hash, log_index, occurred_at, kind, actor, subject,
               record_id, action, resource, role, approved, entry_id, version, content_hash, duplicate,
               refusal, original_tx, original_block, original_at, details
          FROM gone
        "#,
        db_u64(block)
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The indexed blocks below `before` and the hashes they had, newest first,
/// at most `limit`.
pub async fn indexed_blocks(
    db: impl PgExecutor<'_>,
    before: u64,
    limit: i64,
) -> Result<Vec<(u64, B256)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT DISTINCT block_number, block_hash FROM audit_events
            WHERE block_number < $1 ORDER BY block_number DESC LIMIT $2"#,
        db_u64(before),
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .filter(|r| r.block_hash.len() == 32)
        .map(|r| {
            (u64::try_from(r.block_number).unwrap_or_default(), B256::from_slice(&r.block_hash))
        })
        .collect())
}
