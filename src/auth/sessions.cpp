#include "auth/sessions.h"

#include <algorithm>
#include <cctype>

#include "auth/auth.h"
#include "auth/jwt.h"
#include "core/random.h"

namespace auth {
namespace {

core::Error Unauthenticated(const std::string& message) {
  return {core::ErrorCode::kUnauthenticated, message, "Authorization"};
}

// Whether `token` is a JWT whose payload has a "sid" member: a session's access token. Only
// looks; the signature is checked by VerifyHs256.
bool IsAccessToken(std::string_view token) {
  if (token.size() > kMaxJwtBytes || std::count(token.begin(), token.end(), '.') != 2) {
    return false;
  }
  const std::size_t first = token.find('.');
  const std::size_t second = token.find('.', first + 1);
  auto payload = Base64UrlDecode(token.substr(first + 1, second - first - 1));
  if (!payload.ok()) return false;
  const auto claims = nlohmann::json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  return claims.is_object() && claims.contains("sid");
}

}  // namespace

std::string GenerateRefreshToken() { return "ort_" + core::RandomToken(48); }

std::string GenerateDrfToken() { return core::RandomHex(20); }

core::Result<Principal> PrincipalOfSession(store::UserStore& users, const store::Session& session,
                                           core::TimeMs now, const std::string& message) {
  if (session.revoked_at.has_value() || session.expires_at <= now) {
    return Unauthenticated(message);
  }
  auto user = users.GetUser(session.user_id);
  if (!user.ok()) {
    if (user.error().code == core::ErrorCode::kNotFound) return Unauthenticated(message);
    return user.error();
  }
  const std::optional<Role> role = ParseRole(user->role);
  if (user->disabled_at.has_value() || !role.has_value() || !IsPersonRole(*role)) {
    return Unauthenticated(message);
  }
  return Principal{"user:" + std::to_string(user->id), *role, "", user->id, session.id};
}

std::string SessionTokens::Issue(const store::Session& session, core::TimeMs now,
                                 core::TimeMs ttl_ms) const {
  const nlohmann::json claims = {{"sub", std::to_string(session.user_id)},
                                 {"sid", session.id},
                                 {"typ", "access"},
                                 {"iat", now / 1000},
                                 {"exp", (now + ttl_ms) / 1000}};
  return SignHs256(claims, secret_);
}

core::Result<std::optional<Principal>> SessionTokens::Resolve(
    const Credentials& credentials) const {
  std::string_view token = StripBearer(credentials.authorization);
  if (token.empty()) token = credentials.session_cookie;
  if (!IsAccessToken(token)) return std::optional<Principal>();
  const core::TimeMs now = clock_.NowMs();
  VerifyOptions verify;
  verify.leeway_ms = 0;
  auto claims = VerifyHs256(token, secret_, now, verify);
  if (!claims.ok()) return claims.error();
  const auto sid = claims->find("sid");
  const auto sub = claims->find("sub");
  const auto typ = claims->find("typ");
  if (sid == claims->end() || !sid->is_string() || sub == claims->end() || !sub->is_string() ||
      typ == claims->end() || *typ != "access") {
    return Unauthenticated("invalid access token");
  }
  auto session = sessions_.GetSession(sid->get<std::string>());
  if (!session.ok()) {
    if (session.error().code == core::ErrorCode::kNotFound) {
      return Unauthenticated("session ended");
    }
    return session.error();
  }
  if (std::to_string(session->user_id) != sub->get<std::string>() || session->kind != "session") {
    return Unauthenticated("invalid access token");
  }
  auto principal = PrincipalOfSession(users_, *session, now, "session ended");
  if (!principal.ok()) return principal.error();
  return std::optional<Principal>(std::move(*principal));
}

core::Result<std::optional<Principal>> DrfTokens::Resolve(const Credentials& credentials) const {
  std::string_view header = credentials.authorization;
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  constexpr std::string_view kScheme = "token ";
  if (header.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), header.begin(), [](char a, char b) {
        return a == std::tolower(static_cast<unsigned char>(b));
      })) {
    return std::optional<Principal>();
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty() || token.size() > 256) return Unauthenticated("Invalid token.");
  auto session = sessions_.FindSessionByTokenHash(HashKey(token));
  if (!session.ok()) {
    if (session.error().code == core::ErrorCode::kNotFound) {
      return Unauthenticated("Invalid token.");
    }
    return session.error();
  }
  if (session->kind != "token") return Unauthenticated("Invalid token.");
  auto principal = PrincipalOfSession(users_, *session, clock_.NowMs(), "Invalid token.");
  if (!principal.ok()) return principal.error();
  return std::optional<Principal>(std::move(*principal));
}

std::string SessionTokens::CsrfToken(const std::string& session_id) const {
  return HmacSha256Hex(secret_, "csrf:" + session_id);
}

core::Result<std::optional<Principal>> CookieSessions::Resolve(
    const Credentials& credentials) const {
  if (!credentials.authorization.empty() || credentials.dashboard_cookie.empty()) {
    return std::optional<Principal>();
  }
  if (credentials.dashboard_cookie.size() > 256) return Unauthenticated("session ended");
  auto session = sessions_.FindSessionByTokenHash(HashKey(credentials.dashboard_cookie));
  if (!session.ok()) {
    if (session.error().code == core::ErrorCode::kNotFound) {
      return Unauthenticated("session ended");
    }
    return session.error();
  }
  if (session->kind != "cookie") return Unauthenticated("session ended");
  const core::TimeMs now = clock_.NowMs();
  auto principal = PrincipalOfSession(users_, *session, now, "session ended");
  if (!principal.ok()) return principal.error();
  if (now - session->last_used_at >= limits_.touch_ms) {
    const core::TimeMs expires_at =
        std::min(now + limits_.idle_ms, session->created_at + limits_.absolute_ms);
    auto extended = sessions_.ExtendSession(session->id, now, expires_at);
    if (!extended.ok()) return extended.error();
  }
  principal->csrf_token = tokens_.CsrfToken(session->id);
  return std::optional<Principal>(std::move(*principal));
}

}  // namespace auth
