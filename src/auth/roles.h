#pragma once
// Who a principal is (Role) and what a route needs (Permission); Allows is the one place that
// decides whether a role holds a permission. Roles are strings only where keys are stored
// (store::ApiKey::role); everywhere else they are this enum.
#include <optional>
#include <string_view>

namespace auth {

// The roles of API keys and of people. kAdmin is both: an admin key and an admin user hold the
// same permissions.
enum class Role {
  kAdmin,     // manages the server: the native /v1 API and the SES-compatible admin routes
  kClient,    // a GoMail user key (an HS256 JWT issued by /auth/signup)
  kSender,    // an SES-compatible key from /server/api/create: sends mail, adds tasks
  kManager,   // a person who writes campaigns and templates and sees everything (seed 004: 2)
  kCustomer,  // a person who receives campaigns and manages only their own account (seed 004: 3)
  kViewer,    // a person who sees everything and changes nothing (the read-only dashboard)
};

// The stored name: "admin", "client", "sender", "manager", "customer", "viewer".
std::string_view RoleName(Role role);
// nullopt for a name no role has (a key stored with it is refused).
std::optional<Role> ParseRole(std::string_view name);

// Whether people (user accounts) may have this role: admin, manager, customer, viewer.
bool IsPersonRole(Role role);
// Seed 004's role ids for people: admin 1, manager 2, customer 3, viewer 4 (outbox's own); 0 for
// the key-only roles.
int RoleId(Role role);
// The person's role with this id; nullopt for any other number.
std::optional<Role> RoleFromId(int id);

// What a route needs.
enum class Permission {
  kPublic,         // anyone; no credential is read
  kAdminister,     // the native /v1 API and the SES-compatible admin routes (keys, templates)
  kView,           // reading the native /v1 API (admins, managers, viewers)
  kSesSend,        // the SES-compatible send, records and tasks
  kSignup,         // creating an account: public with --open-signup (AccessPolicy), else an admin's
  kGoMailAccount,  // /auth/deregister: any key (the service checks whose user)
  kGoMailTask,     // /task/, /task/verify, /task/subscriptionContent: GoMail user keys only
  kSignedIn,       // a person's own account and sessions (/v1/me, /v1/auth/logout): any person
  kCampaigns,      // drafting, submitting and running campaigns: admins and managers
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
