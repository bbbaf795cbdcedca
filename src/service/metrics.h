#pragma once
// Prometheus metrics. Queue depth and the enqueued/sent/failed totals come from the store
// (persistent, shared by every process on it, untouched by retention purges); attempt counts,
// the delivery latency histogram and the rows purged are this process's own, kept in memory.
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "queue/worker_pool.h"
#include "store/job_queue.h"
#include "store/retention_store.h"

namespace service {

class Metrics final : public queue::DeliveryObserver {
 public:
  // Upper bounds of the latency buckets, in seconds.
  static constexpr std::array<double, 12> kLatencyBuckets = {0.05, 0.1, 0.25, 0.5, 1,   2.5,
                                                             5,    10,  30,   60,  300, 3600};

  void OnAttempt(const store::DeliveryOutcome& outcome, core::TimeMs latency_ms) override;
  // Rows a retention purge removed (this process's count).
  void OnPurged(store::PurgeKind kind, std::int64_t rows);

  // The Prometheus text exposition for the given store statistics.
  std::string Render(const store::QueueStats& stats) const;

 private:
  std::atomic<std::uint64_t> attempts_sent_{0}, attempts_retry_{0}, attempts_failed_{0};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size()> latency_buckets_{};
  std::atomic<std::uint64_t> latency_count_{0};
  std::atomic<std::uint64_t> latency_sum_ms_{0};
  std::array<std::atomic<std::uint64_t>, store::kPurgeKinds.size()> purged_{};
};

// Store::Stats counts jobs by state, which costs O(jobs) (hundreds of ms at a million). Scrapes
// share one result for `ttl_ms` and never count twice at once, so a burst of /metrics requests
// cannot pile up scans. GET /v1/stats also reports the transport the workers send through.
class CachedStats {
 public:
  CachedStats(store::JobQueue& store, const core::Clock& clock, core::TimeMs ttl_ms,
              std::string transport = "")
      : store_(store), clock_(clock), ttl_ms_(ttl_ms), transport_(std::move(transport)) {}
  CachedStats(const CachedStats&) = delete;
  CachedStats& operator=(const CachedStats&) = delete;

  core::Result<store::QueueStats> Get();
  const std::string& transport() const { return transport_; }  // "smtp", "capture"

 private:
  store::JobQueue& store_;
  const core::Clock& clock_;
  const core::TimeMs ttl_ms_;
  const std::string transport_;
  std::mutex mutex_;  // held while counting: single flight
  std::optional<store::QueueStats> cached_;
  core::TimeMs cached_at_ = 0;
};

}  // namespace service
