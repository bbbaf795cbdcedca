#include "mail/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mail {
namespace {

// A wait beyond this is a configuration mistake (a rate of a few per year); capping it keeps
// the conversion to nanoseconds far from overflow.
constexpr double kMaxWaitSeconds = 24.0 * 3600.0;

// NaN, zero, negative and infinite rates all mean "no limit".
bool IsUnlimited(double rate) { return !(rate > 0) || std::isinf(rate); }

}  // namespace

RateLimiter::RateLimiter(const core::Clock& clock, double rate_per_second, double burst)
    : clock_(clock),
      rate_(rate_per_second),
      burst_(std::max(1.0, burst)),  // also maps NaN to 1
      tokens_(burst_),
      last_(clock.Monotonic()) {}

std::chrono::nanoseconds RateLimiter::Reserve() {
  if (IsUnlimited(rate_)) {
    return std::chrono::nanoseconds::zero();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_.Monotonic();
  // A clock that steps back refills nothing; last_ stays put so time is never counted twice.
  if (now > last_) {
    const double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  // Reservation style: the token is taken even when the bucket is empty, so concurrent
  // callers queue up behind each other instead of all waking at the same instant.
  tokens_ -= 1;
  if (tokens_ >= 0) {
    return std::chrono::nanoseconds::zero();
  }
  const double wait_seconds = std::min(-tokens_ / rate_, kMaxWaitSeconds);
  return std::chrono::ceil<std::chrono::nanoseconds>(std::chrono::duration<double>(wait_seconds));
}

double RateLimiter::Tokens() {
  if (IsUnlimited(rate_)) {
    return burst_;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  const auto now = clock_.Monotonic();
  const double elapsed = now > last_ ? std::chrono::duration<double>(now - last_).count() : 0.0;
  return std::clamp(tokens_ + elapsed * rate_, 0.0, burst_);
}

}  // namespace mail
