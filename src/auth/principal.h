#pragma once
// Who a request acts for (Principal) and the resolvers that find it in the request's
// credentials. Each kind of credential has one resolver: API keys (Authenticator), GoMail user
// keys (UserKeys), people's access tokens and seed 001's opaque tokens (sessions.h). The http
// layer asks the resolvers its kind of route accepts, in order.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auth/roles.h"
#include "core/result.h"

namespace auth {

struct Principal {
  // The key's id, or "user:<id>" for a person: what owns the mail, codes and tasks it creates.
  std::string key_id;
  Role role = Role::kClient;      // set by the resolver; the default is not an administrator
  std::string callback_url = {};  // where the key's status callbacks go; "" for none
  std::int64_t user_id = 0;       // a person's user id; 0 for an API key
  std::string session_id = {};    // the person's session; "" for an API key
  // Set when the dashboard's session cookie authenticated the request: what a state-changing
  // request must repeat in X-CSRF-Token. "" otherwise.
  std::string csrf_token = {};
};

// What a request presents. Views into the request; valid while it is handled.
struct Credentials {
  std::string_view authorization;          // the Authorization header, "" when absent
  std::string_view session_cookie = {};    // the access token cookie where a door reads one
  std::string_view dashboard_cookie = {};  // the dashboard's session cookie where a door reads it
};

class Resolver {
 public:
  virtual ~Resolver() = default;
  // nullopt when the request carries no credential of this resolver's kind (the next resolver
  // is asked); kUnauthenticated (field "Authorization") when it carries one that is unknown,
  // invalid or expired; other codes when the lookup itself failed.
  virtual core::Result<std::optional<Principal>> Resolve(const Credentials& credentials) const = 0;
};

// Asks `resolvers` in order; the first that recognises a credential decides. When none does:
// kUnauthenticated `missing` (field "Authorization"), the door's words for what to send.
core::Result<Principal> ResolvePrincipal(std::span<const Resolver* const> resolvers,
                                         const Credentials& credentials,
                                         std::string_view missing = "missing API key");

}  // namespace auth
