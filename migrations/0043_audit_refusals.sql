-- The audit index holds the contract's newer events too (migration 0041 and
-- contracts/README.md):
--   LIFECYCLE_REFUSED  a lifecycle entry not applied: `entry_id`, `refusal`
--                      (0 REPLAYED, 1 STALE), `version` the entry's sequence;
--                      `approved` false. Shown like any event, never hidden
--                      as a duplicate: a refused copy is evidence.
--   RE_RECORDED        the event before it in the same transaction is a
--                      re-recording of what the chain lost: `entry_id` is the
--                      request or entry id; `original_tx`, `original_block`
--                      and `original_at` say where and when it first was.
--   RE_RECORD_REFUSED  a request re-recorded a second time: `entry_id`.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_kind_check CHECK (kind IN (
    'ACCESS_REQUESTED', 'USER_ADDED', 'USER_MODIFIED', 'USER_DELETED', 'ROLE_CHANGED',
    'RECORD_VERSION_CREATED', 'RECORD_DELETED', 'PERMISSION_CHANGED', 'PERMISSION_CHANGE_DENIED',
    'LIFECYCLE_REFUSED', 'RE_RECORDED', 'RE_RECORD_REFUSED'));
ALTER TABLE audit_events
    ADD COLUMN refusal SMALLINT NULL CHECK (refusal IN (0, 1)),
    ADD COLUMN original_tx BYTEA NULL CHECK (octet_length(original_tx) = 32),
    ADD COLUMN original_block BIGINT NULL,
    ADD COLUMN original_at TIMESTAMPTZ NULL;
