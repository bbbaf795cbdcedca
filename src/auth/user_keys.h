#pragma once
// GoMail user keys: HS256 JWTs {"sub": user id, "jti": key id, "iat"} signed with the server's
// secret (the "jwt_secret" setting, created on first start) and stored hashed, like every API
// key, as role-client keys. UserKeys signs new ones and is the resolver of the GoMail routes:
// a token shaped like a JWT must verify with the secret and name its own key in "jti".
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/principal.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/access_store.h"

namespace auth {

class UserKeys final : public Resolver {
 public:
  // Loads (creating on first start) the signing secret from the store's settings.
  static core::Result<std::unique_ptr<UserKeys>> Create(store::AccessStore& store,
                                                        const Authenticator& api_keys,
                                                        const core::Clock& clock);
  UserKeys(const UserKeys&) = delete;
  UserKeys& operator=(const UserKeys&) = delete;

  // The token of a new key `key_id` for `user_id`, issued at `now`. Only its hash is stored.
  std::string Sign(const std::string& user_id, const std::string& key_id, core::TimeMs now) const;

  // Takes tokens shaped like a JWT (two dots; bare or "Bearer "): they must verify as HS256
  // with this server's secret (no "exp" needed), be a stored key (Authenticator) and name that
  // key in "jti"; kUnauthenticated otherwise. Anything else is left to the next resolver.
  core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const override;

 private:
  UserKeys(const Authenticator& api_keys, const core::Clock& clock, std::string secret)
      : api_keys_(api_keys), clock_(clock), secret_(std::move(secret)) {}

  const Authenticator& api_keys_;
  const core::Clock& clock_;
  const std::string secret_;
};

}  // namespace auth
