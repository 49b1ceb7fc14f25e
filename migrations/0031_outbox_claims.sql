-- A sender claims outbox rows for a while instead of holding a transaction,
-- and with it a database connection, open while the chain mines them. When a
-- claim runs out (its sender died or is stuck) another sender may take the
-- rows again: delivery is at least once either way (see gate/outbox.rs).
ALTER TABLE chain_outbox ADD COLUMN claimed_until TIMESTAMPTZ NULL;
