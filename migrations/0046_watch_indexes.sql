-- Indexes for the two lookups the chain journal's watcher makes every
-- second and every settled transaction (api/src/gate/journal.rs); without
-- them each is a scan of a table that grows with every write.
--
-- The newest journaled block, whatever its state (`ORDER BY block_number
-- DESC LIMIT 1`), and the rows above a fork point.
CREATE INDEX chain_journal_block_idx ON chain_journal (block_number);

-- A transaction turning SAFE marks the outbox rows it carried.
CREATE INDEX chain_outbox_unsafe_tx_idx ON chain_outbox (sent_tx) WHERE safe_at IS NULL;
