-- Keys with status callbacks (the SES-compatible API's "return_api"), the callbacks themselves as
-- durable jobs with every attempt recorded, per-endpoint failure streaks, and expiring tasks.

-- A key's callback URL; "sender" keys (the SES-compatible API) have unique names.
ALTER TABLE api_keys ADD COLUMN callback_url TEXT NOT NULL DEFAULT '';
-- The secret's last characters, to show which key something belongs to without the secret.
ALTER TABLE api_keys ADD COLUMN key_hint TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX api_keys_sender_name ON api_keys (name) WHERE role = 'sender';

-- Jobs of different kinds are leased by different workers (SMTP senders, callback senders).
DROP INDEX jobs_runnable;
CREATE INDEX jobs_runnable ON jobs (kind, state, priority, run_at);

-- One callback (a status notification) to POST; its delivery is the job (kind 'callback',
-- ref_id = id) that retries it with backoff.
CREATE TABLE callbacks (
  id         TEXT    PRIMARY KEY,
  owner      TEXT    NOT NULL,  -- the API key whose return_api it goes to
  url        TEXT    NOT NULL,
  event      TEXT    NOT NULL,  -- SENT, PROCESSING, ..., ADD, REMOVE, EXPIRED
  subject_id TEXT    NOT NULL,  -- the email or task it is about
  payload    TEXT    NOT NULL,  -- the JSON body
  job_id     INTEGER NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX callbacks_by_subject ON callbacks (subject_id);

CREATE TABLE callback_attempts (
  id          INTEGER PRIMARY KEY,
  callback_id TEXT    NOT NULL REFERENCES callbacks (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  at          INTEGER NOT NULL,
  status_code INTEGER NOT NULL,  -- 0 when no HTTP answer came
  latency_ms  INTEGER NOT NULL,
  error       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX callback_attempts_by_callback ON callback_attempts (callback_id);

-- Endpoints that keep failing are disabled: their callbacks are not attempted until re-enabled.
CREATE TABLE webhook_endpoints (
  url                  TEXT    PRIMARY KEY,
  consecutive_failures INTEGER NOT NULL DEFAULT 0,
  disabled_at          INTEGER,
  last_failure_at      INTEGER,
  last_success_at      INTEGER
) WITHOUT ROWID;

-- Expiring tasks: an EXPIRED callback fires at expires_at unless removed first.
CREATE TABLE tasks (
  id            TEXT    PRIMARY KEY,
  owner         TEXT    NOT NULL,
  data          TEXT    NOT NULL,  -- JSON object
  expires_at    INTEGER NOT NULL,
  removed_at    INTEGER,
  expiry_job_id INTEGER,  -- the callback job firing EXPIRED; NULL without a callback URL
  created_at    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX tasks_by_owner ON tasks (owner, created_at);
