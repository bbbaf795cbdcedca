#include "mail/domain_rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace mail {
namespace {

// As in RateLimiter: a wait beyond a day is a configuration mistake, and the cap keeps the
// arithmetic in microseconds far from overflow.
constexpr double kMaxIntervalUs = 24.0 * 3600.0 * 1e6;
constexpr double kMaxBurst = 1e6;

bool IsUnlimited(double rate) { return !(rate > 0) || std::isinf(rate); }

std::int64_t IntervalUs(double rate) {
  if (IsUnlimited(rate)) {
    return 1;
  }
  return std::max<std::int64_t>(
      1, static_cast<std::int64_t>(std::ceil(std::min(1e6 / rate, kMaxIntervalUs))));
}

std::string LowerAscii(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

}  // namespace

DomainRateLimiter::DomainRateLimiter(double rate_per_second, double burst, std::size_t max_domains)
    : unlimited_(IsUnlimited(rate_per_second)),
      interval_us_(IntervalUs(rate_per_second)),
      // std::clamp would pass NaN through; max(1.0, NaN) is 1.
      tolerance_us_(static_cast<std::int64_t>((std::min(kMaxBurst, std::max(1.0, burst)) - 1.0) *
                                              static_cast<double>(interval_us_))),
      max_domains_(std::max<std::size_t>(1, max_domains)) {}

core::TimeMs DomainRateLimiter::TryAcquire(std::string_view domain, core::TimeMs now) {
  if (unlimited_) {
    return 0;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  last_now_us_ = std::max(last_now_us_, now * 1000);
  const std::int64_t now_us = last_now_us_;
  std::string key = LowerAscii(domain);
  auto bucket = next_us_.find(key);
  if (bucket == next_us_.end()) {
    if (next_us_.size() >= max_domains_) {
      MakeRoom(now_us);
    }
    // A new bucket is full: its next arrival time is now.
    bucket = next_us_.emplace(std::move(key), now_us).first;
  }
  const std::int64_t allowed_at = bucket->second - tolerance_us_;
  if (now_us < allowed_at) {
    return (allowed_at - now_us + 999) / 1000;
  }
  bucket->second = std::max(bucket->second, now_us) + interval_us_;
  return 0;
}

std::size_t DomainRateLimiter::TrackedDomains() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_us_.size();
}

void DomainRateLimiter::MakeRoom(std::int64_t now_us) {
  // A full bucket behaves exactly like a missing one, so dropping it changes nothing.
  std::erase_if(next_us_, [&](const auto& entry) { return entry.second <= now_us; });
  if (next_us_.size() < max_domains_) {
    return;
  }
  const auto closest_to_full = std::min_element(
      next_us_.begin(), next_us_.end(),
      [](const auto& left, const auto& right) { return left.second < right.second; });
  next_us_.erase(closest_to_full);
}

}  // namespace mail
