#pragma once
// Who a principal is (Role) and what a route needs (Permission); Allows is the one place that
// decides whether a role holds a permission. Roles are strings only where keys are stored
// (store::ApiKey::role); everywhere else they are this enum.
#include <optional>
#include <string_view>

namespace auth {

// The kinds of API keys. Later issues add people (manager, customer, viewer) after these.
enum class Role {
  kAdmin,   // manages the server: the native /v1 API and the SES-compatible admin routes
  kClient,  // a GoMail user key (an HS256 JWT issued by /auth/signup)
  kSender,  // an SES-compatible key from /server/api/create: sends mail, adds tasks
};

// The stored name: "admin", "client", "sender".
std::string_view RoleName(Role role);
// nullopt for a name no role has (a key stored with it is refused).
std::optional<Role> ParseRole(std::string_view name);

// What a route needs.
enum class Permission {
  kPublic,         // anyone; no credential is read
  kAdminister,     // the native /v1 API and the SES-compatible admin routes (keys, templates)
  kSesSend,        // the SES-compatible send, records and tasks
  kGoMailSignup,   // /auth/signup: public with --open-signup (AccessPolicy), else kAdminister's
  kGoMailAccount,  // /auth/deregister: any key (the service checks whose user)
  kGoMailTask,     // /task/, /task/verify, /task/subscriptionContent: GoMail user keys only
};

// A short name for logs and tests: "public", "administer", ...
std::string_view PermissionName(Permission permission);

// The server's configuration that changes what is public.
struct AccessPolicy {
  bool open_signup = false;
};

// Pure: whether a route needing `permission` is answered without any credential.
bool IsPublic(Permission permission, const AccessPolicy& policy);
// Pure: whether a principal of `role` holds `permission` (the role x permission table).
bool Allows(Role role, Permission permission);

}  // namespace auth
