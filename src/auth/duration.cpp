#include "auth/duration.h"

#include <cstdint>
#include <string>
#include <utility>

namespace auth {
namespace {

core::Error Invalid(std::string message) {
  return core::InvalidArgument("duration", std::move(message));
}

}  // namespace

core::Result<core::TimeMs> ParseKeyDuration(std::string_view text) {
  constexpr std::string_view kForm =
      "expected a positive whole number and a unit m, h, d, M or y (e.g. \"4d\")";
  if (text.size() < 2) {
    return Invalid(std::string(kForm));
  }
  core::TimeMs unit_ms = 0;
  switch (text.back()) {
    case 'm': unit_ms = kMinuteMs; break;
    case 'h': unit_ms = kHourMs; break;
    case 'd': unit_ms = kDayMs; break;
    case 'M': unit_ms = kMonthMs; break;
    case 'y': unit_ms = kYearMs; break;
    default: return Invalid(std::string(kForm));
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  // The limit caps the count well below overflow: once count * unit_ms passes it, stop.
  const core::TimeMs max_count = kMaxKeyDurationMs / unit_ms;
  core::TimeMs count = 0;
  bool too_long = false;
  for (const char c : digits) {
    if (c < '0' || c > '9') {
      return Invalid(std::string(kForm));
    }
    if (!too_long) {
      count = count * 10 + (c - '0');
      too_long = count > max_count;
    }
  }
  if (too_long) {
    return Invalid("duration is longer than the maximum of 10 years");
  }
  if (count == 0) {
    return Invalid("duration must be positive");
  }
  return count * unit_ms;
}

}  // namespace auth
