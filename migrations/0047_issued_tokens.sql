-- Every token a login issues is listed until it expires, so that a password
-- change can end every other session of the account (issue 20).
--
-- A change of `users.password_hash`, by `changePassword` or by anyone with
-- write access to the table, revokes every unexpired token of that user
-- except the one named in the transaction's `careledger.keep_token` setting
-- (`changePassword` names the caller's own token, so the person changing the
-- password stays signed in). Revoking inserts into `revoked_tokens`, whose
-- trigger (migration 0030) tells every api instance at commit: remembered
-- checks are forgotten, and open subscriptions of the user end.
--
-- Tokens issued before this migration are not listed; they expire within
-- their 15 minutes.

CREATE TABLE issued_tokens (
    token_id   UUID PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id),
    issued_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX issued_tokens_user ON issued_tokens (user_id, expires_at);
CREATE INDEX issued_tokens_expiry ON issued_tokens (expires_at);

CREATE FUNCTION users_password_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    keep TEXT := nullif(current_setting('careledger.keep_token', true), '');
BEGIN
    INSERT INTO revoked_tokens (token_id, user_id, expires_at)
    SELECT token_id, user_id, expires_at
      FROM issued_tokens
     WHERE user_id = NEW.id AND expires_at > now()
       AND (keep IS NULL OR token_id::text <> keep)
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END;
$$;

CREATE TRIGGER users_password_changed
    AFTER UPDATE OF password_hash ON users
    FOR EACH ROW
    WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash)
    EXECUTE FUNCTION users_password_changed();
