#include "auth/roles.h"

#include <doctest/doctest.h>

namespace {

using auth::Permission;
using auth::Role;

}  // namespace

TEST_CASE("roles: stored names round-trip; unknown names are no role") {
  for (Role role : {Role::kAdmin, Role::kClient, Role::kSender}) {
    CHECK(auth::ParseRole(auth::RoleName(role)) == role);
  }
  CHECK(auth::RoleName(Role::kAdmin) == "admin");
  CHECK(auth::RoleName(Role::kClient) == "client");
  CHECK(auth::RoleName(Role::kSender) == "sender");
  CHECK_FALSE(auth::ParseRole("").has_value());
  CHECK_FALSE(auth::ParseRole("Admin").has_value());
  CHECK_FALSE(auth::ParseRole("superuser").has_value());
}

TEST_CASE("permissions: the role x permission table") {
  struct Row {
    Permission permission;
    bool admin, client, sender;
  };
  const Row table[] = {
      {Permission::kPublic, true, true, true},
      {Permission::kAdminister, true, false, false},
      {Permission::kSesSend, false, false, true},
      {Permission::kGoMailSignup, true, false, false},
      {Permission::kGoMailAccount, true, true, true},
      {Permission::kGoMailTask, false, true, false},
  };
  for (const Row& row : table) {
    CAPTURE(auth::PermissionName(row.permission));
    CHECK(auth::Allows(Role::kAdmin, row.permission) == row.admin);
    CHECK(auth::Allows(Role::kClient, row.permission) == row.client);
    CHECK(auth::Allows(Role::kSender, row.permission) == row.sender);
  }
}

TEST_CASE("permissions: what needs no credential") {
  const auth::AccessPolicy closed{false};
  const auth::AccessPolicy open{true};
  CHECK(auth::IsPublic(Permission::kPublic, closed));
  CHECK_FALSE(auth::IsPublic(Permission::kGoMailSignup, closed));
  CHECK(auth::IsPublic(Permission::kGoMailSignup, open));
  for (Permission permission : {Permission::kAdminister, Permission::kSesSend,
                                Permission::kGoMailAccount, Permission::kGoMailTask}) {
    CAPTURE(auth::PermissionName(permission));
    CHECK_FALSE(auth::IsPublic(permission, closed));
    CHECK_FALSE(auth::IsPublic(permission, open));
  }
}
