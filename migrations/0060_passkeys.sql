-- Passkeys (WebAuthn) as a second factor, beside TOTP (issue 20).
--
-- What a reader of the database gets:
-- * `passkeys.credential` is the credential as `webauthn-rs` keeps it
--   (`Passkey`, JSON): its id, its PUBLIC key, its signature counter and
--   backup flags. Nothing in it signs anything: whoever reads or copies it
--   cannot make an assertion (unlike a TOTP secret, so it is not sealed).
--   A row copied onto another account does not work there either: the
--   ceremony offers only the account's own credentials and the database
--   must hold the credential for that account when the assertion returns.
-- * `user_handle` is the WebAuthn user handle the authenticator keeps: a
--   random UUID, one per account (every passkey of an account carries the
--   same), never the user id, the system id or the username.
--
-- A passkey counts as a confirmed factor from the moment it is stored: the
-- registration ceremony itself proved the authenticator (there is no
-- unconfirmed state, unlike `totp_factors.confirmed_at`).

CREATE TABLE passkeys (
    id            BIGSERIAL PRIMARY KEY,
    user_id       BIGINT NOT NULL REFERENCES users (id),
    credential_id BYTEA NOT NULL,
    user_handle   UUID NOT NULL,
    name          TEXT NOT NULL CHECK (char_length(name) BETWEEN 1 AND 64),
    credential    JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at  TIMESTAMPTZ,
    CONSTRAINT passkeys_credential_id_key UNIQUE (credential_id),
    CONSTRAINT passkeys_user_name_key UNIQUE (user_id, name)
);
CREATE INDEX passkeys_by_user ON passkeys (user_id);

-- A ceremony in progress, kept server-side on the challenge row that
-- `factor_challenges` already has (single use, five minutes, purged when
-- expired): `ceremony` is `webauthn-rs`'s state for it (the WebAuthn
-- challenge it sent and the credentials it allows), never sent to the
-- client. The client holds only the row's secret, as for a login step.
--
-- * On a VERIFY challenge (the login's second step) `beginPasskeyVerification`
--   writes the ceremony, and any assertion, accepted or not, clears it: an
--   assertion is checked once.
-- * PASSKEY_ENROL: a signed-in user registering a passkey (its name is in
--   the ceremony); PASSKEY_STEP_UP: a signed-in user proving a passkey for
--   step-up. Both belong to the token that opened them (`token_id`) and are
--   used up by the first answer, accepted or not.
ALTER TYPE factor_challenge_purpose ADD VALUE 'PASSKEY_ENROL';
ALTER TYPE factor_challenge_purpose ADD VALUE 'PASSKEY_STEP_UP';

ALTER TABLE factor_challenges
    ADD COLUMN ceremony JSONB,
    ADD COLUMN token_id UUID;

-- New events: a passkey registered, a passkey's assertion accepted (a
-- refused one is CODE_REFUSED, counted with wrong codes, reason
-- WRONG_PASSKEY or UNKNOWN_PASSKEY), a passkey removed by its owner, and a
-- removal refused (it would leave a staff account without the factor the
-- policy requires).
ALTER TYPE factor_event_kind ADD VALUE 'PASSKEY_ENROLLED';
ALTER TYPE factor_event_kind ADD VALUE 'PASSKEY_USED';
ALTER TYPE factor_event_kind ADD VALUE 'PASSKEY_REMOVED';
ALTER TYPE factor_event_kind ADD VALUE 'REMOVAL_REFUSED';
