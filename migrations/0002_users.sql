-- The user directory. `id` is the internal key (foreign keys, never shown as the
-- system-wide identifier); `system_id` is the 32-byte identifier the access
-- contract knows the user by. Deleted users keep their row, because the audit
-- trail points at them, but can no longer log in or be found by search.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE user_role AS ENUM (
    'ROOT', 'ADMIN', 'DOCTOR', 'NURSE', 'RECEPTIONIST', 'AUDITOR', 'PATIENT'
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    -- NULL only for an account imported without one; assigned at first login.
    system_id     BYTEA NULL
                  CONSTRAINT users_system_id_key UNIQUE
                  CONSTRAINT users_system_id_check CHECK (octet_length(system_id) = 32),
    -- Stored lowercased; uniqueness is case-insensitive (users_username_key below).
    username      TEXT NOT NULL
                  CONSTRAINT users_username_check CHECK (username ~ '^[a-z0-9._-]{3,64}$'),
    -- A PHC string ($pbkdf2-sha256$i=...$salt$hash).
    password_hash TEXT NOT NULL
                  CONSTRAINT users_password_hash_check CHECK (password_hash LIKE '$%'),
    full_name     TEXT NOT NULL
                  CONSTRAINT users_full_name_check
                  CHECK (full_name = btrim(full_name) AND char_length(full_name) BETWEEN 1 AND 200),
    address       TEXT NULL
                  CONSTRAINT users_address_check CHECK (char_length(address) <= 500),
    -- The hospital designation, e.g. department 'Cardiology', position
    -- 'Attending Physician'. NULL where it does not apply (patients).
    department    TEXT NULL
                  CONSTRAINT users_department_check CHECK (char_length(department) BETWEEN 1 AND 100),
    position      TEXT NULL
                  CONSTRAINT users_position_check CHECK (char_length(position) BETWEEN 1 AND 100),
    role          user_role NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    deleted_at    TIMESTAMPTZ NULL
);

-- Case-insensitive uniqueness, kept for deleted users too: a username is never
-- reused, so an old audit entry cannot be mistaken for a new account.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));

-- Search: prefix matches (btree, also for one- and two-letter queries, which
-- trigrams cannot serve) and fuzzy matches (trigram GIN: %, <%, LIKE '%x%').
CREATE INDEX users_username_prefix_idx ON users (username text_pattern_ops);
CREATE INDEX users_full_name_prefix_idx ON users (lower(full_name) text_pattern_ops);
CREATE INDEX users_username_trgm_idx ON users USING gin (username gin_trgm_ops);
CREATE INDEX users_full_name_trgm_idx ON users USING gin (lower(full_name) gin_trgm_ops);
-- The directory without a query: live accounts by name.
CREATE INDEX users_directory_idx ON users (lower(full_name), id) WHERE deleted_at IS NULL;

CREATE FUNCTION users_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW IS DISTINCT FROM OLD THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER users_touch_updated_at
    BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION users_touch_updated_at();
