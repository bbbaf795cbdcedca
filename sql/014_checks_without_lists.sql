-- The same constraints, written so that SQLite does not build a table to check them. SQLite
-- codes `x IN (a, b, c, ...)` with more than two values as a temporary b-tree filled on every
-- run of the statement, so each INSERT or UPDATE of a job or an email opened one for its
-- state CHECK (and an email a second for the emails_finished index's WHERE): measured at 15 %
-- of the writer's time on POST /v1/emails. `x = a OR x = b ...` is checked in place.
--
-- jobs and emails are rebuilt (SQLite cannot alter a CHECK); migrations run with foreign keys
-- off, so the children keep their rows. Both are AUTOINCREMENT: DROP TABLE forgets the
-- sequence, which may be above the largest id still kept (purged rows), so it is carried over.

CREATE TABLE jobs_new (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, even after purges
  kind             TEXT    NOT NULL,
  ref_id           TEXT    NOT NULL,
  state            TEXT    NOT NULL
                   CHECK (state = 'queued' OR state = 'leased' OR state = 'done' OR
                          state = 'dead' OR state = 'cancelled'),
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
INSERT INTO jobs_new SELECT * FROM jobs;
DELETE FROM sqlite_sequence WHERE name = 'jobs_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'jobs_new', seq FROM sqlite_sequence
  WHERE name = 'jobs';
DROP TABLE jobs;
ALTER TABLE jobs_new RENAME TO jobs;
CREATE INDEX jobs_runnable ON jobs (kind, state, priority, run_at);

CREATE TABLE emails_new (
  seq           INTEGER PRIMARY KEY AUTOINCREMENT,
  id            TEXT    NOT NULL UNIQUE,
  job_id        INTEGER NOT NULL,
  status        TEXT    NOT NULL
                CHECK (status = 'queued' OR status = 'sending' OR status = 'sent' OR
                       status = 'deferred' OR status = 'failed' OR status = 'cancelled' OR
                       status = 'suppressed'),
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
  owner         TEXT    NOT NULL,
  campaign_id   INTEGER
);
INSERT INTO emails_new SELECT * FROM emails;
DELETE FROM sqlite_sequence WHERE name = 'emails_new';
INSERT INTO sqlite_sequence (name, seq) SELECT 'emails_new', seq FROM sqlite_sequence
  WHERE name = 'emails';
DROP TABLE emails;
ALTER TABLE emails_new RENAME TO emails;
CREATE INDEX emails_status ON emails (status);
-- Records of one key, newest first.
CREATE INDEX emails_owner ON emails (owner, seq);
-- Finished emails by their last transition (retention). Partial: emails in the queue are not
-- in it. A query uses it only when its WHERE contains this expression as written.
CREATE INDEX emails_finished ON emails (updated_at)
  WHERE status = 'sent' OR status = 'failed' OR status = 'cancelled' OR status = 'suppressed';
CREATE INDEX emails_by_campaign ON emails (campaign_id, job_id) WHERE campaign_id IS NOT NULL;
