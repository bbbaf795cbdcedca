#include "sched/cron.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <vector>

#include "sched/civil.h"

namespace sched {
namespace {

constexpr std::size_t kMaxExpressionLength = 1024;
// Larger than any UTC offset: an instant and its wall time are closer than this.
constexpr std::int64_t kOffsetWindow = std::int64_t{kMaxUtcOffsetSeconds} + 1;

// Local seconds of 0001-01-01T00:00 and 10000-01-01T00:00: fire times lie between.
std::int64_t FirstLocalSecond() { return DaysFromCivil(1, 1, 1) * 86400; }
std::int64_t EndLocalSecond() { return DaysFromCivil(10000, 1, 1) * 86400; }

constexpr std::array<std::string_view, 12> kMonthNames = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                          "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
constexpr std::array<std::string_view, 7> kWeekdayNames = {"SUN", "MON", "TUE", "WED",
                                                           "THU", "FRI", "SAT"};

// One of the five fields: its name for messages, its bounds and its optional names, where
// names[i] stands for value first_named_value + i.
struct FieldSpec {
  std::string_view name;
  int min;
  int max;
  const std::string_view* names;
  int name_count;
  int first_named_value;
};

constexpr FieldSpec kMinuteField = {"minute", 0, 59, nullptr, 0, 0};
constexpr FieldSpec kHourField = {"hour", 0, 23, nullptr, 0, 0};
constexpr FieldSpec kDayOfMonthField = {"day-of-month", 1, 31, nullptr, 0, 0};
constexpr FieldSpec kMonthField = {"month", 1, 12, kMonthNames.data(), 12, 1};
constexpr FieldSpec kDayOfWeekField = {"day-of-week", 0, 7, kWeekdayNames.data(), 7, 0};

struct Macro {
  std::string_view name;
  std::string_view expansion;
};
constexpr std::array<Macro, 7> kMacros = {{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// See CronSchedule::spelling().
std::string Spelling(std::string_view trimmed) {
  std::string spelling;
  spelling.reserve(trimmed.size());
  const bool macro = !trimmed.empty() && trimmed.front() == '@';
  for (const char c : trimmed) {
    if (IsSpace(c)) {
      if (spelling.back() != ' ') spelling += ' ';
    } else {
      spelling += macro && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
  }
  return spelling;
}

char ToUpper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return ToUpper(x) == ToUpper(y);
         });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && IsSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && IsSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> SplitFields(std::string_view text) {
  std::vector<std::string_view> fields;
  std::size_t position = 0;
  while (position < text.size()) {
    while (position < text.size() && IsSpace(text[position])) {
      ++position;
    }
    const std::size_t start = position;
    while (position < text.size() && !IsSpace(text[position])) {
      ++position;
    }
    if (position > start) {
      fields.push_back(text.substr(start, position - start));
    }
  }
  return fields;
}

core::Error CronError(std::string message) {
  return core::InvalidArgument("cron", std::move(message));
}

// The lowest set bit of `mask` at or above `from`, or -1.
int NextBit(std::uint64_t mask, int from) {
  if (from >= 64) {
    return -1;
  }
  const std::uint64_t rest = mask & (~std::uint64_t{0} << from);
  return rest == 0 ? -1 : std::countr_zero(rest);
}

struct ParsedField {
  std::uint64_t mask = 0;
  bool starts_with_star = false;
};

class FieldParser {
 public:
  FieldParser(const FieldSpec& spec, std::string_view text) : spec_(spec), text_(text) {}

  core::Result<ParsedField> Parse() {
    ParsedField field;
    field.starts_with_star = !text_.empty() && text_.front() == '*';
    std::size_t start = 0;
    while (true) {
      const std::size_t comma = text_.find(',', start);
      const std::string_view item = text_.substr(
          start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
      if (auto problem = ParseItem(item, &field.mask); !problem.empty()) {
        return Fail(problem);
      }
      if (comma == std::string_view::npos) {
        break;
      }
      start = comma + 1;
    }
    return field;
  }

 private:
  core::Error Fail(std::string_view problem) const {
    std::string shown(text_.substr(0, 40));
    if (text_.size() > 40) {
      shown += "...";
    }
    return CronError(std::string(spec_.name) + " field \"" + shown + "\": " + std::string(problem));
  }

  // Adds one list element ("*", "N", "N-M", each with an optional "/STEP") to `mask`;
  // returns what is wrong with it, or empty.
  std::string ParseItem(std::string_view item, std::uint64_t* mask) const {
    if (item.empty()) {
      return "empty list element";
    }
    const std::size_t slash = item.find('/');
    const std::string_view range = item.substr(0, slash);
    int low = spec_.min;
    int high = spec_.max;
    if (range != "*") {
      const std::size_t dash = range.find('-');
      std::string problem = ParseValue(range.substr(0, dash), &low);
      if (!problem.empty()) {
        return problem;
      }
      if (dash == std::string_view::npos) {
        high = low;
        if (slash != std::string_view::npos) {
          return "a step needs a range: write */N or A-B/N, not " + std::string(item);
        }
      } else {
        problem = ParseValue(range.substr(dash + 1), &high);
        if (!problem.empty()) {
          return problem;
        }
        if (&spec_ == &kDayOfWeekField && high == 0 && low > 0) {
          high = 7;  // "FRI-SUN": Sunday as the end of a range is day 7
        }
        if (low > high) {
          return "range " + std::string(range) + " is backwards (ranges do not wrap around)";
        }
      }
    }
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      const int span = spec_.max - spec_.min + 1;
      if (!ParseNumber(step_text, &step) || step < 1 || step > span) {
        return "step \"" + std::string(step_text) + "\" must be a number from 1 to " +
               std::to_string(span);
      }
    }
    for (int value = low; value <= high; value += step) {
      *mask |= std::uint64_t{1} << value;
    }
    return {};
  }

  // A number within the field's bounds, or one of its names.
  std::string ParseValue(std::string_view text, int* value) const {
    if (text.empty()) {
      return "missing value";
    }
    if (ParseNumber(text, value)) {
      if (*value < spec_.min || *value > spec_.max) {
        return std::to_string(*value) + " is out of range " + std::to_string(spec_.min) + "-" +
               std::to_string(spec_.max);
      }
      return {};
    }
    for (int i = 0; i < spec_.name_count; ++i) {
      if (EqualsIgnoreCase(text, spec_.names[i])) {
        *value = spec_.first_named_value + i;
        return {};
      }
    }
    return "\"" + std::string(text.substr(0, 20)) + "\" is not a " +
           (spec_.name_count > 0 ? "number or name" : "number");
  }

  // Decimal digits only, at most 4 of them (so no overflow).
  static bool ParseNumber(std::string_view text, int* value) {
    if (text.empty() || text.size() > 4) {
      return false;
    }
    int result = 0;
    for (const char c : text) {
      if (c < '0' || c > '9') {
        return false;
      }
      result = result * 10 + (c - '0');
    }
    *value = result;
    return true;
  }

  const FieldSpec& spec_;
  std::string_view text_;
};

// The latest wall time (local seconds) shown before instant `t`: wall times below it in the
// segment containing `t` are repeats from a fold. Instants more than two offset windows before
// `t` showed wall times below any shown at or after `t`, so only recent transitions matter.
std::int64_t LatestWallTimeBefore(const TimeZone& zone, std::int64_t t) {
  std::int64_t latest = std::numeric_limits<std::int64_t>::min();
  std::int64_t cursor = t - 2 * kOffsetWindow;
  while (const auto transition = zone.NextTransition(cursor * 1000)) {
    const std::int64_t at = transition->at / 1000;
    if (at > t) {
      break;
    }
    latest = std::max(latest, at + transition->offset_before);
    cursor = at;
  }
  return latest;
}

}  // namespace

core::Result<CronSchedule> CronSchedule::Parse(std::string_view expression) {
  const std::string_view trimmed = Trim(expression);
  if (trimmed.empty()) {
    return CronError("cron expression is empty");
  }
  if (trimmed.size() > kMaxExpressionLength) {
    return CronError("cron expression is longer than 1024 characters");
  }
  std::string_view fields_text = trimmed;
  if (trimmed.front() == '@') {
    const auto macro = std::find_if(kMacros.begin(), kMacros.end(), [&](const Macro& candidate) {
      return EqualsIgnoreCase(trimmed, candidate.name);
    });
    if (macro == kMacros.end()) {
      if (EqualsIgnoreCase(trimmed, "@reboot")) {
        return CronError("@reboot is not supported: a schedule needs fire times");
      }
      return CronError("unknown macro \"" + std::string(trimmed.substr(0, 20)) +
                       "\" (expected @yearly, @annually, @monthly, @weekly, @daily, @midnight "
                       "or @hourly)");
    }
    fields_text = macro->expansion;
  }
  const std::vector<std::string_view> fields = SplitFields(fields_text);
  if (fields.size() != 5) {
    return CronError("expected 5 fields (minute hour day-of-month month day-of-week), got " +
                     std::to_string(fields.size()));
  }
  const FieldSpec* const specs[5] = {&kMinuteField, &kHourField, &kDayOfMonthField, &kMonthField,
                                     &kDayOfWeekField};
  ParsedField parsed[5];
  for (int i = 0; i < 5; ++i) {
    auto field = FieldParser(*specs[i], fields[static_cast<std::size_t>(i)]).Parse();
    if (!field) {
      return field.error();
    }
    parsed[i] = *field;
  }

  CronSchedule schedule;
  schedule.expression_ = std::string(trimmed);
  schedule.spelling_ = Spelling(trimmed);
  schedule.minutes_ = parsed[0].mask;
  schedule.hours_ = static_cast<std::uint32_t>(parsed[1].mask);
  schedule.days_ = static_cast<std::uint32_t>(parsed[2].mask);
  schedule.months_ = static_cast<std::uint32_t>(parsed[3].mask);
  std::uint64_t weekdays = parsed[4].mask;
  if ((weekdays >> 7) & 1) {
    weekdays = (weekdays | 1) & ~(std::uint64_t{1} << 7);  // 7 is Sunday too
  }
  schedule.weekdays_ = static_cast<std::uint32_t>(weekdays);
  schedule.day_of_month_star_ = parsed[2].starts_with_star;
  schedule.day_of_week_star_ = parsed[4].starts_with_star;
  schedule.fixed_time_ = !parsed[0].starts_with_star && !parsed[1].starts_with_star;

  // When days must match both fields, some listed month must have some listed day; every
  // weekday then falls on it in some year. (With either-field matching, any weekday will do.)
  if (schedule.day_of_month_star_ || schedule.day_of_week_star_) {
    const int first_day = NextBit(schedule.days_, 1);
    bool possible = false;
    for (int month = 1; month <= 12 && !possible; ++month) {
      const int longest = month == 2 ? 29 : DaysInMonth(2001, month);
      possible = ((schedule.months_ >> month) & 1) && first_day <= longest;
    }
    if (!possible) {
      return CronError("day-of-month field \"" + std::string(fields[2]) +
                       "\" names no day that exists in month field \"" + std::string(fields[3]) +
                       "\", so the schedule would never fire");
    }
  }
  return schedule;
}

bool CronSchedule::DayMatches(std::int64_t days_since_epoch, int day_of_month) const {
  const bool day_of_month_matches = (days_ >> day_of_month) & 1;
  const bool day_of_week_matches = (weekdays_ >> WeekdayFromDays(days_since_epoch)) & 1;
  if (day_of_month_star_ || day_of_week_star_) {
    return day_of_month_matches && day_of_week_matches;
  }
  return day_of_month_matches || day_of_week_matches;
}

std::optional<std::int64_t> CronSchedule::NextLocalMatch(std::int64_t local) const {
  if (local >= EndLocalSecond()) {
    return std::nullopt;
  }
  const CivilTime start = CivilFromSeconds(FloorDiv(local + 59, 60) * 60);  // whole minute
  std::int64_t year = start.year;
  int month = start.month;
  int day = start.day;
  int hour = start.hour;
  int minute = start.minute;
  // Each pass moves to the next candidate month, day, hour or minute; a day is visited at most
  // once, so a year costs at most ~400 passes.
  while (year < 10000) {
    if (!((months_ >> month) & 1)) {
      const int next_month = NextBit(months_, month);
      if (next_month == -1) {
        ++year;
        month = NextBit(months_, 1);
      } else {
        month = next_month;
      }
      day = 1;
      hour = 0;
      minute = 0;
      continue;
    }
    if (day > DaysInMonth(year, month)) {
      if (++month > 12) {
        month = 1;
        ++year;
      }
      day = 1;
      hour = 0;
      minute = 0;
      continue;
    }
    const std::int64_t days = DaysFromCivil(year, month, day);
    if (!DayMatches(days, day)) {
      ++day;
      hour = 0;
      minute = 0;
      continue;
    }
    const int next_hour = NextBit(hours_, hour);
    if (next_hour == -1) {
      ++day;
      hour = 0;
      minute = 0;
      continue;
    }
    if (next_hour != hour) {
      hour = next_hour;
      minute = 0;
    }
    const int next_minute = NextBit(minutes_, minute);
    if (next_minute == -1) {
      ++hour;
      minute = 0;
      continue;
    }
    return days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{next_minute} * 60;
  }
  return std::nullopt;
}

core::TimeMs CronSchedule::Next(core::TimeMs after, const TimeZone& zone) const {
  // Walk the zone's constant-offset segments from `after` on. In each, the first matching wall
  // time maps to a fire instant unless it lies beyond the segment's end; at the end, a
  // fixed-time match skipped by a gap fires at the transition.
  std::int64_t t = std::max(FloorDiv(after, 1000) + 1, FirstLocalSecond() - kOffsetWindow);
  // NextLocalMatch(from) for every `from` in [memo_from, memo_match] is memo_match, so
  // crossing many transitions on the way to a rare match costs one search, not one each.
  std::int64_t memo_from = 0;
  std::optional<std::int64_t> memo_match;
  while (t < EndLocalSecond() + kOffsetWindow) {
    const int offset = zone.OffsetSecondsAt(t * 1000);
    const auto transition = zone.NextTransition(t * 1000);
    std::int64_t from = std::max(t + offset, FirstLocalSecond());
    if (fixed_time_) {
      from = std::max(from, LatestWallTimeBefore(zone, t));  // fold: no second occurrence
    }
    if (!memo_match || from < memo_from || from > *memo_match) {
      memo_from = from;
      memo_match = NextLocalMatch(from);
      if (!memo_match) {
        return kNever;
      }
    }
    const std::int64_t fire = *memo_match - offset;
    if (!transition || fire < transition->at / 1000) {
      return fire * 1000;
    }
    const std::int64_t change = transition->at / 1000;
    if (fixed_time_ && transition->offset_after > offset &&
        *memo_match < change + transition->offset_after) {
      return change * 1000;  // the match was skipped by the gap: fire when it ends
    }
    t = change;
  }
  return kNever;
}

core::TimeMs NextFire(std::optional<core::TimeMs> last_fire, const CronSchedule& schedule,
                      const TimeZone& zone, core::TimeMs now) {
  if (!last_fire) {
    return schedule.Next(now, zone);
  }
  const core::TimeMs first = schedule.Next(*last_fire, zone);
  if (first == kNever || first > now) {
    return first;
  }
  // Fires were missed: find the latest at or before `now`. Widen a look-back window from `now`
  // until it holds a fire (or reaches `first`), then walk forward to the last one; the walk
  // crosses fewer fires than lie between the latest fire and `now`.
  // No fire lies past local year 9999, so a later `now` changes nothing and is clamped.
  now = std::min(now, (EndLocalSecond() + kOffsetWindow) * 1000);
  core::TimeMs latest = first;
  const auto distance = static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(first);
  for (std::uint64_t window = 60'000; window < distance; window *= 2) {
    const core::TimeMs fire = schedule.Next(now - static_cast<core::TimeMs>(window), zone);
    if (fire != kNever && fire <= now) {
      latest = fire;
      break;
    }
  }
  while (true) {
    const core::TimeMs fire = schedule.Next(latest, zone);
    if (fire == kNever || fire > now) {
      return latest;
    }
    latest = fire;
  }
}

std::string FireKey(std::string_view group, core::TimeMs scheduled) {
  const CivilTime time = CivilFromSeconds(FloorDiv(scheduled, 1000));
  const auto millis = static_cast<int>(FloorMod(scheduled, 1000));
  char year[16];
  if (time.year >= 0 && time.year <= 9999) {
    std::snprintf(year, sizeof year, "%04d", time.year);
  } else {
    std::snprintf(year, sizeof year, "%+05d", time.year);  // ISO 8601 expanded year
  }
  char rest[48];
  if (millis == 0) {
    std::snprintf(rest, sizeof rest, "-%02d-%02dT%02d:%02d:%02dZ", time.month, time.day, time.hour,
                  time.minute, time.second);
  } else {
    std::snprintf(rest, sizeof rest, "-%02d-%02dT%02d:%02d:%02d.%03dZ", time.month, time.day,
                  time.hour, time.minute, time.second, millis);
  }
  std::string key(group);
  key += '@';
  key += year;
  key += rest;
  return key;
}

}  // namespace sched
