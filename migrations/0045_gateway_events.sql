-- The audit index holds who may write the trail, and who decides that: the
-- contract's OpenZeppelin AccessControl events, for its two roles.
--   GATEWAY_ADDED          RoleGranted(GATEWAY_ROLE): an api server's key may
--                          now record access decisions and changes
--   GATEWAY_REMOVED        RoleRevoked(GATEWAY_ROLE): it may no longer
--   CONTRACT_ADMIN_ADDED   RoleGranted(DEFAULT_ADMIN_ROLE): this account may
--                          now add and remove gateways
--   CONTRACT_ADMIN_REMOVED RoleRevoked(DEFAULT_ADMIN_ROLE), renouncing included
-- The deployment's own block holds the first two: the admin and the first
-- gateway, granted by the constructor. (The contract uses no other role; a
-- grant of one would confer nothing and is not indexed.)
--
-- These events name chain accounts (20-byte addresses), not system ids:
-- `actor` is the account that sent the change (the event's `sender`) and
-- `subject` the account that gained or lost the role (its `account`), each
-- stored as the 32-byte word the ABI encodes an address as: 12 zero bytes,
-- then the address. No system id has 12 leading zero bytes (they are random
-- or keccak hashes), so such a word never names a user. `approved` is true.
-- The events carry no timestamp: `occurred_at` is their block's.
ALTER TABLE audit_events DROP CONSTRAINT audit_events_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_kind_check CHECK (kind IN (
    'ACCESS_REQUESTED', 'USER_ADDED', 'USER_MODIFIED', 'USER_DELETED', 'ROLE_CHANGED',
    'RECORD_VERSION_CREATED', 'RECORD_DELETED', 'PERMISSION_CHANGED', 'PERMISSION_CHANGE_DENIED',
    'LIFECYCLE_REFUSED', 'RE_RECORDED', 'RE_RECORD_REFUSED',
    'GATEWAY_ADDED', 'GATEWAY_REMOVED', 'CONTRACT_ADMIN_ADDED', 'CONTRACT_ADMIN_REMOVED'));
