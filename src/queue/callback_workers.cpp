#include "queue/callback_workers.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/random.h"
#include "hooks/signing.h"

namespace queue {

constexpr int kHttpGone = 410;
// How soon a callback waiting for its subject's earlier one is looked at again.
constexpr core::TimeMs kOrderRetryMs = 200;

store::DeliveryOutcome DecideCallbackOutcome(const hooks::CallbackAttempt& attempt, int number,
                                             int max_attempts, core::TimeMs now,
                                             const BackoffPolicy& policy, double unit) {
  using Kind = store::DeliveryOutcome::Kind;
  std::string reply = attempt.ok() ? "HTTP " + std::to_string(attempt.status) : attempt.error;
  if (attempt.ok()) return {Kind::kSent, std::move(reply), 0};
  if (attempt.refused || attempt.status == kHttpGone || number >= max_attempts) {
    return {Kind::kFailed, std::move(reply), 0};
  }
  return {Kind::kRetry, std::move(reply), now + BackoffDelay(policy, number, unit)};
}

namespace {

class CallbackWorkersImpl final : public CallbackWorkers {
 public:
  CallbackWorkersImpl(const CallbackOptions& options, store::Store& store,
                      hooks::CallbackSender& sender, const core::Clock& clock, core::Logger& logger)
      : options_(options), store_(store), sender_(sender), clock_(clock), logger_(logger) {}

  ~CallbackWorkersImpl() override { Stop(); }

  void Start() override {
    for (int i = 0; i < options_.workers; ++i) threads_.emplace_back([this] { Run(); });
  }

  void Notify() override {
    {
      std::lock_guard lock(mutex_);
      ++wakeups_;
    }
    wake_.notify_all();
  }

  void Stop() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
    threads_.clear();
  }

 private:
  void Run() {
    while (!IsStopping()) {
      auto leases = store_.LeaseJobs(store::JobKind::kCallback, options_.lease_batch,
                                     clock_.NowMs(), options_.lease_ms);
      if (!leases.ok()) {
        logger_.Error("callback lease failed", {{"error", leases.error().message}});
        Sleep(options_.idle_poll_ms);
        continue;
      }
      if (leases->empty()) {
        SleepUntilDue();
        continue;
      }
      for (const store::Lease& lease : *leases) {
        if (IsStopping()) {
          Release(lease);
        } else {
          Deliver(lease);
        }
      }
    }
  }

  void Deliver(const store::Lease& lease) {
    auto callback = store_.GetCallback(lease.ref_id);
    if (!callback.ok()) {
      logger_.Error("callback unreadable",
                    {{"callback_id", lease.ref_id}, {"error", callback.error().message}});
      Release(lease);
      return;
    }
    if (callback->earlier_pending) {
      // Its subject's earlier callback goes first; look again shortly.
      Release(lease, clock_.NowMs() + kOrderRetryMs);
      return;
    }
    store::CallbackOutcome outcome;
    outcome.disable_after = options_.disable_after;
    outcome.attempt.at = clock_.NowMs();
    if (callback->endpoint_disabled) {
      outcome.attempt.error = "endpoint disabled after repeated failures";
      outcome.delivery = {store::DeliveryOutcome::Kind::kFailed, outcome.attempt.error, 0};
    } else {
      const hooks::CallbackHeaders signed_headers = hooks::SignCallback(
          callback->payload, options_.salt, outcome.attempt.at, options_.jwt_ttl_ms);
      hooks::CallbackRequest request{
          callback->url,
          callback->payload,
          {{"Authorization", signed_headers.authorization},
           {std::string(hooks::kSignatureHeader), signed_headers.signature},
           {"X-Outbox-Event", callback->event}}};
      const hooks::CallbackAttempt attempt = sender_.Send(request);
      outcome.attempt.status_code = attempt.status;
      outcome.attempt.latency_ms = attempt.latency_ms;
      outcome.attempt.error = attempt.error;
      outcome.delivery =
          DecideCallbackOutcome(attempt, lease.attempt, lease.max_attempts, clock_.NowMs(),
                                options_.backoff, core::RandomUnit());
    }
    if (outcome.delivery.kind != store::DeliveryOutcome::Kind::kSent) {
      logger_.Info("callback not delivered", {{"callback_id", callback->id},
                                              {"event", callback->event},
                                              {"attempt", lease.attempt},
                                              {"error", outcome.attempt.error}});
    }
    auto finished = store_.FinishCallback(lease.job_id, lease.token, outcome, clock_.NowMs());
    if (!finished.ok()) {
      logger_.Warn("callback outcome not recorded",
                   {{"callback_id", callback->id}, {"error", finished.error().message}});
    }
  }

  void Release(const store::Lease& lease, std::optional<core::TimeMs> run_at = std::nullopt) {
    const core::TimeMs now = clock_.NowMs();
    if (auto released = store_.ReleaseLease(lease.job_id, lease.token, run_at.value_or(now), now);
        !released.ok()) {
      logger_.Warn("callback release failed", {{"error", released.error().message}});
    }
  }

  void SleepUntilDue() {
    core::TimeMs sleep_ms = options_.idle_poll_ms;
    auto next = store_.NextRunAt(store::JobKind::kCallback);
    if (next.ok() && next->has_value()) {
      sleep_ms = std::clamp<core::TimeMs>(**next - clock_.NowMs(), 1, options_.idle_poll_ms);
    }
    Sleep(sleep_ms);
  }

  void Sleep(core::TimeMs ms) {
    std::unique_lock lock(mutex_);
    const auto seen = wakeups_;
    wake_.wait_for(lock, std::chrono::milliseconds(ms),
                   [&] { return stopping_ || wakeups_ != seen; });
  }

  bool IsStopping() {
    std::lock_guard lock(mutex_);
    return stopping_;
  }

  const CallbackOptions options_;
  store::Store& store_;
  hooks::CallbackSender& sender_;
  const core::Clock& clock_;
  core::Logger& logger_;

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<CallbackWorkers> NewCallbackWorkers(const CallbackOptions& options,
                                                    store::Store& store,
                                                    hooks::CallbackSender& sender,
                                                    const core::Clock& clock,
                                                    core::Logger& logger) {
  return std::make_unique<CallbackWorkersImpl>(options, store, sender, clock, logger);
}

}  // namespace queue
