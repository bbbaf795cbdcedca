#include "service/retention.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "testing/fake_clock.h"

namespace {

using store::PurgeKind;

constexpr core::TimeMs kStart = 1'700'000'000'000;
constexpr core::TimeMs kDay = service::Retention::kDayMs;

// A RetentionStore holding a number of purgeable rows per kind; records every call.
class CountingRetentionStore final : public store::RetentionStore {
 public:
  struct Call {
    PurgeKind kind;
    core::TimeMs cutoff;
    int limit;
  };

  core::Result<int> PurgeBefore(PurgeKind kind, core::TimeMs cutoff, int limit) override {
    std::lock_guard lock(mutex_);
    calls_.push_back({kind, cutoff, limit});
    if (fail_kind_ == kind) return core::Error{core::ErrorCode::kUnavailable, "disk full", ""};
    const int taken = std::min(left_[kind], limit);
    left_[kind] -= taken;
    return taken;
  }

  void Hold(PurgeKind kind, int rows) {
    std::lock_guard lock(mutex_);
    left_[kind] = rows;
  }
  void FailOn(PurgeKind kind) { fail_kind_ = kind; }
  std::vector<Call> Calls() {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  std::mutex mutex_;
  std::map<PurgeKind, int> left_;
  std::vector<Call> calls_;
  std::optional<PurgeKind> fail_kind_;
};

std::size_t Index(PurgeKind kind) {
  for (std::size_t i = 0; i < store::kPurgeKinds.size(); ++i) {
    if (store::kPurgeKinds[i] == kind) return i;
  }
  return 0;
}

struct Fixture {
  CountingRetentionStore store;
  std::unique_ptr<core::Logger> logger = core::NewNullLogger();
  service::Metrics metrics;
};

}  // namespace

TEST_CASE("retention purges each kind in bounded batches until a batch comes back short") {
  Fixture f;
  f.store.Hold(PurgeKind::kEmails, 2'500);
  f.store.Hold(PurgeKind::kFires, 3);
  service::Retention retention({.days = 30, .batch = 1'000}, f.store, *f.logger, f.metrics);

  core::Result<service::RetentionReport> report = retention.RunDue(kStart);
  REQUIRE(report.ok());
  CHECK(report->purged[Index(PurgeKind::kEmails)] == 2'500);
  CHECK(report->purged[Index(PurgeKind::kFires)] == 3);
  CHECK(report->Total() == 2'503);

  const std::vector<CountingRetentionStore::Call> calls = f.store.Calls();
  // Emails: 1000, 1000, 500 (short: done); every other kind: one empty or short batch.
  REQUIRE(calls.size() == 3 + store::kPurgeKinds.size() - 1);
  for (const auto& call : calls) {
    CHECK(call.cutoff == kStart - 30 * kDay);
    CHECK(call.limit == 1'000);
  }
  CHECK(calls[0].kind == PurgeKind::kEmails);
  CHECK(calls[2].kind == PurgeKind::kEmails);
  CHECK(calls[3].kind == PurgeKind::kCallbacks);
  // Emails go before the fires whose bodies they share.
  CHECK(Index(PurgeKind::kEmails) < Index(PurgeKind::kFires));
  CHECK(f.metrics.Render({}).find("outbox_purged_total{kind=\"emails\"} 2500") !=
        std::string::npos);
}

TEST_CASE("retention takes at most max_batches per kind in one run; the rest goes next run") {
  Fixture f;
  f.store.Hold(PurgeKind::kCallbacks, 10);
  service::Retention retention({.days = 1, .batch = 2, .max_batches = 3}, f.store, *f.logger,
                               f.metrics);
  CHECK(retention.RunDue(kStart)->purged[Index(PurgeKind::kCallbacks)] == 6);
  CHECK(retention.RunDue(kStart)->purged[Index(PurgeKind::kCallbacks)] == 4);
}

TEST_CASE("retention days = 0 keeps everything: the store is not asked") {
  Fixture f;
  f.store.Hold(PurgeKind::kEmails, 5);
  service::Retention retention({.days = 0}, f.store, *f.logger, f.metrics);
  CHECK(retention.RunDue(kStart)->Total() == 0);
  CHECK(f.store.Calls().empty());
}

TEST_CASE("a store error ends the run with the error; the next run starts over") {
  Fixture f;
  f.store.Hold(PurgeKind::kEmails, 5);
  f.store.FailOn(PurgeKind::kCallbacks);
  service::Retention retention({.days = 30, .batch = 10}, f.store, *f.logger, f.metrics);
  core::Result<service::RetentionReport> report = retention.RunDue(kStart);
  REQUIRE_FALSE(report.ok());
  CHECK(report.error().code == core::ErrorCode::kUnavailable);
  CHECK(f.store.Calls().size() == 2);  // emails, then the failing callbacks; nothing after
  // What was purged before the error still counts.
  CHECK(f.metrics.Render({}).find("outbox_purged_total{kind=\"emails\"} 5") != std::string::npos);
}

TEST_CASE("the retention loop runs at start and then once per interval of the injected clock") {
  Fixture f;
  testing::FakeClock clock(kStart);
  service::Retention retention({.days = 30}, f.store, *f.logger, f.metrics);
  const std::size_t per_run = store::kPurgeKinds.size();
  {
    service::RetentionLoop loop(retention, clock, 300'000);
    auto waits = clock.AwaitWaits(1);
    REQUIRE(waits.has_value());
    CHECK(waits->front() == std::chrono::milliseconds(300'000));
    CHECK(f.store.Calls().size() == per_run);
    CHECK(f.store.Calls().front().cutoff == kStart - 30 * kDay);

    clock.Advance(std::chrono::milliseconds(300'000));
    // The ended wait is no longer counted: this returns once the loop ran again and waits.
    REQUIRE(clock.AwaitWaits(1).has_value());
    CHECK(f.store.Calls().size() == 2 * per_run);
    CHECK(f.store.Calls().back().cutoff == kStart + 300'000 - 30 * kDay);
    loop.Stop();  // wakes the wait; returns without another run
  }
  CHECK(f.store.Calls().size() == 2 * per_run);
}
