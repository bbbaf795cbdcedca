// Status-callback workers on the lease loop, on a FakeClock: signing, sending and recording,
// and the 200 ms re-check of a callback that waits for its subject's earlier one.
#include "queue/callback_workers.h"

#include <doctest/doctest.h>

#include <chrono>
#include <mutex>
#include <string>
#include <vector>

#include "hooks/signing.h"
#include "queue_fixture.h"

namespace {

using namespace std::chrono_literals;
using queue_test::Fixture;
using queue_test::kIdlePollMs;

class RecordingSender final : public hooks::CallbackSender {
 public:
  hooks::CallbackAttempt Send(const hooks::CallbackRequest& request) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    hooks::CallbackAttempt attempt;
    attempt.status = 204;
    return attempt;
  }
  std::vector<hooks::CallbackRequest> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<hooks::CallbackRequest> requests_;
};

std::string Enqueue(Fixture& fixture, const std::string& event, core::TimeMs delay_ms = 0) {
  store::NewCallback callback{"key-1",
                              "https://hooks.example/status",
                              event,
                              "em_1",
                              R"({"event":")" + event + R"("})",
                              delay_ms > 0 ? fixture.clock.NowMs() + delay_ms : 0};
  auto id =
      fixture.store->EnqueueCallback(callback, store::kCallbackAttempts, fixture.clock.NowMs());
  REQUIRE(id.ok());
  return *id;
}

std::unique_ptr<queue::CallbackWorkers> Workers(Fixture& fixture, hooks::CallbackSender& sender) {
  queue::CallbackOptions options;
  options.workers = 1;
  options.idle_poll_ms = kIdlePollMs;
  options.salt = "test-salt";
  return queue::NewCallbackWorkers(options, *fixture.store, *fixture.store, sender, fixture.clock,
                                   *fixture.logger);
}

}  // namespace

TEST_CASE("a callback is signed, sent and recorded as delivered") {
  Fixture fixture;
  RecordingSender sender;
  const std::string id = Enqueue(fixture, "SENT");
  auto workers = Workers(fixture, sender);
  workers->Start();

  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{1000ms});  // idle
  const std::vector<hooks::CallbackRequest> requests = sender.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].url == "https://hooks.example/status");
  CHECK(requests[0].body == R"({"event":"SENT"})");
  REQUIRE(requests[0].headers.size() == 3);
  CHECK(requests[0].headers[0].first == "Authorization");
  CHECK(requests[0].headers[0].second.rfind("Bearer ", 0) == 0);
  CHECK(requests[0].headers[1].first == hooks::kSignatureHeader);
  CHECK(requests[0].headers[2] == std::pair<std::string, std::string>{"X-Outbox-Event", "SENT"});
  CHECK(fixture.store->GetCallback(id)->state == "done");
  workers->Stop();
}

TEST_CASE("a callback waiting for its subject's earlier one is looked at again in 200 ms") {
  Fixture fixture;
  RecordingSender sender;
  // The earlier one was tried and waits for its retry, 10 s from now.
  Enqueue(fixture, "PROCESSING");
  auto leases =
      fixture.store->LeaseJobs(store::JobKind::kCallback, 1, fixture.clock.NowMs(), 60'000);
  REQUIRE(leases.ok());
  REQUIRE(leases->size() == 1);
  store::CallbackOutcome retry;
  retry.attempt.at = fixture.clock.NowMs();
  retry.attempt.status_code = 503;
  retry.attempt.error = "HTTP 503";
  retry.delivery = {store::DeliveryOutcome::Kind::kRetry, "HTTP 503",
                    fixture.clock.NowMs() + 10'000};
  REQUIRE(fixture.store
              ->FinishCallback(leases->front().job_id, leases->front().token, retry,
                               fixture.clock.NowMs())
              .ok());
  const std::string later = Enqueue(fixture, "SENT");
  auto workers = Workers(fixture, sender);
  workers->Start();

  CHECK(fixture.AwaitWaits() == std::vector<std::chrono::milliseconds>{200ms});
  CHECK(sender.requests().empty());
  const store::Callback waiting = *fixture.store->GetCallback(later);
  CHECK(waiting.state == "queued");
  CHECK(waiting.attempts == 0);
  workers->Stop();
}
