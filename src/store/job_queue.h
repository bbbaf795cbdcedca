#pragma once
// The job queue: leasing runnable jobs of one kind, extending and giving back leases, applying
// delivery outcomes, and recovering leases that no live worker holds. See src/store/README.md for
// what leases, fencing tokens and recovery promise.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

// A leased job and what its handler needs to run it.
struct Lease {
  std::int64_t job_id = 0;
  // Fencing token: strictly greater than every token handed out before, by any caller of the
  // same store. Every call that acts on the lease passes it back.
  std::int64_t token = 0;
  std::string kind;    // JobKindName of the job's kind
  std::string ref_id;  // the email id for kind "email", the callback id for "callback"
  int attempt = 0;     // 1 for the first attempt
  int max_attempts = 0;
  TimeMs expires_at = 0;
  TimeMs created_at = 0;  // when the job was enqueued (for latency)
};

struct FinishedAttempt {
  std::int64_t job_id = 0;
  std::int64_t token = 0;
  DeliveryOutcome outcome;
};

struct QueueStats {
  std::int64_t queued = 0, leased = 0, done = 0, dead = 0, cancelled = 0;
  std::int64_t scheduled = 0;  // queued with run_at in the future (included in queued)
  // Persistent counters: survive restarts.
  std::int64_t enqueued_total = 0, sent_total = 0, failed_total = 0, retried_total = 0;
};

class JobQueue {
 public:
  virtual ~JobQueue() = default;

  // Leases up to `max` runnable jobs: queued with run_at <= now, and leased ones whose lease
  // expired (their attempt counts as spent), by priority then run_at. Each gets a new fencing
  // token and expires at now + lease_ms; the email turns "sending". Since expired and recovered
  // leases count as spent attempts, Lease::attempt can exceed max_attempts (a message that keeps
  // killing its worker): the caller should dead-letter such a lease instead of delivering it.
  // A job is held by at most one unexpired lease at a time, however many callers lease at once.
  virtual Result<std::vector<Lease>> LeaseJobs(JobKind kind, int max, TimeMs now,
                                               TimeMs lease_ms) = 0;
  // Extends a lease. kFailedPrecondition if the token no longer holds.
  virtual Status Heartbeat(std::int64_t job_id, std::int64_t token, TimeMs expires_at) = 0;
  // Applies several outcomes in one commit, each as FinishDelivery would. One status per
  // attempt, in order: ok, or kFailedPrecondition where the lease no longer holds. A storage
  // failure fails the whole call and applies nothing.
  virtual Result<std::vector<Status>> FinishDeliveries(const std::vector<FinishedAttempt>& attempts,
                                                       TimeMs now) = 0;
  // Applies a delivery outcome if the token still holds (else kFailedPrecondition): sent ->
  // done; retry -> queued at retry_at (email deferred); failed -> dead (email failed). Bumps
  // sent_total, retried_total or failed_total in the same transaction.
  Status FinishDelivery(std::int64_t job_id, std::int64_t token, const DeliveryOutcome& outcome,
                        TimeMs now) {
    auto statuses = FinishDeliveries({{job_id, token, outcome}}, now);
    if (!statuses.ok()) return statuses.error();
    return statuses->front();
  }
  // Gives a lease back unused: queued again at run_at (now at shutdown; later when a rate limit
  // defers it), the attempt not counted. kFailedPrecondition if the token no longer holds.
  virtual Status ReleaseLease(std::int64_t job_id, std::int64_t token, TimeMs run_at,
                              TimeMs now) = 0;
  // Returns to the queue (run_at = now) the leased jobs that no live worker can hold, and returns
  // how many. Called once at start, before this process's workers lease anything. A backend that
  // knows it is the only user of its data (SQLite: see its README) may take every leased job; a
  // backend shared by several processes must take only leases that expired before `now` and may
  // leave the rest to LeaseJobs, which takes expired leases anyway. Either way a recovered job's
  // old token no longer holds.
  virtual Result<int> RecoverLeases(TimeMs now) = 0;
  // The earliest time LeaseJobs could return something, to sleep until it: the earliest run_at
  // of a queued job or lease expiry of a leased one (already past if something is due now).
  // A hint: another caller may lease the job first.
  virtual Result<std::optional<TimeMs>> NextRunAt(JobKind kind) = 0;
  // Counts as of `now` (for `scheduled`).
  virtual Result<QueueStats> Stats(TimeMs now) = 0;
};

}  // namespace store
