-- Issue 20: throttling without lockout, and sessions that slide.
--
-- Failed logins are counted per key instead of listed one row per failure:
-- a key is `pair:<address>|<username>` (one client guessing at one account)
-- or `addr:<address>` (one client guessing across accounts). Every attempt
-- counts itself against both keys before the password is checked, in one
-- transaction that locks the two rows, so parallel guesses cannot slip past
-- the limit between a check and an insert (`auth::throttle`). Beyond a few
-- free attempts each failure doubles the wait before that key may try again,
-- up to 15 minutes; no one else's key is touched, so nobody can lock another
-- person out. A key forgets its failures an hour after the last one.
CREATE TABLE login_throttle (
    key            TEXT PRIMARY KEY,
    failures       INTEGER NOT NULL CHECK (failures >= 0),
    last_failed_at TIMESTAMPTZ NOT NULL,
    next_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_throttle_last_failed ON login_throttle (last_failed_at);

DROP TABLE login_failures;

-- A session is the chain of tokens one login starts: renewing a token
-- (`renewSession`) issues the next one with the same session id, and a
-- logout revokes every listed token of the session. Tokens listed before
-- this migration are their own session.
ALTER TABLE issued_tokens ADD COLUMN session_id UUID;
UPDATE issued_tokens SET session_id = token_id;
ALTER TABLE issued_tokens ALTER COLUMN session_id SET NOT NULL;
CREATE INDEX issued_tokens_session ON issued_tokens (session_id);
