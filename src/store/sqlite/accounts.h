#pragma once
// The store's account tables (sql/010_accounts.sql): users and the login throttle, sessions with
// their refresh tokens, confirmation links, and the audit trail. Writes run on the writer thread
// as writes.h describes; every read-modify-write (the throttle, token rotation, confirming a
// link, the last-admin guard) is one such write, so it is atomic. Reads run on a pooled read
// connection as reads.h describes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

// Users and the login throttle.
core::Result<User> CreateUserInTransaction(Connection& connection, const User& user);
core::Result<std::vector<bool>> CreateUsersIfAbsentInTransaction(Connection& connection,
                                                                 const std::vector<User>& users);
core::Result<User> UpdateUserInTransaction(Connection& connection, std::int64_t id,
                                           const UserChange& change, TimeMs now);
core::Status DeleteUserInTransaction(Connection& connection, std::int64_t id);
core::Result<LoginThrottle> UpdateLoginThrottleInTransaction(Connection& connection,
                                                             const std::string& key,
                                                             const ThrottleUpdate& update);
core::Result<User> ReadUser(Connection& connection, std::int64_t id);
core::Result<User> ReadUserByEmail(Connection& connection, const std::string& email);
core::Result<UserPage> ReadUserPage(Connection& connection, const UserQuery& query);
core::Result<std::vector<User>> ReadReachableUsers(Connection& connection, const std::string& role,
                                                   std::int64_t after_id, int limit);
core::Result<std::int64_t> ReadUserCount(Connection& connection, const std::string& role);

// Sessions and refresh tokens.
core::Status CreateSessionInTransaction(Connection& connection, const Session& session,
                                        const std::string& refresh_hash);
core::Result<Refreshed> RotateRefreshTokenInTransaction(Connection& connection,
                                                        const std::string& old_hash,
                                                        const std::string& new_hash, TimeMs now);
core::Result<bool> ExtendSessionInTransaction(Connection& connection, const std::string& id,
                                              TimeMs now, TimeMs expires_at);
core::Status RevokeSessionInTransaction(Connection& connection, const std::string& id, TimeMs now,
                                        const std::string& reason);
core::Result<int> RevokeUserSessionsInTransaction(Connection& connection, std::int64_t user_id,
                                                  TimeMs now, const std::string& reason);
core::Result<Session> ReadSession(Connection& connection, const std::string& id);
core::Result<Session> ReadSessionByTokenHash(Connection& connection, const std::string& token_hash);
core::Result<std::vector<Session>> ReadLiveSessions(Connection& connection, std::int64_t user_id,
                                                    TimeMs now);

// Confirmation links.
core::Status CreateVerificationInTransaction(Connection& connection,
                                             const Verification& verification);
core::Result<Verification> ConfirmVerificationInTransaction(
    Connection& connection, const std::string& token_hash, TimeMs now,
    const std::optional<NewCallback>& callback, int max_attempts);
core::Result<Verification> ReadVerification(Connection& connection, const std::string& id);
core::Result<Verification> ReadVerificationByTokenHash(Connection& connection,
                                                       const std::string& token_hash);
core::Result<std::optional<Verification>> ReadLatestVerification(Connection& connection,
                                                                 const std::string& purpose,
                                                                 const std::string& email);

// The audit trail.
core::Status AppendAuditInTransaction(Connection& connection, const AuditEntry& entry);
core::Result<AuditPage> ReadAuditPage(Connection& connection, const AuditQuery& query);

}  // namespace store::sqlite
