// The one worker loop, driven on a FakeClock: Step's decisions directly, then the threads
// (idle waits, Notify, Stop) by advancing time and holding handlers at gates. No sleeps.
#include "queue/lease_loop.h"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "queue_fixture.h"

namespace {

using namespace std::chrono_literals;
using queue::LeaseLoop;
using queue_test::Fixture;
using queue_test::Gate;
using queue_test::kIdlePollMs;
using queue_test::kLeaseMs;
using store::EmailStatus;

// Runs each lease through `run` (by default: records it as sent) and remembers the leases.
class RecordingHandler final : public queue::LeaseHandler {
 public:
  explicit RecordingHandler(Fixture& fixture) : fixture_(fixture) {}

  std::function<void(const store::Lease&)> run = [this](const store::Lease& lease) {
    REQUIRE(fixture_.store
                ->FinishDelivery(lease.job_id, lease.token,
                                 {store::DeliveryOutcome::Kind::kSent, "250 ok", 0},
                                 fixture_.clock.NowMs())
                .ok());
  };

  std::unique_ptr<queue::LeaseBatch> Open(const std::vector<store::Lease>& leases) override {
    {
      std::lock_guard lock(mutex_);
      batch_sizes_.push_back(leases.size());
    }
    return std::make_unique<Batch>(*this, leases);
  }

  std::vector<store::Lease> leases() const {
    std::lock_guard lock(mutex_);
    return leases_;
  }
  std::vector<std::size_t> batch_sizes() const {
    std::lock_guard lock(mutex_);
    return batch_sizes_;
  }

 private:
  class Batch final : public queue::LeaseBatch {
   public:
    Batch(RecordingHandler& handler, const std::vector<store::Lease>& leases)
        : handler_(handler), leases_(leases) {}
    void Run(std::size_t index) override {
      {
        std::lock_guard lock(handler_.mutex_);
        handler_.leases_.push_back(leases_[index]);
      }
      handler_.run(leases_[index]);
    }

   private:
    RecordingHandler& handler_;
    const std::vector<store::Lease>& leases_;
  };

  Fixture& fixture_;
  mutable std::mutex mutex_;
  std::vector<store::Lease> leases_;
  std::vector<std::size_t> batch_sizes_;
};

queue::LoopOptions Options(int lease_batch = 8) {
  return {.kind = store::JobKind::kEmail,
          .threads = 1,
          .lease_batch = lease_batch,
          .lease_ms = kLeaseMs,
          .idle_poll_ms = kIdlePollMs,
          .log_prefix = ""};
}

}  // namespace

TEST_CASE("a step leases a batch, runs each lease, and looks again at once") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  LeaseLoop loop(Options(2), *fixture.store, handler, fixture.clock, *fixture.logger);
  for (const char* id : {"e1", "e2", "e3"}) fixture.Enqueue(id);
  const core::TimeMs now = fixture.clock.NowMs();

  CHECK(loop.Step(now) == now);
  CHECK(loop.Step(now) == now);
  CHECK(handler.batch_sizes() == std::vector<std::size_t>{2, 1});
  std::vector<std::string> ids;
  for (const store::Lease& lease : handler.leases()) {
    ids.push_back(lease.ref_id);
    CHECK(lease.attempt == 1);
    CHECK(lease.expires_at == now + kLeaseMs);
  }
  CHECK(ids == std::vector<std::string>{"e1", "e2", "e3"});
  for (const char* id : {"e1", "e2", "e3"}) CHECK(fixture.Get(id).status == EmailStatus::kSent);
}

TEST_CASE("an idle step waits for the next due job, at least 1 ms and at most idle_poll_ms") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  const core::TimeMs now = fixture.clock.NowMs();

  CHECK(loop.Step(now) == now + kIdlePollMs);  // nothing queued
  fixture.Enqueue("later", 5 * kIdlePollMs);
  CHECK(loop.Step(now) == now + kIdlePollMs);  // due after the cap
  fixture.Enqueue("soon", 250);
  CHECK(loop.Step(now) == now + 250);
  CHECK(loop.Step(now + 249) == now + 250);
  CHECK(handler.leases().empty());
  CHECK(loop.Step(now + 250) == now + 250);
  REQUIRE(handler.leases().size() == 1);
  CHECK(handler.leases()[0].ref_id == "soon");
}

TEST_CASE("a lease left by a crashed worker is leased again once it expires, its attempt spent") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  handler.run = [](const store::Lease&) {};  // the worker dies before recording anything
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  fixture.Enqueue("e1");
  const core::TimeMs now = fixture.clock.NowMs();

  CHECK(loop.Step(now) == now);
  // Held by the dead worker: the loop waits until the lease expires.
  CHECK(loop.Step(now + 1) == now + 1 + kIdlePollMs);
  CHECK(loop.Step(now + kLeaseMs - 10) == now + kLeaseMs);
  CHECK(loop.Step(now + kLeaseMs) == now + kLeaseMs);
  const std::vector<store::Lease> leases = handler.leases();
  REQUIRE(leases.size() == 2);
  CHECK(leases[1].job_id == leases[0].job_id);
  CHECK(leases[1].attempt == 2);
  CHECK(leases[1].token > leases[0].token);
}

TEST_CASE("after a restart, recovered leases run at once") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  handler.run = [](const store::Lease&) {};
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  fixture.Enqueue("e1");
  const core::TimeMs now = fixture.clock.NowMs();
  CHECK(loop.Step(now) == now);

  REQUIRE(*fixture.store->RecoverLeases(now + 5) == 1);  // what App does at start
  CHECK(loop.Step(now + 5) == now + 5);
  REQUIRE(handler.leases().size() == 2);
  CHECK(handler.leases()[1].attempt == 2);
}

TEST_CASE("a thread waits idle_poll_ms when nothing is due, and Notify wakes it") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  Gate ran;
  handler.run = [&](const store::Lease&) { ran.Open(); };
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  loop.Start();

  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{1000ms});
  fixture.Enqueue("e1");
  loop.Notify();
  CHECK(ran.Wait());  // the clock did not move
  CHECK(loop.Stop(8'000));
}

TEST_CASE("a thread waits until the next job is due on the clock") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  Gate ran;
  handler.run = [&](const store::Lease&) { ran.Open(); };
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  fixture.Enqueue("e1", 300);
  loop.Start();

  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{300ms});
  CHECK(handler.leases().empty());
  fixture.clock.Advance(300ms);
  CHECK(ran.Wait());
  CHECK(loop.Stop(8'000));
}

TEST_CASE("Stop lets the lease in flight finish and gives back the leases not started") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  Gate entered, release;
  const auto record_sent = handler.run;
  handler.run = [&](const store::Lease& lease) {
    entered.Open();
    CHECK(release.Wait());
    record_sent(lease);
  };
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  for (const char* id : {"e1", "e2", "e3"}) fixture.Enqueue(id);
  loop.Start();
  REQUIRE(entered.Wait());

  bool stopped = false;
  std::thread stopper([&] { stopped = loop.Stop(8'000); });
  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{8000ms});  // Stop waits
  release.Open();
  stopper.join();
  CHECK(stopped);

  CHECK(fixture.Get("e1").status == EmailStatus::kSent);
  for (const char* id : {"e2", "e3"}) {
    const store::Email email = fixture.Get(id);
    CHECK(email.status == EmailStatus::kQueued);
    CHECK(email.attempts == 0);
  }
  CHECK(handler.leases().size() == 1);
}

TEST_CASE("Stop is false while a lease is stuck past the timeout, and a later Stop waits") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  Gate entered, release;
  handler.run = [&](const store::Lease&) {
    entered.Open();
    CHECK(release.Wait());
  };
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  fixture.Enqueue("e1");
  loop.Start();
  REQUIRE(entered.Wait());

  bool stopped = true;
  std::thread stopper([&] { stopped = loop.Stop(8'000); });
  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{8000ms});
  fixture.clock.Advance(8'000ms);
  stopper.join();
  CHECK_FALSE(stopped);

  release.Open();
  CHECK(loop.Stop());
}

TEST_CASE("Pause waits the clock's time, and Stop cuts it short") {
  Fixture fixture;
  RecordingHandler handler(fixture);
  LeaseLoop loop(Options(), *fixture.store, handler, fixture.clock, *fixture.logger);
  Gate paused;
  handler.run = [&](const store::Lease&) {
    loop.Pause(2s);
    paused.Open();
    loop.Pause(10s);
  };
  fixture.Enqueue("e1");
  loop.Start();

  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{2000ms});
  fixture.clock.Advance(2s);
  REQUIRE(paused.Wait());
  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{10000ms});
  CHECK(loop.Stop(8'000));  // ends the pause; the thread exits without the clock moving
}
