#include "auth/auth.h"

#include <cctype>

#include "core/random.h"

namespace auth {
namespace {

core::Error Unauthenticated(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), "Authorization"};
}

// An admin key as stored: a random id, no expiry, no callback URL.
store::ApiKey AdminKey(const std::string& name, const std::string& hash, core::TimeMs now) {
  return {"key_" + core::RandomHex(8), name, hash, std::string(RoleName(Role::kAdmin)), now, {}};
}

}  // namespace

std::string GenerateApiKey() { return "obx_" + core::RandomToken(40); }

std::string HashKey(std::string_view secret) { return core::Sha256Hex(std::string(secret)); }

std::string_view StripBearer(std::string_view authorization) {
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() >= kBearer.size()) {
    bool bearer = true;
    for (std::size_t i = 0; i < kBearer.size(); ++i) {
      bearer = bearer && std::tolower(static_cast<unsigned char>(authorization[i])) == kBearer[i];
    }
    if (bearer) authorization.remove_prefix(kBearer.size());
  }
  while (!authorization.empty() && authorization.front() == ' ') authorization.remove_prefix(1);
  return authorization;
}

core::Result<Principal> Authenticator::Authenticate(std::string_view authorization) const {
  authorization = StripBearer(authorization);
  if (authorization.empty()) return Unauthenticated("missing API key");
  const std::string hash = HashKey(authorization);
  const core::TimeMs now = clock_.NowMs();
  {
    std::lock_guard lock(mutex_);
    auto cached = cache_.find(hash);
    if (cached != cache_.end() && cached->second.cached_until > now) {
      if (cached->second.key_expires_at.has_value() && *cached->second.key_expires_at <= now) {
        return Unauthenticated("API key expired");
      }
      return cached->second.principal;
    }
  }
  auto key = store_.FindApiKeyByHash(hash);
  if (!key.ok()) {
    if (key.error().code == core::ErrorCode::kNotFound) return Unauthenticated("invalid API key");
    return key.error();
  }
  if (key->expires_at.has_value() && *key->expires_at <= now) {
    return Unauthenticated("API key expired");
  }
  const std::optional<Role> role = ParseRole(key->role);
  if (!role.has_value()) return Unauthenticated("API key has an unknown role");
  Principal principal{key->id, *role, key->callback_url};
  std::lock_guard lock(mutex_);
  if (cache_.size() >= kCacheMaxEntries) cache_.clear();
  cache_[hash] = Cached{principal, now + kCacheTtlMs, key->expires_at};
  return principal;
}

core::Result<std::optional<Principal>> Authenticator::Resolve(
    const Credentials& credentials) const {
  if (StripBearer(credentials.authorization).empty()) return std::optional<Principal>();
  auto principal = Authenticate(credentials.authorization);
  if (!principal.ok()) return principal.error();
  return std::optional<Principal>(std::move(*principal));
}

void Authenticator::Forget(const std::string& key_hash) const {
  std::lock_guard lock(mutex_);
  cache_.erase(key_hash);
}

core::Result<std::optional<std::string>> EnsureAdminKey(store::AccessStore& store,
                                                        const std::string& configured,
                                                        core::TimeMs now) {
  if (!configured.empty()) {
    const std::string hash = HashKey(configured);
    auto existing = store.FindApiKeyByHash(hash);
    if (existing.ok()) return std::optional<std::string>();
    if (existing.error().code != core::ErrorCode::kNotFound) return existing.error();
    auto created = store.CreateApiKey(AdminKey("admin (configured)", hash, now));
    if (!created.ok()) return created.error();
    return std::optional<std::string>();
  }
  auto admins = store.CountApiKeys(std::string(RoleName(Role::kAdmin)));
  if (!admins.ok()) return admins.error();
  if (*admins > 0) return std::optional<std::string>();
  std::string secret = GenerateApiKey();
  auto created = store.CreateApiKey(AdminKey("admin", HashKey(secret), now));
  if (!created.ok()) return created.error();
  return std::optional<std::string>(secret);
}

}  // namespace auth
