-- Tokens revoked by logout, kept until they would have expired anyway.
CREATE TABLE revoked_tokens (
    token_id   UUID PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expiry ON revoked_tokens (expires_at);

-- Failed logins, for the per-account and per-address limits. The username is
-- stored as typed (lowercased), whether or not such an account exists, so the
-- limit reveals nothing about which accounts exist.
CREATE TABLE login_failures (
    id        BIGSERIAL PRIMARY KEY,
    username  TEXT NOT NULL,
    address   TEXT,
    failed_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_by_username ON login_failures (username, failed_at);
CREATE INDEX login_failures_by_address ON login_failures (address, failed_at);
