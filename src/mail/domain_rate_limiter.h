#pragma once
// Per-recipient-domain send rates, so one receiving domain's limits (or greylisting) are met
// without slowing mail to everyone else. Non-blocking: TryAcquire either takes a token or says
// how long until the domain has one, so a worker can defer that message and send others.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"

namespace mail {

class DomainRateLimiter {
 public:
  // rate_per_second <= 0 (or NaN, or infinite) means unlimited. burst is each domain's bucket
  // size (at least 1). At most max_domains buckets are kept (at least 1); see TryAcquire.
  explicit DomainRateLimiter(double rate_per_second, double burst = 1.0,
                             std::size_t max_domains = 10'000);
  DomainRateLimiter(const DomainRateLimiter&) = delete;
  DomainRateLimiter& operator=(const DomainRateLimiter&) = delete;

  // Takes a token for `domain` (ASCII case-insensitive, e.g. "Example.COM" is "example.com")
  // when it has one at `now` and returns 0; otherwise takes nothing and returns the
  // milliseconds until it will have one (at least 1). `now` is milliseconds on a clock that
  // should not step back (e.g. Clock::Monotonic); a step back is treated as no time passing.
  // Cost: O(1), except that adding a domain when max_domains are tracked first drops every full
  // (idle) bucket, O(n), and if none is idle the one closest to full, which lets that domain
  // send early: memory stays bounded at the price of a briefly lenient limit.
  core::TimeMs TryAcquire(std::string_view domain, core::TimeMs now);

  // How many domains have a bucket now (for tests and metrics).
  std::size_t TrackedDomains() const;

 private:
  void MakeRoom(std::int64_t now_us);

  const bool unlimited_;
  const std::int64_t interval_us_;   // one token per interval
  const std::int64_t tolerance_us_;  // (burst - 1) intervals: how far ahead a domain may run
  const std::size_t max_domains_;
  mutable std::mutex mutex_;
  std::int64_t last_now_us_ = 0;
  // Domain -> theoretical arrival time (GCRA): the bucket is full when it is <= now, and a
  // token is available when now >= it - tolerance.
  std::unordered_map<std::string, std::int64_t> next_us_;
};

}  // namespace mail
