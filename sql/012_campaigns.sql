-- Campaigns (seed 004): drafted by managers, approved by an admin, fanned out to an audience in
-- the background. The draft is editable; submission freezes it as a version, and approval binds
-- that version: the fan-out renders the approved version's bytes, never the draft's.
CREATE TABLE campaigns (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,  -- seed 004's integer ids; never reused
  status          TEXT    NOT NULL
                  CHECK (status IN ('draft', 'pending_approval', 'scheduled', 'sending', 'paused',
                                    'sent', 'cancelled')),
  -- The draft.
  name            TEXT    NOT NULL,
  subject         TEXT    NOT NULL DEFAULT '',
  html            TEXT    NOT NULL DEFAULT '',
  text            TEXT    NOT NULL DEFAULT '',
  template        TEXT    NOT NULL DEFAULT '',    -- rendered with data at submission
  data            TEXT    NOT NULL DEFAULT '{}',  -- JSON object
  sender          TEXT    NOT NULL DEFAULT '',    -- '' = the server's default sender
  audience        TEXT    NOT NULL,               -- 'customers' or 'list:<name>'
  send_at         INTEGER,
  rate_per_minute INTEGER CHECK (rate_per_minute IS NULL OR rate_per_minute > 0),
  remarks         TEXT    NOT NULL DEFAULT '',    -- seed 004
  starts_at       INTEGER,                        -- seed 004's offer period
  ends_at         INTEGER,
  -- Who and when.
  created_by      TEXT    NOT NULL,
  updated_by      TEXT    NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  submitted_by    TEXT    NOT NULL DEFAULT '',
  submitted_at    INTEGER,
  approved_by     TEXT    NOT NULL DEFAULT '',
  approved_at     INTEGER,
  rejection_note  TEXT    NOT NULL DEFAULT '',
  version         INTEGER NOT NULL DEFAULT 0,     -- the frozen version; 0 before the first
  -- The fan-out: the audience is read in order after `cursor` (a user id or a list
  -- subscriber's address); emails are paced from paced_from, paced_count of them so far.
  -- job_id lets pause and cancel reach the fan-out job by its key (jobs has no index on ref_id).
  cursor          TEXT    NOT NULL DEFAULT '',
  fan_out_done    INTEGER NOT NULL DEFAULT 0,
  fire_key        TEXT,                           -- the shared body (a fires row) once started
  job_id          INTEGER,                        -- the latest fan-out job (kind 'campaign')
  paced_from      INTEGER NOT NULL DEFAULT 0,
  paced_count     INTEGER NOT NULL DEFAULT 0,
  started_at      INTEGER,
  finished_at     INTEGER,
  -- Progress, moved in the same write as what it counts (store/campaign_store.h).
  total           INTEGER NOT NULL DEFAULT 0,
  sent            INTEGER NOT NULL DEFAULT 0,
  failed          INTEGER NOT NULL DEFAULT 0,
  cancelled       INTEGER NOT NULL DEFAULT 0,
  suppressed      INTEGER NOT NULL DEFAULT 0,
  unsubscribed    INTEGER NOT NULL DEFAULT 0,
  opened          INTEGER NOT NULL DEFAULT 0,
  unsubscribes    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX campaigns_by_status ON campaigns (status, id);

-- What was submitted, resolved (template rendered, sender chosen). Approval names one.
CREATE TABLE campaign_versions (
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  version     INTEGER NOT NULL,
  sender      TEXT    NOT NULL,
  subject     TEXT    NOT NULL,
  html        TEXT    NOT NULL,
  text        TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, version)
) WITHOUT ROWID;

-- The recipient ledger: one row per audience member the fan-out reached, written in the same
-- transaction as their email, so a resumed fan-out never mails anyone twice.
CREATE TABLE campaign_recipients (
  campaign_id     INTEGER NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  address         TEXT    NOT NULL CHECK (address = lower(address)),
  user_id         INTEGER,               -- audience 'customers'
  outcome         TEXT    NOT NULL CHECK (outcome IN ('queued', 'suppressed', 'unsubscribed')),
  email_id        TEXT,                  -- NULL when skipped
  token           TEXT    UNIQUE,        -- 128 random bits, hex: unsubscribe link, open pixel
  opened_at       INTEGER,
  unsubscribed_at INTEGER,               -- through this campaign's link
  PRIMARY KEY (campaign_id, address)
) WITHOUT ROWID;

-- A campaign's emails carry its id, so a delivery outcome moves its counters in the same write.
ALTER TABLE emails ADD COLUMN campaign_id INTEGER;
CREATE INDEX emails_by_campaign ON emails (campaign_id, job_id) WHERE campaign_id IS NOT NULL;

-- A campaign email's message is its own headers (data), the campaign's shared body (the fire's
-- body) and its own tail (the end of the HTML part: the open-tracking image), in that order.
ALTER TABLE email_messages ADD COLUMN tail BLOB;
