// The user area (store/user_store.h: users and the login throttle) of the store contract.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {
namespace {

store::User GetUser(store::Store& store, std::int64_t id) {
  core::Result<store::User> user = store.GetUser(id);
  REQUIRE_MESSAGE(user.ok(), user.error().message);
  return std::move(user).value();
}

store::User Update(store::Store& store, std::int64_t id, const store::UserChange& change,
                   TimeMs now = kT0) {
  core::Result<store::User> user = store.UpdateUser(id, change, now);
  REQUIRE_MESSAGE(user.ok(), user.error().message);
  return std::move(user).value();
}

void CheckSameUser(const store::User& a, const store::User& b) {
  CHECK(a.id == b.id);
  CHECK(a.email == b.email);
  CHECK(a.name == b.name);
  CHECK(a.first_name == b.first_name);
  CHECK(a.last_name == b.last_name);
  CHECK(a.username == b.username);
  CHECK(a.role == b.role);
  CHECK(a.password_hash == b.password_hash);
  CHECK(a.created_at == b.created_at);
  CHECK(a.confirmed_at == b.confirmed_at);
  CHECK(a.disabled_at == b.disabled_at);
  CHECK(a.unsubscribed_at == b.unsubscribed_at);
}

std::vector<std::int64_t> Ids(const std::vector<store::User>& users) {
  std::vector<std::int64_t> ids;
  for (const store::User& user : users) {
    ids.push_back(user.id);
  }
  return ids;
}

std::vector<std::int64_t> Reachable(store::Store& store, const std::string& role,
                                    std::int64_t after_id = 0, int limit = 100) {
  core::Result<std::vector<store::User>> users = store.ListReachableUsers(role, after_id, limit);
  REQUIRE_MESSAGE(users.ok(), users.error().message);
  return Ids(*users);
}

store::UserChange Disable(TimeMs at) {
  store::UserChange change;
  change.disabled_at = std::optional<TimeMs>(at);
  return change;
}

store::UserChange Enable() {
  store::UserChange change;
  change.disabled_at = std::optional<TimeMs>();
  return change;
}

store::UserChange Role(const std::string& role) {
  store::UserChange change;
  change.role = role;
  return change;
}

}  // namespace

void RunUserContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("CreateUser assigns ids from 1 up; every field reads back by id and by email") {
    store::User ada = MakeUser("Ada@Example.org", "admin");
    ada.id = 77;  // ignored
    ada.first_name = "Ada";
    ada.last_name = "Lovelace";
    ada.username = "ada";
    ada.unsubscribed_at = kT0 + 3;
    const store::User created = AddUser(store, ada);
    CHECK(created.id == 1);
    ada.id = 1;
    CheckSameUser(created, ada);
    CheckSameUser(GetUser(store, 1), ada);

    store::User bob = MakeUser("bob@example.org");
    bob.confirmed_at = std::nullopt;
    CHECK(AddUser(store, bob).id == 2);
    bob.id = 2;
    CheckSameUser(GetUser(store, 2), bob);

    core::Result<store::User> found = store.FindUserByEmail("ADA@example.ORG");
    REQUIRE(found.ok());
    CheckSameUser(*found, ada);  // the address as registered
    CHECK(store.GetUser(3).error().code == ErrorCode::kNotFound);
    CHECK(store.FindUserByEmail("carol@example.org").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("the email is unique in any ASCII case; an empty email or role is refused") {
    AddUser(store, "Ada@Example.org");
    CHECK(store.CreateUser(MakeUser("ada@EXAMPLE.ORG")).error().code == ErrorCode::kAlreadyExists);
    CHECK(store.CreateUser(MakeUser("")).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.CreateUser(MakeUser("bob@example.org", "")).error().code ==
          ErrorCode::kInvalidArgument);
    CHECK(*store.CountUsers("") == 1);
    CHECK(store.FindUserByEmail("bob@example.org").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("ids ascend and are never reused after a delete") {
    const std::int64_t a = AddUser(store, "a@example.org").id;
    const std::int64_t b = AddUser(store, "b@example.org").id;
    CHECK(b > a);
    CheckOk(store.DeleteUser(b));
    const std::int64_t c = AddUser(store, "c@example.org").id;
    CHECK(c > b);
    CheckOk(store.DeleteUser(a));
    CheckOk(store.DeleteUser(c));
    CHECK(AddUser(store, "a@example.org").id > c);
  }

  SUBCASE("UpdateUser applies each member given, keeps the others, and clears times") {
    store::User user = AddUser(store, "ada@example.org");
    store::UserChange name;
    name.name = "Ada L.";
    user.name = "Ada L.";
    CheckSameUser(Update(store, user.id, name), user);

    store::UserChange all;
    all.role = "manager";
    all.name = "Ada Lovelace";
    all.first_name = "Ada";
    all.last_name = "Lovelace";
    all.password_hash = "$argon2id$new";
    all.confirmed_at = std::optional<TimeMs>(kT0 + 1);
    all.disabled_at = std::optional<TimeMs>(kT0 + 2);
    all.unsubscribed_at = std::optional<TimeMs>(kT0 + 3);
    user.role = "manager";
    user.name = "Ada Lovelace";
    user.first_name = "Ada";
    user.last_name = "Lovelace";
    user.password_hash = "$argon2id$new";
    user.confirmed_at = kT0 + 1;
    user.disabled_at = kT0 + 2;
    user.unsubscribed_at = kT0 + 3;
    CheckSameUser(Update(store, user.id, all), user);
    CheckSameUser(GetUser(store, user.id), user);

    // Nothing given: nothing changes.
    CheckSameUser(Update(store, user.id, store::UserChange{}), user);

    store::UserChange clear;
    clear.confirmed_at = std::optional<TimeMs>();
    clear.disabled_at = std::optional<TimeMs>();
    clear.unsubscribed_at = std::optional<TimeMs>();
    user.confirmed_at = std::nullopt;
    user.disabled_at = std::nullopt;
    user.unsubscribed_at = std::nullopt;
    CheckSameUser(Update(store, user.id, clear), user);
    CheckSameUser(GetUser(store, user.id), user);

    CHECK(store.UpdateUser(user.id + 1, name, kT0).error().code == ErrorCode::kNotFound);
    CHECK(store.UpdateUser(user.id, Role(""), kT0).error().code == ErrorCode::kInvalidArgument);
    CHECK(GetUser(store, user.id).role == "manager");
  }

  SUBCASE("the last enabled admin cannot be demoted, disabled or deleted") {
    const store::User admin = AddUser(store, "root@example.org", "admin");
    AddSession(store, MakeSession("s1", admin.id), "r1");
    CHECK(store.UpdateUser(admin.id, Role("viewer"), kT0).error().code ==
          ErrorCode::kFailedPrecondition);
    CHECK(store.UpdateUser(admin.id, Disable(kT0), kT0).error().code ==
          ErrorCode::kFailedPrecondition);
    CheckCode(store.DeleteUser(admin.id), ErrorCode::kFailedPrecondition);
    // Nothing of the refused calls applied, the revocation of a refused disable neither.
    CheckSameUser(GetUser(store, admin.id), admin);
    CHECK_FALSE(GetSession(store, "s1").revoked_at.has_value());

    // A disabled admin does not count as enabled.
    store::User disabled = MakeUser("old@example.org", "admin");
    disabled.disabled_at = kT0;
    disabled = AddUser(store, disabled);
    CHECK(store.UpdateUser(admin.id, Role("viewer"), kT0).error().code ==
          ErrorCode::kFailedPrecondition);
    // Changing something else of the last admin is fine.
    store::UserChange name;
    name.name = "Root";
    CHECK(Update(store, admin.id, name).name == "Root");

    // Two enabled admins: one may be demoted; then the other is the last.
    Update(store, disabled.id, Enable());
    CHECK(Update(store, admin.id, Role("viewer")).role == "viewer");
    CHECK(store.UpdateUser(disabled.id, Disable(kT0), kT0).error().code ==
          ErrorCode::kFailedPrecondition);
    CheckCode(store.DeleteUser(disabled.id), ErrorCode::kFailedPrecondition);
    Update(store, admin.id, Role("admin"));
    CheckOk(store.DeleteUser(disabled.id));
    CHECK(*store.CountUsers("admin") == 1);

    // A disabled admin can go while an enabled one remains.
    store::User spare = MakeUser("spare@example.org", "admin");
    spare.disabled_at = kT0;
    spare = AddUser(store, spare);
    CheckOk(store.DeleteUser(spare.id));
  }

  SUBCASE("disabling a user revokes their sessions in the same call") {
    const store::User ada = AddUser(store, "ada@example.org");
    const store::User bob = AddUser(store, "bob@example.org");
    AddSession(store, MakeSession("a1", ada.id), "ra1");
    AddSession(store, MakeSession("a2", ada.id, kT0 + 1));
    AddSession(store, MakeSession("b1", bob.id), "rb1");

    store::UserChange name;
    name.name = "Ada";
    Update(store, ada.id, name, kT0 + 5);
    CHECK_FALSE(GetSession(store, "a1").revoked_at.has_value());

    CHECK(Update(store, ada.id, Disable(kT0 + 10), kT0 + 10).disabled_at == kT0 + 10);
    for (const char* id : {"a1", "a2"}) {
      CAPTURE(id);
      const store::Session session = GetSession(store, id);
      CHECK(session.revoked_at == kT0 + 10);
      CHECK(session.revoked_reason == "disabled");
    }
    CHECK(store.ListLiveSessions(ada.id, kT0 + 10)->empty());
    CHECK(store.RotateRefreshToken("ra1", "ra2", kT0 + 11)->outcome ==
          store::RefreshOutcome::kDead);
    CHECK_FALSE(GetSession(store, "b1").revoked_at.has_value());

    // Enabling again does not bring the sessions back.
    CHECK_FALSE(Update(store, ada.id, Enable(), kT0 + 20).disabled_at.has_value());
    CHECK(store.ListLiveSessions(ada.id, kT0 + 20)->empty());
  }

  SUBCASE("DeleteUser removes the user with their sessions, tokens and verifications") {
    const store::User ada = AddUser(store, "ada@example.org");
    const store::User bob = AddUser(store, "bob@example.org");
    AddSession(store, MakeSession("a1", ada.id), "ra1");
    store::Session token = MakeSession("a2", ada.id);
    token.kind = "token";
    token.token_hash = "ta2";
    AddSession(store, token);
    AddSession(store, MakeSession("b1", bob.id), "rb1");
    store::Verification link;
    link.id = "ver_a";
    link.purpose = "signup";
    link.user_id = ada.id;
    link.email = ada.email;
    link.token_hash = "va";
    link.created_at = kT0;
    link.expires_at = kT0 + 3'600'000;
    CheckOk(store.CreateVerification(link));

    CheckOk(store.DeleteUser(ada.id));
    CHECK(store.GetUser(ada.id).error().code == ErrorCode::kNotFound);
    CHECK(store.FindUserByEmail("ada@example.org").error().code == ErrorCode::kNotFound);
    CHECK(store.GetSession("a1").error().code == ErrorCode::kNotFound);
    CHECK(store.GetSession("a2").error().code == ErrorCode::kNotFound);
    CHECK(store.FindSessionByTokenHash("ta2").error().code == ErrorCode::kNotFound);
    CHECK(store.RotateRefreshToken("ra1", "ra2", kT0 + 1)->outcome ==
          store::RefreshOutcome::kUnknown);
    CHECK(store.GetVerification("ver_a").error().code == ErrorCode::kNotFound);
    CHECK(store.FindVerificationByTokenHash("va").error().code == ErrorCode::kNotFound);
    CHECK_FALSE(store.LatestVerification("signup", "ada@example.org")->has_value());

    CHECK(GetSession(store, "b1").user_id == bob.id);
    CHECK(*store.CountUsers("") == 1);
    CheckCode(store.DeleteUser(ada.id), ErrorCode::kNotFound);
  }

  SUBCASE("ListUsers pages by id ascending with an opaque cursor, optionally of one role") {
    std::vector<std::int64_t> all;
    std::vector<std::int64_t> customers;
    for (int i = 0; i < 5; ++i) {
      const std::string role = i % 2 == 0 ? "customer" : "viewer";
      const std::int64_t id = AddUser(store, "u" + std::to_string(i) + "@example.org", role).id;
      all.push_back(id);
      if (role == "customer") {
        customers.push_back(id);
      }
    }
    const auto walk = [&](const std::string& role, int limit) {
      std::vector<std::int64_t> ids;
      store::UserQuery query;
      query.role = role;
      query.limit = limit;
      int pages = 0;
      for (;;) {
        core::Result<store::UserPage> page = store.ListUsers(query);
        REQUIRE_MESSAGE(page.ok(), page.error().message);
        REQUIRE(static_cast<int>(page->users.size()) <= limit);
        ++pages;
        for (const store::User& user : page->users) {
          ids.push_back(user.id);
        }
        if (page->next_cursor.empty()) {
          break;
        }
        REQUIRE(pages < 10);
        query.cursor = page->next_cursor;
      }
      return std::make_pair(ids, pages);
    };
    CHECK(walk("", 2) == std::make_pair(all, 3));
    CHECK(walk("", 5) == std::make_pair(all, 1));  // a full last page says it is the last
    CHECK(walk("", 1000) == std::make_pair(all, 1));
    CHECK(walk("customer", 2) == std::make_pair(customers, 2));
    CHECK(walk("manager", 2).first.empty());

    store::UserQuery page_one;
    page_one.limit = 1;
    core::Result<store::UserPage> first = store.ListUsers(page_one);
    REQUIRE(first.ok());
    CHECK(first->users.front().email == "u0@example.org");

    store::UserQuery bad;
    bad.cursor = "not a cursor";
    CHECK(store.ListUsers(bad).error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("ListReachableUsers: confirmed, enabled, subscribed users of a role after an id") {
    const auto add = [&](const std::string& email, const std::string& role,
                         std::optional<TimeMs> confirmed, std::optional<TimeMs> disabled,
                         std::optional<TimeMs> unsubscribed) {
      store::User user = MakeUser(email, role);
      user.confirmed_at = confirmed;
      user.disabled_at = disabled;
      user.unsubscribed_at = unsubscribed;
      return AddUser(store, user).id;
    };
    const std::int64_t c1 = add("c1@example.org", "customer", kT0, {}, {});
    add("unconfirmed@example.org", "customer", {}, {}, {});
    add("disabled@example.org", "customer", kT0, kT0, {});
    add("unsubscribed@example.org", "customer", kT0, {}, kT0);
    const std::int64_t c2 = add("c2@example.org", "customer", kT0, {}, {});
    const std::int64_t v1 = add("v1@example.org", "viewer", kT0, {}, {});
    const std::int64_t c3 = add("c3@example.org", "customer", kT0, {}, {});

    CHECK(Reachable(store, "customer") == std::vector<std::int64_t>{c1, c2, c3});
    CHECK(Reachable(store, "customer", c1) == std::vector<std::int64_t>{c2, c3});
    CHECK(Reachable(store, "customer", c3).empty());
    CHECK(Reachable(store, "customer", 0, 2) == std::vector<std::int64_t>{c1, c2});
    CHECK(Reachable(store, "viewer") == std::vector<std::int64_t>{v1});
    CHECK(Reachable(store, "") == std::vector<std::int64_t>{c1, c2, v1, c3});
    CHECK(Reachable(store, "manager").empty());
    CHECK(store.ListReachableUsers("customer", 0, 0).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.ListReachableUsers("customer", 0, 1001).error().code ==
          ErrorCode::kInvalidArgument);

    // Unsubscribing takes a user out of the audience; subscribing again brings them back.
    store::UserChange unsubscribe;
    unsubscribe.unsubscribed_at = std::optional<TimeMs>(kT0 + 1);
    Update(store, c2, unsubscribe);
    CHECK(Reachable(store, "customer") == std::vector<std::int64_t>{c1, c3});
    store::UserChange resubscribe;
    resubscribe.unsubscribed_at = std::optional<TimeMs>();
    Update(store, c2, resubscribe);
    CHECK(Reachable(store, "customer") == std::vector<std::int64_t>{c1, c2, c3});
  }

  SUBCASE("CountUsers counts one role or all") {
    CHECK(*store.CountUsers("") == 0);
    AddUser(store, "a@example.org", "admin");
    AddUser(store, "b@example.org");
    AddUser(store, "c@example.org");
    CHECK(*store.CountUsers("admin") == 1);
    CHECK(*store.CountUsers("customer") == 2);
    CHECK(*store.CountUsers("viewer") == 0);
    CHECK(*store.CountUsers("") == 3);
  }
}

void RunLoginThrottleContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto update = [&](const std::string& key, const store::LoginThrottle& next) {
    store::LoginThrottle seen;
    core::Result<store::LoginThrottle> stored =
        store.UpdateLoginThrottle(key, [&](const store::LoginThrottle& current) {
          seen = current;
          return next;
        });
    REQUIRE_MESSAGE(stored.ok(), stored.error().message);
    CHECK(stored->failures == next.failures);
    CHECK(stored->window_started_at == next.window_started_at);
    CHECK(stored->locked_until == next.locked_until);
    return seen;
  };
  const auto is_zero = [](const store::LoginThrottle& state) {
    return state.failures == 0 && state.window_started_at == 0 && state.locked_until == 0;
  };

  SUBCASE("an update sees the stored state (zero when none) and stores what it returns") {
    CHECK(is_zero(update("account:ada@example.org", {1, kT0, 0})));
    const store::LoginThrottle one = update("account:ada@example.org", {5, kT0, kT0 + 60'000});
    CHECK(one.failures == 1);
    CHECK(one.window_started_at == kT0);
    CHECK(one.locked_until == 0);
    const store::LoginThrottle five = update("account:ada@example.org", {5, kT0, kT0 + 60'000});
    CHECK(five.failures == 5);
    CHECK(five.locked_until == kT0 + 60'000);
    // Keys are independent.
    CHECK(is_zero(update("address:192.0.2.1", {1, kT0 + 1, 0})));
  }

  SUBCASE("a state that is all zero removes the key") {
    update("account:ada@example.org", {3, kT0, 0});
    CHECK(update("account:ada@example.org", {}).failures == 3);
    CHECK(is_zero(update("account:ada@example.org", {})));
    CHECK(is_zero(update("account:ada@example.org", {})));
  }

  SUBCASE("an empty key is refused") {
    core::Result<store::LoginThrottle> refused =
        store.UpdateLoginThrottle("", [](const store::LoginThrottle& current) { return current; });
    CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("updates from several threads at once are all counted, each seeing the previous one") {
    constexpr int kThreads = 8;
    constexpr int kPerThread = 25;
    std::vector<std::vector<int>> returned(kThreads);
    {
      std::vector<std::jthread> threads;
      threads.reserve(kThreads);
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&store, &returned, t] {
          for (int i = 0; i < kPerThread; ++i) {
            core::Result<store::LoginThrottle> next = store.UpdateLoginThrottle(
                "address:192.0.2.1", [](const store::LoginThrottle& current) {
                  store::LoginThrottle counted = current;
                  ++counted.failures;
                  counted.window_started_at = kT0;
                  return counted;
                });
            returned[t].push_back(next.ok() ? next->failures : -1);
          }
        });
      }
    }
    std::vector<int> all;
    for (const std::vector<int>& values : returned) {
      all.insert(all.end(), values.begin(), values.end());
    }
    std::sort(all.begin(), all.end());
    std::vector<int> expected(kThreads * kPerThread);
    for (int i = 0; i < kThreads * kPerThread; ++i) {
      expected[static_cast<std::size_t>(i)] = i + 1;
    }
    CHECK(all == expected);  // no update lost, none saw the same state as another
    CHECK(update("address:192.0.2.1", {}).failures == kThreads * kPerThread);
  }
}

}  // namespace store_contract
