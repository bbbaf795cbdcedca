#pragma once
// Token bucket for send rates. Reservation style: Reserve() takes a token now and says how
// long the caller must wait before using it, so callers sleep outside the lock.
#include <chrono>
#include <mutex>

#include "core/clock.h"

namespace mail {

class RateLimiter {
 public:
  // rate_per_second <= 0 means unlimited. burst is the bucket size (at least 1).
  RateLimiter(const core::Clock& clock, double rate_per_second, double burst);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token; returns how long to wait before sending (zero if one was available).
  std::chrono::nanoseconds Reserve();

  // The configured rate (<= 0: unlimited) and bucket size, and the tokens in the bucket now
  // (0 to burst; 0 also while reservations wait for tokens), without taking one.
  double rate() const { return rate_; }
  double burst() const { return burst_; }
  double Tokens();

 private:
  const core::Clock& clock_;
  const double rate_;
  const double burst_;
  std::mutex mutex_;
  double tokens_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace mail
