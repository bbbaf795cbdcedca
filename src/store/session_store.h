#pragma once
// Sign-in sessions: one per login, with a rotating refresh token (stored hashed) or, for seed
// 001's DRF clients, one long-lived opaque token (stored hashed). Access tokens are JWTs naming
// the session; a request is honoured only while its session is live.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

struct Session {
  std::string id;  // a random UUID, named by the access tokens ("sid")
  std::int64_t user_id = 0;
  // "session" (access + refresh tokens), "token" (seed 001's) or "cookie" (the dashboard's)
  std::string kind = "session";
  std::string token_hash;  // kinds "token" and "cookie": SHA-256 hex of the token; "" otherwise
  TimeMs created_at = 0;
  TimeMs last_used_at = 0;  // the last login or refresh
  TimeMs expires_at = 0;    // expired once now >= expires_at: no refresh or token use
  std::optional<TimeMs> revoked_at;
  std::string revoked_reason;  // "logout", "ended", "reuse", "disabled", "password"
  std::string address;         // the client address at login
  std::string user_agent;      // at login, at most 256 bytes (longer: cut between characters)
};

enum class RefreshOutcome {
  kRotated,  // the token was current: it is now used, `new_hash` is the session's current one
  kReused,   // the token had already been rotated: the whole session is now revoked ("reuse")
  kUnknown,  // no session ever had this token
  kDead,     // the token's session is revoked or expired (nothing changed)
};

struct Refreshed {
  RefreshOutcome outcome = RefreshOutcome::kUnknown;
  Session session;  // as stored after the call; empty for kUnknown
};

class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Stores a new session, with `refresh_hash` (SHA-256 hex) as its current refresh token ("" for
  // none: kind "token", or a session that cannot be refreshed). kAlreadyExists for a taken id or
  // hash; kNotFound when the user does not exist; kInvalidArgument for an empty id, an unknown
  // kind, a token_hash missing from a kind "token" or "cookie" session or given to a kind
  // "session" one, or a refresh_hash given to a kind "token" or "cookie" session.
  virtual Status CreateSession(const Session& session, const std::string& refresh_hash) = 0;
  // kNotFound for an unknown id.
  virtual Result<Session> GetSession(const std::string& id) = 0;
  // A kind "token" or "cookie" session by its token's hash (the caller checks the kind).
  // kNotFound when none has it.
  virtual Result<Session> FindSessionByTokenHash(const std::string& token_hash) = 0;
  // A use of a live session: last_used_at becomes `now` and expires_at `expires_at` (a kind
  // "cookie" session's idle expiry moving forward). Returns false, changing nothing, when the
  // session is revoked or expired at `now`. kNotFound for an unknown id.
  virtual Result<bool> ExtendSession(const std::string& id, TimeMs now, TimeMs expires_at) = 0;
  // Rotates a refresh token in one atomic step (see RefreshOutcome). On kRotated the session's
  // last_used_at becomes `now`; `new_hash` must be fresh (kAlreadyExists otherwise).
  virtual Result<Refreshed> RotateRefreshToken(const std::string& old_hash,
                                               const std::string& new_hash, TimeMs now) = 0;
  // The user's sessions that are neither revoked nor expired at `now`, newest first.
  virtual Result<std::vector<Session>> ListLiveSessions(std::int64_t user_id, TimeMs now) = 0;
  // Revokes one session (already revoked: unchanged, not an error). kNotFound for an unknown id.
  virtual Status RevokeSession(const std::string& id, TimeMs now, const std::string& reason) = 0;
  // Revokes every live session of the user; returns how many.
  virtual Result<int> RevokeUserSessions(std::int64_t user_id, TimeMs now,
                                         const std::string& reason) = 0;
};

}  // namespace store
