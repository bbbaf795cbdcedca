#pragma once
// What the overview shows beside the queue's counts (GET /v1/stats): how long mail took to go
// out over the last hour, the transport and the send rate limits, and the latest failed and
// deferred attempts with their replies.
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "mail/rate_limiter.h"
#include "mail/transport.h"
#include "store/email_store.h"

namespace service {

// Delivery latency: from when an email was due (created, or its send_at when later) to its
// "sent" event.
struct LatencySummary {
  std::int64_t samples = 0;
  std::optional<core::TimeMs> p50_ms, p95_ms;  // none without samples
};

// Pure: the nearest-rank 50th and 95th percentiles of `latencies` (any order).
LatencySummary SummarizeLatencies(std::vector<core::TimeMs> latencies);

struct RateLimitState {
  std::optional<double> send_rate;  // messages per second over all; none: unlimited
  double burst = 1;
  std::optional<double> tokens;       // in the bucket now; none when unlimited
  std::optional<double> domain_rate;  // messages per second per recipient domain; none: unlimited
};

struct DeliveryOverview {
  LatencySummary latency;
  mail::TransportState transport;
  RateLimitState rate_limit;
  std::vector<store::FailureEvent> recent_failures;  // newest first
};

class DeliveryStats {
 public:
  static constexpr core::TimeMs kLatencyWindowMs = 3'600'000;
  // The latest sends of the window the percentiles are taken over, bounding the read.
  static constexpr int kMaxLatencySamples = 100'000;
  static constexpr core::TimeMs kFailureWindowMs = 86'400'000;
  static constexpr int kRecentFailures = 10;

  // `domain_rate` as queue::WorkerOptions has it (<= 0: unlimited). The store's part (latency,
  // failures) is read at most once per `ttl_ms`, as CachedStats does; the transport and the
  // limiter are read on every call.
  DeliveryStats(store::EmailStore& store, const mail::Transport& transport,
                mail::RateLimiter& limiter, double domain_rate, const core::Clock& clock,
                core::TimeMs ttl_ms)
      : store_(store),
        transport_(transport),
        limiter_(limiter),
        domain_rate_(domain_rate),
        clock_(clock),
        ttl_ms_(ttl_ms) {}
  DeliveryStats(const DeliveryStats&) = delete;
  DeliveryStats& operator=(const DeliveryStats&) = delete;

  core::Result<DeliveryOverview> Get();

 private:
  store::EmailStore& store_;
  const mail::Transport& transport_;
  mail::RateLimiter& limiter_;
  const double domain_rate_;
  const core::Clock& clock_;
  const core::TimeMs ttl_ms_;
  std::mutex mutex_;  // held while reading the store: single flight
  std::optional<LatencySummary> latency_;
  std::vector<store::FailureEvent> failures_;
  core::TimeMs read_at_ = 0;
};

}  // namespace service
