#pragma once
// A clock tests move by hand. Both wall and monotonic time advance together. Its waiters
// (NewWaiter) block until the test advances the clock past their end, or wakes them; a test
// sees what a loop waits for with AwaitWaits instead of sleeping.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "core/clock.h"

namespace testing {

class FakeClock final : public core::Clock {
 public:
  explicit FakeClock(core::TimeMs start_ms = 1'700'000'000'000)
      : now_ms_(start_ms), waits_(std::make_shared<Waits>()) {}

  core::TimeMs NowMs() const override { return now_ms_.load(); }
  std::chrono::steady_clock::time_point Monotonic() const override {
    return std::chrono::steady_clock::time_point(std::chrono::milliseconds(now_ms_.load()));
  }
  std::unique_ptr<core::Waiter> NewWaiter() const override {
    return std::make_unique<FakeWaiter>(*this, waits_);
  }

  // Moves time on and ends the waits that have run their span.
  void Advance(std::chrono::milliseconds by) {
    std::lock_guard lock(waits_->mutex);
    now_ms_ += by.count();
    ReleaseDue();
  }
  void Set(core::TimeMs ms) {
    std::lock_guard lock(waits_->mutex);
    now_ms_ = ms;
    ReleaseDue();
  }

  // Blocks until at least `count` waits are in progress on this clock's waiters, then returns
  // how long each has still to run, shortest first. nullopt if that did not happen within
  // `guard` of real time (a test failure, not a way to pass time).
  std::optional<std::vector<std::chrono::milliseconds>> AwaitWaits(
      std::size_t count, std::chrono::seconds guard = std::chrono::seconds(20)) const {
    std::unique_lock lock(waits_->mutex);
    const auto running = [&] {
      return static_cast<std::size_t>(std::count_if(waits_->list.begin(), waits_->list.end(),
                                                    [](const Wait& wait) { return !wait.ended; }));
    };
    if (!waits_->changed.wait_for(lock, guard, [&] { return running() >= count; })) {
      return std::nullopt;
    }
    std::vector<std::chrono::milliseconds> left;
    for (const Wait& wait : waits_->list) {
      if (wait.ended) continue;
      left.push_back(
          std::chrono::duration_cast<std::chrono::milliseconds>(wait.until - Monotonic()));
    }
    std::sort(left.begin(), left.end());
    return left;
  }

 private:
  struct Wait {
    const void* waiter;
    std::chrono::steady_clock::time_point until;
    bool ended = false;
  };
  // The waits in progress on every waiter of this clock, under one mutex. A wait is marked
  // ended as soon as time or a wake-up ends it (its thread then takes it off the list), so
  // AwaitWaits never counts a thread that is about to run.
  struct Waits {
    std::mutex mutex;
    std::condition_variable changed;
    std::list<Wait> list;
  };

  class FakeWaiter final : public core::Waiter {
   public:
    FakeWaiter(const FakeClock& clock, std::shared_ptr<Waits> waits)
        : clock_(clock), waits_(std::move(waits)) {}

    std::uint64_t Ticket() override {
      std::lock_guard lock(waits_->mutex);
      return generation_;
    }
    void WaitFor(std::uint64_t ticket, std::chrono::nanoseconds timeout) override {
      std::unique_lock lock(waits_->mutex);
      if (generation_ != ticket || timeout <= std::chrono::nanoseconds::zero()) return;
      const auto wait = waits_->list.insert(
          waits_->list.end(),
          {this, clock_.Monotonic() + std::chrono::ceil<std::chrono::milliseconds>(timeout),
           false});
      waits_->changed.notify_all();
      waits_->changed.wait(lock, [&] { return wait->ended; });
      waits_->list.erase(wait);
    }
    void Wake() override {
      std::lock_guard lock(waits_->mutex);
      ++generation_;
      for (Wait& wait : waits_->list) {
        if (wait.waiter == this) wait.ended = true;
      }
      waits_->changed.notify_all();
    }

   private:
    const FakeClock& clock_;
    std::shared_ptr<Waits> waits_;
    std::uint64_t generation_ = 0;  // guarded by waits_->mutex
  };

  // REQUIRES: waits_->mutex held.
  void ReleaseDue() {
    for (Wait& wait : waits_->list) {
      if (wait.until <= Monotonic()) wait.ended = true;
    }
    waits_->changed.notify_all();
  }

  std::atomic<core::TimeMs> now_ms_;
  std::shared_ptr<Waits> waits_;
};

}  // namespace testing
