// The audit area (store/audit_store.h: the append-only audit trail) of the store contract.
#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {
namespace {

store::AuditEntry MakeEntry(const std::string& action, TimeMs at, const std::string& target = "") {
  store::AuditEntry entry;
  entry.at = at;
  entry.actor = "user:1";
  entry.action = action;
  entry.target = target;
  entry.address = "192.0.2.1";
  entry.detail = R"({"why":"test"})";
  return entry;
}

store::AuditPage Page(store::Store& store, const store::AuditQuery& query) {
  core::Result<store::AuditPage> page = store.ListAudit(query);
  REQUIRE_MESSAGE(page.ok(), page.error().message);
  return std::move(page).value();
}

std::vector<std::string> Targets(const store::AuditPage& page) {
  std::vector<std::string> targets;
  for (const store::AuditEntry& entry : page.entries) {
    targets.push_back(entry.target);
  }
  return targets;
}

// Every page of `query` (from its first), as one list of targets; `pages` says how many.
std::vector<std::string> Walk(store::Store& store, store::AuditQuery query, int* pages) {
  std::vector<std::string> targets;
  *pages = 0;
  for (;;) {
    const store::AuditPage page = Page(store, query);
    REQUIRE(static_cast<int>(page.entries.size()) <= query.limit);
    ++*pages;
    for (const std::string& target : Targets(page)) {
      targets.push_back(target);
    }
    if (page.next_cursor.empty()) {
      return targets;
    }
    REQUIRE(*pages < 20);
    query.cursor = page.next_cursor;
  }
}

}  // namespace

void RunAuditContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("appended entries list newest first with every field and ascending ids") {
    store::AuditEntry login = MakeEntry("login", kT0, "user:1");
    login.id = 99;  // ignored
    CheckOk(store.AppendAudit(login));
    store::AuditEntry failed = MakeEntry("login_failed", kT0 + 1, "ada@example.org");
    failed.actor = "";
    failed.detail = "";
    CheckOk(store.AppendAudit(failed));

    const store::AuditPage page = Page(store, {});
    REQUIRE(page.entries.size() == 2);
    CHECK(page.next_cursor.empty());
    const store::AuditEntry& newest = page.entries[0];
    const store::AuditEntry& oldest = page.entries[1];
    CHECK(newest.id > oldest.id);
    CHECK(newest.at == kT0 + 1);
    CHECK(newest.actor.empty());
    CHECK(newest.action == "login_failed");
    CHECK(newest.target == "ada@example.org");
    CHECK(newest.detail == "{}");
    CHECK(oldest.at == kT0);
    CHECK(oldest.actor == "user:1");
    CHECK(oldest.action == "login");
    CHECK(oldest.target == "user:1");
    CHECK(oldest.address == "192.0.2.1");
    CHECK(oldest.detail == R"({"why":"test"})");
  }

  SUBCASE("pages follow an opaque cursor until next_cursor is empty") {
    std::vector<std::string> expected;
    for (int i = 0; i < 7; ++i) {
      const std::string target = "user:" + std::to_string(i);
      // Times need not ascend: the listing is in the order entries were appended.
      CheckOk(store.AppendAudit(MakeEntry("role_changed", kT0 - i, target)));
      expected.insert(expected.begin(), target);
    }
    int pages = 0;
    store::AuditQuery query;
    query.limit = 3;
    CHECK(Walk(store, query, &pages) == expected);
    CHECK(pages == 3);
    query.limit = 7;
    CHECK(Walk(store, query, &pages) == expected);
    CHECK(pages == 1);  // a full last page says it is the last
    query.limit = 1000;
    CHECK(Walk(store, query, &pages) == expected);

    // A page's cursor goes on below it, even after newer entries were appended.
    query.limit = 2;
    const store::AuditPage first = Page(store, query);
    CheckOk(store.AppendAudit(MakeEntry("role_changed", kT0, "user:new")));
    query.cursor = first.next_cursor;
    CHECK(Targets(Page(store, query)) == std::vector<std::string>{"user:4", "user:3"});
  }

  SUBCASE("the action filter, with its own pages") {
    for (int i = 0; i < 6; ++i) {
      const std::string action = i % 3 == 0 ? "login" : "logout";
      CheckOk(store.AppendAudit(MakeEntry(action, kT0 + i, "e" + std::to_string(i))));
    }
    int pages = 0;
    store::AuditQuery query;
    query.action = "logout";
    query.limit = 2;
    CHECK(Walk(store, query, &pages) == std::vector<std::string>{"e5", "e4", "e2", "e1"});
    CHECK(pages == 2);
    query.action = "login";
    CHECK(Walk(store, query, &pages) == std::vector<std::string>{"e3", "e0"});
    query.action = "user_deleted";
    CHECK(Walk(store, query, &pages).empty());
  }

  SUBCASE("an empty action and a cursor the listing did not return are refused") {
    CheckCode(store.AppendAudit(MakeEntry("", kT0)), ErrorCode::kInvalidArgument);
    CHECK(Page(store, {}).entries.empty());
    store::AuditQuery query;
    query.cursor = "yesterday";
    CHECK(store.ListAudit(query).error().code == ErrorCode::kInvalidArgument);
  }
}

}  // namespace store_contract
