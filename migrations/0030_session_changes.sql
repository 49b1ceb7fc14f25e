-- Session checks are remembered by each api instance (api/src/cache): these
-- triggers tell every instance, on commit, when a check may now answer
-- differently, and keep fixed what the remembered answers rely on.

-- A user's system-wide identifier, once set, never changes: the chain knows
-- the user by it, and the api remembers it.
CREATE FUNCTION users_system_id_fixed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.system_id IS NOT NULL AND NEW.system_id IS DISTINCT FROM OLD.system_id THEN
        RAISE EXCEPTION 'a user''s system-wide identifier never changes once set'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_system_id_fixed
    BEFORE UPDATE OF system_id ON users
    FOR EACH ROW EXECUTE FUNCTION users_system_id_fixed();

-- The payload is the user's internal id; NOTIFY is delivered at commit, and
-- not at all if the transaction rolls back.
CREATE FUNCTION careledger_session_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'revoked_tokens' THEN
        PERFORM pg_notify('careledger_sessions', NEW.user_id::text);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('careledger_sessions', OLD.id::text);
    ELSE
        PERFORM pg_notify('careledger_sessions', NEW.id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER revoked_tokens_session_changed
    AFTER INSERT ON revoked_tokens
    FOR EACH ROW EXECUTE FUNCTION careledger_session_changed();

CREATE TRIGGER users_session_changed
    AFTER UPDATE ON users
    FOR EACH ROW
    WHEN (OLD.role IS DISTINCT FROM NEW.role
          OR OLD.deleted_at IS DISTINCT FROM NEW.deleted_at
          OR OLD.system_id IS DISTINCT FROM NEW.system_id)
    EXECUTE FUNCTION careledger_session_changed();

CREATE TRIGGER users_session_deleted
    AFTER DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION careledger_session_changed();
