#pragma once
// Time is injected: nothing but SystemClock reads the wall clock. Times crossing module
// boundaries are milliseconds since the Unix epoch (TimeMs), which is also how the store keeps
// them.
#include <chrono>
#include <cstdint>
#include <memory>

namespace core {

using TimeMs = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall-clock time, for timestamps and scheduling.
  virtual TimeMs NowMs() const = 0;
  // Monotonic time, for measuring intervals (rate limits, latencies).
  virtual std::chrono::steady_clock::time_point Monotonic() const = 0;
};

std::unique_ptr<Clock> NewSystemClock();

}  // namespace core
