#include "service/metrics.h"

#include <sstream>

namespace service {

void Metrics::OnAttempt(const store::DeliveryOutcome& outcome, core::TimeMs latency_ms) {
  using Kind = store::DeliveryOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kSent: ++attempts_sent_; break;
    case Kind::kRetry: ++attempts_retry_; return;
    case Kind::kFailed: ++attempts_failed_; return;
  }
  const double seconds = static_cast<double>(latency_ms < 0 ? 0 : latency_ms) / 1000.0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    if (seconds <= kLatencyBuckets[i]) {
      ++latency_buckets_[i];
      break;
    }
  }
  ++latency_count_;
  latency_sum_ms_ += static_cast<std::uint64_t>(latency_ms < 0 ? 0 : latency_ms);
}

void Metrics::OnPurged(store::PurgeKind kind, std::int64_t rows) {
  for (std::size_t i = 0; i < store::kPurgeKinds.size(); ++i) {
    if (store::kPurgeKinds[i] == kind && rows > 0) purged_[i] += static_cast<std::uint64_t>(rows);
  }
}

std::string Metrics::Render(const store::QueueStats& stats) const {
  std::ostringstream out;
  out << "# HELP outbox_jobs Jobs in the store by state.\n# TYPE outbox_jobs gauge\n";
  const std::pair<const char*, std::int64_t> states[] = {{"queued", stats.queued},
                                                         {"leased", stats.leased},
                                                         {"done", stats.done},
                                                         {"dead", stats.dead},
                                                         {"cancelled", stats.cancelled}};
  for (const auto& [state, count] : states) {
    out << "outbox_jobs{state=\"" << state << "\"} " << count << "\n";
  }
  out << "# HELP outbox_jobs_scheduled Queued jobs whose run time is in the future.\n"
      << "# TYPE outbox_jobs_scheduled gauge\noutbox_jobs_scheduled " << stats.scheduled << "\n";
  auto counter = [&](const char* name, const char* help, std::int64_t value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " counter\n"
        << name << " " << value << "\n";
  };
  counter("outbox_emails_enqueued_total", "Emails accepted (persistent).", stats.enqueued_total);
  counter("outbox_emails_sent_total", "Emails delivered (persistent).", stats.sent_total);
  counter("outbox_emails_failed_total", "Emails failed for good (persistent).", stats.failed_total);
  counter("outbox_emails_retried_total", "Attempts deferred for retry (persistent).",
          stats.retried_total);
  out << "# HELP outbox_delivery_attempts_total Delivery attempts by this process.\n"
      << "# TYPE outbox_delivery_attempts_total counter\n"
      << "outbox_delivery_attempts_total{result=\"sent\"} " << attempts_sent_.load() << "\n"
      << "outbox_delivery_attempts_total{result=\"retry\"} " << attempts_retry_.load() << "\n"
      << "outbox_delivery_attempts_total{result=\"failed\"} " << attempts_failed_.load() << "\n";
  out << "# HELP outbox_delivery_latency_seconds Time from acceptance to delivery.\n"
      << "# TYPE outbox_delivery_latency_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += latency_buckets_[i].load();
    out << "outbox_delivery_latency_seconds_bucket{le=\"" << kLatencyBuckets[i] << "\"} "
        << cumulative << "\n";
  }
  out << "outbox_delivery_latency_seconds_bucket{le=\"+Inf\"} " << latency_count_.load() << "\n"
      << "outbox_delivery_latency_seconds_sum "
      << static_cast<double>(latency_sum_ms_.load()) / 1000.0 << "\n"
      << "outbox_delivery_latency_seconds_count " << latency_count_.load() << "\n";
  out << "# HELP outbox_purged_total Rows removed by retention purges in this process.\n"
      << "# TYPE outbox_purged_total counter\n";
  for (std::size_t i = 0; i < store::kPurgeKinds.size(); ++i) {
    out << "outbox_purged_total{kind=\"" << store::PurgeKindName(store::kPurgeKinds[i]) << "\"} "
        << purged_[i].load() << "\n";
  }
  return out.str();
}

core::Result<store::QueueStats> CachedStats::Get() {
  std::lock_guard lock(mutex_);
  const core::TimeMs now = clock_.NowMs();
  if (cached_.has_value() && now - cached_at_ < ttl_ms_) return *cached_;
  auto stats = store_.Stats(now);
  if (!stats.ok()) return stats.error();
  cached_ = *stats;
  cached_at_ = now;
  return *stats;
}

}  // namespace service
