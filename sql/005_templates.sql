-- Email templates: the SES-compatible API's uploaded HTML files and /v1/templates. Names are
-- 1-128 of [A-Za-z0-9_.-], case-sensitive (checked by the service). Every save adds a version:
-- `templates` holds the current one, `template_versions` every one, the current included.

CREATE TABLE templates (
  name       TEXT    PRIMARY KEY,
  version    INTEGER NOT NULL,            -- the current version; 1 for the first save
  subject    TEXT    NOT NULL DEFAULT '',
  html       TEXT    NOT NULL,
  text       TEXT    NOT NULL DEFAULT '',  -- '' when senders derive the text part from html
  created_at INTEGER NOT NULL,            -- the first version's save
  updated_at INTEGER NOT NULL             -- the current version's save
) WITHOUT ROWID;

CREATE TABLE template_versions (
  name       TEXT    NOT NULL,
  version    INTEGER NOT NULL,
  subject    TEXT    NOT NULL DEFAULT '',
  html       TEXT    NOT NULL,
  text       TEXT    NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,  -- this version's save
  PRIMARY KEY (name, version)
) WITHOUT ROWID;
