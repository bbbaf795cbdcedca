#pragma once
// GoMail user keys: HS256 JWTs {"sub": user id, "jti": key id, "iat", "nonce"} signed with the
// server's secret (derived from the data directory's key file, auth/key_file.h) and stored
// hashed, like every API key, as role-client keys. "nonce" is 128 random bits that are stored
// nowhere, so a key cannot be rebuilt from a copy of the database even by someone who also holds
// the signing secret (keys issued before it had no nonce and keep working until deregistered).
// UserKeys signs new ones and is the resolver of the GoMail routes: a token shaped like a JWT
// must verify with the secret (or the legacy one) and name its own key in "jti".
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/principal.h"
#include "core/clock.h"
#include "core/result.h"

namespace auth {

class UserKeys final : public Resolver {
 public:
  // `secret` signs and verifies; `legacy_secret`, the "jwt_secret" setting of databases from
  // before the key file, only verifies the keys it signed (ServerSecrets).
  static std::unique_ptr<UserKeys> Create(const Authenticator& api_keys, const core::Clock& clock,
                                          std::string secret,
                                          std::optional<std::string> legacy_secret);
  UserKeys(const UserKeys&) = delete;
  UserKeys& operator=(const UserKeys&) = delete;

  // The token of a new key `key_id` for `user_id`, issued at `now`. Only its hash is stored.
  std::string Sign(const std::string& user_id, const std::string& key_id, core::TimeMs now) const;

  // Takes tokens shaped like a JWT (two dots; bare or "Bearer "): they must verify as HS256
  // with this server's secret (no "exp" needed), be a stored key (Authenticator) and name that
  // key in "jti"; kUnauthenticated otherwise. Anything else is left to the next resolver.
  core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const override;

 private:
  UserKeys(const Authenticator& api_keys, const core::Clock& clock, std::string secret,
           std::optional<std::string> legacy_secret)
      : api_keys_(api_keys),
        clock_(clock),
        secret_(std::move(secret)),
        legacy_secret_(std::move(legacy_secret)) {}

  const Authenticator& api_keys_;
  const core::Clock& clock_;
  const std::string secret_;
  const std::optional<std::string> legacy_secret_;
};

}  // namespace auth
