#pragma once
// The lifetime of a temporary API key as the SES-compatible API spells it ("duration": "4d"):
// a positive decimal count and one unit letter.
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace auth {

inline constexpr core::TimeMs kMinuteMs = 60'000;
inline constexpr core::TimeMs kHourMs = 60 * kMinuteMs;
inline constexpr core::TimeMs kDayMs = 24 * kHourMs;
// Months and years are fixed lengths, not calendar steps: a duration is added to "now" as
// milliseconds, so "1M" from 31 January ends on 2 March, not on 28/29 February.
inline constexpr core::TimeMs kMonthMs = 30 * kDayMs;
inline constexpr core::TimeMs kYearMs = 365 * kDayMs;
// The seed's "Max 10 years": 3650 days, so "10y", "121M" and "3650d" are accepted and "122M"
// and "3651d" are not.
inline constexpr core::TimeMs kMaxKeyDurationMs = 10 * kYearMs;

// Parses "<count><unit>": count is one or more ASCII digits (leading zeros allowed) with a
// value of at least 1; unit is one of m = minutes, h = hours, d = days, M = months (30 days),
// y = years (365 days). Units are case-sensitive (m is minutes, M is months; H, D, Y and s
// are refused). No sign, spaces, fractions or compound forms ("1d12h"). The result is at most
// kMaxKeyDurationMs. Any other text is kInvalidArgument with field "duration".
core::Result<core::TimeMs> ParseKeyDuration(std::string_view text);

}  // namespace auth
