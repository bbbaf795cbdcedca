-- Newsletters: subscriptions take any schedule (a macro or a 5-field cron expression) in a time
-- zone and get an unsubscribe token; each (content type, schedule, time zone) group has a durable
-- schedule row; every fire of a group is recorded once under its key, with the message part its
-- emails share.

-- Rebuilt to drop 003's CHECK on frequency (SQLite cannot alter a CHECK). The service validates
-- schedules (sched::CronSchedule) before they are stored.
CREATE TABLE subscriptions_new (
  content_type      TEXT    NOT NULL REFERENCES content_types (name),
  user_id           TEXT    NOT NULL CHECK (user_id = lower(user_id)),  -- bare address
  frequency         TEXT    NOT NULL,             -- "@daily", ... or "0 9 * * MON"
  timezone          TEXT    NOT NULL DEFAULT '',  -- IANA name; '' = the server's time zone
  unsubscribe_token TEXT    NOT NULL UNIQUE,      -- 128 random bits, hex; in List-Unsubscribe
  created_at        INTEGER NOT NULL,
  PRIMARY KEY (content_type, user_id)
) WITHOUT ROWID;
INSERT INTO subscriptions_new (content_type, user_id, frequency, timezone, unsubscribe_token,
                               created_at)
  SELECT content_type, user_id, frequency, '', lower(hex(randomblob(16))), created_at
  FROM subscriptions;
DROP TABLE subscriptions;
ALTER TABLE subscriptions_new RENAME TO subscriptions;
CREATE INDEX subscriptions_by_group ON subscriptions (content_type, frequency, timezone, user_id);

-- One row per group that has subscribers: when it last fired and when it fires next.
CREATE TABLE schedules (
  content_type TEXT    NOT NULL,
  frequency    TEXT    NOT NULL,
  timezone     TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  last_fire_at INTEGER,  -- scheduled time of the last fire started; NULL before the first
  next_fire_at INTEGER,  -- as last computed by the scheduler; NULL until it has looked
  PRIMARY KEY (content_type, frequency, timezone)
) WITHOUT ROWID;
INSERT INTO schedules (content_type, frequency, timezone, created_at)
  SELECT content_type, frequency, timezone, MIN(created_at) FROM subscriptions
  GROUP BY content_type, frequency, timezone;

-- A fire: one newsletter send to a group (or, for "run now", to every subscriber of a content
-- type). The key makes it happen once; the cursor lets a fan-out interrupted by a crash resume
-- where its last committed batch ended.
CREATE TABLE fires (
  key          TEXT    PRIMARY KEY,  -- sched::FireKey(group, scheduled_at)
  content_type TEXT    NOT NULL,
  frequency    TEXT,                 -- the group filter; NULL for run-now (every subscriber)
  timezone     TEXT,
  scheduled_at INTEGER NOT NULL,
  sender       TEXT    NOT NULL,     -- From, as configured when it fired
  subject      TEXT    NOT NULL,
  body         BLOB    NOT NULL,     -- headers common to every recipient + the MIME body
  cursor       TEXT    NOT NULL DEFAULT '',  -- last user_id enqueued
  enqueued     INTEGER NOT NULL DEFAULT 0,
  done         INTEGER NOT NULL DEFAULT 0,
  created_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX fires_unfinished ON fires (done) WHERE done = 0;

-- A newsletter email stores only its own headers (To, Message-ID, List-Unsubscribe) in `data`;
-- the rest of the message is its fire's body, appended when the message is read.
ALTER TABLE email_messages ADD COLUMN fire_key TEXT REFERENCES fires (key);
