#include "store/sqlite/accounts.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite/callbacks.h"
#include "store/sqlite/columns.h"

namespace store::sqlite {
namespace {

// Pages of users and of the audit trail hold at most this many rows (UserQuery, AuditQuery).
constexpr int kMaxPageSize = 1000;
// The role the last-admin guard keeps at least one enabled user of.
constexpr char kAdminRole[] = "admin";
// Session::user_agent is at most this many bytes.
constexpr std::size_t kMaxUserAgentBytes = 256;

core::Error AlreadyExists(std::string message, std::string field) {
  return core::Error{core::ErrorCode::kAlreadyExists, std::move(message), std::move(field)};
}

// Whether `sql`, a SELECT with one parameter, finds a row for `value`.
bool Exists(Connection& connection, std::string_view sql, const std::string& value) {
  ScopedStatement select(connection, sql);
  select->bind(1, value);
  return select->executeStep();
}

bool UserExists(Connection& connection, std::int64_t id) {
  ScopedStatement select(connection, "SELECT 1 FROM users WHERE id = ?");
  select->bind(1, id);
  return select->executeStep();
}

// Users.

constexpr char kUserColumns[] =
    "id, email, name, first_name, last_name, username, role, password_hash, created_at, "
    "confirmed_at, disabled_at, unsubscribed_at";

User UserFromRow(SQLite::Statement& row) {
  User user;
  user.id = row.getColumn(0).getInt64();
  user.email = row.getColumn(1).getString();
  user.name = row.getColumn(2).getString();
  user.first_name = row.getColumn(3).getString();
  user.last_name = row.getColumn(4).getString();
  user.username = row.getColumn(5).getString();
  user.role = row.getColumn(6).getString();
  user.password_hash = row.getColumn(7).getString();
  user.created_at = row.getColumn(8).getInt64();
  user.confirmed_at = TimeColumn(row, 9);
  user.disabled_at = TimeColumn(row, 10);
  user.unsubscribed_at = TimeColumn(row, 11);
  return user;
}

std::vector<User> UserRows(SQLite::Statement& select) {
  std::vector<User> users;
  while (select.executeStep()) {
    users.push_back(UserFromRow(select));
  }
  return users;
}

core::Error NoSuchUser(std::int64_t id) {
  return core::NotFound("user " + std::to_string(id) + " does not exist");
}

// A UserChange member: `field` becomes what `change` holds, if it holds anything.
template <typename T>
void Apply(const std::optional<T>& change, T& field) {
  if (change) {
    field = *change;
  }
}

bool IsEnabledAdmin(const User& user) { return user.role == kAdminRole && !user.disabled_at; }

// Whether an enabled admin other than user `id` exists.
bool OtherEnabledAdminExists(Connection& connection, std::int64_t id) {
  ScopedStatement select(connection,
                         "SELECT 1 FROM users WHERE role = ?1 AND disabled_at IS NULL "
                         "AND id <> ?2 LIMIT 1");
  select->bind(1, kAdminRole);
  select->bind(2, id);
  return select->executeStep();
}

core::Error LastAdmin(std::int64_t id) {
  return core::FailedPrecondition("user " + std::to_string(id) +
                                  " is the last enabled admin; make another admin first");
}

// Sessions.

constexpr char kSessionColumns[] =
    "id, user_id, kind, token_hash, created_at, last_used_at, expires_at, revoked_at, "
    "revoked_reason, address, user_agent";

Session SessionFromRow(SQLite::Statement& row) {
  Session session;
  session.id = row.getColumn(0).getString();
  session.user_id = row.getColumn(1).getInt64();
  session.kind = row.getColumn(2).getString();
  session.token_hash = row.getColumn(3).getString();
  session.created_at = row.getColumn(4).getInt64();
  session.last_used_at = row.getColumn(5).getInt64();
  session.expires_at = row.getColumn(6).getInt64();
  session.revoked_at = TimeColumn(row, 7);
  session.revoked_reason = row.getColumn(8).getString();
  session.address = row.getColumn(9).getString();
  session.user_agent = row.getColumn(10).getString();
  return session;
}

bool IsDead(const Session& session, TimeMs now) {
  return session.revoked_at.has_value() || now >= session.expires_at;
}

// At most kMaxUserAgentBytes, cut before a UTF-8 continuation byte so no character is split.
std::string TruncateUserAgent(const std::string& user_agent) {
  if (user_agent.size() <= kMaxUserAgentBytes) {
    return user_agent;
  }
  std::size_t cut = kMaxUserAgentBytes;
  while (cut > 0 && (static_cast<unsigned char>(user_agent[cut]) & 0xC0) == 0x80) {
    --cut;
  }
  return user_agent.substr(0, cut);
}

core::Status ValidateSession(const Session& session, const std::string& refresh_hash) {
  if (session.id.empty()) {
    return core::InvalidArgument("id", "the session id is empty");
  }
  if (session.kind == "session") {
    if (!session.token_hash.empty()) {
      return core::InvalidArgument("token_hash", "a kind \"session\" session has no token hash");
    }
    return {};
  }
  if (session.kind == "token" || session.kind == "cookie") {
    if (session.token_hash.empty()) {
      return core::InvalidArgument("token_hash",
                                   "a kind \"" + session.kind + "\" session needs its token hash");
    }
    if (!refresh_hash.empty()) {
      return core::InvalidArgument("refresh_hash",
                                   "a kind \"" + session.kind + "\" session is not refreshed");
    }
    return {};
  }
  return core::InvalidArgument("kind", "unknown session kind '" + session.kind + "'");
}

// Verifications.

constexpr char kVerificationColumns[] =
    "id, purpose, owner, user_id, email, token_hash, redirect_url, callback_url, created_at, "
    "expires_at, confirmed_at";

Verification VerificationFromRow(SQLite::Statement& row) {
  Verification verification;
  verification.id = row.getColumn(0).getString();
  verification.purpose = row.getColumn(1).getString();
  verification.owner = row.getColumn(2).getString();
  verification.user_id = row.isColumnNull(3) ? 0 : row.getColumn(3).getInt64();
  verification.email = row.getColumn(4).getString();
  verification.token_hash = row.getColumn(5).getString();
  verification.redirect_url = row.getColumn(6).getString();
  verification.callback_url = row.getColumn(7).getString();
  verification.created_at = row.getColumn(8).getInt64();
  verification.expires_at = row.getColumn(9).getInt64();
  verification.confirmed_at = TimeColumn(row, 10);
  return verification;
}

core::Result<Verification> VerificationWhere(Connection& connection, std::string_view column,
                                             const std::string& value) {
  ScopedStatement select(connection, std::string("SELECT ") + kVerificationColumns +
                                         " FROM verifications WHERE " + std::string(column) +
                                         " = ?");
  select->bind(1, value);
  if (!select->executeStep()) {
    return core::NotFound("no such verification");
  }
  return VerificationFromRow(*select);
}

}  // namespace

core::Result<User> CreateUserInTransaction(Connection& connection, const User& user) {
  if (user.email.empty()) {
    return core::InvalidArgument("email", "the email is empty");
  }
  if (user.role.empty()) {
    return core::InvalidArgument("role", "the role is empty");
  }
  if (Exists(connection, "SELECT 1 FROM users WHERE email = ?", user.email)) {
    return AlreadyExists("a user with email '" + user.email + "' already exists", "email");
  }
  ScopedStatement insert(connection,
                         "INSERT INTO users (email, name, first_name, last_name, username, role, "
                         "password_hash, created_at, confirmed_at, disabled_at, unsubscribed_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert->bind(1, user.email);
  insert->bind(2, user.name);
  insert->bind(3, user.first_name);
  insert->bind(4, user.last_name);
  insert->bind(5, user.username);
  insert->bind(6, user.role);
  insert->bind(7, user.password_hash);
  insert->bind(8, user.created_at);
  BindTime(*insert, 9, user.confirmed_at);
  BindTime(*insert, 10, user.disabled_at);
  BindTime(*insert, 11, user.unsubscribed_at);
  insert->exec();
  User stored = user;
  stored.id = connection.db.getLastInsertRowid();
  return stored;
}

core::Result<std::vector<bool>> CreateUsersIfAbsentInTransaction(Connection& connection,
                                                                 const std::vector<User>& users) {
  std::vector<bool> created;
  created.reserve(users.size());
  for (const User& user : users) {
    core::Result<User> stored = CreateUserInTransaction(connection, user);
    if (stored.ok()) {
      created.push_back(true);
    } else if (stored.error().code == core::ErrorCode::kAlreadyExists) {
      created.push_back(false);
    } else {
      return stored.error();
    }
  }
  return created;
}

core::Result<User> UpdateUserInTransaction(Connection& connection, std::int64_t id,
                                           const UserChange& change, TimeMs now) {
  if (change.role && change.role->empty()) {
    return core::InvalidArgument("role", "the role is empty");
  }
  core::Result<User> current = ReadUser(connection, id);
  if (!current.ok()) {
    return current.error();
  }
  User next = *current;
  Apply(change.role, next.role);
  Apply(change.name, next.name);
  Apply(change.first_name, next.first_name);
  Apply(change.last_name, next.last_name);
  Apply(change.password_hash, next.password_hash);
  Apply(change.confirmed_at, next.confirmed_at);
  Apply(change.disabled_at, next.disabled_at);
  Apply(change.unsubscribed_at, next.unsubscribed_at);
  if (IsEnabledAdmin(*current) && !IsEnabledAdmin(next) &&
      !OtherEnabledAdminExists(connection, id)) {
    return LastAdmin(id);
  }
  {
    ScopedStatement update(connection,
                           "UPDATE users SET role = ?, name = ?, first_name = ?, last_name = ?, "
                           "password_hash = ?, confirmed_at = ?, disabled_at = ?, "
                           "unsubscribed_at = ? WHERE id = ?");
    update->bind(1, next.role);
    update->bind(2, next.name);
    update->bind(3, next.first_name);
    update->bind(4, next.last_name);
    update->bind(5, next.password_hash);
    BindTime(*update, 6, next.confirmed_at);
    BindTime(*update, 7, next.disabled_at);
    BindTime(*update, 8, next.unsubscribed_at);
    update->bind(9, id);
    update->exec();
  }
  if (change.disabled_at && change.disabled_at->has_value()) {
    // Every session, expired ones too, so each one says why it ended.
    ScopedStatement revoke(connection,
                           "UPDATE sessions SET revoked_at = ?, revoked_reason = 'disabled' "
                           "WHERE user_id = ? AND revoked_at IS NULL");
    revoke->bind(1, now);
    revoke->bind(2, id);
    revoke->exec();
  }
  return next;
}

core::Status DeleteUserInTransaction(Connection& connection, std::int64_t id) {
  core::Result<User> current = ReadUser(connection, id);
  if (!current.ok()) {
    return current.error();
  }
  if (IsEnabledAdmin(*current) && !OtherEnabledAdminExists(connection, id)) {
    return LastAdmin(id);
  }
  // Sessions (with their refresh tokens) and verifications follow by ON DELETE CASCADE.
  ScopedStatement remove(connection, "DELETE FROM users WHERE id = ?");
  remove->bind(1, id);
  remove->exec();
  return {};
}

core::Result<LoginThrottle> UpdateLoginThrottleInTransaction(Connection& connection,
                                                             const std::string& key,
                                                             const ThrottleUpdate& update) {
  if (key.empty()) {
    return core::InvalidArgument("key", "the throttle key is empty");
  }
  LoginThrottle current;
  {
    ScopedStatement select(connection,
                           "SELECT failures, window_started_at, locked_until FROM login_throttle "
                           "WHERE key = ?");
    select->bind(1, key);
    if (select->executeStep()) {
      current.failures = select->getColumn(0).getInt();
      current.window_started_at = select->getColumn(1).getInt64();
      current.locked_until = select->getColumn(2).getInt64();
    }
  }
  const LoginThrottle next = update(current);
  if (next.failures == 0 && next.window_started_at == 0 && next.locked_until == 0) {
    ScopedStatement remove(connection, "DELETE FROM login_throttle WHERE key = ?");
    remove->bind(1, key);
    remove->exec();
    return next;
  }
  ScopedStatement upsert(connection,
                         "INSERT INTO login_throttle (key, failures, window_started_at, "
                         "locked_until) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (key) DO UPDATE "
                         "SET failures = ?2, window_started_at = ?3, locked_until = ?4");
  upsert->bind(1, key);
  upsert->bind(2, next.failures);
  upsert->bind(3, next.window_started_at);
  upsert->bind(4, next.locked_until);
  upsert->exec();
  return next;
}

core::Result<User> ReadUser(Connection& connection, std::int64_t id) {
  ScopedStatement select(connection,
                         std::string("SELECT ") + kUserColumns + " FROM users WHERE id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return NoSuchUser(id);
  }
  return UserFromRow(*select);
}

core::Result<User> ReadUserByEmail(Connection& connection, const std::string& email) {
  // The column's NOCASE collation makes the comparison ignore ASCII case.
  ScopedStatement select(connection,
                         std::string("SELECT ") + kUserColumns + " FROM users WHERE email = ?");
  select->bind(1, email);
  if (!select->executeStep()) {
    return core::NotFound("no user has email '" + email + "'");
  }
  return UserFromRow(*select);
}

core::Result<UserPage> ReadUserPage(Connection& connection, const UserQuery& query) {
  core::Result<std::optional<std::int64_t>> cursor = ParseIdCursor(query.cursor);
  if (!cursor.ok()) {
    return cursor.error();
  }
  const int limit = std::clamp(query.limit, 1, kMaxPageSize);
  const bool by_role = !query.role.empty();
  ScopedStatement select(connection, std::string("SELECT ") + kUserColumns + " FROM users WHERE " +
                                         (by_role ? "role = ?3 AND " : "") +
                                         "id > ?1 ORDER BY id LIMIT ?2");
  select->bind(1, cursor->value_or(0));
  select->bind(2, limit + 1);  // one row more than asked tells whether another page exists
  if (by_role) {
    select->bind(3, query.role);
  }
  UserPage page;
  page.users = UserRows(*select);
  if (static_cast<int>(page.users.size()) > limit) {
    page.users.pop_back();
    page.next_cursor = std::to_string(page.users.back().id);
  }
  return page;
}

core::Result<std::vector<User>> ReadReachableUsers(Connection& connection, const std::string& role,
                                                   std::int64_t after_id, int limit) {
  if (limit < 1 || limit > kMaxPageSize) {
    return core::InvalidArgument("limit", "the limit must be 1..1000");
  }
  // The conditions repeat users_reachable's, so the planner can use that partial index.
  ScopedStatement select(connection,
                         std::string("SELECT ") + kUserColumns + " FROM users WHERE " +
                             (role.empty() ? "" : "role = ?3 AND ") +
                             "id > ?1 AND confirmed_at IS NOT NULL AND disabled_at IS NULL "
                             "AND unsubscribed_at IS NULL ORDER BY id LIMIT ?2");
  select->bind(1, after_id);
  select->bind(2, limit);
  if (!role.empty()) {
    select->bind(3, role);
  }
  return UserRows(*select);
}

core::Result<std::int64_t> ReadUserCount(Connection& connection, const std::string& role) {
  ScopedStatement count(connection, role.empty() ? "SELECT COUNT(*) FROM users"
                                                 : "SELECT COUNT(*) FROM users WHERE role = ?");
  if (!role.empty()) {
    count->bind(1, role);
  }
  count->executeStep();
  return count->getColumn(0).getInt64();
}

core::Status CreateSessionInTransaction(Connection& connection, const Session& session,
                                        const std::string& refresh_hash) {
  if (core::Status valid = ValidateSession(session, refresh_hash); !valid.ok()) {
    return valid;
  }
  if (!UserExists(connection, session.user_id)) {
    return NoSuchUser(session.user_id);
  }
  if (Exists(connection, "SELECT 1 FROM sessions WHERE id = ?", session.id)) {
    return AlreadyExists("session '" + session.id + "' already exists", "id");
  }
  if (!session.token_hash.empty() &&
      Exists(connection, "SELECT 1 FROM sessions WHERE token_hash = ?", session.token_hash)) {
    return AlreadyExists("the token hash is taken", "token_hash");
  }
  if (!refresh_hash.empty() &&
      Exists(connection, "SELECT 1 FROM refresh_tokens WHERE hash = ?", refresh_hash)) {
    return AlreadyExists("the refresh token hash is taken", "refresh_hash");
  }
  {
    ScopedStatement insert(connection,
                           "INSERT INTO sessions (id, user_id, kind, token_hash, created_at, "
                           "last_used_at, expires_at, revoked_at, revoked_reason, address, "
                           "user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert->bind(1, session.id);
    insert->bind(2, session.user_id);
    insert->bind(3, session.kind);
    insert->bind(4, session.token_hash);
    insert->bind(5, session.created_at);
    insert->bind(6, session.last_used_at);
    insert->bind(7, session.expires_at);
    BindTime(*insert, 8, session.revoked_at);
    insert->bind(9, session.revoked_reason);
    insert->bind(10, session.address);
    insert->bind(11, TruncateUserAgent(session.user_agent));
    insert->exec();
  }
  if (!refresh_hash.empty()) {
    ScopedStatement insert(connection,
                           "INSERT INTO refresh_tokens (hash, session_id, issued_at) "
                           "VALUES (?, ?, ?)");
    insert->bind(1, refresh_hash);
    insert->bind(2, session.id);
    insert->bind(3, session.created_at);
    insert->exec();
  }
  return {};
}

core::Result<Refreshed> RotateRefreshTokenInTransaction(Connection& connection,
                                                        const std::string& old_hash,
                                                        const std::string& new_hash, TimeMs now) {
  std::string session_id;
  bool used = false;
  {
    ScopedStatement select(connection,
                           "SELECT session_id, used_at FROM refresh_tokens WHERE hash = ?");
    select->bind(1, old_hash);
    if (!select->executeStep()) {
      return Refreshed{RefreshOutcome::kUnknown, {}};
    }
    session_id = select->getColumn(0).getString();
    used = !select->isColumnNull(1);
  }
  core::Result<Session> session = ReadSession(connection, session_id);
  if (!session.ok()) {
    return session.error();
  }
  if (IsDead(*session, now)) {
    return Refreshed{RefreshOutcome::kDead, std::move(session).value()};
  }
  if (used) {
    // Someone holds a token that was already exchanged: the legitimate client or a thief. Which
    // one cannot be told, so the session ends for both.
    ScopedStatement revoke(connection,
                           "UPDATE sessions SET revoked_at = ?, revoked_reason = 'reuse' "
                           "WHERE id = ?");
    revoke->bind(1, now);
    revoke->bind(2, session_id);
    revoke->exec();
    session->revoked_at = now;
    session->revoked_reason = "reuse";
    return Refreshed{RefreshOutcome::kReused, std::move(session).value()};
  }
  if (new_hash.empty()) {
    return core::InvalidArgument("new_hash", "the new refresh token hash is empty");
  }
  if (Exists(connection, "SELECT 1 FROM refresh_tokens WHERE hash = ?", new_hash)) {
    return AlreadyExists("the new refresh token hash is taken", "new_hash");
  }
  {
    ScopedStatement spend(connection, "UPDATE refresh_tokens SET used_at = ? WHERE hash = ?");
    spend->bind(1, now);
    spend->bind(2, old_hash);
    spend->exec();
  }
  {
    ScopedStatement insert(connection,
                           "INSERT INTO refresh_tokens (hash, session_id, issued_at) "
                           "VALUES (?, ?, ?)");
    insert->bind(1, new_hash);
    insert->bind(2, session_id);
    insert->bind(3, now);
    insert->exec();
  }
  ScopedStatement touch(connection, "UPDATE sessions SET last_used_at = ? WHERE id = ?");
  touch->bind(1, now);
  touch->bind(2, session_id);
  touch->exec();
  session->last_used_at = now;
  return Refreshed{RefreshOutcome::kRotated, std::move(session).value()};
}

core::Status RevokeSessionInTransaction(Connection& connection, const std::string& id, TimeMs now,
                                        const std::string& reason) {
  if (!Exists(connection, "SELECT 1 FROM sessions WHERE id = ?", id)) {
    return core::NotFound("session '" + id + "' does not exist");
  }
  ScopedStatement revoke(connection,
                         "UPDATE sessions SET revoked_at = ?, revoked_reason = ? "
                         "WHERE id = ? AND revoked_at IS NULL");
  revoke->bind(1, now);
  revoke->bind(2, reason);
  revoke->bind(3, id);
  revoke->exec();
  return {};
}

core::Result<bool> ExtendSessionInTransaction(Connection& connection, const std::string& id,
                                              TimeMs now, TimeMs expires_at) {
  if (!Exists(connection, "SELECT 1 FROM sessions WHERE id = ?", id)) {
    return core::NotFound("session '" + id + "' does not exist");
  }
  ScopedStatement extend(connection,
                         "UPDATE sessions SET last_used_at = ?1, expires_at = ?2 "
                         "WHERE id = ?3 AND revoked_at IS NULL AND expires_at > ?1");
  extend->bind(1, now);
  extend->bind(2, expires_at);
  extend->bind(3, id);
  return extend->exec() == 1;
}

core::Result<int> RevokeUserSessionsInTransaction(Connection& connection, std::int64_t user_id,
                                                  TimeMs now, const std::string& reason) {
  ScopedStatement revoke(connection,
                         "UPDATE sessions SET revoked_at = ?1, revoked_reason = ?2 "
                         "WHERE user_id = ?3 AND revoked_at IS NULL AND expires_at > ?1");
  revoke->bind(1, now);
  revoke->bind(2, reason);
  revoke->bind(3, user_id);
  return revoke->exec();
}

core::Result<Session> ReadSession(Connection& connection, const std::string& id) {
  ScopedStatement select(connection,
                         std::string("SELECT ") + kSessionColumns + " FROM sessions WHERE id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("session '" + id + "' does not exist");
  }
  return SessionFromRow(*select);
}

core::Result<Session> ReadSessionByTokenHash(Connection& connection,
                                             const std::string& token_hash) {
  // "token_hash <> ''" matches sessions_by_token's condition, so the partial index serves it.
  ScopedStatement select(connection, std::string("SELECT ") + kSessionColumns +
                                         " FROM sessions WHERE token_hash = ? "
                                         "AND token_hash <> ''");
  select->bind(1, token_hash);
  if (!select->executeStep()) {
    return core::NotFound("no session has this token");
  }
  return SessionFromRow(*select);
}

core::Result<std::vector<Session>> ReadLiveSessions(Connection& connection, std::int64_t user_id,
                                                    TimeMs now) {
  // rowid breaks ties between sessions created in the same millisecond: later inserts are higher.
  ScopedStatement select(connection, std::string("SELECT ") + kSessionColumns +
                                         " FROM sessions WHERE user_id = ? AND revoked_at IS NULL "
                                         "AND expires_at > ? ORDER BY created_at DESC, rowid DESC");
  select->bind(1, user_id);
  select->bind(2, now);
  std::vector<Session> sessions;
  while (select->executeStep()) {
    sessions.push_back(SessionFromRow(*select));
  }
  return sessions;
}

core::Status CreateVerificationInTransaction(Connection& connection,
                                             const Verification& verification) {
  if (verification.id.empty()) {
    return core::InvalidArgument("id", "the verification id is empty");
  }
  if (verification.purpose.empty()) {
    return core::InvalidArgument("purpose", "the purpose is empty");
  }
  if (verification.token_hash.empty()) {
    return core::InvalidArgument("token_hash", "the token hash is empty");
  }
  if (verification.purpose == "signup" && verification.user_id == 0) {
    return core::InvalidArgument("user_id", "a signup verification names the user it confirms");
  }
  if (verification.user_id != 0 && !UserExists(connection, verification.user_id)) {
    return NoSuchUser(verification.user_id);
  }
  if (Exists(connection, "SELECT 1 FROM verifications WHERE id = ?", verification.id)) {
    return AlreadyExists("verification '" + verification.id + "' already exists", "id");
  }
  if (Exists(connection, "SELECT 1 FROM verifications WHERE token_hash = ?",
             verification.token_hash)) {
    return AlreadyExists("the token hash is taken", "token_hash");
  }
  ScopedStatement insert(connection,
                         "INSERT INTO verifications (id, purpose, owner, user_id, email, "
                         "token_hash, redirect_url, callback_url, created_at, expires_at, "
                         "confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert->bind(1, verification.id);
  insert->bind(2, verification.purpose);
  insert->bind(3, verification.owner);
  if (verification.user_id != 0) {
    insert->bind(4, verification.user_id);
  } else {
    insert->bind(4);  // NULL: no user to cascade from
  }
  insert->bind(5, verification.email);
  insert->bind(6, verification.token_hash);
  insert->bind(7, verification.redirect_url);
  insert->bind(8, verification.callback_url);
  insert->bind(9, verification.created_at);
  insert->bind(10, verification.expires_at);
  BindTime(*insert, 11, verification.confirmed_at);
  insert->exec();
  return {};
}

core::Result<Verification> ConfirmVerificationInTransaction(
    Connection& connection, const std::string& token_hash, TimeMs now,
    const std::optional<NewCallback>& callback, int max_attempts) {
  core::Result<Verification> verification = ReadVerificationByTokenHash(connection, token_hash);
  if (!verification.ok()) {
    return verification.error();
  }
  if (verification->confirmed_at) {
    return core::FailedPrecondition("already used");
  }
  if (now >= verification->expires_at) {
    return core::Error{core::ErrorCode::kDeadlineExceeded, "the link has expired", {}};
  }
  {
    ScopedStatement confirm(connection,
                            "UPDATE verifications SET confirmed_at = ? WHERE token_hash = ?");
    confirm->bind(1, now);
    confirm->bind(2, token_hash);
    confirm->exec();
  }
  verification->confirmed_at = now;
  if (verification->purpose == "signup" && verification->user_id != 0) {
    ScopedStatement user(connection,
                         "UPDATE users SET confirmed_at = COALESCE(confirmed_at, ?) WHERE id = ?");
    user->bind(1, now);
    user->bind(2, verification->user_id);
    user->exec();
  }
  if (callback) {
    auto enqueued = EnqueueCallbackInTransaction(connection, *callback, max_attempts, now);
    if (!enqueued.ok()) return enqueued.error();
  }
  return verification;
}

core::Result<Verification> ReadVerification(Connection& connection, const std::string& id) {
  core::Result<Verification> verification = VerificationWhere(connection, "id", id);
  if (!verification.ok()) {
    return core::NotFound("verification '" + id + "' does not exist");
  }
  return verification;
}

core::Result<Verification> ReadVerificationByTokenHash(Connection& connection,
                                                       const std::string& token_hash) {
  return VerificationWhere(connection, "token_hash", token_hash);
}

core::Result<std::optional<Verification>> ReadLatestVerification(Connection& connection,
                                                                 const std::string& purpose,
                                                                 const std::string& email) {
  // The email column's NOCASE collation makes the comparison ignore ASCII case.
  ScopedStatement select(connection, std::string("SELECT ") + kVerificationColumns +
                                         " FROM verifications WHERE purpose = ? AND email = ? "
                                         "ORDER BY created_at DESC, rowid DESC LIMIT 1");
  select->bind(1, purpose);
  select->bind(2, email);
  if (!select->executeStep()) {
    return std::optional<Verification>();
  }
  return std::optional<Verification>(VerificationFromRow(*select));
}

core::Status AppendAuditInTransaction(Connection& connection, const AuditEntry& entry) {
  if (entry.action.empty()) {
    return core::InvalidArgument("action", "the audit action is empty");
  }
  ScopedStatement insert(connection,
                         "INSERT INTO audit (at, actor, action, target, address, detail) "
                         "VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, entry.at);
  insert->bind(2, entry.actor);
  insert->bind(3, entry.action);
  insert->bind(4, entry.target);
  insert->bind(5, entry.address);
  insert->bind(6, entry.detail.empty() ? std::string("{}") : entry.detail);
  insert->exec();
  return {};
}

core::Result<AuditPage> ReadAuditPage(Connection& connection, const AuditQuery& query) {
  core::Result<std::optional<std::int64_t>> cursor = ParseIdCursor(query.cursor);
  if (!cursor.ok()) {
    return cursor.error();
  }
  const int limit = std::clamp(query.limit, 1, kMaxPageSize);
  const bool by_action = !query.action.empty();
  // Newest first: down the rowid, or down audit_by_action for one action.
  ScopedStatement select(
      connection, std::string("SELECT id, at, actor, action, target, address, detail "
                              "FROM audit WHERE ") +
                      (by_action ? "action = ?3 AND " : "") + "id < ?1 ORDER BY id DESC LIMIT ?2");
  select->bind(1, cursor->value_or(std::numeric_limits<std::int64_t>::max()));
  select->bind(2, limit + 1);  // one row more than asked tells whether another page exists
  if (by_action) {
    select->bind(3, query.action);
  }
  AuditPage page;
  while (select->executeStep()) {
    if (static_cast<int>(page.entries.size()) == limit) {
      page.next_cursor = std::to_string(page.entries.back().id);
      break;
    }
    AuditEntry entry;
    entry.id = select->getColumn(0).getInt64();
    entry.at = select->getColumn(1).getInt64();
    entry.actor = select->getColumn(2).getString();
    entry.action = select->getColumn(3).getString();
    entry.target = select->getColumn(4).getString();
    entry.address = select->getColumn(5).getString();
    entry.detail = select->getColumn(6).getString();
    page.entries.push_back(std::move(entry));
  }
  return page;
}

}  // namespace store::sqlite
