#include "queue/worker_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/random.h"
#include "mail/domain_rate_limiter.h"

namespace queue {
namespace {

class WorkerPoolImpl final : public WorkerPool {
 public:
  WorkerPoolImpl(const WorkerOptions& options, store::Store& store, mail::Transport& transport,
                 mail::RateLimiter& limiter, const core::Clock& clock, core::Logger& logger,
                 DeliveryObserver& observer)
      : options_(options),
        store_(store),
        transport_(transport),
        limiter_(limiter),
        clock_(clock),
        logger_(logger),
        observer_(observer),
        domains_(options.domain_rate) {}

  ~WorkerPoolImpl() override {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& thread : threads_) thread.join();
  }

  void Start() override {
    for (int i = 0; i < options_.workers; ++i) {
      threads_.emplace_back([this] { Run(); });
    }
  }

  void Notify() override {
    {
      std::lock_guard lock(mutex_);
      ++wakeups_;
    }
    wake_.notify_all();
  }

  bool Stop(core::TimeMs timeout_ms) override {
    {
      std::lock_guard lock(mutex_);
      if (threads_.empty()) return true;
      stopping_ = true;
    }
    wake_.notify_all();
    std::unique_lock lock(mutex_);
    const bool all_exited = exited_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [this] {
      return exited_count_ == static_cast<int>(threads_.size());
    });
    lock.unlock();
    if (!all_exited) return false;  // the caller exits the process; leases are recovered later
    for (auto& thread : threads_) thread.join();
    threads_.clear();
    return true;
  }

 private:
  void Run() {
    while (!IsStopping()) {
      auto leases = store_.LeaseJobs(store::JobKind::kEmail, options_.lease_batch, clock_.NowMs(),
                                     options_.lease_ms);
      if (!leases.ok()) {
        logger_.Error("lease failed", {{"error", leases.error().message}});
        Sleep(options_.idle_poll_ms);
        continue;
      }
      if (leases->empty()) {
        SleepUntilDue();
        continue;
      }
      DeliverBatch(*leases);
    }
    std::lock_guard lock(mutex_);
    ++exited_count_;
    exited_.notify_all();
  }

  // Sends each leased job, then records all outcomes in one store call: one commit per batch
  // rather than per message. A crash in between re-sends at most this batch (at-least-once).
  void DeliverBatch(const std::vector<store::Lease>& leases) {
    std::vector<std::string> ids;
    for (const auto& lease : leases) ids.push_back(lease.ref_id);
    auto messages = store_.GetRawMessages(ids);
    if (!messages.ok()) {
      logger_.Error("messages could not be loaded", {{"error", messages.error().message}});
      for (const auto& lease : leases) Release(lease);
      return;
    }
    std::vector<store::FinishedAttempt> attempts;
    std::vector<const store::Lease*> attempted;
    attempts.reserve(leases.size());
    for (std::size_t i = 0; i < leases.size(); ++i) {
      const store::Lease& lease = leases[i];
      if (IsStopping()) {
        Release(lease);
        continue;
      }
      if (const core::TimeMs wait = DomainWait((*messages)[i]); wait > 0) {
        Release(lease, clock_.NowMs() + wait);
        continue;
      }
      auto outcome = Deliver(lease, (*messages)[i]);
      if (!outcome.has_value()) continue;
      attempts.push_back({lease.job_id, lease.token, std::move(*outcome)});
      attempted.push_back(&lease);
    }
    if (attempts.empty()) return;
    const core::TimeMs now = clock_.NowMs();
    auto statuses = store_.FinishDeliveries(attempts, now);
    if (!statuses.ok()) {
      // Nothing was recorded; the leases expire and the jobs run again.
      logger_.Error("delivery outcomes not recorded",
                    {{"jobs", attempts.size()}, {"error", statuses.error().message}});
      return;
    }
    for (std::size_t i = 0; i < attempts.size(); ++i) {
      const store::Lease& lease = *attempted[i];
      if (!(*statuses)[i].ok()) {
        // The lease moved on (expired and re-leased): the other holder's outcome stands.
        logger_.Warn("delivery outcome not recorded", {{"email_id", lease.ref_id},
                                                       {"job_id", lease.job_id},
                                                       {"error", (*statuses)[i].error().message}});
        continue;
      }
      observer_.OnAttempt(attempts[i].outcome, now - lease.created_at);
    }
  }

  // One attempt; nullopt if the lease was lost before sending.
  std::optional<store::DeliveryOutcome> Deliver(
      const store::Lease& lease, const std::optional<store::Store::RawMessage>& message) {
    // A lease that waited behind others in the batch may be close to expiring: extend it
    // first, and skip the job if someone else already holds it.
    if (lease.expires_at - clock_.NowMs() < options_.lease_ms / 2) {
      auto extended =
          store_.Heartbeat(lease.job_id, lease.token, clock_.NowMs() + options_.lease_ms);
      if (!extended.ok()) return std::nullopt;
    }
    mail::SendResult result;
    if (!message.has_value()) {
      result = {mail::SendResult::Kind::kPermanent, 0, "the message is missing from the store"};
    } else {
      Pace();
      result =
          transport_.Send({message->envelope_from, message->envelope_recipients}, message->data);
    }
    auto outcome = DecideOutcome(result, lease.attempt, lease.max_attempts, clock_.NowMs(),
                                 options_.backoff, core::RandomUnit());
    // Successes are in each email's event timeline; retries and failures are worth a line.
    const nlohmann::json fields = {{"email_id", lease.ref_id},
                                   {"job_id", lease.job_id},
                                   {"attempt", lease.attempt},
                                   {"reply", outcome.reply}};
    switch (outcome.kind) {
      case store::DeliveryOutcome::Kind::kSent: logger_.Debug("delivered", fields); break;
      case store::DeliveryOutcome::Kind::kRetry: logger_.Info("deferred", fields); break;
      case store::DeliveryOutcome::Kind::kFailed: logger_.Warn("failed", fields); break;
    }
    return outcome;
  }

  // How long the message's recipient domain must wait for a token (0: send now).
  core::TimeMs DomainWait(const std::optional<store::Store::RawMessage>& message) {
    if (options_.domain_rate <= 0 || !message || message->envelope_recipients.empty()) return 0;
    const std::string& recipient = message->envelope_recipients.front();
    const auto at = recipient.rfind('@');
    if (at == std::string::npos) return 0;
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic().time_since_epoch())
            .count();
    return domains_.TryAcquire(std::string_view(recipient).substr(at + 1), now);
  }

  void Release(const store::Lease& lease, std::optional<core::TimeMs> run_at = std::nullopt) {
    const core::TimeMs now = clock_.NowMs();
    auto released = store_.ReleaseLease(lease.job_id, lease.token, run_at.value_or(now), now);
    if (!released.ok()) {
      logger_.Warn("release failed",
                   {{"job_id", lease.job_id}, {"error", released.error().message}});
    }
  }

  // Waits for a send-rate token; stopping cuts the wait short (the send still happens, so
  // the lease is used rather than wasted).
  void Pace() {
    auto wait = limiter_.Reserve();
    if (wait.count() <= 0) return;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [this] { return stopping_; });
  }

  void SleepUntilDue() {
    core::TimeMs sleep_ms = options_.idle_poll_ms;
    auto next = store_.NextRunAt(store::JobKind::kEmail);
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

  const WorkerOptions options_;
  store::Store& store_;
  mail::Transport& transport_;
  mail::RateLimiter& limiter_;
  const core::Clock& clock_;
  core::Logger& logger_;
  DeliveryObserver& observer_;
  mail::DomainRateLimiter domains_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable exited_;
  bool stopping_ = false;
  std::uint64_t wakeups_ = 0;
  int exited_count_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace

std::unique_ptr<WorkerPool> NewWorkerPool(const WorkerOptions& options, store::Store& store,
                                          mail::Transport& transport, mail::RateLimiter& limiter,
                                          const core::Clock& clock, core::Logger& logger,
                                          DeliveryObserver& observer) {
  return std::make_unique<WorkerPoolImpl>(options, store, transport, limiter, clock, logger,
                                          observer);
}

}  // namespace queue
