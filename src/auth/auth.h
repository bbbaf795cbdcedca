#pragma once
// API keys: generation, hashing (only SHA-256 hashes are stored), and the resolver that turns
// an Authorization header into a principal. GoMail user keys (user_keys.h) and, later, user
// sessions are resolvers beside it.
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "auth/principal.h"
#include "auth/roles.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/access_store.h"

namespace auth {

// "obx_" followed by 40 random alphanumerics (~238 bits).
std::string GenerateApiKey();
std::string HashKey(std::string_view secret);
// The credential in an Authorization header: "Bearer <key>" (any case of "bearer") or a bare
// "<key>", as GoMail clients send it; leading spaces dropped.
std::string_view StripBearer(std::string_view authorization);

// Verified keys are remembered for a few seconds, so the hot path (every API request) does not
// read the store; a key revoked elsewhere stops working within kCacheTtlMs, and Forget()
// makes a revocation by this process immediate.
class Authenticator final : public Resolver {
 public:
  static constexpr core::TimeMs kCacheTtlMs = 5'000;

  Authenticator(store::AccessStore& store, const core::Clock& clock)
      : store_(store), clock_(clock) {}
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Accepts "Bearer <key>" (and a bare "<key>", as GoMail clients send). kUnauthenticated
  // when missing, unknown or expired, or when the stored key has a role no Role names.
  core::Result<Principal> Authenticate(std::string_view authorization) const;
  // Resolver: every non-empty Authorization header is taken for an API key.
  core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const override;
  // Drops a key (by hash) from the cache.
  void Forget(const std::string& key_hash) const;

 private:
  struct Cached {
    Principal principal;
    core::TimeMs cached_until;
    std::optional<core::TimeMs> key_expires_at;
  };
  static constexpr std::size_t kCacheMaxEntries = 10'000;

  store::AccessStore& store_;
  const core::Clock& clock_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, Cached> cache_;  // key hash -> principal
};

// Makes sure an admin key exists. With `configured` non-empty, that key is registered (if not
// yet) and nullopt returned. Otherwise, if no admin key exists, one is generated, stored
// hashed, and returned so the caller can show it once.
core::Result<std::optional<std::string>> EnsureAdminKey(store::AccessStore& store,
                                                        const std::string& configured,
                                                        core::TimeMs now);

}  // namespace auth
