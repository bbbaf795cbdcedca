#include "sched/posix_tz.h"

#include <algorithm>

#include "sched/civil.h"

namespace sched {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); }

// A forward-only reader over the TZ string; every Parse* consumes only on success.
class Reader {
 public:
  explicit Reader(std::string_view text) : text_(text) {}

  bool Done() const { return position_ == text_.size(); }
  char Peek() const { return Done() ? '\0' : text_[position_]; }
  bool Consume(char c) {
    if (Done() || text_[position_] != c) {
      return false;
    }
    ++position_;
    return true;
  }

  // A zone abbreviation: three or more letters, or "<...>" holding three or more of
  // [A-Za-z0-9+-]. The value is not kept: TimeZone reports offsets, not names.
  bool SkipName() {
    std::size_t end = position_;
    if (Peek() == '<') {
      ++end;
      while (end < text_.size() && (IsAlpha(text_[end]) || IsDigit(text_[end]) ||
                                    text_[end] == '+' || text_[end] == '-')) {
        ++end;
      }
      if (end >= text_.size() || text_[end] != '>' || end - position_ - 1 < 3) {
        return false;
      }
      position_ = end + 1;
      return true;
    }
    while (end < text_.size() && IsAlpha(text_[end])) {
      ++end;
    }
    if (end - position_ < 3) {
      return false;
    }
    position_ = end;
    return true;
  }

  // An unsigned decimal of at most `max_digits` digits, no larger than `max_value`.
  bool ParseNumber(int max_digits, int max_value, int* value) {
    std::size_t end = position_;
    int result = 0;
    while (end < text_.size() && IsDigit(text_[end]) &&
           end - position_ < static_cast<std::size_t>(max_digits)) {
      result = result * 10 + (text_[end] - '0');
      ++end;
    }
    if (end == position_ || (end < text_.size() && IsDigit(text_[end])) || result > max_value) {
      return false;
    }
    position_ = end;
    *value = result;
    return true;
  }

  // [+-]hh[:mm[:ss]] as signed seconds, hours at most `max_hours`.
  bool ParseSignedTime(int max_hours, int* seconds) {
    const std::size_t start = position_;
    int sign = 1;
    if (Consume('-')) {
      sign = -1;
    } else {
      Consume('+');
    }
    int hours = 0;
    int minutes = 0;
    int secs = 0;
    bool ok = ParseNumber(3, max_hours, &hours);
    if (ok && Consume(':')) {
      ok = ParseNumber(2, 59, &minutes);
      if (ok && Consume(':')) {
        ok = ParseNumber(2, 59, &secs);
      }
    }
    if (!ok) {
      position_ = start;
      return false;
    }
    *seconds = sign * (hours * 3600 + minutes * 60 + secs);
    return true;
  }

  bool ParseRuleDate(PosixTimeZone::RuleDate* date) {
    using Kind = PosixTimeZone::RuleDate::Kind;
    if (Consume('J')) {
      date->kind = Kind::kJulianNoLeap;
      if (!ParseNumber(3, 365, &date->day) || date->day < 1) {
        return false;
      }
    } else if (Consume('M')) {
      date->kind = Kind::kMonthWeekDay;
      if (!ParseNumber(2, 12, &date->month) || date->month < 1 || !Consume('.') ||
          !ParseNumber(1, 5, &date->week) || date->week < 1 || !Consume('.') ||
          !ParseNumber(1, 6, &date->weekday)) {
        return false;
      }
    } else {
      date->kind = Kind::kZeroBased;
      if (!ParseNumber(3, 365, &date->day)) {
        return false;
      }
    }
    date->time_seconds = 2 * 3600;
    if (Consume('/')) {
      // TZif version 3 allows -167..167 hours, so rules can express "all year" and "24:00".
      return ParseSignedTime(167, &date->time_seconds);
    }
    return true;
  }

 private:
  std::string_view text_;
  std::size_t position_ = 0;
};

// Days since the epoch of the day a rule names in `year`.
std::int64_t RuleDay(const PosixTimeZone::RuleDate& date, std::int64_t year) {
  using Kind = PosixTimeZone::RuleDate::Kind;
  const std::int64_t january_first = DaysFromCivil(year, 1, 1);
  switch (date.kind) {
    case Kind::kJulianNoLeap:
      return january_first + date.day - 1 + ((IsLeapYear(year) && date.day >= 60) ? 1 : 0);
    case Kind::kZeroBased: return january_first + date.day;
    case Kind::kMonthWeekDay: {
      const std::int64_t month_first = DaysFromCivil(year, date.month, 1);
      int day_index = (date.weekday - WeekdayFromDays(month_first) + 7) % 7 + (date.week - 1) * 7;
      if (day_index >= DaysInMonth(year, date.month)) {
        day_index -= 7;  // week 5 means "the last", which may be the fourth
      }
      return month_first + day_index;
    }
  }
  return january_first;
}

}  // namespace

std::optional<PosixTimeZone> PosixTimeZone::Parse(std::string_view spec) {
  Reader reader(spec);
  PosixTimeZone zone;
  int posix_offset = 0;  // west-positive, as written
  if (!reader.SkipName() || !reader.ParseSignedTime(24, &posix_offset)) {
    return std::nullopt;
  }
  zone.std_offset_ = -posix_offset;
  zone.dst_offset_ = zone.std_offset_;
  if (reader.Done()) {
    return zone;
  }
  if (!reader.SkipName()) {
    return std::nullopt;
  }
  zone.has_dst_ = true;
  zone.dst_offset_ = zone.std_offset_ + 3600;
  if (reader.Peek() != ',' && !reader.Done()) {
    if (!reader.ParseSignedTime(24, &posix_offset)) {
      return std::nullopt;
    }
    zone.dst_offset_ = -posix_offset;
  }
  if (!reader.Consume(',') || !reader.ParseRuleDate(&zone.start_) || !reader.Consume(',') ||
      !reader.ParseRuleDate(&zone.end_) || !reader.Done()) {
    return std::nullopt;
  }
  return zone;
}

void PosixTimeZone::ChangesInYear(std::int64_t year, Change out[2]) const {
  // The start time is read on the standard-time clock, the end time on the daylight clock.
  out[0] = {RuleDay(start_, year) * 86400 + start_.time_seconds - std_offset_, true};
  out[1] = {RuleDay(end_, year) * 86400 + end_.time_seconds - dst_offset_, false};
}

int PosixTimeZone::SortedChangesAround(std::int64_t utc_seconds, Change out[8]) const {
  const std::int64_t year = CivilFromDays(FloorDiv(utc_seconds + std_offset_, 86400)).year;
  // Rule times reach at most a week into a neighbouring year, so years -2..+1 always hold the
  // last change at or before the instant and -1..+1 the next change after it.
  for (std::size_t i = 0; i < 4; ++i) {
    ChangesInYear(year - 2 + static_cast<std::int64_t>(i), out + 2 * i);
  }
  std::sort(out, out + 8, [](const Change& a, const Change& b) {
    return a.at != b.at ? a.at < b.at : (!a.to_dst && b.to_dst);
  });
  return 8;
}

int PosixTimeZone::OffsetAt(std::int64_t utc_seconds) const {
  if (!has_dst_) {
    return std_offset_;
  }
  Change changes[8];
  const int count = SortedChangesAround(utc_seconds, changes);
  bool dst = false;
  for (int i = 0; i < count && changes[i].at <= utc_seconds; ++i) {
    dst = changes[i].to_dst;
  }
  return dst ? dst_offset_ : std_offset_;
}

std::optional<std::int64_t> PosixTimeZone::NextChange(std::int64_t utc_seconds) const {
  if (!has_dst_ || dst_offset_ == std_offset_) {
    return std::nullopt;
  }
  Change changes[8];
  const int count = SortedChangesAround(utc_seconds, changes);
  for (int i = 0; i < count; ++i) {
    const std::int64_t at = changes[i].at;
    if (at > utc_seconds && OffsetAt(at - 1) != OffsetAt(at)) {
      return at;
    }
  }
  return std::nullopt;  // daylight time all year: the changes cancel out
}

}  // namespace sched
