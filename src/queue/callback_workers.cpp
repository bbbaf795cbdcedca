#include "queue/callback_workers.h"

#include <memory>
#include <string>
#include <vector>

#include "core/random.h"
#include "hooks/signing.h"
#include "queue/lease_loop.h"

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

// Status callbacks as a handler of the lease loop: each lease is signed, sent and recorded on
// its own.
class CallbackWorkersImpl final : public CallbackWorkers, private LeaseHandler {
 public:
  CallbackWorkersImpl(const CallbackOptions& options, store::JobQueue& jobs,
                      store::CallbackStore& callbacks, hooks::CallbackSender& sender,
                      const core::Clock& clock, core::Logger& logger)
      : options_(options),
        callbacks_(callbacks),
        sender_(sender),
        clock_(clock),
        logger_(logger),
        loop_({.kind = store::JobKind::kCallback,
               .threads = options.workers,
               .lease_batch = options.lease_batch,
               .lease_ms = options.lease_ms,
               .idle_poll_ms = options.idle_poll_ms,
               .log_prefix = "callback "},
              jobs, *this, clock, logger) {}

  // The loop's threads call into this object: they end before its members do.
  ~CallbackWorkersImpl() override { loop_.Stop(); }

  void Start() override { loop_.Start(); }
  void Notify() override { loop_.Notify(); }
  void Stop() override { loop_.Stop(); }

 private:
  class Batch final : public LeaseBatch {
   public:
    Batch(CallbackWorkersImpl& workers, const std::vector<store::Lease>& leases)
        : workers_(workers), leases_(leases) {}
    void Run(std::size_t index) override { workers_.Deliver(leases_[index]); }

   private:
    CallbackWorkersImpl& workers_;
    const std::vector<store::Lease>& leases_;
  };

  std::unique_ptr<LeaseBatch> Open(const std::vector<store::Lease>& leases) override {
    return std::make_unique<Batch>(*this, leases);
  }

  void Deliver(const store::Lease& lease) {
    auto callback = callbacks_.GetCallback(lease.ref_id);
    if (!callback.ok()) {
      logger_.Error("callback unreadable",
                    {{"callback_id", lease.ref_id}, {"error", callback.error().message}});
      loop_.Release(lease);
      return;
    }
    if (callback->earlier_pending) {
      // Its subject's earlier callback goes first; look again shortly.
      loop_.Release(lease, clock_.NowMs() + kOrderRetryMs);
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
    auto finished = callbacks_.FinishCallback(lease.job_id, lease.token, outcome, clock_.NowMs());
    if (!finished.ok()) {
      logger_.Warn("callback outcome not recorded",
                   {{"callback_id", callback->id}, {"error", finished.error().message}});
    }
  }

  const CallbackOptions options_;
  store::CallbackStore& callbacks_;
  hooks::CallbackSender& sender_;
  const core::Clock& clock_;
  core::Logger& logger_;
  LeaseLoop loop_;  // last: its threads use the members above
};

}  // namespace

std::unique_ptr<CallbackWorkers> NewCallbackWorkers(
    const CallbackOptions& options, store::JobQueue& jobs, store::CallbackStore& callbacks,
    hooks::CallbackSender& sender, const core::Clock& clock, core::Logger& logger) {
  return std::make_unique<CallbackWorkersImpl>(options, jobs, callbacks, sender, clock, logger);
}

}  // namespace queue
