-- GoMail subscriptions: named newsletter templates ("content types") and who receives each, how
-- often. Stored only; the scheduler that sends them comes later (see src/sched/).

-- A newsletter template. The name is case-sensitive, as GoMail's Redis keys are.
CREATE TABLE content_types (
  name       TEXT    PRIMARY KEY,
  subject    TEXT    NOT NULL,
  content    TEXT    NOT NULL,  -- HTML
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- One row per (content type, user); subscribing again changes the frequency.
CREATE TABLE subscriptions (
  content_type TEXT    NOT NULL REFERENCES content_types (name),
  user_id      TEXT    NOT NULL CHECK (user_id = lower(user_id)),  -- bare address, lower-cased
  frequency    TEXT    NOT NULL
               CHECK (frequency IN ('@hourly', '@daily', '@weekly', '@monthly', '@yearly')),
  created_at   INTEGER NOT NULL,
  PRIMARY KEY (content_type, user_id)
) WITHOUT ROWID;
-- The scheduler will walk the subscribers of one content type and frequency.
CREATE INDEX subscriptions_by_frequency ON subscriptions (content_type, frequency);
