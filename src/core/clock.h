#pragma once
// Time is injected: nothing but SystemClock reads the wall clock or waits in real time. Times
// crossing module boundaries are milliseconds since the Unix epoch (TimeMs), which is also how
// the store keeps them.
#include <chrono>
#include <cstdint>
#include <memory>

namespace core {

using TimeMs = std::int64_t;

// Blocks a thread for a span of its clock's time, or until woken. Loops wait through one, so
// that on a fake clock a test releases them by advancing time instead of sleeping.
// Thread-safe.
class Waiter {
 public:
  virtual ~Waiter() = default;
  // Taken before looking for work: WaitFor returns at once if Wake() was called after it, so a
  // wake-up between the look and the wait is not lost.
  virtual std::uint64_t Ticket() = 0;
  // Blocks until `timeout` of the clock's monotonic time has passed or Wake() has been called
  // since `ticket` was taken. May return early: callers re-check what they wait for.
  virtual void WaitFor(std::uint64_t ticket, std::chrono::nanoseconds timeout) = 0;
  // Ends every wait begun with an earlier ticket.
  virtual void Wake() = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps and scheduling.
  virtual TimeMs NowMs() const = 0;
  // Monotonic time, for measuring intervals (rate limits, latencies).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
  // A waiter on this clock's time (one per loop: Wake() reaches only its own waits).
  virtual std::unique_ptr<Waiter> NewWaiter() const = 0;
};

std::unique_ptr<Clock> NewSystemClock();

}  // namespace core
