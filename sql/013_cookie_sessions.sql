-- The dashboard's sign-in: a session of kind 'cookie' is one opaque token in an HttpOnly cookie
-- (its hash kept here, as for kind 'token'), with an idle expiry that each use pushes forward
-- up to an absolute limit. Rebuilt to add the kind to the CHECK (SQLite cannot alter a CHECK).
CREATE TABLE sessions_new (
  id             TEXT    NOT NULL PRIMARY KEY,  -- random UUID, the access tokens' "sid"
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind           TEXT    NOT NULL CHECK (kind IN ('session', 'token', 'cookie')),
  token_hash     TEXT    NOT NULL DEFAULT '',   -- kinds 'token', 'cookie': SHA-256 hex of the token
  created_at     INTEGER NOT NULL,
  last_used_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,              -- dead once now >= expires_at
  revoked_at     INTEGER,
  revoked_reason TEXT    NOT NULL DEFAULT '',   -- logout, ended, reuse, disabled, password
  address        TEXT    NOT NULL DEFAULT '',
  user_agent     TEXT    NOT NULL DEFAULT ''
);
INSERT INTO sessions_new (rowid, id, user_id, kind, token_hash, created_at, last_used_at,
                          expires_at, revoked_at, revoked_reason, address, user_agent)
  SELECT rowid, id, user_id, kind, token_hash, created_at, last_used_at, expires_at, revoked_at,
         revoked_reason, address, user_agent FROM sessions;
DROP TABLE sessions;
ALTER TABLE sessions_new RENAME TO sessions;
CREATE UNIQUE INDEX sessions_by_token ON sessions (token_hash) WHERE token_hash <> '';
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
CREATE INDEX sessions_finished ON sessions (MIN(expires_at, COALESCE(revoked_at, expires_at)));

-- The dashboard's charts count delivery events per minute over the last hour or day.
CREATE INDEX email_events_by_time ON email_events (at, type);
