#include "auth/auth.h"

#include "core/random.h"

namespace auth {
namespace {

core::Error Unauthenticated(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), "Authorization"};
}

}  // namespace

std::string GenerateApiKey() { return "obx_" + core::RandomToken(40); }

std::string HashKey(std::string_view secret) { return core::Sha256Hex(std::string(secret)); }

core::Result<Principal> Authenticator::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kBearer = "Bearer ";
  if (authorization.size() > kBearer.size() &&
      (authorization.substr(0, kBearer.size()) == kBearer ||
       authorization.substr(0, kBearer.size()) == "bearer ")) {
    authorization.remove_prefix(kBearer.size());
  }
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  if (authorization.empty()) return Unauthenticated("missing API key");
  auto key = store_.FindApiKeyByHash(HashKey(authorization));
  if (!key.ok()) {
    if (key.error().code == core::ErrorCode::kNotFound) return Unauthenticated("invalid API key");
    return key.error();
  }
  if (key->expires_at.has_value() && *key->expires_at <= clock_.NowMs()) {
    return Unauthenticated("API key expired");
  }
  return Principal{key->id, key->role};
}

core::Result<std::optional<std::string>> EnsureAdminKey(store::Store& store,
                                                        const std::string& configured,
                                                        core::TimeMs now) {
  if (!configured.empty()) {
    const std::string hash = HashKey(configured);
    auto existing = store.FindApiKeyByHash(hash);
    if (existing.ok()) return std::optional<std::string>();
    if (existing.error().code != core::ErrorCode::kNotFound) return existing.error();
    store::ApiKey key{"key_" + core::RandomHex(8), "admin (configured)", hash, "admin", now, {}};
    auto created = store.CreateApiKey(key);
    if (!created.ok()) return created.error();
    return std::optional<std::string>();
  }
  auto admins = store.CountApiKeys("admin");
  if (!admins.ok()) return admins.error();
  if (*admins > 0) return std::optional<std::string>();
  std::string secret = GenerateApiKey();
  store::ApiKey key{"key_" + core::RandomHex(8), "admin", HashKey(secret), "admin", now, {}};
  auto created = store.CreateApiKey(key);
  if (!created.ok()) return created.error();
  return std::optional<std::string>(secret);
}

}  // namespace auth
