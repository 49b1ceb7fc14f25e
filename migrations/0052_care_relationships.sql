-- Issue 19: care relationships, break-the-glass and patient restrictions,
-- decided by the contract.
--
-- The contract decides every clinician's access to a patient's health
-- records from its own state: care-team memberships, admissions to a
-- department, staff members' departments, break-the-glass grants and the
-- patient's restrictions (contracts/README.md, "The CARE scope"). The tables
-- below are the database's copy, with what must stay off chain (names,
-- justifications, notes); each change writes its lifecycle entry to the
-- outbox in the same transaction, like every other change.

-- Departments. `id` is the opaque number the chain knows a department by;
-- the name never goes on chain. A department exists once anyone works in it
-- or is admitted to it.
CREATE TABLE departments (
    id         INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       TEXT NOT NULL CONSTRAINT departments_name_check CHECK (char_length(name) BETWEEN 1 AND 100),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX departments_name_key ON departments (lower(name));
INSERT INTO departments (name)
SELECT min(department) FROM users WHERE department IS NOT NULL GROUP BY lower(department) ORDER BY 1;

-- The department of `name`, created when new.
CREATE FUNCTION department_id(wanted TEXT) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    found INTEGER;
BEGIN
    IF wanted IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT d.id INTO found FROM departments d WHERE lower(d.name) = lower(wanted);
    IF found IS NULL THEN
        INSERT INTO departments AS d (name) VALUES (wanted)
        ON CONFLICT (lower(name)) DO NOTHING RETURNING d.id INTO found;
        IF found IS NULL THEN
            SELECT d.id INTO found FROM departments d WHERE lower(d.name) = lower(wanted);
        END IF;
    END IF;
    RETURN found;
END;
$$;

-- The outbox carries the care kinds (contract `Lifecycle` codes 12..20):
--   12 CARE_ADDED          subject the patient, counterpart the clinician, until (0 open-ended)
--   13 CARE_ENDED          subject the patient, counterpart the clinician
--   14 ADMITTED            subject the patient, department
--   15 DISCHARGED          subject the patient
--   16 DEPARTMENT_ASSIGNED subject the staff member, department (0 none)
--   17 GLASS_BROKEN        actor the clinician, subject the patient, detail the reason,
--                          content_hash the salted justification hash
--   18 GLASS_REVIEWED      actor the auditor, subject the patient, counterpart the clinician,
--                          record_id the grant's entry id, detail 1 justified / 0 not,
--                          content_hash the salted note hash
--   19 RESTRICTED          actor = subject the patient, counterpart the staff member or
--                          department
--   20 RESTRICTION_LIFTED  the same
ALTER TABLE chain_outbox DROP CONSTRAINT chain_outbox_kind_check;
ALTER TABLE chain_outbox ADD CONSTRAINT chain_outbox_kind_check CHECK (kind BETWEEN 0 AND 20);
ALTER TABLE chain_outbox
    ADD COLUMN counterpart BYTEA NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
        CHECK (octet_length(counterpart) = 32),
    ADD COLUMN department BIGINT NOT NULL DEFAULT 0 CHECK (department BETWEEN 0 AND 4294967295),
    ADD COLUMN until BIGINT NOT NULL DEFAULT 0 CHECK (until >= 0),
    ADD COLUMN detail SMALLINT NOT NULL DEFAULT 0 CHECK (detail BETWEEN 0 AND 255);

-- Care entries are numbered per subject (the patient; the staff member for
-- DEPARTMENT_ASSIGNED), in the transaction that writes them: the contract
-- takes an entry for a piece of state only when it is newer than the last
-- that state took, so a late copy never undoes a newer change. Counted here
-- rather than on `users`, so that a care change does not touch the account
-- (nor its `updated_at`), and works for deleted accounts too.
CREATE TABLE care_sequences (
    subject BYTEA PRIMARY KEY CHECK (octet_length(subject) = 32),
    last    BIGINT NOT NULL CHECK (last > 0)
);

CREATE OR REPLACE FUNCTION chain_outbox_role_sequence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.kind IN (0, 2, 3) THEN
        UPDATE users SET role_sequence = role_sequence + 1
         WHERE system_id = NEW.subject
        RETURNING role_sequence INTO NEW.sequence;
        IF NOT FOUND THEN
            PERFORM pg_advisory_xact_lock(hashtextextended(encode(NEW.subject, 'hex'), 41));
            SELECT coalesce(max(sequence), 0) + 1 INTO NEW.sequence
              FROM chain_outbox WHERE subject = NEW.subject AND kind IN (0, 2, 3);
        END IF;
    ELSIF NEW.kind BETWEEN 12 AND 20 THEN
        INSERT INTO care_sequences AS s (subject, last) VALUES (NEW.subject, 1)
        ON CONFLICT (subject) DO UPDATE SET last = s.last + 1
        RETURNING last INTO NEW.sequence;
    ELSE
        NEW.sequence := 0;
    END IF;
    RETURN NEW;
END;
$$;

-- The identifier the system records changes under when no person made
-- them: keccak256("careledger.system"), `bootstrap::SYSTEM_ACTOR` in the
-- api. A public constant, not a key.
CREATE FUNCTION careledger_system_actor() RETURNS BYTEA
LANGUAGE sql IMMUTABLE AS $$ SELECT '\xf987cd7ca8f228a64dac26be1f874672cf1a0d6b537589d6738d1d847dad18ec'::bytea $$;

-- A staff member's department on chain follows `users.department`: whenever
-- a staff account with a system id gets, changes or loses its department
-- (created, updated, first login, role changed), a DEPARTMENT_ASSIGNED entry
-- is written in the same transaction. Its actor is whoever the api names for
-- the transaction (`careledger.actor`, a hex system id), or the system.
CREATE FUNCTION users_department_assigned() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    before_department INTEGER := NULL;
    after_department INTEGER := NULL;
    actor BYTEA;
BEGIN
    IF NEW.system_id IS NULL OR NEW.deleted_at IS NOT NULL THEN
        RETURN NEW;
    END IF;
    IF NEW.role <> 'PATIENT' THEN
        after_department := department_id(NEW.department);
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.system_id IS NOT DISTINCT FROM NEW.system_id AND OLD.role <> 'PATIENT' THEN
        SELECT d.id INTO before_department FROM departments d WHERE lower(d.name) = lower(OLD.department);
    END IF;
    IF before_department IS NOT DISTINCT FROM after_department THEN
        RETURN NEW;
    END IF;
    actor := decode(nullif(current_setting('careledger.actor', true), ''), 'hex');
    INSERT INTO chain_outbox (entry_id, kind, actor, subject, record_id, content_hash, department)
    VALUES (decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'),
            16,
            coalesce(actor, careledger_system_actor()),
            NEW.system_id,
            '\x0000000000000000000000000000000000000000000000000000000000000000',
            '\x0000000000000000000000000000000000000000000000000000000000000000',
            coalesce(after_department, 0));
    RETURN NEW;
END;
$$;

CREATE TRIGGER users_department_assigned
    AFTER INSERT OR UPDATE OF department, system_id, role, deleted_at ON users
    FOR EACH ROW EXECUTE FUNCTION users_department_assigned();

-- Staff already in departments: their memberships go on chain now, by
-- the system (the outbox sends them at the api's start).
INSERT INTO chain_outbox (entry_id, kind, actor, subject, record_id, content_hash, department)
SELECT decode(replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', ''), 'hex'),
       16,
       careledger_system_actor(),
       u.system_id,
       '\x0000000000000000000000000000000000000000000000000000000000000000',
       '\x0000000000000000000000000000000000000000000000000000000000000000',
       department_id(u.department)
  FROM users u
 WHERE u.system_id IS NOT NULL AND u.deleted_at IS NULL AND u.role <> 'PATIENT' AND u.department IS NOT NULL
 ORDER BY u.id;

-- A patient's care team: who, since when, until when (planned), ended when
-- (early, by whom). Active: not ended, and `until` not passed.
CREATE TABLE care_relationships (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id   BIGINT NOT NULL REFERENCES users (id),
    clinician_id BIGINT NOT NULL REFERENCES users (id),
    started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    until        TIMESTAMPTZ NULL,
    added_by     BIGINT NOT NULL REFERENCES users (id),
    ended_at     TIMESTAMPTZ NULL,
    ended_by     BIGINT NULL REFERENCES users (id),
    CONSTRAINT care_relationships_until_check CHECK (until IS NULL OR until > started_at),
    CONSTRAINT care_relationships_self_check CHECK (patient_id <> clinician_id)
);
CREATE UNIQUE INDEX care_relationships_open_key ON care_relationships (patient_id, clinician_id)
    WHERE ended_at IS NULL;
CREATE INDEX care_relationships_clinician_idx ON care_relationships (clinician_id) WHERE ended_at IS NULL;

-- Admissions: a patient is in at most one department at a time.
CREATE TABLE admissions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id    BIGINT NOT NULL REFERENCES users (id),
    department_id INTEGER NOT NULL REFERENCES departments (id),
    admitted_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    admitted_by   BIGINT NOT NULL REFERENCES users (id),
    discharged_at TIMESTAMPTZ NULL,
    discharged_by BIGINT NULL REFERENCES users (id)
);
CREATE UNIQUE INDEX admissions_current_key ON admissions (patient_id) WHERE discharged_at IS NULL;
CREATE INDEX admissions_department_idx ON admissions (department_id) WHERE discharged_at IS NULL;

-- Break-the-glass. The justification and the review's note stay here; the
-- chain holds their salted hashes. `expires_at` is the grant's end as the
-- contract set it (the mined block's time plus its duration).
CREATE TABLE break_glass (
    id                 UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    entry_id           BYTEA NOT NULL UNIQUE CHECK (octet_length(entry_id) = 32),
    clinician_id       BIGINT NOT NULL REFERENCES users (id),
    patient_id         BIGINT NOT NULL REFERENCES users (id),
    reason             TEXT NOT NULL CHECK (reason IN
                           ('EMERGENCY_TREATMENT', 'CONTINUITY_OF_CARE', 'PATIENT_REQUEST', 'OTHER')),
    justification      TEXT NOT NULL CHECK (char_length(justification) BETWEEN 1 AND 2000),
    justification_salt BYTEA NOT NULL CHECK (octet_length(justification_salt) = 32),
    broken_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at         TIMESTAMPTZ NOT NULL,
    reviewed_at        TIMESTAMPTZ NULL,
    reviewed_by        BIGINT NULL REFERENCES users (id),
    justified          BOOLEAN NULL,
    note               TEXT NULL CHECK (char_length(note) BETWEEN 1 AND 2000),
    note_salt          BYTEA NULL CHECK (octet_length(note_salt) = 32),
    review_entry_id    BYTEA NULL CHECK (octet_length(review_entry_id) = 32),
    CONSTRAINT break_glass_review_check CHECK (
        (reviewed_at IS NULL) = (reviewed_by IS NULL)
        AND (reviewed_at IS NULL) = (justified IS NULL)
        AND (reviewed_at IS NULL) = (review_entry_id IS NULL))
);
CREATE INDEX break_glass_open_idx ON break_glass (broken_at DESC) WHERE reviewed_at IS NULL;
CREATE INDEX break_glass_patient_idx ON break_glass (patient_id, broken_at DESC);

-- A patient's restrictions: a named staff member, or a whole department.
CREATE TABLE access_restrictions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    patient_id    BIGINT NOT NULL REFERENCES users (id),
    staff_id      BIGINT NULL REFERENCES users (id),
    department_id INTEGER NULL REFERENCES departments (id),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    lifted_at     TIMESTAMPTZ NULL,
    CONSTRAINT access_restrictions_target_check CHECK ((staff_id IS NULL) <> (department_id IS NULL))
);
CREATE UNIQUE INDEX access_restrictions_staff_key ON access_restrictions (patient_id, staff_id)
    WHERE lifted_at IS NULL AND staff_id IS NOT NULL;
CREATE UNIQUE INDEX access_restrictions_department_key ON access_restrictions (patient_id, department_id)
    WHERE lifted_at IS NULL AND department_id IS NOT NULL;

-- The index: the care events, each a row of its kind; what the columns
-- cannot say goes in `details` (JSON: counterpart, department, until,
-- reason, justified, grant). An access decided under a break-the-glass grant
-- carries {"emergencyUntil": <unix seconds>} in its ACCESS_REQUESTED row's
-- `details`, from the EMERGENCY_ACCESS event that follows it (which stays a
-- row of its own).
ALTER TABLE audit_events DROP CONSTRAINT audit_events_kind_check;
ALTER TABLE audit_events ADD CONSTRAINT audit_events_kind_check CHECK (kind IN (
    'ACCESS_REQUESTED', 'USER_ADDED', 'USER_MODIFIED', 'USER_DELETED', 'ROLE_CHANGED',
    'RECORD_VERSION_CREATED', 'RECORD_DELETED', 'PERMISSION_CHANGED', 'PERMISSION_CHANGE_DENIED',
    'LIFECYCLE_REFUSED', 'RE_RECORDED', 'RE_RECORD_REFUSED',
    'GATEWAY_ADDED', 'GATEWAY_REMOVED', 'CONTRACT_ADMIN_ADDED', 'CONTRACT_ADMIN_REMOVED',
    'SIGNED_IN', 'SIGN_IN_FAILED', 'SIGNED_OUT', 'FACTOR_ENROLLED', 'FACTOR_USED', 'FACTOR_RESET',
    'CARE_ADDED', 'CARE_ENDED', 'PATIENT_ADMITTED', 'PATIENT_DISCHARGED', 'DEPARTMENT_ASSIGNED',
    'GLASS_BROKEN', 'GLASS_REVIEWED', 'ACCESS_RESTRICTED', 'RESTRICTION_LIFTED', 'EMERGENCY_ACCESS',
    'BREAK_GLASS_DURATION_CHANGED', 'BREAK_GLASS_DURATION_CHANGE_DENIED'));
ALTER TABLE audit_events ADD COLUMN details JSONB NULL;
ALTER TABLE audit_lost_events ADD COLUMN details JSONB NULL;
CREATE INDEX audit_events_emergency_idx ON audit_events (subject, block_number DESC, log_index DESC)
    WHERE kind = 'EMERGENCY_ACCESS';
