#include "testing/fault_store.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;

store::NewEmail MakeEmail(const std::string& id) {
  store::NewEmail email;
  email.id = id;
  email.raw_message = "Subject: x\r\n\r\nbody\r\n";
  return email;
}

}  // namespace

TEST_CASE("fault store: fails the chosen call once and forwards the rest") {
  testing::TempDir directory;
  store::SqliteOptions options;
  options.path = directory.File("outbox.db");
  core::Result<std::unique_ptr<store::Store>> inner = store::OpenSqliteStore(options);
  REQUIRE(inner.ok());
  testing::FaultStore store(**inner);

  SUBCASE("the Nth call") {
    store.FailNthCall("CreateEmail", 2);
    CHECK(store.CreateEmail(MakeEmail("a"), std::nullopt, 1).ok());
    core::Result<store::CreateEmailResult> failed =
        store.CreateEmail(MakeEmail("b"), std::nullopt, 1);
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == ErrorCode::kUnavailable);
    CHECK(failed.error().message.find("CreateEmail") != std::string::npos);
    CHECK(store.CreateEmail(MakeEmail("c"), std::nullopt, 1).ok());
    CHECK(store.Calls("CreateEmail") == 3);
    CHECK(store.Injected() == 1);
    // The failed call never reached the real store.
    CHECK(store.GetEmail("b").error().code == ErrorCode::kNotFound);
    CHECK(store.GetEmail("c").ok());
  }

  SUBCASE("all writes while switched on; reads still pass") {
    REQUIRE(store.CreateEmail(MakeEmail("a"), std::nullopt, 1).ok());
    store.FailWrites(true);
    CHECK(store.CreateEmail(MakeEmail("b"), std::nullopt, 1).error().code ==
          ErrorCode::kUnavailable);
    CHECK(store.LeaseJobs(store::JobKind::kEmail, 10, 1, 1000).error().code ==
          ErrorCode::kUnavailable);
    CHECK(store.CancelEmail("a", 1).error().code == ErrorCode::kUnavailable);
    CHECK(store.GetEmail("a").ok());
    CHECK(store.Ping().ok());
    store.FailWrites(false);
    CHECK(store.CancelEmail("a", 1).ok());
  }

  SUBCASE("n <= 0 disarms") {
    store.FailNthCall("Ping", 1);
    store.FailNthCall("Ping", 0);
    CHECK(store.Ping().ok());
    CHECK(store.Injected() == 0);
  }
}
