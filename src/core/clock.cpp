#include "core/clock.h"

#include <condition_variable>
#include <mutex>

namespace core {
namespace {

// Real-time waits on a condition variable; a generation count makes the tickets.
class ConditionWaiter final : public Waiter {
 public:
  std::uint64_t Ticket() override {
    std::lock_guard lock(mutex_);
    return generation_;
  }

  void WaitFor(std::uint64_t ticket, std::chrono::nanoseconds timeout) override {
    std::unique_lock lock(mutex_);
    woken_.wait_for(lock, timeout, [&] { return generation_ != ticket; });
  }

  void Wake() override {
    {
      std::lock_guard lock(mutex_);
      ++generation_;
    }
    woken_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable woken_;
  std::uint64_t generation_ = 0;
};

class SystemClock final : public Clock {
 public:
  TimeMs NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::now();
  }
  std::unique_ptr<Waiter> NewWaiter() const override { return std::make_unique<ConditionWaiter>(); }
};

}  // namespace

std::unique_ptr<Clock> NewSystemClock() { return std::make_unique<SystemClock>(); }

}  // namespace core
