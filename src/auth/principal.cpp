#include "auth/principal.h"

namespace auth {

core::Result<Principal> ResolvePrincipal(std::span<const Resolver* const> resolvers,
                                         const Credentials& credentials, std::string_view missing) {
  for (const Resolver* resolver : resolvers) {
    auto resolved = resolver->Resolve(credentials);
    if (!resolved.ok()) return resolved.error();
    if (resolved->has_value()) return std::move(**resolved);
  }
  return core::Error{core::ErrorCode::kUnauthenticated, std::string(missing), "Authorization"};
}

}  // namespace auth
