#include "queue/lease_loop.h"

#include <algorithm>

namespace queue {

LeaseLoop::LeaseLoop(const LoopOptions& options, store::JobQueue& jobs, LeaseHandler& handler,
                     const core::Clock& clock, core::Logger& logger)
    : options_(options),
      jobs_(jobs),
      handler_(handler),
      clock_(clock),
      logger_(logger),
      waiter_(clock.NewWaiter()) {}

LeaseLoop::~LeaseLoop() { Stop(); }

core::TimeMs LeaseLoop::Step(core::TimeMs now) {
  auto leases = jobs_.LeaseJobs(options_.kind, options_.lease_batch, now, options_.lease_ms);
  if (!leases.ok()) {
    logger_.Error(options_.log_prefix + "lease failed", {{"error", leases.error().message}});
    return now + options_.idle_poll_ms;
  }
  if (leases->empty()) return NextLook(now);
  RunBatch(*leases);
  return now;
}

void LeaseLoop::RunBatch(const std::vector<store::Lease>& leases) {
  std::unique_ptr<LeaseBatch> batch = handler_.Open(leases);
  if (batch == nullptr) {
    for (const store::Lease& lease : leases) Release(lease);
    return;
  }
  for (std::size_t i = 0; i < leases.size(); ++i) {
    if (stopping()) {
      Release(leases[i]);
    } else {
      batch->Run(i);
    }
  }
  batch->Finish();
}

core::TimeMs LeaseLoop::NextLook(core::TimeMs now) {
  auto next = jobs_.NextRunAt(options_.kind);
  if (!next.ok() || !next->has_value()) return now + options_.idle_poll_ms;
  return now + std::clamp<core::TimeMs>(**next - now, 1, options_.idle_poll_ms);
}

void LeaseLoop::Start() {
  std::lock_guard lock(mutex_);
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this] { Run(); });
}

void LeaseLoop::Run() {
  for (;;) {
    // The ticket comes before the look at the store, so a Notify or Stop during the step
    // ends the wait after it at once.
    const std::uint64_t ticket = waiter_->Ticket();
    if (stopping()) break;
    const core::TimeMs next = Step(clock_.NowMs());
    const core::TimeMs wait_ms = next - clock_.NowMs();
    if (wait_ms > 0) waiter_->WaitFor(ticket, std::chrono::milliseconds(wait_ms));
  }
  {
    std::lock_guard lock(mutex_);
    ++exited_;
  }
  waiter_->Wake();
}

void LeaseLoop::Notify() { waiter_->Wake(); }

bool LeaseLoop::Stop(std::optional<core::TimeMs> timeout_ms) {
  {
    std::lock_guard lock(mutex_);
    if (threads_.empty()) return true;
    stopping_ = true;
  }
  waiter_->Wake();
  if (timeout_ms.has_value()) {
    const auto deadline = clock_.Monotonic() + std::chrono::milliseconds(*timeout_ms);
    for (;;) {
      const std::uint64_t ticket = waiter_->Ticket();
      if (AllExited()) break;
      const auto left = deadline - clock_.Monotonic();
      if (left <= std::chrono::nanoseconds::zero()) return false;
      waiter_->WaitFor(ticket, left);
    }
  }
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  return true;
}

bool LeaseLoop::AllExited() {
  std::lock_guard lock(mutex_);
  return exited_ == threads_.size();
}

bool LeaseLoop::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void LeaseLoop::Pause(std::chrono::nanoseconds duration) {
  const auto until = clock_.Monotonic() + duration;
  for (;;) {
    const std::uint64_t ticket = waiter_->Ticket();
    const auto left = until - clock_.Monotonic();
    if (stopping() || left <= std::chrono::nanoseconds::zero()) return;
    waiter_->WaitFor(ticket, left);
  }
}

void LeaseLoop::Release(const store::Lease& lease, std::optional<core::TimeMs> run_at) {
  const core::TimeMs now = clock_.NowMs();
  auto released = jobs_.ReleaseLease(lease.job_id, lease.token, run_at.value_or(now), now);
  if (!released.ok()) {
    logger_.Warn(options_.log_prefix + "release failed",
                 {{"job_id", lease.job_id}, {"error", released.error().message}});
  }
}

}  // namespace queue
