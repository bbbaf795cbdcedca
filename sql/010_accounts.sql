-- User accounts (issue 11): people who sign in with a password (store/user_store.h), their
-- sessions and rotating refresh tokens (session_store.h), single-use confirmation links
-- (verification_store.h), the login throttle, and the append-only audit trail (audit_store.h).
-- A user's sessions, refresh tokens and confirmation links go with them (ON DELETE CASCADE).

-- A person. AUTOINCREMENT: a deleted user's id is never handed out again, so an id in an audit
-- entry, a session or a token always means the same person. The address is unique in any ASCII
-- case (NOCASE compares every lookup and the unique index that way); it is kept as registered.
CREATE TABLE users (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  email           TEXT    NOT NULL COLLATE NOCASE UNIQUE CHECK (email <> ''),
  name            TEXT    NOT NULL DEFAULT '',
  first_name      TEXT    NOT NULL DEFAULT '',
  last_name       TEXT    NOT NULL DEFAULT '',
  username        TEXT    NOT NULL DEFAULT '',
  role            TEXT    NOT NULL CHECK (role <> ''),  -- auth::RoleName of a person's role
  password_hash   TEXT    NOT NULL DEFAULT '',          -- argon2id PHC string
  created_at      INTEGER NOT NULL,
  confirmed_at    INTEGER,                              -- NULL until the address is confirmed
  disabled_at     INTEGER,                              -- set: cannot sign in
  unsubscribed_at INTEGER                               -- set: no campaign mail
);
-- Pages of one role, its count, and the last-admin guard's count of enabled admins.
CREATE INDEX users_by_role ON users (role, id);
-- The campaign audience (ListReachableUsers), read in id order in batches.
CREATE INDEX users_reachable ON users (role, id)
  WHERE confirmed_at IS NOT NULL AND disabled_at IS NULL AND unsubscribed_at IS NULL;

-- One sign-in. Kind 'session' is refreshed through refresh_tokens; kind 'token' (seed 001's DRF
-- clients) is one long-lived opaque token whose hash is kept here ('' for kind 'session').
-- A rowid table: sessions created in the same millisecond list newest first by rowid.
CREATE TABLE sessions (
  id             TEXT    NOT NULL PRIMARY KEY,  -- random UUID, the access tokens' "sid"
  user_id        INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind           TEXT    NOT NULL CHECK (kind IN ('session', 'token')),
  token_hash     TEXT    NOT NULL DEFAULT '',   -- kind 'token': SHA-256 hex of the token
  created_at     INTEGER NOT NULL,
  last_used_at   INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL,              -- dead once now >= expires_at
  revoked_at     INTEGER,
  revoked_reason TEXT    NOT NULL DEFAULT '',   -- logout, ended, reuse, disabled, password
  address        TEXT    NOT NULL DEFAULT '',
  user_agent     TEXT    NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_by_token ON sessions (token_hash) WHERE token_hash <> '';
-- A user's sessions newest first; also what deleting a user cascades through.
CREATE INDEX sessions_by_user ON sessions (user_id, created_at);
-- Retention: a session is finished when revoked or expired, whichever came first.
CREATE INDEX sessions_finished ON sessions (MIN(expires_at, COALESCE(revoked_at, expires_at)));

-- Every refresh token a session was ever given, by hash. Rotation marks the presented token used
-- and adds its successor; a used token presented again is reuse (a stolen token), and revokes
-- the whole session. So a session has at most one unused token: its current one.
CREATE TABLE refresh_tokens (
  hash       TEXT    NOT NULL PRIMARY KEY,  -- SHA-256 hex of the token
  session_id TEXT    NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  issued_at  INTEGER NOT NULL,
  used_at    INTEGER                        -- set when rotated away
) WITHOUT ROWID;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens (session_id);

-- A confirmation link: its token is mailed, only its hash kept. Purpose 'signup' confirms a
-- user's address (user_id set); purpose 'app' serves applications with their own users
-- (user_id NULL). Confirmed at most once.
CREATE TABLE verifications (
  id           TEXT    NOT NULL PRIMARY KEY,  -- "ver_" + random
  purpose      TEXT    NOT NULL CHECK (purpose <> ''),
  owner        TEXT    NOT NULL DEFAULT '',   -- the principal that asked; '' for signup
  user_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
  email        TEXT    NOT NULL COLLATE NOCASE,
  token_hash   TEXT    NOT NULL UNIQUE,       -- SHA-256 hex of the link's token
  redirect_url TEXT    NOT NULL DEFAULT '',
  callback_url TEXT    NOT NULL DEFAULT '',
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,              -- unusable once now >= expires_at
  confirmed_at INTEGER
);
-- The newest link of a purpose sent to an address (resend limits), in any case.
CREATE INDEX verifications_latest ON verifications (purpose, email, created_at);
-- What deleting a user cascades through.
CREATE INDEX verifications_by_user ON verifications (user_id) WHERE user_id IS NOT NULL;
-- Retention: a link is finished when confirmed or expired, whichever came first.
CREATE INDEX verifications_finished
  ON verifications (MIN(expires_at, COALESCE(confirmed_at, expires_at)));

-- Failed sign-ins per key ("account:<lower-cased email>" or "address:<ip>"). A key whose state
-- returns to all zero is deleted, so the table holds only keys with recent failures.
CREATE TABLE login_throttle (
  key               TEXT    NOT NULL PRIMARY KEY,
  failures          INTEGER NOT NULL,
  window_started_at INTEGER NOT NULL,  -- first failure of the current run; 0 when none
  locked_until      INTEGER NOT NULL   -- refused until then; 0 when not locked
) WITHOUT ROWID;

-- Who did what to whom, when and from where. Append-only; listed newest first, by id (the
-- listing's cursor), so AUTOINCREMENT keeps ids from ever being reused.
CREATE TABLE audit (
  id      INTEGER PRIMARY KEY AUTOINCREMENT,
  at      INTEGER NOT NULL,
  actor   TEXT    NOT NULL DEFAULT '',  -- "user:<id>", "key:<id>", "cli", or '' (anonymous)
  action  TEXT    NOT NULL CHECK (action <> ''),
  target  TEXT    NOT NULL DEFAULT '',
  address TEXT    NOT NULL DEFAULT '',
  detail  TEXT    NOT NULL DEFAULT '{}'  -- JSON object, never a secret
);
-- One action's entries newest first; the unfiltered listing walks the rowid (id) itself.
CREATE INDEX audit_by_action ON audit (action, id);
