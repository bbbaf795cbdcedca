#include "sched/civil.h"

#include <doctest/doctest.h>

#include <cstdint>

TEST_CASE("civil: known day numbers and weekdays") {
  CHECK(sched::DaysFromCivil(1970, 1, 1) == 0);
  CHECK(sched::DaysFromCivil(2000, 3, 1) == 11017);
  CHECK(sched::DaysFromCivil(1969, 12, 31) == -1);
  CHECK(sched::DaysFromCivil(1, 1, 1) * 86400 == -62135596800);  // as in Python/Go
  CHECK(sched::DaysFromCivil(10000, 1, 1) * 86400 == 253402300800);
  CHECK(sched::WeekdayFromDays(0) == 4);                                   // Thursday
  CHECK(sched::WeekdayFromDays(sched::DaysFromCivil(2026, 11, 23)) == 1);  // a Monday
  CHECK(sched::WeekdayFromDays(sched::DaysFromCivil(1969, 12, 28)) == 0);  // Sunday, pre-epoch
}

TEST_CASE("civil: day numbers round-trip across eras, including negative years") {
  for (std::int64_t days = -800'000; days <= 3'000'000; days += 997) {
    const sched::CivilDate date = sched::CivilFromDays(days);
    CAPTURE(days);
    REQUIRE(date.month >= 1);
    REQUIRE(date.month <= 12);
    REQUIRE(date.day >= 1);
    REQUIRE(date.day <= sched::DaysInMonth(date.year, date.month));
    CHECK(sched::DaysFromCivil(date.year, date.month, date.day) == days);
  }
}

TEST_CASE("civil: leap years and month lengths") {
  CHECK(sched::IsLeapYear(2024));
  CHECK(sched::IsLeapYear(2000));
  CHECK_FALSE(sched::IsLeapYear(1900));
  CHECK_FALSE(sched::IsLeapYear(2100));
  CHECK_FALSE(sched::IsLeapYear(2025));
  CHECK(sched::DaysInMonth(2028, 2) == 29);
  CHECK(sched::DaysInMonth(2027, 2) == 28);
  CHECK(sched::DaysInMonth(2027, 4) == 30);
  CHECK(sched::DaysInMonth(2027, 12) == 31);
}

TEST_CASE("civil: seconds conversions and formatting") {
  const sched::CivilTime time{2026, 3, 29, 2, 30, 5};
  const std::int64_t seconds = sched::CivilToSeconds(time);
  CHECK(sched::CivilFromSeconds(seconds) == time);
  CHECK(sched::FormatCivil(time) == "2026-03-29T02:30:05");
  CHECK(sched::FormatCivil(sched::CivilFromSeconds(-1)) == "1969-12-31T23:59:59");
  CHECK(sched::FloorDiv(-1, 1000) == -1);
  CHECK(sched::FloorMod(-1, 1000) == 999);
  CHECK(sched::FloorDiv(1999, 1000) == 1);
}
