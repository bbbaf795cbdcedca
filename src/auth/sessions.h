#pragma once
// People's credentials. A login opens a session (store::SessionStore); the client holds a
// short-lived access token, an HS256 JWT {"sub": user id, "sid": session id, "iat", "exp",
// "typ": "access"} signed with a secret derived from the key file, and an opaque refresh token
// stored only hashed. Seed 001's clients hold an opaque token instead ("Token <40 hex>"), also
// stored hashed. Either way a request is honoured only while its session is live and its user
// enabled: both are read from the store on every request, so a logout, a disabled user or a
// role change takes effect on the next request, on every node sharing the store.
#include <optional>
#include <string>
#include <string_view>

#include "auth/principal.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/session_store.h"
#include "store/user_store.h"

namespace auth {

// A refresh token: "ort_" and 48 characters of [A-Za-z0-9] (~285 bits).
std::string GenerateRefreshToken();
// Seed 001's token: 40 lower-case hex characters (160 bits), as DRF's tokens look.
std::string GenerateDrfToken();

// Reads the access tokens of sessions ("Bearer <jwt>", the bare token, or the door's cookie).
class SessionTokens final : public Resolver {
 public:
  SessionTokens(store::SessionStore& sessions, store::UserStore& users, const core::Clock& clock,
                std::string secret)
      : sessions_(sessions), users_(users), clock_(clock), secret_(std::move(secret)) {}

  // The access token of `session` for `user_id`, valid for `ttl_ms` from `now`.
  std::string Issue(const store::Session& session, core::TimeMs now, core::TimeMs ttl_ms) const;
  // A dashboard session's CSRF token: HMAC-SHA256 of its id under the sessions secret, hex; the
  // same for the session's whole life, unknowable without the secret.
  std::string CsrfToken(const std::string& session_id) const;

  // Takes a JWT that carries a "sid" claim (from the Authorization header, else the cookie):
  // it must verify (HS256, this server's secret, "exp" required, "typ" "access"), name a live
  // session of its "sub" whose user is enabled; kUnauthenticated otherwise. Anything else (an
  // API key, a GoMail key) is left to the next resolver.
  core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const override;

 private:
  store::SessionStore& sessions_;
  store::UserStore& users_;
  const core::Clock& clock_;
  const std::string secret_;
};

// Reads seed 001's tokens: "Token <token>" in the Authorization header.
class DrfTokens final : public Resolver {
 public:
  DrfTokens(store::SessionStore& sessions, store::UserStore& users, const core::Clock& clock)
      : sessions_(sessions), users_(users), clock_(clock) {}

  // Takes "Token <token>" (any case of "token"): a live kind-"token" session of an enabled user
  // with that token's hash; kUnauthenticated "Invalid token." otherwise. Anything else is left
  // to the next resolver.
  core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const override;

 private:
  store::SessionStore& sessions_;
  store::UserStore& users_;
  const core::Clock& clock_;
};

// How long a dashboard sign-in lasts: idle_ms after its last use (pushed forward at most once
// every touch_ms, to spare writes), never past absolute_ms after the sign-in.
struct CookieSessionLimits {
  core::TimeMs idle_ms = 30 * 60'000;
  core::TimeMs absolute_ms = 12 * 3'600'000;
  core::TimeMs touch_ms = 60'000;
};

// The dashboard's sign-in: an opaque token (stored hashed, a kind "cookie" session) in the
// HttpOnly cookie kDashboardCookie. Read only when the request has no Authorization header, so
// an explicit credential always wins. The principal carries the session's CSRF token, which the
// server demands back in X-CSRF-Token on every request that changes something.
class CookieSessions final : public Resolver {
 public:
  static constexpr const char* kCookie = "outbox_session";

  CookieSessions(store::SessionStore& sessions, store::UserStore& users, const core::Clock& clock,
                 const SessionTokens& tokens, CookieSessionLimits limits = {})
      : sessions_(sessions), users_(users), clock_(clock), tokens_(tokens), limits_(limits) {}

  // A live kind "cookie" session of an enabled user with the cookie's hash (its idle expiry
  // moved forward); kUnauthenticated "session ended" otherwise.
  core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const override;

 private:
  store::SessionStore& sessions_;
  store::UserStore& users_;
  const core::Clock& clock_;
  const SessionTokens& tokens_;
  const CookieSessionLimits limits_;
};

// The principal of a live session's enabled user at `now`; kUnauthenticated `message` when the
// session is revoked or expired, or the user is gone, disabled or has no person's role.
core::Result<Principal> PrincipalOfSession(store::UserStore& users, const store::Session& session,
                                           core::TimeMs now, const std::string& message);

}  // namespace auth
