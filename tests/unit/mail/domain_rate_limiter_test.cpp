#include "mail/domain_rate_limiter.h"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_clock.h"

using std::chrono::milliseconds;

TEST_CASE("DomainRateLimiter: each domain has its own bucket") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(2.0);  // burst 1
  CHECK(limiter.TryAcquire("gmail.com", clock.NowMs()) == 0);
  CHECK(limiter.TryAcquire("gmail.com", clock.NowMs()) == 500);
  CHECK(limiter.TryAcquire("yahoo.com", clock.NowMs()) == 0);  // unaffected by gmail.com
  CHECK(limiter.TryAcquire("yahoo.com", clock.NowMs()) == 500);
  CHECK(limiter.TrackedDomains() == 2);
}

TEST_CASE("DomainRateLimiter: domains compare case-insensitively") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(1.0);
  CHECK(limiter.TryAcquire("Example.COM", clock.NowMs()) == 0);
  CHECK(limiter.TryAcquire("example.com", clock.NowMs()) == 1000);
  CHECK(limiter.TryAcquire("EXAMPLE.com", clock.NowMs()) == 1000);
  CHECK(limiter.TrackedDomains() == 1);
}

TEST_CASE("DomainRateLimiter: a refused call takes nothing, so the wait counts down") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(2.0);
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
  for (int i = 0; i < 5; ++i) {
    CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 500 - 100 * i);
    clock.Advance(milliseconds(100));
  }
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);  // at exactly 500 ms
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 500);
}

TEST_CASE("DomainRateLimiter: a caller that waits what it is told then gets a token") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(3.0);  // 333.3 ms apart: waits round up, never down
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
  int sent = 1;
  const core::TimeMs start = clock.NowMs();
  while (sent < 31) {
    const core::TimeMs wait = limiter.TryAcquire("a.org", clock.NowMs());
    if (wait == 0) {
      ++sent;
    } else {
      CHECK(wait <= 334);
      clock.Advance(milliseconds(wait));
    }
  }
  // 30 more sends at 3 per second take 10 s (plus at most a millisecond of rounding each).
  CHECK(clock.NowMs() - start >= 10'000);
  CHECK(clock.NowMs() - start <= 10'030);
}

TEST_CASE("DomainRateLimiter: the burst allows that many at once, refilling over time") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(1.0, 3.0);
  for (int i = 0; i < 3; ++i) {
    CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
  }
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 1000);
  clock.Advance(milliseconds(1000));
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 1000);
  clock.Advance(std::chrono::hours(1));  // refills to the burst of 3, not 3600
  for (int i = 0; i < 3; ++i) {
    CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
  }
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 1000);
}

TEST_CASE("DomainRateLimiter: a zero, negative or invalid rate means unlimited") {
  testing::FakeClock clock;
  for (const double rate : {0.0, -1.0, std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity()}) {
    CAPTURE(rate);
    mail::DomainRateLimiter limiter(rate);
    for (int i = 0; i < 1000; ++i) {
      REQUIRE(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
    }
    CHECK(limiter.TrackedDomains() == 0);
  }
}

TEST_CASE("DomainRateLimiter: a tiny rate waits at most a day; a burst below 1 is 1") {
  testing::FakeClock clock;
  mail::DomainRateLimiter slow(1e-12, 0.0);
  CHECK(slow.TryAcquire("a.org", clock.NowMs()) == 0);
  CHECK(slow.TryAcquire("a.org", clock.NowMs()) == 24 * 3600 * 1000);
}

TEST_CASE("DomainRateLimiter: a clock stepping back refills nothing and costs nothing") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(1.0);
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
  clock.Advance(milliseconds(400));
  const core::TimeMs later = clock.NowMs();
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 600);
  clock.Set(later - 60'000);
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 600);  // as if still at `later`
  clock.Set(later + 600);
  CHECK(limiter.TryAcquire("a.org", clock.NowMs()) == 0);
}

TEST_CASE("DomainRateLimiter: idle buckets go first when the domain cap is reached") {
  testing::FakeClock clock;
  mail::DomainRateLimiter limiter(1.0, 1.0, 100);
  CHECK(limiter.TryAcquire("busy.org", clock.NowMs()) == 0);
  clock.Advance(milliseconds(500));
  for (int i = 0; i < 99; ++i) {
    CHECK(limiter.TryAcquire("d" + std::to_string(i) + ".org", clock.NowMs()) == 0);
  }
  CHECK(limiter.TrackedDomains() == 100);
  // 0.6 s later busy.org is full again (idle) but the 99 others still refill: the cap evicts
  // busy.org, which loses nothing since a full bucket is the same as a new one.
  clock.Advance(milliseconds(600));
  CHECK(limiter.TryAcquire("new.org", clock.NowMs()) == 0);
  CHECK(limiter.TrackedDomains() == 100);
  CHECK(limiter.TryAcquire("d0.org", clock.NowMs()) == 400);  // still limited

  // Once everyone is idle, one sweep frees them all.
  clock.Advance(milliseconds(2000));
  CHECK(limiter.TryAcquire("another.org", clock.NowMs()) == 0);
  CHECK(limiter.TrackedDomains() == 1);
}

TEST_CASE("DomainRateLimiter: memory stays bounded when every domain is busy") {
  testing::FakeClock clock;  // frozen: no bucket ever becomes idle
  mail::DomainRateLimiter limiter(1.0, 1.0, 50);
  for (int i = 0; i < 10'000; ++i) {
    CHECK(limiter.TryAcquire("d" + std::to_string(i) + ".org", clock.NowMs()) == 0);
    REQUIRE(limiter.TrackedDomains() <= 50);
  }
  // The most recent domains are still limited.
  CHECK(limiter.TryAcquire("d9999.org", clock.NowMs()) == 1000);
}

TEST_CASE("DomainRateLimiter: concurrent callers share a domain's tokens exactly") {
  testing::FakeClock clock;  // frozen
  mail::DomainRateLimiter limiter(1.0, 25.0);
  std::atomic<int> granted{0};
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (limiter.TryAcquire("shared.org", clock.NowMs()) == 0) {
          ++granted;
        }
        limiter.TryAcquire("other" + std::to_string(i) + ".org", clock.NowMs());
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(granted.load() == 25);
}
