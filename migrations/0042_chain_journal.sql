-- The chain journal: one row per chain transaction the gate had mined,
-- written before any request it carries is answered (api/src/gate/journal.rs).
-- A node can lose mined blocks (Anvil restarted from a state file saved
-- before them, a reorganisation, a node restored from a backup); the journal
-- keeps what the api acknowledged, and its watcher records again, with
-- `recommit`, whatever the chain no longer holds.
--
-- state: MINED (seen mined, still watched), SAFE (its block is deep and old
-- enough that the watcher stopped watching it, see journal.rs), LOST (the
-- chain no longer holds it; being recorded again), RE_RECORDED (recorded
-- again in `re_recorded_in`).

CREATE TABLE chain_journal (
    transaction_hash BYTEA PRIMARY KEY CHECK (octet_length(transaction_hash) = 32),
    block_number     BIGINT NOT NULL CHECK (block_number >= 0),
    block_hash       BYTEA NOT NULL CHECK (octet_length(block_hash) = 32),
    -- The block's timestamp, as the contract's events carry it.
    mined_at         TIMESTAMPTZ NOT NULL,
    -- The transaction's input: a `commit` or `recommit` call.
    calldata         BYTEA NOT NULL,
    -- The request ids it carried and the verdict each got, in calldata order.
    request_ids      BYTEA[] NOT NULL,
    verdicts         BOOLEAN[] NOT NULL CHECK (cardinality(verdicts) = cardinality(request_ids)),
    entry_ids        BYTEA[] NOT NULL,
    state            TEXT NOT NULL DEFAULT 'MINED'
                     CHECK (state IN ('MINED', 'SAFE', 'LOST', 'RE_RECORDED')),
    re_recorded_in   BYTEA NULL CHECK (octet_length(re_recorded_in) = 32),
    journaled_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    settled_at       TIMESTAMPTZ NULL
);

CREATE INDEX chain_journal_watched ON chain_journal (block_number) WHERE state IN ('MINED', 'LOST');

-- A lifecycle entry counts as delivered once the transaction carrying it is
-- SAFE: `sent_at` says it was mined and journaled, `safe_at` that it stays.
ALTER TABLE chain_outbox ADD COLUMN safe_at TIMESTAMPTZ NULL;
