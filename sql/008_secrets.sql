-- One-time codes belong to the key that asked for them: keyed by (owner, recipient), so another
-- key's verify cannot see, consume, lock out or exhaust them. Codes live minutes and their hashes
-- were keyed with the old "otp_secret" setting, which moves out of the database with this
-- release, so the outstanding ones are dropped rather than converted.
DROP TABLE otps;
CREATE TABLE otps (
  owner           TEXT    NOT NULL,     -- id of the API key that asked for the code
  recipient       TEXT    NOT NULL,     -- bare address, lower-cased
  code_hash       TEXT    NOT NULL,     -- auth::HashOtp, keyed from <data>/secret.key
  expires_at      INTEGER NOT NULL,
  failed_attempts INTEGER NOT NULL DEFAULT 0,
  used            INTEGER NOT NULL DEFAULT 0 CHECK (used IN (0, 1)),
  created_at      INTEGER NOT NULL,
  last_sent_at    INTEGER NOT NULL,     -- for the per-(owner, recipient) resend interval
  PRIMARY KEY (owner, recipient)
) WITHOUT ROWID;

-- A message holding a secret (a one-time code's mail) is replaced by a redaction notice in the
-- transaction that records its delivery or its final failure.
ALTER TABLE email_messages ADD COLUMN redact_when_done INTEGER NOT NULL DEFAULT 0
  CHECK (redact_when_done IN (0, 1));
