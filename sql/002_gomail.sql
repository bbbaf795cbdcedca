-- The GoMail-compatible API: one-time codes, and one key per registered user.

-- The current one-time code per recipient (a new code replaces the old one). Only an HMAC of the
-- code is stored (auth::HashOtp, keyed by the "otp_secret" setting).
CREATE TABLE otps (
  recipient       TEXT    PRIMARY KEY,  -- bare address, lower-cased
  code_hash       TEXT    NOT NULL,
  expires_at      INTEGER NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  used            INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
  created_at      INTEGER NOT NULL,
  last_sent_at    INTEGER NOT NULL      -- for the per-recipient resend interval
) WITHOUT ROWID;

-- GoMail users get one key each (api_keys.name holds the lower-cased user id): a second signup
-- for the same id fails on this index until the user deregisters.
CREATE UNIQUE INDEX api_keys_client_name ON api_keys (name) WHERE role = 'client';
