#pragma once
// Delivery workers: each thread leases a small batch of jobs, sends each through the
// Transport (paced by the rate limiter) and records the outcome under its fencing token.
// At-least-once: a worker that dies leaves leases that expire (or are recovered at start) and
// the jobs run again. The threads are a queue::LeaseLoop's: every wait (idle, rate pacing,
// shutdown) is on `clock`, so a FakeClock drives the pool in tests.
#include <memory>

#include "core/clock.h"
#include "core/log.h"
#include "mail/rate_limiter.h"
#include "mail/transport.h"
#include "queue/retry.h"
#include "store/email_store.h"
#include "store/job_queue.h"

namespace queue {

// Told about every finished attempt (metrics). Called from worker threads.
class DeliveryObserver {
 public:
  virtual ~DeliveryObserver() = default;
  // latency_ms: from enqueue to this outcome.
  virtual void OnAttempt(const store::DeliveryOutcome& outcome, core::TimeMs latency_ms) = 0;
};

struct WorkerOptions {
  int workers = 4;  // threads = concurrent SMTP sessions
  // Jobs leased per store round trip, sent as one SendBatch (one SMTP session) when there is no
  // send rate, and recorded in one commit. Also the most a crash can re-send per worker.
  int lease_batch = 32;
  core::TimeMs lease_ms = 60'000;
  core::TimeMs idle_poll_ms = 1'000;  // longest sleep when nothing is due (Notify wakes sooner)
  BackoffPolicy backoff;
  // Most messages per second to one recipient domain (that of the first recipient); 0 means
  // unlimited. A message over it goes back to the queue until its domain has a token, without
  // spending an attempt, and the worker goes on with other mail.
  double domain_rate = 0;
};

class WorkerPool {
 public:
  virtual ~WorkerPool() = default;
  virtual void Start() = 0;
  // Wakes idle workers: new work was enqueued.
  virtual void Notify() = 0;
  // Stops leasing, lets in-flight sends finish, releases leases not yet started. Returns
  // false if some worker was still busy after `timeout_ms` (its lease is recovered at the
  // next start).
  virtual bool Stop(core::TimeMs timeout_ms) = 0;
};

std::unique_ptr<WorkerPool> NewWorkerPool(const WorkerOptions& options, store::JobQueue& jobs,
                                          store::EmailStore& emails, mail::Transport& transport,
                                          mail::RateLimiter& limiter, const core::Clock& clock,
                                          core::Logger& logger, DeliveryObserver& observer);

}  // namespace queue
