-- Lifecycle events waiting to be recorded on chain. A row is written in the
-- same transaction as the change it describes, so a change can never be
-- committed without its on-chain record eventually following; rows still
-- unsent when the api starts are sent then.
CREATE TABLE chain_outbox (
    id             BIGSERIAL PRIMARY KEY,
    entry_id       BYTEA NOT NULL UNIQUE CHECK (octet_length(entry_id) = 32),
    kind           SMALLINT NOT NULL CHECK (kind BETWEEN 0 AND 5),
    actor          BYTEA NOT NULL CHECK (octet_length(actor) = 32),
    subject        BYTEA NOT NULL CHECK (octet_length(subject) = 32),
    record_id      BYTEA NOT NULL CHECK (octet_length(record_id) = 32),
    version        BIGINT NOT NULL DEFAULT 0 CHECK (version >= 0),
    content_hash   BYTEA NOT NULL CHECK (octet_length(content_hash) = 32),
    role           SMALLINT NOT NULL DEFAULT 0 CHECK (role BETWEEN 0 AND 7),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_tx        BYTEA CHECK (octet_length(sent_tx) = 32),
    sent_block     BIGINT,
    sent_log_index BIGINT,
    sent_at        TIMESTAMPTZ
);
CREATE INDEX chain_outbox_pending ON chain_outbox (id) WHERE sent_at IS NULL;
