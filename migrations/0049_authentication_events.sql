-- Issue 20: authentication on the trail. Sign-ins, refused sign-ins,
-- sign-outs and second-factor events are lifecycle entries of their own kinds
-- (contract `Lifecycle` codes, appended after RECORD_DELETED = 5):
--   6 SIGNED_IN        actor = subject = the user
--   7 SIGN_IN_FAILED   actor zero (nobody proved who they are); subject the
--                      account tried, or zero when no such account exists
--   8 SIGNED_OUT       actor = subject = the user
--   9 FACTOR_ENROLLED  actor = subject = the user
--  10 FACTOR_USED      actor = subject = the user
--  11 FACTOR_RESET     actor = the administrator, subject = the user
-- On chain each is one `AuthenticationRecorded(actor, subject, entryId, kind,
-- timestamp)` and changes nothing. System ids only: never a username, an
-- address or a password.
--
-- The outbox carries them like any entry (`kind` 0..11; a zero actor and
-- subject are already storable: 32 zero bytes).
ALTER TABLE chain_outbox DROP CONSTRAINT chain_outbox_kind_check;
ALTER TABLE chain_outbox ADD CONSTRAINT chain_outbox_kind_check CHECK (kind BETWEEN 0 AND 11);

-- The index holds one row per event, with the kind's name; `entry_id` is the
-- entry id, `subject` NULL when zero, `actor` the zero word for a refused
-- sign-in, `approved` false for SIGN_IN_FAILED and true for the others. A
-- second delivery of one entry is flagged `duplicate`, as for every lifecycle
-- kind.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_kind_check CHECK (kind IN (
    'ACCESS_REQUESTED', 'USER_ADDED', 'USER_MODIFIED', 'USER_DELETED', 'ROLE_CHANGED',
    'RECORD_VERSION_CREATED', 'RECORD_DELETED', 'PERMISSION_CHANGED', 'PERMISSION_CHANGE_DENIED',
    'LIFECYCLE_REFUSED', 'RE_RECORDED', 'RE_RECORD_REFUSED',
    'GATEWAY_ADDED', 'GATEWAY_REMOVED', 'CONTRACT_ADMIN_ADDED', 'CONTRACT_ADMIN_REMOVED',
    'SIGNED_IN', 'SIGN_IN_FAILED', 'SIGNED_OUT', 'FACTOR_ENROLLED', 'FACTOR_USED', 'FACTOR_RESET'));
