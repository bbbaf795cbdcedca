-- Seed 001 (the DRF-shaped /api/v1/emails routes): templates get a stable integer id, and each
-- send is recorded with its recipients.

-- Templates are rebuilt with an id: assigned at the first save, kept by every later version and
-- by a rename, never reused after a delete (AUTOINCREMENT). Existing templates are numbered in
-- the order they were created. Names stay unique; their rule is the service's.
CREATE TABLE templates_with_id (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  name       TEXT    NOT NULL UNIQUE,
  version    INTEGER NOT NULL,            -- the current version; 1 for the first save
  subject    TEXT    NOT NULL DEFAULT '',
  html       TEXT    NOT NULL,            -- '' for a text-only template
  text       TEXT    NOT NULL DEFAULT '',  -- '' when senders derive the text part from html
  created_at INTEGER NOT NULL,            -- the first version's save
  updated_at INTEGER NOT NULL             -- the current version's save
);
INSERT INTO templates_with_id (name, version, subject, html, text, created_at, updated_at)
  SELECT name, version, subject, html, text, created_at, updated_at FROM templates
  ORDER BY created_at, name;
DROP TABLE templates;
ALTER TABLE templates_with_id RENAME TO templates;

-- One row per send (POST /api/v1/emails/sent-email/). user_id and template_id name no foreign
-- key: the record outlives a deleted template (shown without it), and users live in
-- 010_accounts.sql's table, which may be purged of a user whose log is kept.
CREATE TABLE sent_emails (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id     INTEGER NOT NULL,
  template_id INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
CREATE INDEX sent_emails_by_user ON sent_emails (user_id, created_at);

-- Its recipients in the order given, each with the email sent to it (no foreign key: retention
-- purges delivered emails, the record stays).
CREATE TABLE sent_email_recipients (
  sent_email_id INTEGER NOT NULL REFERENCES sent_emails (id) ON DELETE CASCADE,
  position      INTEGER NOT NULL,
  address       TEXT    NOT NULL,  -- as given
  address_lower TEXT    NOT NULL,  -- what the recipient filter compares
  email_id      TEXT    NOT NULL,
  PRIMARY KEY (sent_email_id, position)
) WITHOUT ROWID;
CREATE INDEX sent_email_recipients_by_address ON sent_email_recipients (address_lower);
