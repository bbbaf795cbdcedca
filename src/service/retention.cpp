#include "service/retention.h"

#include <chrono>
#include <numeric>
#include <string>

namespace service {

std::int64_t RetentionReport::Total() const {
  return std::accumulate(purged.begin(), purged.end(), std::int64_t{0});
}

Retention::Retention(const RetentionOptions& options, store::RetentionStore& store,
                     core::Logger& logger, Metrics& metrics)
    : options_(options), store_(store), logger_(logger), metrics_(metrics) {}

core::Result<RetentionReport> Retention::RunDue(core::TimeMs now) {
  RetentionReport report;
  if (options_.days <= 0) return report;
  const core::TimeMs cutoff = now - options_.days * kDayMs;
  core::Status failed;
  for (std::size_t i = 0; i < store::kPurgeKinds.size() && failed.ok(); ++i) {
    const store::PurgeKind kind = store::kPurgeKinds[i];
    for (int batch = 0; batch < options_.max_batches && !cancelled_; ++batch) {
      core::Result<int> purged = store_.PurgeBefore(kind, cutoff, options_.batch);
      if (!purged.ok()) {
        failed = purged.error();
        break;
      }
      report.purged[i] += *purged;
      metrics_.OnPurged(kind, *purged);
      if (*purged < options_.batch) break;
    }
  }
  nlohmann::json fields = {{"cutoff_ms", cutoff}};
  for (std::size_t i = 0; i < store::kPurgeKinds.size(); ++i) {
    fields[std::string(store::PurgeKindName(store::kPurgeKinds[i]))] = report.purged[i];
  }
  if (!failed.ok()) {
    fields["error"] = failed.error().message;
    logger_.Warn("retention purge failed", fields);
    return failed.error();
  }
  logger_.Info("retention purge", fields);
  return report;
}

RetentionLoop::RetentionLoop(Retention& retention, const core::Clock& clock,
                             core::TimeMs interval_ms)
    : retention_(retention),
      clock_(clock),
      interval_ms_(interval_ms),
      waiter_(clock.NewWaiter()),
      thread_([this] { Run(); }) {}

RetentionLoop::~RetentionLoop() { Stop(); }

void RetentionLoop::Stop() {
  stopping_ = true;
  retention_.Cancel();
  waiter_->Wake();
  if (thread_.joinable()) thread_.join();
}

void RetentionLoop::Run() {
  while (!stopping_) {
    const std::uint64_t ticket = waiter_->Ticket();
    // Its outcome is logged by RunDue; a failed run is simply tried again next interval.
    static_cast<void>(retention_.RunDue(clock_.NowMs()));
    if (stopping_) break;
    waiter_->WaitFor(ticket, std::chrono::milliseconds(interval_ms_));
  }
}

}  // namespace service
