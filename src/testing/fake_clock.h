#pragma once
// A clock tests move by hand. Both wall and monotonic time advance together.
#include <atomic>
#include <chrono>

#include "core/clock.h"

namespace testing {

class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(core::TimeMs start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}

  core::TimeMs NowMs() const override { return now_ms_.load(); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_.load()));
  }
  void Advance(std::chrono::milliseconds by) { now_ms_ += by.count(); }
  void Set(core::TimeMs ms) { now_ms_ = ms; }

 private:
  std::atomic<core::TimeMs> now_ms_;
};

}  // namespace testing
