#pragma once
// Retention: what finished more than --retention-days ago is purged (store/retention_store.h
// says what each kind is and what is never purged), a bounded batch per write so writers are
// held up for one batch at most. RunDue is the pure step; RetentionLoop runs it on a thread every
// interval of the injected clock.
#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "service/metrics.h"
#include "store/retention_store.h"

namespace service {

struct RetentionOptions {
  int days = 30;          // how long finished rows are kept; 0 keeps them forever
  int batch = 1'000;      // rows per write
  int max_batches = 100;  // per kind per run: bounds one run; what is left goes next run
  core::TimeMs interval_ms = 5 * 60'000;  // between runs
};

// Rows purged by one run, per kind in store::kPurgeKinds order.
struct RetentionReport {
  std::array<std::int64_t, store::kPurgeKinds.size()> purged{};
  std::int64_t Total() const;
};

class Retention {
 public:
  static constexpr core::TimeMs kDayMs = 86'400'000;

  // REQUIRES: `store`, `logger` and `metrics` outlive this object.
  Retention(const RetentionOptions& options, store::RetentionStore& store, core::Logger& logger,
            Metrics& metrics);
  Retention(const Retention&) = delete;
  Retention& operator=(const Retention&) = delete;

  // Purges, kind by kind, what finished before now - days, in batches of options.batch until a
  // batch comes back short or max_batches were taken; logs one line with the counts. Nothing
  // with days = 0. A store error ends the run (the next one retries); the counts so far are
  // still reported to the metrics and the log. Each batch is its own write, so writes queued
  // meanwhile take their turn between two batches.
  core::Result<RetentionReport> RunDue(core::TimeMs now);

  // Makes a RunDue in progress (on any thread) return after its current batch, and every later
  // one return at once.
  void Cancel() { cancelled_ = true; }

 private:
  const RetentionOptions options_;
  store::RetentionStore& store_;
  core::Logger& logger_;
  Metrics& metrics_;
  std::atomic<bool> cancelled_{false};
};

// Runs Retention::RunDue once at start and then every options.interval_ms of `clock`'s time.
class RetentionLoop {
 public:
  // REQUIRES: `retention` and `clock` outlive this object.
  RetentionLoop(Retention& retention, const core::Clock& clock, core::TimeMs interval_ms);
  ~RetentionLoop();  // stops the thread
  RetentionLoop(const RetentionLoop&) = delete;
  RetentionLoop& operator=(const RetentionLoop&) = delete;

  // Returns once a run in progress has finished its current batch and the thread has ended.
  void Stop();

 private:
  void Run();

  Retention& retention_;
  const core::Clock& clock_;
  const core::TimeMs interval_ms_;
  const std::unique_ptr<core::Waiter> waiter_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace service
