-- Health records as a system-versioned temporal table.
--
--   health_records          the current version of every live record
--   health_records_history  every earlier version, and the last version of a
--                           deleted record, with its validity period closed
--
-- Each row carries `version` and `sys_period` = [valid_from, valid_to). The
-- triggers below own both: whatever a client writes into them is overwritten.
--   INSERT                    -> version 1, period [t, )
--   UPDATE changing content   -> old row to history as [from, t), new row
--                                version + 1 with period [t, )
--   UPDATE changing nothing   -> skipped: no new version, no history row
--   DELETE                    -> last row to history as [from, t)
-- "Content" is record_type, title and content. `t` is clock_timestamp(), not the
-- transaction start, so two writes to one record in one transaction still get
-- consecutive non-empty periods; it is forced past the previous period's start
-- so a period is never empty or reversed.

CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TYPE record_type AS ENUM (
    'DIAGNOSIS', 'PRESCRIPTION', 'LAB_RESULT', 'VITAL_SIGNS', 'ALLERGY', 'PROCEDURE', 'CLINICAL_NOTE'
);

CREATE TABLE health_records (
    id           UUID PRIMARY KEY,
    patient_id   BIGINT NOT NULL
                 CONSTRAINT health_records_patient_id_fkey REFERENCES users (id),
    record_type  record_type NOT NULL,
    title        TEXT NOT NULL
                 CONSTRAINT health_records_title_check
                 CHECK (title = btrim(title) AND char_length(title) BETWEEN 1 AND 200),
    content      JSONB NOT NULL
                 CONSTRAINT health_records_content_check CHECK (jsonb_typeof(content) = 'object'),
    -- Who wrote this version.
    author_id    BIGINT NOT NULL
                 CONSTRAINT health_records_author_id_fkey REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INT NOT NULL CONSTRAINT health_records_version_check CHECK (version >= 1),
    -- SHA-256(content_salt || canonical JSON of this version): api/src/records/hash.rs.
    content_hash BYTEA NOT NULL
                 CONSTRAINT health_records_content_hash_check CHECK (octet_length(content_hash) = 32),
    content_salt BYTEA NOT NULL
                 CONSTRAINT health_records_content_salt_check CHECK (octet_length(content_salt) = 16),
    sys_period   TSTZRANGE NOT NULL
);

CREATE INDEX health_records_patient_idx ON health_records (patient_id, updated_at DESC, id);

CREATE TABLE health_records_history (
    id           UUID NOT NULL,
    patient_id   BIGINT NOT NULL REFERENCES users (id),
    record_type  record_type NOT NULL,
    title        TEXT NOT NULL,
    content      JSONB NOT NULL,
    author_id    BIGINT NOT NULL REFERENCES users (id),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    version      INT NOT NULL,
    content_hash BYTEA NOT NULL CHECK (octet_length(content_hash) = 32),
    content_salt BYTEA NOT NULL CHECK (octet_length(content_salt) = 16),
    sys_period   TSTZRANGE NOT NULL
                 CONSTRAINT health_records_history_period_closed
                 CHECK (NOT isempty(sys_period) AND NOT upper_inf(sys_period)),
    -- Who ended this version: the author of the next one, or whoever deleted the
    -- record (NULL when it was deleted outside the api).
    closed_by    BIGINT NULL REFERENCES users (id),
    CONSTRAINT health_records_history_pkey PRIMARY KEY (id, version),
    -- The versions of one record never overlap in time; also the GiST index
    -- (record id, period) that as-of queries use.
    CONSTRAINT health_records_history_no_overlap
        EXCLUDE USING gist (id WITH =, sys_period WITH &&)
);

-- Every version of every record, current and past: the one place to read history.
CREATE VIEW health_record_versions AS
    SELECT id, patient_id, record_type, title, content, author_id, created_at, updated_at,
           version, content_hash, content_salt, sys_period, NULL::BIGINT AS closed_by
      FROM health_records
    UNION ALL
    SELECT id, patient_id, record_type, title, content, author_id, created_at, updated_at,
           version, content_hash, content_salt, sys_period, closed_by
      FROM health_records_history;

-- A record belongs to a live user whose role is PATIENT. The patient row is
-- share-locked so a concurrent role change or deletion waits for this write.
CREATE FUNCTION health_records_check_patient() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM users
      WHERE id = NEW.patient_id AND role = 'PATIENT' AND deleted_at IS NULL
      FOR SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'health record patient is not an active PATIENT user'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'health_records_patient_role',
                  TABLE = 'health_records';
    END IF;
    RETURN NEW;
END
$$;

-- The start of the next period: now by the wall clock, but always after `after`.
CREATE FUNCTION health_records_next_instant(after TIMESTAMPTZ) RETURNS TIMESTAMPTZ
LANGUAGE sql VOLATILE AS $$
    SELECT greatest(clock_timestamp(), after + interval '1 microsecond')
$$;

CREATE FUNCTION health_records_version_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t TIMESTAMPTZ := clock_timestamp();
BEGIN
    NEW.version := 1;
    NEW.created_at := t;
    NEW.updated_at := t;
    NEW.sys_period := tstzrange(t, NULL, '[)');
    RETURN NEW;
END
$$;

CREATE FUNCTION health_records_version_update() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t TIMESTAMPTZ;
BEGIN
    IF NEW.id IS DISTINCT FROM OLD.id
       OR NEW.patient_id IS DISTINCT FROM OLD.patient_id
       OR NEW.content_salt IS DISTINCT FROM OLD.content_salt THEN
        RAISE EXCEPTION 'a health record''s id, patient and salt never change'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'health_records_immutable',
                  TABLE = 'health_records';
    END IF;

    IF NEW.record_type = OLD.record_type
       AND NEW.title = OLD.title
       AND NEW.content = OLD.content THEN
        RETURN NULL; -- nothing changed: no new version, the row is left as it was
    END IF;

    t := health_records_next_instant(lower(OLD.sys_period));
    NEW.version := OLD.version + 1;
    NEW.created_at := OLD.created_at;
    NEW.updated_at := t;
    NEW.sys_period := tstzrange(t, NULL, '[)');
    RETURN NEW;
END
$$;

-- After the update: the old version, its period closed where the new one starts.
CREATE FUNCTION health_records_history_on_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO health_records_history
        (id, patient_id, record_type, title, content, author_id, created_at, updated_at,
         version, content_hash, content_salt, sys_period, closed_by)
    VALUES
        (OLD.id, OLD.patient_id, OLD.record_type, OLD.title, OLD.content, OLD.author_id,
         OLD.created_at, OLD.updated_at, OLD.version, OLD.content_hash, OLD.content_salt,
         tstzrange(lower(OLD.sys_period), lower(NEW.sys_period), '[)'), NEW.author_id);
    RETURN NULL;
END
$$;

-- After a delete: the last version, closed now. The api names who deleted it in
-- the transaction-local setting careledger.actor_id.
CREATE FUNCTION health_records_history_on_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    t TIMESTAMPTZ := health_records_next_instant(lower(OLD.sys_period));
    actor BIGINT := nullif(current_setting('careledger.actor_id', true), '')::BIGINT;
BEGIN
    INSERT INTO health_records_history
        (id, patient_id, record_type, title, content, author_id, created_at, updated_at,
         version, content_hash, content_salt, sys_period, closed_by)
    VALUES
        (OLD.id, OLD.patient_id, OLD.record_type, OLD.title, OLD.content, OLD.author_id,
         OLD.created_at, OLD.updated_at, OLD.version, OLD.content_hash, OLD.content_salt,
         tstzrange(lower(OLD.sys_period), t, '[)'), actor);
    RETURN NULL;
END
$$;

-- History is append-only: a version, once closed, is never changed or removed;
-- nor may the current table be truncated past the triggers. TG_ARGV[0] names
-- the rule, reported as the constraint.
CREATE FUNCTION health_records_forbid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% on % is not allowed', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege',
              CONSTRAINT = TG_ARGV[0],
              TABLE = TG_TABLE_NAME;
END
$$;

CREATE TRIGGER health_records_10_check_patient
    BEFORE INSERT ON health_records
    FOR EACH ROW EXECUTE FUNCTION health_records_check_patient();

CREATE TRIGGER health_records_20_version_insert
    BEFORE INSERT ON health_records
    FOR EACH ROW EXECUTE FUNCTION health_records_version_insert();

CREATE TRIGGER health_records_20_version_update
    BEFORE UPDATE ON health_records
    FOR EACH ROW EXECUTE FUNCTION health_records_version_update();

CREATE TRIGGER health_records_30_history_on_update
    AFTER UPDATE ON health_records
    FOR EACH ROW EXECUTE FUNCTION health_records_history_on_update();

CREATE TRIGGER health_records_30_history_on_delete
    AFTER DELETE ON health_records
    FOR EACH ROW EXECUTE FUNCTION health_records_history_on_delete();

CREATE TRIGGER health_records_history_append_only
    BEFORE UPDATE OR DELETE ON health_records_history
    FOR EACH ROW EXECUTE FUNCTION health_records_forbid('health_records_history_append_only');

CREATE TRIGGER health_records_history_no_truncate
    BEFORE TRUNCATE ON health_records_history
    FOR EACH STATEMENT EXECUTE FUNCTION health_records_forbid('health_records_history_append_only');

CREATE TRIGGER health_records_no_truncate
    BEFORE TRUNCATE ON health_records
    FOR EACH STATEMENT EXECUTE FUNCTION health_records_forbid('health_records_no_truncate');
