-- The audit index: one row per event the access contract emitted, copied
-- from the chain by the indexer (api/src/audit/indexer). The chain is the
-- record; this table is a rebuildable index of it (`careledger audit reindex`).
--
-- Lifecycle entries are delivered at least once (see gate/outbox.rs), so the
-- same entry id can be on chain twice. Both rows are kept (both are on chain);
-- every copy after the first has `duplicate = true`, and reports, searches and
-- the integrity proof skip duplicates unless asked for them.

CREATE TABLE audit_events (
    id               BIGSERIAL PRIMARY KEY,
    block_number     BIGINT NOT NULL,
    block_hash       BYTEA NOT NULL CHECK (octet_length(block_hash) = 32),
    transaction_hash BYTEA NOT NULL CHECK (octet_length(transaction_hash) = 32),
    log_index        BIGINT NOT NULL,
    -- The timestamp the contract put in the event (the block's).
    occurred_at      TIMESTAMPTZ NOT NULL,
    kind             TEXT NOT NULL CHECK (kind IN (
                         'ACCESS_REQUESTED', 'USER_ADDED', 'USER_MODIFIED', 'USER_DELETED', 'ROLE_CHANGED',
                         'RECORD_VERSION_CREATED', 'RECORD_DELETED', 'PERMISSION_CHANGED',
                         'PERMISSION_CHANGE_DENIED')),
    actor            BYTEA NOT NULL CHECK (octet_length(actor) = 32),
    -- Zero words on chain are stored as NULL.
    subject          BYTEA NULL CHECK (octet_length(subject) = 32),
    record_id        BYTEA NULL CHECK (octet_length(record_id) = 32),
    -- Contract codes (gate::vocabulary): Action, Resource, Role.
    action           SMALLINT NULL,
    resource         SMALLINT NULL,
    -- AccessRequested: the target role; USER_ADDED / ROLE_CHANGED: the new
    -- role; PERMISSION_*: the role of the matrix cell.
    role             SMALLINT NULL,
    approved         BOOLEAN NOT NULL,
    -- The request id (AccessRequested) or the lifecycle entry id.
    entry_id         BYTEA NULL CHECK (octet_length(entry_id) = 32),
    version          BIGINT NULL,
    content_hash     BYTEA NULL CHECK (octet_length(content_hash) = 32),
    duplicate        BOOLEAN NOT NULL DEFAULT false,
    CONSTRAINT audit_events_log_key UNIQUE (transaction_hash, log_index)
);

CREATE INDEX audit_events_order_idx ON audit_events (block_number DESC, log_index DESC);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, block_number DESC, log_index DESC);
CREATE INDEX audit_events_subject_idx ON audit_events (subject, block_number DESC, log_index DESC);
CREATE INDEX audit_events_record_idx ON audit_events (record_id, block_number DESC, log_index DESC);
CREATE INDEX audit_events_entry_idx ON audit_events (entry_id) WHERE kind <> 'ACCESS_REQUESTED';

-- Where the indexer stands: the last block it indexed completely, and that
-- block's hash (to notice a reorganisation). One row.
CREATE TABLE audit_index_position (
    singleton    BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    block_number BIGINT NOT NULL,
    block_hash   BYTEA NULL CHECK (octet_length(block_hash) = 32),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);
