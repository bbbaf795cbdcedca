#include "auth/user_keys.h"

#include <algorithm>

#include "auth/jwt.h"
#include "core/random.h"

namespace auth {
namespace {

// 16 random bytes (128 bits), hex-encoded, in each new key's "nonce" claim.
constexpr std::size_t kNonceBytes = 16;

bool LooksLikeJwt(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2;
}

}  // namespace

std::unique_ptr<UserKeys> UserKeys::Create(const Authenticator& api_keys, const core::Clock& clock,
                                           std::string secret,
                                           std::optional<std::string> legacy_secret) {
  return std::unique_ptr<UserKeys>(
      new UserKeys(api_keys, clock, std::move(secret), std::move(legacy_secret)));
}

std::string UserKeys::Sign(const std::string& user_id, const std::string& key_id,
                           core::TimeMs now) const {
  const nlohmann::json claims = {{"sub", user_id},
                                 {"jti", key_id},
                                 {"iat", now / 1000},
                                 {"nonce", core::RandomHex(kNonceBytes)}};
  return SignHs256(claims, secret_);
}

core::Result<std::optional<Principal>> UserKeys::Resolve(const Credentials& credentials) const {
  const std::string_view token = StripBearer(credentials.authorization);
  if (!LooksLikeJwt(token)) return std::optional<Principal>();
  VerifyOptions verify;
  verify.require_exp = false;
  auto claims = VerifyHs256(token, secret_, clock_.NowMs(), verify);
  if (!claims.ok() && legacy_secret_) {
    claims = VerifyHs256(token, *legacy_secret_, clock_.NowMs(), verify);
  }
  if (!claims.ok()) return claims.error();
  auto principal = api_keys_.Authenticate(token);
  if (!principal.ok()) return principal.error();
  const auto jti = claims->is_object() ? claims->find("jti") : claims->end();
  if (jti == claims->end() || !jti->is_string() || jti->get<std::string>() != principal->key_id) {
    return core::Error{core::ErrorCode::kUnauthenticated, "invalid API key", "Authorization"};
  }
  return std::optional<Principal>(std::move(*principal));
}

}  // namespace auth
