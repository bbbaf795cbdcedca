#pragma once
// The queue's one worker loop: threads that lease a batch of one JobKind from the store, hand it
// to a handler, wait until the next job is due (or Notify), and stop on request. Delivery
// (WorkerPool) and status callbacks (CallbackWorkers) are handlers of it.
//
// Time comes from the injected Clock only: Step(now) makes every decision, and the threads
// wait between steps on a core::Waiter of that clock, so on a FakeClock tests drive the loop
// by advancing time. At-least-once: a lease whose outcome is never recorded (a crash, a store
// error) expires and its job is leased again; outcomes are recorded under the lease's fencing
// token, so a holder whose lease moved on changes nothing.
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "store/job_queue.h"

namespace queue {

// One leased batch as a handler runs it. Lives from the lease until Finish returns.
class LeaseBatch {
 public:
  virtual ~LeaseBatch() = default;
  // Runs the batch's `index`-th lease. Not called for the leases the loop gives back because
  // it is stopping.
  virtual void Run(std::size_t index) = 0;
  // After every lease ran or was given back (e.g. to record the outcomes in one commit).
  virtual void Finish() {}
};

// What a loop runs. Called from the loop's threads, several at once.
class LeaseHandler {
 public:
  virtual ~LeaseHandler() = default;
  // Prepares a batch (e.g. loads what its leases need in one read). nullptr gives the whole
  // batch back to the queue unstarted. `leases` outlives the batch.
  virtual std::unique_ptr<LeaseBatch> Open(const std::vector<store::Lease>& leases) = 0;
};

struct LoopOptions {
  store::JobKind kind = store::JobKind::kEmail;
  int threads = 1;
  int lease_batch = 8;  // jobs leased per store round trip
  core::TimeMs lease_ms = 60'000;
  core::TimeMs idle_poll_ms = 1'000;  // longest wait when nothing is due (Notify wakes sooner)
  std::string log_prefix;             // before the loop's log messages, e.g. "callback "
};

class LeaseLoop {
 public:
  LeaseLoop(const LoopOptions& options, store::JobQueue& jobs, LeaseHandler& handler,
            const core::Clock& clock, core::Logger& logger);
  ~LeaseLoop();  // stops, waiting for the threads however long they take
  LeaseLoop(const LeaseLoop&) = delete;
  LeaseLoop& operator=(const LeaseLoop&) = delete;

  // One round at `now`: leases up to lease_batch jobs and runs them through the handler
  // (giving back those not started once Stop was called). Returns when to look again: `now`
  // after a batch (more may be due); when nothing was due, the next due time (NextRunAt), at
  // least 1 ms and at most idle_poll_ms ahead; now + idle_poll_ms after a store error.
  core::TimeMs Step(core::TimeMs now);

  // Starts `threads` threads, each running Step and waiting until the time it returns.
  void Start();
  // Wakes the threads waiting for work: new work was enqueued.
  void Notify();
  // Stops leasing, lets the leases in flight finish and gives back those not started. Waits at
  // most `timeout_ms` of the clock's time (nullopt: as long as it takes) and returns false if a
  // thread was still busy then; that thread is left running (the caller is expected to exit,
  // and its lease is recovered at the next start) and a later Stop waits for it again.
  bool Stop(std::optional<core::TimeMs> timeout_ms = std::nullopt);

  // For handlers, from inside a batch -----------------------------------------------------
  // True once Stop was called.
  bool stopping() const;
  // Waits `duration` of the clock's time; Stop cuts it short.
  void Pause(std::chrono::nanoseconds duration);
  // Gives a lease back unused: queued again at `run_at` (now if nullopt), its attempt not
  // counted. A failure is logged; the lease then expires and the job runs again.
  void Release(const store::Lease& lease, std::optional<core::TimeMs> run_at = std::nullopt);

 private:
  void Run();
  void RunBatch(const std::vector<store::Lease>& leases);
  core::TimeMs NextLook(core::TimeMs now);
  bool AllExited();

  const LoopOptions options_;
  store::JobQueue& jobs_;
  LeaseHandler& handler_;
  const core::Clock& clock_;
  core::Logger& logger_;
  const std::unique_ptr<core::Waiter> waiter_;  // Notify, Stop and thread exits wake it

  mutable std::mutex mutex_;
  bool stopping_ = false;
  std::size_t exited_ = 0;
  std::vector<std::thread> threads_;
};

}  // namespace queue
