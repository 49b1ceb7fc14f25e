-- The second login step and step-up (issue 20).
--
-- A correct password for an account that has a factor (or must enrol one
-- under the policy) gets no token but a challenge: a random 32-byte value
-- handed to the client once, stored here only as its SHA-256. It lives five
-- minutes, allows five wrong codes, and is used up by the code that passes
-- (`used_at`). `purpose` says what it allows: VERIFY (a code from the
-- enrolled factor) or ENROL (the policy requires a factor the account does
-- not have yet: enrolling is the only thing it allows).

CREATE TYPE factor_challenge_purpose AS ENUM ('VERIFY', 'ENROL');

CREATE TABLE factor_challenges (
    secret_hash BYTEA PRIMARY KEY CHECK (octet_length(secret_hash) = 32),
    user_id     BIGINT NOT NULL REFERENCES users (id),
    purpose     factor_challenge_purpose NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    used_at     TIMESTAMPTZ
);
CREATE INDEX factor_challenges_expiry ON factor_challenges (expires_at);

-- When a token's holder last proved a factor: at the login that issued it,
-- or by `stepUp`. Account, role and permission changes need it within the
-- last five minutes. Kept until the token expires.
CREATE TABLE factor_step_ups (
    token_id    UUID PRIMARY KEY,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    verified_at TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX factor_step_ups_expiry ON factor_step_ups (expires_at);
