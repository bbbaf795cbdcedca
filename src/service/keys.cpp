#include "service/keys.h"

#include <algorithm>

#include "core/random.h"

namespace service {

constexpr std::size_t kMaxKeyName = 128;

core::Result<IssuedKey> KeyService::Create(const NewKey& request) {
  const bool printable = std::all_of(request.name.begin(), request.name.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
  });
  if (request.name.empty() || request.name.size() > kMaxKeyName || !printable) {
    return core::InvalidArgument("name", "name must be 1 to 128 printable characters");
  }
  if (request.role != kAdminRole && request.role != kClientRole) {
    return core::InvalidArgument("role", "role must be \"admin\" or \"client\"");
  }
  const core::TimeMs now = clock_.NowMs();
  if (request.expires_at && *request.expires_at <= now) {
    return core::InvalidArgument("expires_at", "expires_at must lie in the future");
  }
  IssuedKey issued;
  issued.secret = auth::GenerateApiKey();
  issued.key.id = core::TimeOrderedId("key_", now);
  issued.key.name = request.name;
  issued.key.key_hash = auth::HashKey(issued.secret);
  issued.key.role = request.role;
  issued.key.created_at = now;
  issued.key.expires_at = request.expires_at;
  if (auto created = store_.CreateApiKey(issued.key); !created.ok()) {
    if (created.error().code == core::ErrorCode::kAlreadyExists) {
      return core::Error{core::ErrorCode::kAlreadyExists,
                         "a client key named '" + request.name + "' exists", "name"};
    }
    return created.error();
  }
  return issued;
}

core::Result<std::vector<store::ApiKey>> KeyService::List() { return store_.ListApiKeys(); }

core::Status KeyService::Delete(const std::string& id) {
  auto key = store_.FindApiKeyById(id);
  if (!key.ok()) return key.error();
  if (key->role == kAdminRole) {
    auto admins = store_.CountApiKeys(kAdminRole);
    if (!admins.ok()) return admins.error();
    if (*admins <= 1) {
      return core::FailedPrecondition("this is the last admin key; create another one first");
    }
  }
  auto deleted = store_.DeleteApiKey(id);
  if (!deleted.ok()) return deleted.error();
  authenticator_.Forget(deleted->key_hash);
  return {};
}

}  // namespace service
