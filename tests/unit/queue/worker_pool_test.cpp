// Delivery workers on the lease loop, on a FakeClock: batches, rate pacing, domain limits,
// fencing and a stuck send at shutdown. A thread that has gone idle (FakeClock::AwaitWaits)
// has finished everything that was due.
#include "queue/worker_pool.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include "mail/rate_limiter.h"
#include "queue_fixture.h"
#include "testing/recording_transport.h"

namespace {

using namespace std::chrono_literals;
using queue_test::Fixture;
using queue_test::Gate;
using queue_test::kIdlePollMs;
using queue_test::kLeaseMs;
using store::EmailStatus;

class CountingObserver final : public queue::DeliveryObserver {
 public:
  void OnAttempt(const store::DeliveryOutcome&, core::TimeMs) override { ++attempts; }
  std::atomic<int> attempts = 0;
};

// Holds the first send until released.
class StuckTransport final : public mail::Transport {
 public:
  mail::SendResult Send(const mail::Envelope&, const std::string&) override {
    entered.Open();
    CHECK(release.Wait());
    return {mail::SendResult::Kind::kSent, 250, "250 late"};
  }
  const char* Name() const override { return "stuck"; }

  Gate entered, release;
};

// A batch on a slow server: three quarters of a lease pass, the transport reports progress,
// then (still inside the batch) it tries to lease the jobs as a second worker would once their
// first leases had expired.
class SlowBatchTransport final : public mail::Transport {
 public:
  explicit SlowBatchTransport(Fixture& fixture) : fixture_(fixture) {}
  mail::SendResult Send(const mail::Envelope&, const std::string&) override {
    return {mail::SendResult::Kind::kSent, 250, "250 ok"};
  }
  std::vector<mail::SendResult> SendBatch(const std::vector<mail::Outgoing>& batch,
                                          const std::function<void()>& progress) override {
    fixture_.clock.Advance(std::chrono::milliseconds(kLeaseMs * 3 / 4));
    if (progress) progress();
    const core::TimeMs past_first_expiry = fixture_.clock.NowMs() + kLeaseMs / 2;
    auto stolen = fixture_.store->LeaseJobs(store::JobKind::kEmail, 10, past_first_expiry, 1000);
    REQUIRE(stolen.ok());
    stolen_ = stolen->size();
    return std::vector<mail::SendResult>(batch.size(), Send({}, {}));
  }
  const char* Name() const override { return "slow"; }
  std::atomic<std::size_t> stolen_ = 99;

 private:
  Fixture& fixture_;
};

queue::WorkerOptions Options() {
  queue::WorkerOptions options;
  options.workers = 1;
  options.lease_ms = kLeaseMs;
  options.idle_poll_ms = kIdlePollMs;
  return options;
}

struct Pool {
  Pool(Fixture& fixture, const queue::WorkerOptions& options, mail::Transport& transport,
       double send_rate = 0)
      : limiter(fixture.clock, send_rate, 1),
        pool(queue::NewWorkerPool(options, *fixture.store, *fixture.store, transport, limiter,
                                  fixture.clock, *fixture.logger, observer)) {}

  mail::RateLimiter limiter;
  CountingObserver observer;
  std::unique_ptr<queue::WorkerPool> pool;
};

}  // namespace

TEST_CASE("workers deliver what is due in batches and record every outcome") {
  Fixture fixture;
  testing::RecordingTransport transport;
  transport.FailNext(1, mail::SendResult::Kind::kTransient, 451, "451 try later");
  Pool pool(fixture, Options(), transport);
  for (int i = 0; i < 10; ++i) fixture.Enqueue("e" + std::to_string(i));
  pool.pool->Start();

  fixture.AwaitWaits();  // idle: all ten were tried
  CHECK(transport.send_count() == 10);
  CHECK(pool.observer.attempts == 10);
  const store::Email deferred = fixture.Get("e0");
  CHECK(deferred.status == EmailStatus::kDeferred);
  CHECK(deferred.last_reply == "451 try later");
  for (int i = 1; i < 10; ++i)
    CHECK(fixture.Get("e" + std::to_string(i)).status == EmailStatus::kSent);
  CHECK(pool.pool->Stop(8'000));
}

TEST_CASE("without a send rate a leased batch goes to the transport as one SendBatch") {
  Fixture fixture;
  testing::RecordingTransport transport;
  transport.FailNext(1, mail::SendResult::Kind::kPermanent, 550, "550 no such user");
  queue::WorkerOptions options = Options();
  options.lease_batch = 4;
  Pool pool(fixture, options, transport);
  for (int i = 0; i < 10; ++i) fixture.Enqueue("e" + std::to_string(i));
  pool.pool->Start();

  fixture.AwaitWaits();
  CHECK(transport.batch_sizes() == std::vector<std::size_t>{4, 4, 2});
  CHECK(pool.observer.attempts == 10);
  // One result per message, in order: the first message's refusal is its own.
  CHECK(fixture.Get("e0").status == EmailStatus::kFailed);
  CHECK(fixture.Get("e0").last_reply == "550 no such user");
  for (int i = 1; i < 10; ++i)
    CHECK(fixture.Get("e" + std::to_string(i)).status == EmailStatus::kSent);
  CHECK(pool.pool->Stop(8'000));
}

TEST_CASE("a batch loads its messages up to 16 MB; the leases past that go back to the queue") {
  Fixture fixture;
  testing::RecordingTransport transport;
  queue::WorkerOptions options = Options();
  options.lease_batch = 4;
  Pool pool(fixture, options, transport);
  // 10 MB each: the first two of a batch reach 16 MB, the other two are released unsent.
  for (int i = 0; i < 4; ++i)
    fixture.Enqueue("e" + std::to_string(i), 0, "ada@example.org", 10 << 20);
  pool.pool->Start();

  fixture.AwaitWaits();
  CHECK(transport.batch_sizes() == std::vector<std::size_t>{2, 2});
  CHECK(pool.observer.attempts == 4);
  for (int i = 0; i < 4; ++i) {
    const store::Email email = fixture.Get("e" + std::to_string(i));
    CHECK(email.status == EmailStatus::kSent);
    CHECK(email.attempts == 1);  // a release spends no attempt
  }
  CHECK(pool.pool->Stop(8'000));
}

TEST_CASE("a batch that outlasts half its lease extends the leases from inside the session") {
  Fixture fixture;
  SlowBatchTransport transport(fixture);
  Pool pool(fixture, Options(), transport);
  for (const char* id : {"e1", "e2", "e3"}) fixture.Enqueue(id);
  pool.pool->Start();

  fixture.AwaitWaits();
  CHECK(transport.stolen_ == 0);  // extended: nobody else could take them
  for (const char* id : {"e1", "e2", "e3"}) CHECK(fixture.Get(id).status == EmailStatus::kSent);
  CHECK(pool.pool->Stop(8'000));
}

TEST_CASE("sends wait for the rate limiter on the clock; Stop cuts the wait short, not the send") {
  Fixture fixture;
  testing::RecordingTransport transport;
  Pool pool(fixture, Options(), transport, /*send_rate=*/1);
  for (const char* id : {"e1", "e2", "e3"}) fixture.Enqueue(id);
  pool.pool->Start();

  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{1000ms});
  CHECK(transport.send_count() == 1);
  fixture.clock.Advance(1s);
  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{1000ms});
  CHECK(transport.send_count() == 2);

  CHECK(pool.pool->Stop(8'000));
  CHECK(transport.send_count() == 3);
  CHECK(transport.batch_sizes().empty());  // paced sends go one by one
  for (const char* id : {"e1", "e2", "e3"}) CHECK(fixture.Get(id).status == EmailStatus::kSent);
}

TEST_CASE("a message over its domain's rate goes back to the queue without spending an attempt") {
  Fixture fixture;
  testing::RecordingTransport transport;
  queue::WorkerOptions options = Options();
  options.domain_rate = 1;
  Pool pool(fixture, options, transport);
  fixture.Enqueue("first", 0, "a@slow.example");
  fixture.Enqueue("second", 0, "b@slow.example");
  fixture.Enqueue("other", 0, "c@fast.example");
  pool.pool->Start();

  // The idle wait runs to the deferred message's turn.
  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{1000ms});
  CHECK(transport.send_count() == 2);
  CHECK(fixture.Get("first").status == EmailStatus::kSent);
  CHECK(fixture.Get("other").status == EmailStatus::kSent);
  const store::Email waiting = fixture.Get("second");
  CHECK(waiting.status == EmailStatus::kQueued);
  CHECK(waiting.attempts == 0);

  fixture.clock.Advance(1s);
  fixture.AwaitWaits();
  CHECK(fixture.Get("second").status == EmailStatus::kSent);
  CHECK(fixture.Get("second").attempts == 1);
  CHECK(pool.pool->Stop(8'000));
}

TEST_CASE("an outcome arriving after the lease moved on is not recorded") {
  Fixture fixture;
  StuckTransport transport;
  Pool pool(fixture, Options(), transport);
  fixture.Enqueue("e1");
  pool.pool->Start();
  REQUIRE(transport.entered.Wait());

  // The lease expires while the send hangs, and another holder takes the job and fails it.
  fixture.clock.Advance(std::chrono::milliseconds(kLeaseMs + 1));
  auto leases =
      fixture.store->LeaseJobs(store::JobKind::kEmail, 1, fixture.clock.NowMs(), kLeaseMs);
  REQUIRE(leases.ok());
  REQUIRE(leases->size() == 1);
  REQUIRE(fixture.store
              ->FinishDelivery(leases->front().job_id, leases->front().token,
                               {store::DeliveryOutcome::Kind::kFailed, "550 other holder", 0},
                               fixture.clock.NowMs())
              .ok());

  transport.release.Open();
  fixture.AwaitWaits();  // the stale outcome has been offered and refused
  const store::Email email = fixture.Get("e1");
  CHECK(email.status == EmailStatus::kFailed);
  CHECK(email.last_reply == "550 other holder");
  CHECK(pool.observer.attempts == 0);
  CHECK(pool.pool->Stop(8'000));
}

TEST_CASE("Stop is false while a send is stuck past the timeout") {
  Fixture fixture;
  StuckTransport transport;
  // One job per lease: a batch that went to the transport finishes as a whole (one SMTP
  // session), so e2 is only left unstarted when it is not in e1's batch.
  queue::WorkerOptions options = Options();
  options.lease_batch = 1;
  Pool pool(fixture, options, transport);
  fixture.Enqueue("e1");
  fixture.Enqueue("e2");
  pool.pool->Start();
  REQUIRE(transport.entered.Wait());

  bool stopped = true;
  std::thread stopper([&] { stopped = pool.pool->Stop(8'000); });
  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{8000ms});
  fixture.clock.Advance(8'000ms);
  stopper.join();
  CHECK_FALSE(stopped);

  transport.release.Open();
  CHECK(pool.pool->Stop(8'000));
  CHECK(fixture.Get("e1").status == EmailStatus::kSent);
  CHECK(fixture.Get("e2").status == EmailStatus::kQueued);  // never leased
  CHECK(fixture.Get("e2").attempts == 0);
}
