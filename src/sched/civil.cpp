#include "sched/civil.h"

#include <cstdio>

namespace sched {

// The day algorithms are Howard Hinnant's "chrono-compatible low-level date algorithms"
// (days_from_civil / civil_from_days): exact over 400-year eras, no tables, no loops.

bool IsLeapYear(std::int64_t year) { return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0); }

int DaysInMonth(std::int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return (month == 2 && IsLeapYear(year)) ? 29 : kDays[month - 1];
}

std::int64_t DaysFromCivil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;  // [0, 399]
  const std::int64_t day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return era * 146097 + day_of_era - 719468;
}

CivilDate CivilFromDays(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const std::int64_t day_of_era = days - era * 146097;  // [0, 146096]
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);  // [0, 365]
  const std::int64_t month_index = (5 * day_of_year + 2) / 153;                // March = 0
  CivilDate date;
  date.day = static_cast<int>(day_of_year - (153 * month_index + 2) / 5 + 1);
  date.month = static_cast<int>(month_index < 10 ? month_index + 3 : month_index - 9);
  date.year = year_of_era + era * 400 + (date.month <= 2 ? 1 : 0);
  return date;
}

int WeekdayFromDays(std::int64_t days) {
  return static_cast<int>(FloorMod(days + 4, 7));  // 1970-01-01 was a Thursday
}

std::int64_t CivilToSeconds(const CivilTime& time) {
  return DaysFromCivil(time.year, time.month, time.day) * 86400 + std::int64_t{time.hour} * 3600 +
         std::int64_t{time.minute} * 60 + time.second;
}

CivilTime CivilFromSeconds(std::int64_t seconds) {
  const CivilDate date = CivilFromDays(FloorDiv(seconds, 86400));
  const auto second_of_day = static_cast<int>(FloorMod(seconds, 86400));
  CivilTime time;
  time.year = static_cast<int>(date.year);
  time.month = date.month;
  time.day = date.day;
  time.hour = second_of_day / 3600;
  time.minute = second_of_day / 60 % 60;
  time.second = second_of_day % 60;
  return time;
}

std::string FormatCivil(const CivilTime& time) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d", time.year, time.month,
                time.day, time.hour, time.minute, time.second);
  return buffer;
}

}  // namespace sched
