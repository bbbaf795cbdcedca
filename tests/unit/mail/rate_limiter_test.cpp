#include "mail/rate_limiter.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include "testing/fake_clock.h"

using std::chrono::milliseconds;
using std::chrono::nanoseconds;

TEST_CASE("RateLimiter: the bucket starts full, then reservations queue up") {
  testing::FakeClock clock;
  mail::RateLimiter limiter(clock, 10.0, 3.0);
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == nanoseconds::zero());
  // Empty bucket: each further reservation waits one more 1/rate behind the previous one.
  CHECK(limiter.Reserve() == milliseconds(100));
  CHECK(limiter.Reserve() == milliseconds(200));
  CHECK(limiter.Reserve() == milliseconds(300));
}

TEST_CASE("RateLimiter: steady state is one send per 1/rate") {
  testing::FakeClock clock;
  mail::RateLimiter limiter(clock, 4.0, 1.0);
  CHECK(limiter.Reserve() == nanoseconds::zero());
  // A caller that waits what it is told and comes back gets the next slot exactly then.
  for (int i = 0; i < 20; ++i) {
    const nanoseconds wait = limiter.Reserve();
    CHECK(wait == milliseconds(250));
    clock.Advance(std::chrono::duration_cast<milliseconds>(wait));
    // Time advanced to the slot; the next reservation is again a full interval away.
  }
}

TEST_CASE("RateLimiter: tokens refill with time, never past the burst") {
  testing::FakeClock clock;
  mail::RateLimiter limiter(clock, 2.0, 2.0);
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == nanoseconds::zero());
  clock.Advance(milliseconds(500));  // one token back
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == milliseconds(500));

  clock.Advance(std::chrono::hours(1));  // refills to the burst of 2, not 7200
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == milliseconds(500));
}

TEST_CASE("RateLimiter: a burst below 1 is raised to 1") {
  testing::FakeClock clock;
  mail::RateLimiter limiter(clock, 1.0, 0.0);
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Reserve() == std::chrono::seconds(1));
}

TEST_CASE("RateLimiter: a zero, negative or invalid rate means unlimited") {
  testing::FakeClock clock;
  for (const double rate : {0.0, -5.0, std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity()}) {
    CAPTURE(rate);
    mail::RateLimiter limiter(clock, rate, 1.0);
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(limiter.Reserve() == nanoseconds::zero());
    }
  }
}

TEST_CASE("RateLimiter: a clock stepping back refills nothing") {
  testing::FakeClock clock;
  mail::RateLimiter limiter(clock, 1.0, 1.0);
  CHECK(limiter.Reserve() == nanoseconds::zero());
  clock.Set(clock.NowMs() - 10'000);
  CHECK(limiter.Reserve() == std::chrono::seconds(1));
}

TEST_CASE("RateLimiter: concurrent callers each get a distinct slot") {
  testing::FakeClock clock;  // frozen: every reservation after the burst must queue
  mail::RateLimiter limiter(clock, 100.0, 5.0);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 50;
  std::vector<std::vector<nanoseconds>> waits(kThreads);
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        waits[t].push_back(limiter.Reserve());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }

  std::vector<long long> all_ms;
  for (const auto& per_thread : waits) {
    for (const nanoseconds wait : per_thread) {
      all_ms.push_back(std::chrono::round<milliseconds>(wait).count());
    }
  }
  std::sort(all_ms.begin(), all_ms.end());
  // Five free tokens, then one slot every 10 ms: 0 x5, 10, 20, ..., 3950.
  REQUIRE(all_ms.size() == kThreads * kPerThread);
  for (std::size_t i = 0; i < all_ms.size(); ++i) {
    const long long expected = i < 5 ? 0 : static_cast<long long>(i - 4) * 10;
    REQUIRE(all_ms[i] == expected);
  }
}

TEST_CASE("RateLimiter: Tokens shows the bucket without taking from it") {
  testing::FakeClock clock;
  mail::RateLimiter limiter(clock, 10.0, 3.0);
  CHECK(limiter.rate() == 10.0);
  CHECK(limiter.burst() == 3.0);
  CHECK(limiter.Tokens() == 3.0);
  CHECK(limiter.Tokens() == 3.0);
  CHECK(limiter.Reserve() == nanoseconds::zero());
  CHECK(limiter.Tokens() == doctest::Approx(2.0));
  for (int i = 0; i < 4; ++i) (void)limiter.Reserve();
  CHECK(limiter.Tokens() == 0.0);    // two reservations wait: none to spare
  clock.Advance(milliseconds(250));  // 2.5 tokens refilled, 2 of them already promised
  CHECK(limiter.Tokens() == doctest::Approx(0.5));
  clock.Advance(milliseconds(2000));
  CHECK(limiter.Tokens() == 3.0);  // refilled, capped at the burst

  mail::RateLimiter unlimited(clock, 0, 1);
  CHECK(unlimited.Tokens() == 1.0);
}
