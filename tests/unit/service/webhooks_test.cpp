#include "service/webhooks.h"

#include <doctest/doctest.h>

#include <chrono>

#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  int wakes = 0;
  std::unique_ptr<service::WebhookService> webhooks;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    webhooks = std::make_unique<service::WebhookService>(
        *store, clock, [this] { ++wakes; }, 7);
  }
};

}  // namespace

TEST_CASE("webhooks: a replay queues the same callback again as a new one, due now") {
  Fixture f;
  const store::NewCallback original{"key_1", "http://app.example/hook",         "SENT",
                                    "em_1",  R"({"event":"SENT","id":"em_1"})", 0};
  auto first = f.store->EnqueueCallback(original, 3, f.clock.NowMs());
  REQUIRE(first.ok());
  f.clock.Advance(std::chrono::minutes(5));

  auto replayed = f.webhooks->Replay(*first);
  REQUIRE_MESSAGE(replayed.ok(), replayed.error().message);
  CHECK(*replayed != *first);
  CHECK(f.wakes == 1);
  auto again = f.store->GetCallback(*replayed);
  REQUIRE(again.ok());
  CHECK(again->owner == original.owner);
  CHECK(again->url == original.url);
  CHECK(again->event == original.event);
  CHECK(again->subject_id == original.subject_id);
  CHECK(again->payload == original.payload);
  CHECK(again->created_at == f.clock.NowMs());
  CHECK(again->state == "queued");
  // It goes out through the callback queue, with the attempts the service was given, now.
  auto leases = f.store->LeaseJobs(store::JobKind::kCallback, 10, f.clock.NowMs(), 60'000);
  REQUIRE(leases.ok());
  bool leased = false;
  for (const store::Lease& lease : *leases) {
    if (lease.ref_id == *replayed) {
      leased = true;
      CHECK(lease.max_attempts == 7);
    }
  }
  CHECK(leased);
}

TEST_CASE("webhooks: replaying an unknown callback is kNotFound and queues nothing") {
  Fixture f;
  auto replayed = f.webhooks->Replay("cb_00000000000000000000");
  REQUIRE_FALSE(replayed.ok());
  CHECK(replayed.error().code == core::ErrorCode::kNotFound);
  CHECK(f.wakes == 0);
  auto leases = f.store->LeaseJobs(store::JobKind::kCallback, 10, f.clock.NowMs(), 60'000);
  REQUIRE(leases.ok());
  CHECK(leases->empty());
}
