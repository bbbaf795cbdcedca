#include "service/keys.h"

#include <doctest/doctest.h>

#include <chrono>

#include "auth/auth.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<service::KeyService> keys;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    authenticator = std::make_unique<auth::Authenticator>(*store, clock);
    keys = std::make_unique<service::KeyService>(*store, *authenticator, clock);
  }
  std::string AddAdmin(const std::string& name, std::optional<core::TimeMs> expires_at) {
    service::NewKey request;
    request.name = name;
    request.role = auth::Role::kAdmin;
    request.expires_at = expires_at;
    auto issued = keys->Create(request);
    REQUIRE(issued.ok());
    return issued->key.id;
  }
};

}  // namespace

TEST_CASE("keys: the last unexpired admin key cannot be deleted, whatever expired ones remain") {
  Fixture f;
  const std::string expiring = f.AddAdmin("expiring", f.clock.NowMs() + 1000);
  const std::string lasting = f.AddAdmin("lasting", std::nullopt);
  f.clock.Advance(std::chrono::milliseconds(1000));  // "expiring" is expired from now on
  auto refused = f.keys->Delete(lasting);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == core::ErrorCode::kFailedPrecondition);
  // The expired one can go; then "lasting" is still the last and still kept.
  CHECK(f.keys->Delete(expiring).ok());
  CHECK(f.keys->Delete(lasting).error().code == core::ErrorCode::kFailedPrecondition);
  // With a second unexpired admin key either may go.
  const std::string second = f.AddAdmin("second", std::nullopt);
  CHECK(f.keys->Delete(lasting).ok());
  CHECK(f.keys->Delete(second).error().code == core::ErrorCode::kFailedPrecondition);
}
