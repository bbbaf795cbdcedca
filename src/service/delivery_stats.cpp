#include "service/delivery_stats.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace service {
namespace {

// NaN, zero, negative and infinite rates all mean "no limit", as the limiters have it.
std::optional<double> RateOrNone(double rate) {
  if (!(rate > 0) || std::isinf(rate)) return std::nullopt;
  return rate;
}

// REQUIRES: `sorted` is non-empty and ascending; 0 < fraction <= 1.
core::TimeMs NearestRank(const std::vector<core::TimeMs>& sorted, double fraction) {
  const auto rank =
      static_cast<std::size_t>(std::ceil(fraction * static_cast<double>(sorted.size())));
  return sorted[std::clamp<std::size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

LatencySummary SummarizeLatencies(std::vector<core::TimeMs> latencies) {
  LatencySummary summary;
  summary.samples = static_cast<std::int64_t>(latencies.size());
  if (latencies.empty()) return summary;
  std::sort(latencies.begin(), latencies.end());
  summary.p50_ms = NearestRank(latencies, 0.50);
  summary.p95_ms = NearestRank(latencies, 0.95);
  return summary;
}

core::Result<DeliveryOverview> DeliveryStats::Get() {
  DeliveryOverview overview;
  {
    std::lock_guard lock(mutex_);
    const core::TimeMs now = clock_.NowMs();
    if (!latency_.has_value() || now - read_at_ >= ttl_ms_) {
      auto latencies =
          store_.ListSendLatencies(now - kLatencyWindowMs, now + 1, kMaxLatencySamples);
      if (!latencies.ok()) return latencies.error();
      auto failures = store_.ListRecentFailures(now - kFailureWindowMs, kRecentFailures);
      if (!failures.ok()) return failures.error();
      latency_ = SummarizeLatencies(std::move(*latencies));
      failures_ = std::move(*failures);
      read_at_ = now;
    }
    overview.latency = *latency_;
    overview.recent_failures = failures_;
  }
  overview.transport = transport_.State();
  overview.rate_limit.send_rate = RateOrNone(limiter_.rate());
  overview.rate_limit.burst = limiter_.burst();
  if (overview.rate_limit.send_rate) overview.rate_limit.tokens = limiter_.Tokens();
  overview.rate_limit.domain_rate = RateOrNone(domain_rate_);
  return overview;
}

}  // namespace service
