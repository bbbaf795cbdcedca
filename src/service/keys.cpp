#include "service/keys.h"

#include <algorithm>

#include "core/random.h"
#include "hooks/url.h"
#include "hooks/url_guard.h"

namespace service {

constexpr std::size_t kMaxKeyName = 128;
constexpr std::size_t kMaxCallbackUrl = 2048;
constexpr std::size_t kKeyHintLength = 6;

core::Status ValidateCallbackUrl(const std::string& url, const std::string& field) {
  if (url.size() > kMaxCallbackUrl) {
    return core::InvalidArgument(field, field + " is longer than 2048 characters");
  }
  auto parsed = hooks::ParseHttpUrl(url, field);
  if (!parsed.ok()) return parsed.error();
  std::vector<hooks::IpAddress> addresses;
  if (auto literal = hooks::ParseIpAddress(parsed->host); literal.ok()) {
    addresses.push_back(*literal);
  } else if (auto resolved = hooks::ResolveHostSystem(parsed->host); resolved.ok()) {
    addresses = std::move(*resolved);
  }
  for (const hooks::IpAddress& address : addresses) {
    if (hooks::IsForbiddenCallbackAddress(address)) {
      return core::InvalidArgument(field, field + " points at " + hooks::FormatIpAddress(address) +
                                              ", a link-local or cloud-metadata address");
    }
  }
  return {};
}

core::Result<IssuedKey> KeyService::Create(const NewKey& request) {
  const bool printable = std::all_of(request.name.begin(), request.name.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
  });
  if (request.name.empty() || request.name.size() > kMaxKeyName || !printable) {
    return core::InvalidArgument("name", "name must be 1 to 128 printable characters");
  }
  if (!request.callback_url.empty()) {
    if (auto valid = ValidateCallbackUrl(request.callback_url, "callback_url"); !valid.ok()) {
      return valid.error();
    }
  }
  const core::TimeMs now = clock_.NowMs();
  const std::optional<core::TimeMs> expires_at =
      request.lifetime_ms ? std::optional<core::TimeMs>(now + *request.lifetime_ms)
                          : request.expires_at;
  if (expires_at && *expires_at <= now) {
    return core::InvalidArgument("expires_at", "expires_at must lie in the future");
  }
  IssuedKey issued;
  issued.secret = auth::GenerateApiKey();
  issued.key.id = core::TimeOrderedId("key_", now);
  issued.key.name = request.name;
  issued.key.key_hash = auth::HashKey(issued.secret);
  issued.key.role = std::string(auth::RoleName(request.role));
  issued.key.created_at = now;
  issued.key.expires_at = expires_at;
  issued.key.callback_url = request.callback_url;
  issued.key.key_hint = issued.secret.substr(issued.secret.size() - kKeyHintLength);
  if (auto created = store_.CreateApiKey(issued.key); !created.ok()) {
    if (created.error().code == core::ErrorCode::kAlreadyExists) {
      return core::Error{core::ErrorCode::kAlreadyExists,
                         "a " + issued.key.role + " key named '" + request.name + "' exists",
                         "name"};
    }
    return created.error();
  }
  return issued;
}

core::Result<std::vector<store::ApiKey>> KeyService::List() { return store_.ListApiKeys(); }

core::Status KeyService::Delete(const std::string& id) {
  auto key = store_.FindApiKeyById(id);
  if (!key.ok()) return key.error();
  // An expired admin key administers nothing, so only unexpired ones count: deleting the last
  // of those would lock every administrator out.
  const core::TimeMs now = clock_.NowMs();
  const auto usable = [now](const store::ApiKey& admin) {
    return !admin.expires_at || *admin.expires_at > now;
  };
  if (auth::ParseRole(key->role) == auth::Role::kAdmin && usable(*key)) {
    auto keys = store_.ListApiKeys();
    if (!keys.ok()) return keys.error();
    const bool another = std::any_of(keys->begin(), keys->end(), [&](const store::ApiKey& other) {
      return other.id != key->id && other.role == key->role && usable(other);
    });
    if (!another) {
      return core::FailedPrecondition("this is the last admin key; create another one first");
    }
  }
  auto deleted = store_.DeleteApiKey(id);
  if (!deleted.ok()) return deleted.error();
  authenticator_.Forget(deleted->key_hash);
  return {};
}

core::Status KeyService::DeleteSenderByName(const std::string& name) {
  auto deleted = store_.DeleteApiKeysByName(name, std::string(auth::RoleName(auth::Role::kSender)));
  if (!deleted.ok()) return deleted.error();
  if (deleted->empty()) return core::NotFound("no API key is named '" + name + "'");
  for (const auto& key : *deleted) authenticator_.Forget(key.key_hash);
  return {};
}

core::Status KeyService::DeleteBySecret(const std::string& secret) {
  auto key = store_.FindApiKeyByHash(auth::HashKey(secret));
  if (!key.ok()) return key.error();
  return Delete(key->id);
}

}  // namespace service
