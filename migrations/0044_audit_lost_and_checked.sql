-- The index never silently forgets, and checks itself against the chain.
--
-- `audit_lost_events`: rows the chain once held and no longer does. When the
-- indexer finds that a block it indexed has gone (a node restarted from an
-- older state, a reorganisation, a node restored from backup) it moves the
-- rows of that block here instead of deleting them, with the time it noticed.
-- The chain journal re-records what the gate had sent (gate/journal.rs), so
-- an auditor sees both: the lost copy here, and the re-recorded event on
-- chain, which names the lost copy's transaction, block and time
-- (`original_*`). Searches leave lost rows out unless asked for them.
CREATE TABLE audit_lost_events (
    LIKE audit_events,
    lost_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_lost_events_order_idx ON audit_lost_events (block_number DESC, log_index DESC);

-- What the check against the chain (api/src/audit/check.rs) found and
-- repaired: one row per difference between an index row and the chain's log
-- at the same position. `before` is the row as found (NULL when it was
-- missing), `after` the row as the chain has it (NULL when the row was not on
-- chain at all and was removed from the index). Rows are JSON copies of
-- `audit_events` rows: pseudonymous chain words only, never patient data.
CREATE TABLE audit_repairs (
    id               BIGSERIAL PRIMARY KEY,
    found_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    finding          TEXT NOT NULL CHECK (finding IN ('MISSING', 'ALTERED', 'EXTRA', 'DUPLICATE_FLAG')),
    block_number     BIGINT NOT NULL,
    log_index        BIGINT NOT NULL,
    transaction_hash BYTEA NOT NULL CHECK (octet_length(transaction_hash) = 32),
    kind             TEXT NOT NULL,
    before           JSONB NULL,
    after            JSONB NULL
);
CREATE INDEX audit_repairs_found_idx ON audit_repairs (found_at DESC, id DESC);

-- How far the index has been checked: the newest block compared with the
-- chain, and when the last full pass (every block since the deployment)
-- finished and up to which block. One row.
CREATE TABLE audit_check_status (
    singleton        BOOLEAN PRIMARY KEY DEFAULT true CHECK (singleton),
    checked_to       BIGINT NOT NULL,
    full_pass_at     TIMESTAMPTZ NULL,
    full_pass_to     BIGINT NULL,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
