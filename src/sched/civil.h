#pragma once
// Calendar arithmetic on the proleptic Gregorian calendar, with no time zone: the shared
// vocabulary of sched/timezone.h (UTC <-> local wall time) and sched/cron.h (which wall times
// match). Pure integer math, valid for every year an int64 millisecond timestamp can reach.
#include <cstdint>
#include <string>

namespace sched {

// A wall-clock reading: what a calendar and a clock on the wall show, in no particular zone.
// Valid when month is 1-12, day is 1-DaysInMonth(year, month), hour 0-23, minute and second
// 0-59 (there are no leap seconds in this model, as in POSIX time).
struct CivilTime {
  int year = 1970;
  int month = 1;
  int day = 1;
  int hour = 0;
  int minute = 0;
  int second = 0;

  friend bool operator==(const CivilTime&, const CivilTime&) = default;
};

bool IsLeapYear(std::int64_t year);
// REQUIRES: 1 <= month <= 12.
int DaysInMonth(std::int64_t year, int month);

// Days since 1970-01-01 of a date. REQUIRES: 1 <= month <= 12; day may be any value (it is
// simply added, so day 0 is the last day of the previous month).
std::int64_t DaysFromCivil(std::int64_t year, int month, int day);

struct CivilDate {
  std::int64_t year = 1970;
  int month = 1;
  int day = 1;
};
CivilDate CivilFromDays(std::int64_t days);

// Day of the week of a day count from DaysFromCivil: 0 = Sunday ... 6 = Saturday.
int WeekdayFromDays(std::int64_t days);

// Seconds since 1970-01-01T00:00:00 of a wall time read as if it were UTC ("local seconds").
// REQUIRES: `time` is valid (see CivilTime).
std::int64_t CivilToSeconds(const CivilTime& time);
// The inverse of CivilToSeconds. REQUIRES: the year fits in an int (true for any seconds value
// derived from an int64 millisecond timestamp).
CivilTime CivilFromSeconds(std::int64_t seconds);

// "2026-03-29T02:30:00", for logs and test messages.
std::string FormatCivil(const CivilTime& time);

// Floor division and its remainder, for splitting signed timestamps. REQUIRES: divisor > 0.
constexpr std::int64_t FloorDiv(std::int64_t value, std::int64_t divisor) {
  const std::int64_t quotient = value / divisor;
  return (value % divisor < 0) ? quotient - 1 : quotient;
}
constexpr std::int64_t FloorMod(std::int64_t value, std::int64_t divisor) {
  const std::int64_t remainder = value % divisor;
  return remainder < 0 ? remainder + divisor : remainder;
}

}  // namespace sched
