#pragma once
// Who a request acts for (Principal) and the resolvers that find it in the request's
// credentials. Each kind of credential has one resolver: API keys (Authenticator), GoMail user
// keys (UserKeys); user sessions will be a third. The http layer asks the resolvers its kind of
// route accepts, in order.
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "auth/roles.h"
#include "core/result.h"

namespace auth {

struct Principal {
  std::string key_id;
  Role role = Role::kClient;      // set by the resolver; the default is not an administrator
  std::string callback_url = {};  // where the key's status callbacks go; "" for none
};

// What a request presents. Views into the request; valid while it is handled.
struct Credentials {
  std::string_view authorization;  // the Authorization header, "" when absent
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
// kUnauthenticated "missing API key".
core::Result<Principal> ResolvePrincipal(std::span<const Resolver* const> resolvers,
                                         const Credentials& credentials);

}  // namespace auth
