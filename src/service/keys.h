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
#include "store/access_store.h"

namespace service {

struct NewKey {
  std::string name;  // 1-128 printable characters
  auth::Role role = auth::Role::kClient;
  std::optional<core::TimeMs> expires_at;  // must lie in the future
  // Instead of expires_at: the key expires this long after it is issued (SES "duration").
  std::optional<core::TimeMs> lifetime_ms;
  std::string callback_url;  // http(s), not link-local or cloud metadata; "" for none
};

// Checks a callback URL when a key is made: http(s), no credentials, and a host that is not (or
// does not now resolve to) a link-local or cloud-metadata address. A name that does not
// resolve yet is accepted; every delivery checks again (hooks::CallbackSender).
core::Status ValidateCallbackUrl(const std::string& url, const std::string& field);

struct IssuedKey {
  store::ApiKey key;
  std::string secret;  // "obx_..."; never stored
};

class KeyService {
 public:
  KeyService(store::AccessStore& store, const auth::Authenticator& authenticator,
             const core::Clock& clock)
      : store_(store), authenticator_(authenticator), clock_(clock) {}
  KeyService(const KeyService&) = delete;
  KeyService& operator=(const KeyService&) = delete;

  // kInvalidArgument naming name, expires_at or callback_url; kAlreadyExists for a client or
  // sender key whose name is taken.
  core::Result<IssuedKey> Create(const NewKey& request);
  core::Result<std::vector<store::ApiKey>> List();
  // Revokes at once (this process's cache is dropped). kNotFound for an unknown id;
  // kFailedPrecondition for the last unexpired admin key (nobody could manage the server any
  // more; expired admin keys do not count).
  core::Status Delete(const std::string& id);
  // The SES-compatible API deletes sender keys by name or by secret. kNotFound if none matches.
  core::Status DeleteSenderByName(const std::string& name);
  core::Status DeleteBySecret(const std::string& secret);

 private:
  store::AccessStore& store_;
  const auth::Authenticator& authenticator_;
  const core::Clock& clock_;
};

}  // namespace service
