-- Every role-bearing lifecycle entry (USER_ADDED, USER_DELETED, ROLE_CHANGED:
-- contract codes 0, 2, 3) carries its subject's role sequence: 1 for the
-- account's creation, one more for each later role-bearing change. The
-- contract applies such an entry only when its sequence is greater than the
-- last one it applied for that subject, so a late or re-sent copy (the
-- outbox delivers at least once) is recorded as refused and never overwrites
-- a newer role (contracts/README.md, "Each entry is applied once").
--
-- The sequence is counted here, in the transaction that writes the change
-- and its outbox row: the user's row is updated, and so locked, by that
-- transaction, so two changes to one user are numbered in commit order.
-- Updating `role_sequence` alone notifies no session cache (migration 0030
-- watches role, deletion and identifier only).

ALTER TABLE users ADD COLUMN role_sequence BIGINT NOT NULL DEFAULT 0 CHECK (role_sequence >= 0);
ALTER TABLE chain_outbox ADD COLUMN sequence BIGINT NOT NULL DEFAULT 0 CHECK (sequence >= 0);

CREATE FUNCTION chain_outbox_role_sequence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IN (0, 2, 3) THEN
        UPDATE users SET role_sequence = role_sequence + 1
         WHERE system_id = NEW.subject
        RETURNING role_sequence INTO NEW.sequence;
        IF NOT FOUND THEN
            -- An entry about an identifier with no account here (written by
            -- tools and tests directly): numbered after the subject's earlier
            -- entries, under a lock on the subject for this transaction.
            PERFORM pg_advisory_xact_lock(hashtextextended(encode(NEW.subject, 'hex'), 41));
            SELECT coalesce(max(sequence), 0) + 1 INTO NEW.sequence
              FROM chain_outbox WHERE subject = NEW.subject AND kind IN (0, 2, 3);
        END IF;
    ELSE
        NEW.sequence := 0;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER chain_outbox_role_sequence
    BEFORE INSERT ON chain_outbox
    FOR EACH ROW EXECUTE FUNCTION chain_outbox_role_sequence();
