#include "queue/worker_pool.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/random.h"
#include "mail/domain_rate_limiter.h"
#include "queue/lease_loop.h"

namespace queue {
namespace {

// The messages one leased batch loads at once, in bytes: 32 leased messages of 25 MB would be
// most of a gigabyte. The leases whose messages are past it go back to the queue at once (the
// first message is always loaded).
constexpr std::size_t kBatchMessageBytes = 16 << 20;

// Delivery as a handler of the lease loop: a batch loads its messages in one read, sends each
// (paced by the rate limiter, deferred when its recipient domain is over its rate) and records
// all outcomes in one commit.
class WorkerPoolImpl final : public WorkerPool, private LeaseHandler {
 public:
  WorkerPoolImpl(const WorkerOptions& options, store::JobQueue& jobs, store::EmailStore& emails,
                 mail::Transport& transport, mail::RateLimiter& limiter, const core::Clock& clock,
                 core::Logger& logger, DeliveryObserver& observer)
      : options_(options),
        jobs_(jobs),
        emails_(emails),
        transport_(transport),
        limiter_(limiter),
        clock_(clock),
        logger_(logger),
        observer_(observer),
        domains_(options.domain_rate),
        loop_({.kind = store::JobKind::kEmail,
               .threads = options.workers,
               .lease_batch = options.lease_batch,
               .lease_ms = options.lease_ms,
               .idle_poll_ms = options.idle_poll_ms,
               .log_prefix = ""},
              jobs, *this, clock, logger) {}

  // The loop's threads call into this object: they end before its members do.
  ~WorkerPoolImpl() override { loop_.Stop(); }

  void Start() override { loop_.Start(); }
  void Notify() override { loop_.Notify(); }
  bool Stop(core::TimeMs timeout_ms) override { return loop_.Stop(timeout_ms); }

 private:
  // Sends the leased jobs, then records all outcomes in one store call: one commit per batch
  // rather than per message. A crash in between re-sends at most this batch (at-least-once).
  // Without a send rate, Run only sorts the jobs out (deferred by their domain's rate, lease
  // lost, message missing) and Finish hands the rest to the transport as one SendBatch (one
  // pipelined SMTP session); with a send rate each job is paced and sent in Run, one by one.
  class Batch final : public LeaseBatch {
   public:
    Batch(WorkerPoolImpl& pool, const std::vector<store::Lease>& leases,
          std::vector<std::optional<store::EmailStore::RawMessage>> messages)
        : pool_(pool), leases_(leases), messages_(std::move(messages)) {
      attempts_.reserve(leases.size());
    }

    void Run(std::size_t index) override {
      const store::Lease& lease = leases_[index];
      if (index >= messages_.size()) {
        // Not loaded (the batch's messages reached kBatchMessageBytes): back to the queue now.
        pool_.loop_.Release(lease, pool_.clock_.NowMs());
        return;
      }
      const std::optional<store::EmailStore::RawMessage>& message = messages_[index];
      if (const core::TimeMs wait = pool_.DomainWait(message); wait > 0) {
        pool_.loop_.Release(lease, pool_.clock_.NowMs() + wait);
        return;
      }
      if (!pool_.HoldLease(lease)) return;
      if (!message.has_value()) {
        Add(lease,
            {mail::SendResult::Kind::kPermanent, 0, "the message is missing from the store"});
        return;
      }
      if (pool_.limiter_.rate() > 0) {
        pool_.Pace();
        Add(lease, pool_.transport_.Send({message->envelope_from, message->envelope_recipients},
                                         message->data));
        return;
      }
      pending_.push_back(index);
    }

    void Finish() override {
      if (!pending_.empty()) SendPending();
      pool_.Record(attempts_, attempted_);
    }

   private:
    void SendPending() {
      if (pool_.loop_.stopping()) {
        // Nothing of these went out yet: give them back rather than hold up the stop.
        for (const std::size_t index : pending_) pool_.loop_.Release(leases_[index]);
        return;
      }
      std::vector<mail::Envelope> envelopes;
      envelopes.reserve(pending_.size());
      std::vector<mail::Outgoing> batch;
      batch.reserve(pending_.size());
      for (const std::size_t index : pending_) {
        const store::EmailStore::RawMessage& message = *messages_[index];
        envelopes.push_back({message.envelope_from, message.envelope_recipients});
        batch.push_back({&envelopes.back(), &message.data});
      }
      // A slow server can keep a session going past half the lease: extend the batch's leases
      // from inside it, as a one-by-one sender does before each message.
      core::TimeMs earliest = leases_[pending_.front()].expires_at;
      for (const std::size_t index : pending_) {
        earliest = std::min(earliest, leases_[index].expires_at);
      }
      const auto extend = [&] {
        const core::TimeMs now = pool_.clock_.NowMs();
        if (earliest - now >= pool_.options_.lease_ms / 2) return;
        earliest = now + pool_.options_.lease_ms;
        for (const std::size_t index : pending_) {
          const store::Lease& lease = leases_[index];
          // A lost lease is reported when its outcome is recorded (the other holder's stands).
          (void)pool_.jobs_.Heartbeat(lease.job_id, lease.token, earliest);
        }
      };
      std::vector<mail::SendResult> results = pool_.transport_.SendBatch(batch, extend);
      for (std::size_t k = 0; k < pending_.size(); ++k) {
        Add(leases_[pending_[k]], k < results.size()
                                      ? std::move(results[k])
                                      : mail::SendResult{mail::SendResult::Kind::kTransient, 0,
                                                         "the transport returned no result"});
      }
    }

    void Add(const store::Lease& lease, const mail::SendResult& result) {
      attempts_.push_back({lease.job_id, lease.token, pool_.Outcome(lease, result)});
      attempted_.push_back(&lease);
    }

    WorkerPoolImpl& pool_;
    const std::vector<store::Lease>& leases_;
    const std::vector<std::optional<store::EmailStore::RawMessage>> messages_;
    std::vector<std::size_t> pending_;  // indexes of leases waiting for SendBatch
    std::vector<store::FinishedAttempt> attempts_;
    std::vector<const store::Lease*> attempted_;
  };

  std::unique_ptr<LeaseBatch> Open(const std::vector<store::Lease>& leases) override {
    std::vector<std::string> ids;
    ids.reserve(leases.size());
    for (const auto& lease : leases) ids.push_back(lease.ref_id);
    auto messages = emails_.GetRawMessages(ids, kBatchMessageBytes);
    if (!messages.ok()) {
      logger_.Error("messages could not be loaded", {{"error", messages.error().message}});
      return nullptr;
    }
    return std::make_unique<Batch>(*this, leases, std::move(*messages));
  }

  void Record(const std::vector<store::FinishedAttempt>& attempts,
              const std::vector<const store::Lease*>& attempted) {
    if (attempts.empty()) return;
    const core::TimeMs now = clock_.NowMs();
    auto statuses = jobs_.FinishDeliveries(attempts, now);
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

  // A lease that waited behind others in the batch may be close to expiring: extend it before
  // sending, and skip the job (false) if someone else already holds it.
  bool HoldLease(const store::Lease& lease) {
    if (lease.expires_at - clock_.NowMs() >= options_.lease_ms / 2) return true;
    return jobs_.Heartbeat(lease.job_id, lease.token, clock_.NowMs() + options_.lease_ms).ok();
  }

  // The outcome of one attempt, logged.
  store::DeliveryOutcome Outcome(const store::Lease& lease, const mail::SendResult& result) {
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
  core::TimeMs DomainWait(const std::optional<store::EmailStore::RawMessage>& message) {
    if (options_.domain_rate <= 0 || !message || message->envelope_recipients.empty()) return 0;
    const std::string& recipient = message->envelope_recipients.front();
    const auto at = recipient.rfind('@');
    if (at == std::string::npos) return 0;
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic().time_since_epoch())
            .count();
    return domains_.TryAcquire(std::string_view(recipient).substr(at + 1), now);
  }

  // Waits for a send-rate token; stopping cuts the wait short (the send still happens, so
  // the lease is used rather than wasted).
  void Pace() {
    const std::chrono::nanoseconds wait = limiter_.Reserve();
    if (wait.count() > 0) loop_.Pause(wait);
  }

  const WorkerOptions options_;
  store::JobQueue& jobs_;
  store::EmailStore& emails_;
  mail::Transport& transport_;
  mail::RateLimiter& limiter_;
  const core::Clock& clock_;
  core::Logger& logger_;
  DeliveryObserver& observer_;
  mail::DomainRateLimiter domains_;
  LeaseLoop loop_;  // last: its threads use the members above
};

}  // namespace

std::unique_ptr<WorkerPool> NewWorkerPool(const WorkerOptions& options, store::JobQueue& jobs,
                                          store::EmailStore& emails, mail::Transport& transport,
                                          mail::RateLimiter& limiter, const core::Clock& clock,
                                          core::Logger& logger, DeliveryObserver& observer) {
  return std::make_unique<WorkerPoolImpl>(options, jobs, emails, transport, limiter, clock, logger,
                                          observer);
}

}  // namespace queue
