#include "auth/roles.h"

#include <doctest/doctest.h>

namespace {

using auth::Permission;
using auth::Role;

}  // namespace

TEST_CASE("roles: stored names round-trip; unknown names are no role") {
  for (Role role : {Role::kAdmin, Role::kClient, Role::kSender, Role::kManager, Role::kCustomer,
                    Role::kViewer}) {
    CHECK(auth::ParseRole(auth::RoleName(role)) == role);
  }
  CHECK(auth::RoleName(Role::kManager) == "manager");
  CHECK(auth::RoleName(Role::kCustomer) == "customer");
  CHECK(auth::RoleName(Role::kViewer) == "viewer");
  CHECK(auth::RoleName(Role::kAdmin) == "admin");
  CHECK(auth::RoleName(Role::kClient) == "client");
  CHECK(auth::RoleName(Role::kSender) == "sender");
  CHECK_FALSE(auth::ParseRole("").has_value());
  CHECK_FALSE(auth::ParseRole("Admin").has_value());
  CHECK_FALSE(auth::ParseRole("superuser").has_value());
}

TEST_CASE("roles: seed 004's ids are people's roles only") {
  CHECK(auth::RoleId(Role::kAdmin) == 1);
  CHECK(auth::RoleId(Role::kManager) == 2);
  CHECK(auth::RoleId(Role::kCustomer) == 3);
  CHECK(auth::RoleId(Role::kViewer) == 4);
  CHECK(auth::RoleId(Role::kClient) == 0);
  CHECK(auth::RoleId(Role::kSender) == 0);
  for (int id = 1; id <= 4; ++id) CHECK(auth::RoleId(*auth::RoleFromId(id)) == id);
  CHECK_FALSE(auth::RoleFromId(0).has_value());
  CHECK_FALSE(auth::RoleFromId(5).has_value());
  CHECK(auth::IsPersonRole(Role::kAdmin));
  CHECK(auth::IsPersonRole(Role::kViewer));
  CHECK_FALSE(auth::IsPersonRole(Role::kClient));
  CHECK_FALSE(auth::IsPersonRole(Role::kSender));
}

TEST_CASE("permissions: the role x permission table") {
  struct Row {
    Permission permission;
    bool admin, client, sender, manager, customer, viewer;
  };
  const Row table[] = {
      {Permission::kPublic, true, true, true, true, true, true},
      {Permission::kAdminister, true, false, false, false, false, false},
      {Permission::kView, true, false, false, true, false, true},
      {Permission::kSesSend, false, false, true, false, false, false},
      {Permission::kSignup, true, false, false, false, false, false},
      {Permission::kGoMailAccount, true, true, true, true, true, true},
      {Permission::kGoMailTask, false, true, false, false, false, false},
      {Permission::kSignedIn, true, false, false, true, true, true},
      {Permission::kCampaigns, true, false, false, true, false, false},
  };
  for (const Row& row : table) {
    CAPTURE(auth::PermissionName(row.permission));
    CHECK(auth::Allows(Role::kAdmin, row.permission) == row.admin);
    CHECK(auth::Allows(Role::kClient, row.permission) == row.client);
    CHECK(auth::Allows(Role::kSender, row.permission) == row.sender);
    CHECK(auth::Allows(Role::kManager, row.permission) == row.manager);
    CHECK(auth::Allows(Role::kCustomer, row.permission) == row.customer);
    CHECK(auth::Allows(Role::kViewer, row.permission) == row.viewer);
  }
}

TEST_CASE("permissions: what needs no credential") {
  const auth::AccessPolicy closed{false};
  const auth::AccessPolicy open{true};
  CHECK(auth::IsPublic(Permission::kPublic, closed));
  CHECK_FALSE(auth::IsPublic(Permission::kSignup, closed));
  CHECK(auth::IsPublic(Permission::kSignup, open));
  for (Permission permission : {Permission::kAdminister, Permission::kSesSend,
                                Permission::kGoMailAccount, Permission::kGoMailTask}) {
    CAPTURE(auth::PermissionName(permission));
    CHECK_FALSE(auth::IsPublic(permission, closed));
    CHECK_FALSE(auth::IsPublic(permission, open));
  }
}
