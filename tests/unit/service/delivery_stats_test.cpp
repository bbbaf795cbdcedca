#include "service/delivery_stats.h"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/recording_transport.h"
#include "testing/temp_dir.h"

namespace {

using Kind = store::DeliveryOutcome::Kind;
using std::chrono::milliseconds;

// A fresh SQLite store, a recording transport, 5 messages a second (burst 5) over all and 2 per
// domain, the store read at most once a second.
struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  testing::RecordingTransport transport;
  mail::RateLimiter limiter{clock, 5.0, 5.0};
  std::unique_ptr<service::DeliveryStats> stats;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    stats = std::make_unique<service::DeliveryStats>(*store, transport, limiter, 2.0, clock, 1'000);
  }

  // Stores an email now and finishes its one attempt `after` ms later with `kind`.
  void Deliver(const std::string& id, core::TimeMs after, Kind kind,
               const std::string& reply = "250 ok") {
    store::NewEmail email;
    email.id = id;
    email.from = "app@example.com";
    email.to = {"ada@example.org"};
    email.envelope_from = "app@example.com";
    email.envelope_recipients = {"ada@example.org"};
    email.subject = "About " + id;
    email.raw_message = "Subject: x\r\n\r\nBody\r\n";
    email.max_attempts = 3;
    email.owner = "key-1";
    REQUIRE(store->CreateEmail(email, std::nullopt, clock.NowMs()).ok());
    clock.Advance(milliseconds(after));
    auto leases = store->LeaseJobs(store::JobKind::kEmail, 1, clock.NowMs(), 30'000);
    REQUIRE(leases.ok());
    REQUIRE(leases->size() == 1);
    store::DeliveryOutcome outcome;
    outcome.kind = kind;
    outcome.reply = reply;
    outcome.retry_at = clock.NowMs() + 3'600'000;
    REQUIRE(
        store->FinishDelivery(leases->front().job_id, leases->front().token, outcome, clock.NowMs())
            .ok());
  }
};

}  // namespace

TEST_CASE("latency percentiles are nearest-rank") {
  CHECK(service::SummarizeLatencies({}).samples == 0);
  CHECK_FALSE(service::SummarizeLatencies({}).p50_ms.has_value());
  const auto one = service::SummarizeLatencies({700});
  CHECK(one.p50_ms == 700);
  CHECK(one.p95_ms == 700);
  // 1..20 in any order: the 10th and the 19th.
  std::vector<core::TimeMs> twenty;
  for (core::TimeMs i = 20; i >= 1; --i) twenty.push_back(i * 100);
  const auto summary = service::SummarizeLatencies(twenty);
  CHECK(summary.samples == 20);
  CHECK(summary.p50_ms == 1'000);
  CHECK(summary.p95_ms == 1'900);
  const auto two = service::SummarizeLatencies({5'000, 2'000});
  CHECK(two.p50_ms == 2'000);
  CHECK(two.p95_ms == 5'000);
}

TEST_CASE("delivery latency is over the last hour of sends, read at most once per ttl") {
  Fixture f;
  f.Deliver("old", 90'000, Kind::kSent);  // sent 90 s after it was due
  f.clock.Advance(milliseconds(3'600'000));
  for (int i = 1; i <= 4; ++i) f.Deliver("new" + std::to_string(i), i * 1'000, Kind::kSent);

  auto overview = f.stats->Get();
  REQUIRE(overview.ok());
  CHECK(overview->latency.samples == 4);  // "old" is out of the window
  CHECK(overview->latency.p50_ms == 2'000);
  CHECK(overview->latency.p95_ms == 4'000);

  // Within the ttl the store is not read again; once it has passed, it is.
  f.Deliver("next", 500, Kind::kSent);
  CHECK(f.stats->Get()->latency.samples == 4);
  f.clock.Advance(milliseconds(500));
  CHECK(f.stats->Get()->latency.samples == 5);
}

TEST_CASE("the overview lists recent failures with their replies, the transport and the limits") {
  Fixture f;
  f.Deliver("deferred", 1'000, Kind::kRetry, "451 4.7.1 greylisted");
  f.Deliver("failed", 1'000, Kind::kFailed, "550 5.1.1 no such user");
  f.Deliver("sent", 1'000, Kind::kSent);

  auto overview = f.stats->Get();
  REQUIRE(overview.ok());
  REQUIRE(overview->recent_failures.size() == 2);
  CHECK(overview->recent_failures[0].email_id == "failed");
  CHECK(overview->recent_failures[0].type == "failed");
  CHECK(overview->recent_failures[0].reply == "550 5.1.1 no such user");
  CHECK(overview->recent_failures[0].subject == "About failed");
  CHECK(overview->recent_failures[1].email_id == "deferred");
  CHECK(overview->recent_failures[1].reply == "451 4.7.1 greylisted");

  CHECK(overview->transport.kind == "recording");
  CHECK(overview->rate_limit.send_rate == 5.0);
  CHECK(overview->rate_limit.burst == 5.0);
  CHECK(overview->rate_limit.tokens == 5.0);
  CHECK(overview->rate_limit.domain_rate == 2.0);
  (void)f.limiter.Reserve();
  CHECK(f.stats->Get()->rate_limit.tokens == doctest::Approx(4.0));  // read live, not cached

  mail::RateLimiter unlimited(f.clock, 0, 1);
  service::DeliveryStats open(*f.store, f.transport, unlimited, 0, f.clock, 1'000);
  auto open_overview = open.Get();
  REQUIRE(open_overview.ok());
  CHECK_FALSE(open_overview->rate_limit.send_rate.has_value());
  CHECK_FALSE(open_overview->rate_limit.tokens.has_value());
  CHECK_FALSE(open_overview->rate_limit.domain_rate.has_value());
}
