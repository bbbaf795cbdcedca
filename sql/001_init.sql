-- The first schema: emails with their delivery jobs, events and idempotency records, API keys,
-- persistent counters and settings. Times are milliseconds since the Unix epoch (INTEGER).
-- Applied by src/store/sqlite/migrations.cpp in one transaction that also sets user_version.

-- Durable work. An email owns exactly one job (kind 'email', ref_id = emails.id); other kinds
-- will reference their own tables through ref_id, which is why it carries no foreign key.
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after purges
  kind             TEXT    NOT NULL,
  ref_id           TEXT    NOT NULL,
  state            TEXT    NOT NULL
                   CHECK (state IN ('queued', 'leased', 'done', 'dead', 'cancelled')),
  priority         INTEGER NOT NULL,  -- lower runs first
  run_at           INTEGER NOT NULL,
  attempts         INTEGER NOT NULL DEFAULT 0,
  max_attempts     INTEGER NOT NULL,
  lease_token      INTEGER,           -- fencing token of the latest lease, kept after it ends
  lease_expires_at INTEGER,           -- set only while leased
  last_error       TEXT    NOT NULL DEFAULT '',
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
-- Leasing seeks (state = 'queued', priority = p, run_at <= now) once per distinct priority, so it
-- touches only the rows it returns even with a million jobs scheduled for later. Expired leases
-- are looked for under state = 'leased', which holds only the deliveries in flight. Stats counts
-- jobs per state from this index without reading the table.
CREATE INDEX jobs_runnable ON jobs (state, priority, run_at);

-- Global fencing token source: one row, bumped by every lease, strictly increasing.
CREATE TABLE lease_tokens (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  last_token INTEGER NOT NULL
);
INSERT INTO lease_tokens (id, last_token) VALUES (1, 0);

CREATE TABLE emails (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,  -- list order and cursor; never reused
  id            TEXT    NOT NULL UNIQUE,            -- the public id
  job_id        INTEGER NOT NULL,                   -- its delivery job, fixed at creation
  status        TEXT    NOT NULL
                CHECK (status IN ('queued', 'sending', 'sent', 'deferred', 'failed',
                                  'cancelled')),
  from_address  TEXT    NOT NULL,
  to_addresses  TEXT    NOT NULL,  -- JSON array of the addresses as given
  cc_addresses  TEXT    NOT NULL,  -- JSON array
  bcc_addresses TEXT    NOT NULL,  -- JSON array
  reply_to      TEXT    NOT NULL,
  subject       TEXT    NOT NULL,
  tags          TEXT    NOT NULL,  -- JSON array
  metadata      TEXT    NOT NULL,  -- JSON object
  attempts      INTEGER NOT NULL DEFAULT 0,
  max_attempts  INTEGER NOT NULL,
  last_reply    TEXT    NOT NULL DEFAULT '',
  created_at    INTEGER NOT NULL,
  send_at       INTEGER NOT NULL,  -- as requested; 0 when the caller asked for none
  updated_at    INTEGER NOT NULL,
  sent_at       INTEGER,
  owner         TEXT    NOT NULL
);
CREATE INDEX emails_status ON emails (status);  -- rowid (seq) order within a status

-- The rendered message lives apart from its email row because SQLite rewrites a whole row on
-- every UPDATE: a status change would otherwise copy a message of many kilobytes each time.
CREATE TABLE email_messages (
  email_seq           INTEGER PRIMARY KEY REFERENCES emails (seq) ON DELETE CASCADE,
  envelope_from       TEXT NOT NULL,
  envelope_recipients TEXT NOT NULL,  -- JSON array of bare addresses (RCPT TO)
  data                BLOB NOT NULL   -- RFC 5322 message, CRLF line ends
);

-- One row per distinct bare, lower-cased address in to/cc/bcc, for the recipient filter. Keyed by
-- (address, email_seq) so a filtered list pages newest first straight off the primary key.
CREATE TABLE email_recipients (
  address   TEXT    NOT NULL,
  email_seq INTEGER NOT NULL REFERENCES emails (seq) ON DELETE CASCADE,
  PRIMARY KEY (address, email_seq)
) WITHOUT ROWID;
CREATE INDEX email_recipients_email ON email_recipients (email_seq);  -- for cascading deletes

-- The timeline of an email; id gives the order in which transitions were committed.
CREATE TABLE email_events (
  id       INTEGER PRIMARY KEY,
  email_id TEXT    NOT NULL REFERENCES emails (id) ON DELETE CASCADE,
  at       INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  detail   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX email_events_email ON email_events (email_id);

-- Idempotency-Key claims: the first request's hash and response, replayed to identical retries.
CREATE TABLE idempotency_keys (
  owner           TEXT    NOT NULL,
  key             TEXT    NOT NULL,
  request_hash    TEXT    NOT NULL,
  response_status INTEGER NOT NULL,
  response_body   TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  PRIMARY KEY (owner, key)
) WITHOUT ROWID;

CREATE TABLE api_keys (
  id         TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL,
  key_hash   TEXT    NOT NULL UNIQUE,  -- SHA-256 hex of the secret; the secret is never stored
  role       TEXT    NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
);

-- Totals that must survive restarts; bumped in the transaction of the transition they count.
CREATE TABLE counters (
  name  TEXT    PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES
  ('enqueued_total', 0), ('sent_total', 0), ('failed_total', 0), ('retried_total', 0);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
