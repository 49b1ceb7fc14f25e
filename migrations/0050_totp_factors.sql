-- A second factor (issue 20): TOTP authenticators (RFC 6238), one-time
-- recovery codes, the root's policy, and a record of every factor event.
--
-- What a reader of the database gets:
-- * `totp_factors.secret_sealed` is the TOTP secret sealed with
--   XChaCha20-Poly1305 under a key that is not in the database (the api's
--   data directory, `factor/totp.key`), with the user's id as associated
--   data. A TOTP secret is as good as the authenticator itself: whoever
--   reads it can make valid codes for ever. Sealed, a backup, a read
--   replica or an injected SELECT yields nothing usable; and a row copied
--   onto another account does not open there (the associated data differs).
-- * `recovery_codes.code_hash` is SHA-256 of a code of 80 random bits:
--   too many to try offline, so a plain hash is enough (no salt, no
--   stretching needed); the code itself is shown once, at enrolment.
-- * Neither is ever returned by the api after enrolment, nor logged.
--
-- A factor starts unconfirmed (`confirmed_at` NULL) and counts only once a
-- code from it has been accepted. `last_step` is the 30-second time step
-- of the last code accepted: a code is accepted only for a later step, so
-- a code seen once (over a shoulder, in a proxy's log) is refused again.

CREATE TABLE totp_factors (
    user_id       BIGINT PRIMARY KEY REFERENCES users (id),
    secret_sealed BYTEA NOT NULL,
    nonce         BYTEA NOT NULL CHECK (octet_length(nonce) = 24),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    confirmed_at  TIMESTAMPTZ,
    last_step     BIGINT
);

CREATE TABLE recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users (id),
    code_hash BYTEA NOT NULL CHECK (octet_length(code_hash) = 32),
    used_at   TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- The root's policy: one row. While `staff_required`, every account but a
-- patient's must have a confirmed factor; one without is made to enrol at
-- its next login before it gets a token.
CREATE TABLE factor_policy (
    id             BOOLEAN PRIMARY KEY DEFAULT true CHECK (id),
    staff_required BOOLEAN NOT NULL DEFAULT false,
    set_by         BIGINT REFERENCES users (id),
    set_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
INSERT INTO factor_policy (id) VALUES (true);

-- Every factor event, accepted or refused: enrolment, a code used at login
-- or for a step-up, each refusal and why, an administrator's reset, a
-- policy change. `actor` is who acted (the user, or the administrator);
-- `user_id` whose factor it concerns. Never a code or a secret.
CREATE TYPE factor_event_kind AS ENUM (
    'ENROLMENT_STARTED',
    'ENROLLED',
    'ENROLMENT_REFUSED',
    'CODE_ACCEPTED',
    'RECOVERY_CODE_USED',
    'CODE_REFUSED',
    'STEP_UP_REFUSED',
    'RESET',
    'RESET_REFUSED',
    'RECOVERY_CODES_RENEWED',
    'POLICY_SET',
    'POLICY_REFUSED'
);

CREATE TABLE factor_events (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    actor      BIGINT NOT NULL REFERENCES users (id),
    kind       factor_event_kind NOT NULL,
    -- For a refusal, why (a fixed word: WRONG_CODE, REUSED_CODE, ...).
    reason     TEXT,
    address    TEXT,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX factor_events_by_user ON factor_events (user_id, at);
