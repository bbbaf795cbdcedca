#include "auth/roles.h"

#include <cstdint>

namespace auth {
namespace {

constexpr std::string_view kRoleNames[] = {"admin",   "client",   "sender",
                                           "manager", "customer", "viewer"};

constexpr std::uint32_t Bit(Role role) { return 1U << static_cast<unsigned>(role); }
constexpr std::uint32_t kPeople =
    Bit(Role::kAdmin) | Bit(Role::kManager) | Bit(Role::kCustomer) | Bit(Role::kViewer);
constexpr std::uint32_t kEveryRole = kPeople | Bit(Role::kClient) | Bit(Role::kSender);

struct Grant {
  Permission permission;
  std::string_view name;
  std::uint32_t roles;  // Bit(role) for each role that holds the permission
};

// The role x permission table, in Permission's order.
constexpr Grant kGrants[] = {
    {Permission::kPublic, "public", kEveryRole},
    {Permission::kAdminister, "administer", Bit(Role::kAdmin)},
    {Permission::kView, "view", Bit(Role::kAdmin) | Bit(Role::kManager) | Bit(Role::kViewer)},
    {Permission::kSesSend, "ses_send", Bit(Role::kSender)},
    {Permission::kSignup, "signup", Bit(Role::kAdmin)},
    {Permission::kGoMailAccount, "gomail_account", kEveryRole},
    {Permission::kGoMailTask, "gomail_task", Bit(Role::kClient)},
    {Permission::kSignedIn, "signed_in", kPeople},
    {Permission::kCampaigns, "campaigns", Bit(Role::kAdmin) | Bit(Role::kManager)},
};

constexpr bool InPermissionOrder() {
  for (std::size_t i = 0; i < std::size(kGrants); ++i) {
    if (static_cast<std::size_t>(kGrants[i].permission) != i) return false;
  }
  return true;
}
static_assert(InPermissionOrder(), "kGrants lists every permission once, in enum order");

const Grant& GrantOf(Permission permission) {
  return kGrants[static_cast<std::size_t>(permission)];
}

}  // namespace

std::string_view RoleName(Role role) { return kRoleNames[static_cast<std::size_t>(role)]; }

std::optional<Role> ParseRole(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kRoleNames); ++i) {
    if (kRoleNames[i] == name) return static_cast<Role>(i);
  }
  return std::nullopt;
}

bool IsPersonRole(Role role) { return (kPeople & Bit(role)) != 0; }

int RoleId(Role role) {
  switch (role) {
    case Role::kAdmin: return 1;
    case Role::kManager: return 2;
    case Role::kCustomer: return 3;
    case Role::kViewer: return 4;
    case Role::kClient:
    case Role::kSender: break;
  }
  return 0;
}

std::optional<Role> RoleFromId(int id) {
  for (Role role : {Role::kAdmin, Role::kManager, Role::kCustomer, Role::kViewer}) {
    if (RoleId(role) == id) return role;
  }
  return std::nullopt;
}

std::string_view PermissionName(Permission permission) { return GrantOf(permission).name; }

bool IsPublic(Permission permission, const AccessPolicy& policy) {
  return permission == Permission::kPublic ||
         (permission == Permission::kSignup && policy.open_signup);
}

bool Allows(Role role, Permission permission) {
  return (GrantOf(permission).roles & Bit(role)) != 0;
}

}  // namespace auth
