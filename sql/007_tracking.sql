-- Tracked mail (the SES-compatible sends): template data, attachments count, open tracking, the
-- callback URL of the sending key and the provider's message id; the suppression list; and the
-- "suppressed" email status (an email to a suppressed address is never attempted).

-- Rebuilt to add 'suppressed' to the status CHECK (SQLite cannot alter a CHECK). Migrations run
-- with foreign keys off, so the children (messages, recipients, events) keep their rows.
CREATE TABLE emails_new (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT    NOT NULL UNIQUE,
  job_id        INTEGER NOT NULL,
  status        TEXT    NOT NULL
                CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed',
                                  'cancelled', 'suppressed')),
  from_address  TEXT    NOT NULL,
  to_addresses  TEXT    NOT NULL,
  cc_addresses  TEXT    NOT NULL,
  bcc_addresses TEXT    NOT NULL,
  reply_to      TEXT    NOT NULL,
  subject       TEXT    NOT NULL,
  tags          TEXT    NOT NULL,
  metadata      TEXT    NOT NULL,
  attempts      INTEGER NOT NULL DEFAULT 0,
  max_attempts  INTEGER NOT NULL,
  last_reply    TEXT    NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  send_at       INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  sent_at       INTEGER,
  owner         TEXT    NOT NULL
);
INSERT INTO emails_new SELECT * FROM emails;
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_status ON emails (status);
-- Records of one key, newest first.
CREATE INDEX emails_owner ON emails (owner, seq);

CREATE TABLE email_tracking (
  email_id     TEXT    PRIMARY KEY REFERENCES emails (id) ON DELETE CASCADE,
  template     TEXT    NOT NULL DEFAULT '',
  data         TEXT    NOT NULL DEFAULT '{}',  -- the template data as sent (JSON)
  attachments  INTEGER NOT NULL DEFAULT 0,
  open_token   TEXT    UNIQUE,                 -- 128 random bits, hex; NULL without a pixel
  opened_at    INTEGER,
  callback_url TEXT    NOT NULL DEFAULT '',    -- the sending key's, when it was sent
  provider_id  TEXT                            -- the relay's message id (SES: 250 Ok <id>)
) WITHOUT ROWID;
CREATE INDEX email_tracking_provider ON email_tracking (provider_id)
  WHERE provider_id IS NOT NULL;

-- Addresses never to send to again: hard bounces, complaints, or added by hand.
CREATE TABLE suppressions (
  address    TEXT    PRIMARY KEY CHECK (address = lower(address)),
  reason     TEXT    NOT NULL,  -- bounce, complaint, manual
  detail     TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
