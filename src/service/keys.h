#pragma once
// API keys as a resource (/v1/keys): issue, list, revoke. GoMail's /auth/signup issues its user
// keys through GoMailService (JWTs); both kinds live in the same store table and both can be
// listed and revoked here. Secrets are shown once, when issued; only their hashes are stored.
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/store.h"

namespace service {

inline constexpr const char* kAdminRole = "admin";
inline constexpr const char* kClientRole = "client";

struct NewKey {
  std::string name;                        // 1-128 printable characters
  std::string role = kClientRole;          // "admin" or "client"
  std::optional<core::TimeMs> expires_at;  // must lie in the future
};

struct IssuedKey {
  store::ApiKey key;
  std::string secret;  // "obx_..."; never stored
};

class KeyService {
 public:
  KeyService(store::Store& store, const auth::Authenticator& authenticator,
             const core::Clock& clock)
      : store_(store), authenticator_(authenticator), clock_(clock) {}
  KeyService(const KeyService&) = delete;
  KeyService& operator=(const KeyService&) = delete;

  // kInvalidArgument naming name, role or expires_at; kAlreadyExists for a client key whose name
  // is taken.
  core::Result<IssuedKey> Create(const NewKey& request);
  core::Result<std::vector<store::ApiKey>> List();
  // Revokes at once (this process's cache is dropped). kNotFound for an unknown id;
  // kFailedPrecondition for the last admin key (nobody could manage the server any more).
  core::Status Delete(const std::string& id);

 private:
  store::Store& store_;
  const auth::Authenticator& authenticator_;
  const core::Clock& clock_;
};

}  // namespace service
