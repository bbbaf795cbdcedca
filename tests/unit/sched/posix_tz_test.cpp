#include "sched/posix_tz.h"

#include <doctest/doctest.h>

#include <string>

#include "sched_test_util.h"

using sched::PosixTimeZone;
using sched_test::Utc;

namespace {

std::int64_t Seconds(core::TimeMs time) { return time / 1000; }

PosixTimeZone MustParse(const std::string& spec) {
  auto zone = PosixTimeZone::Parse(spec);
  INFO("TZ string: ", spec);
  REQUIRE(zone.has_value());
  return *zone;
}

}  // namespace

TEST_CASE("POSIX TZ: US rule, second Sunday of March to first Sunday of November") {
  const PosixTimeZone zone = MustParse("EST5EDT,M3.2.0,M11.1.0");
  CHECK(zone.std_offset() == -5 * 3600);
  CHECK(zone.dst_offset() == -4 * 3600);
  CHECK(zone.has_dst());
  // 2040: clocks go forward at 02:00 EST on March 11, back at 02:00 EDT on November 4.
  CHECK(zone.OffsetAt(Seconds(Utc(2040, 3, 11, 7)) - 1) == -5 * 3600);
  CHECK(zone.OffsetAt(Seconds(Utc(2040, 3, 11, 7))) == -4 * 3600);
  CHECK(zone.OffsetAt(Seconds(Utc(2040, 11, 4, 6)) - 1) == -4 * 3600);
  CHECK(zone.OffsetAt(Seconds(Utc(2040, 11, 4, 6))) == -5 * 3600);
  CHECK(zone.NextChange(Seconds(Utc(2040, 1, 1))) == Seconds(Utc(2040, 3, 11, 7)));
  CHECK(zone.NextChange(Seconds(Utc(2040, 3, 11, 7))) == Seconds(Utc(2040, 11, 4, 6)));
  CHECK(zone.NextChange(Seconds(Utc(2040, 11, 4, 6))) == Seconds(Utc(2041, 3, 10, 7)));
}

TEST_CASE("POSIX TZ: EU rule with a /3 end time, last Sundays of March and October") {
  const PosixTimeZone zone = MustParse("CET-1CEST,M3.5.0,M10.5.0/3");
  CHECK(zone.std_offset() == 3600);
  CHECK(zone.dst_offset() == 7200);
  CHECK(zone.NextChange(Seconds(Utc(2040, 1, 1))) == Seconds(Utc(2040, 3, 25, 1)));
  CHECK(zone.NextChange(Seconds(Utc(2040, 3, 25, 1))) == Seconds(Utc(2040, 10, 28, 1)));
  // 2026 has five Sundays in March; week 5 means "last" either way.
  CHECK(zone.NextChange(Seconds(Utc(2026, 1, 1))) == Seconds(Utc(2026, 3, 29, 1)));
}

TEST_CASE("POSIX TZ: southern hemisphere rule with quoted names and half-hour DST") {
  const PosixTimeZone zone = MustParse("<+1030>-10:30<+11>-11,M10.1.0,M4.1.0");
  CHECK(zone.std_offset() == 37800);
  CHECK(zone.dst_offset() == 39600);
  CHECK(zone.OffsetAt(Seconds(Utc(2040, 1, 15))) == 39600);  // summer in January
  CHECK(zone.OffsetAt(Seconds(Utc(2040, 7, 15))) == 37800);
  CHECK(zone.NextChange(Seconds(Utc(2040, 1, 1))) == Seconds(Utc(2040, 3, 31, 15)));
  CHECK(zone.NextChange(Seconds(Utc(2040, 3, 31, 15))) == Seconds(Utc(2040, 10, 6, 15, 30)));
}

TEST_CASE("POSIX TZ: fixed offsets, with and without minutes") {
  const PosixTimeZone kolkata = MustParse("IST-5:30");
  CHECK(kolkata.std_offset() == 19800);
  CHECK_FALSE(kolkata.has_dst());
  CHECK(kolkata.OffsetAt(Seconds(Utc(2040, 6, 1))) == 19800);
  CHECK_FALSE(kolkata.NextChange(0).has_value());
  CHECK(MustParse("<-03>3").std_offset() == -3 * 3600);
  CHECK(MustParse("UTC0").std_offset() == 0);
  CHECK(MustParse("<+0545>-5:45").std_offset() == 5 * 3600 + 45 * 60);
  CHECK(MustParse("XXX+1:02:03").std_offset() == -(3600 + 2 * 60 + 3));
}

TEST_CASE("POSIX TZ: version 3 extensions, all-year DST and negative rule times") {
  // Daylight time from Jan 1 00:00 to Dec 31 25:00, i.e. all year: it never changes.
  const PosixTimeZone all_year = MustParse("EST5EDT,0/0,J365/25");
  CHECK(all_year.OffsetAt(Seconds(Utc(2040, 1, 1, 5))) == -4 * 3600);
  CHECK(all_year.OffsetAt(Seconds(Utc(2040, 6, 1))) == -4 * 3600);
  CHECK(all_year.OffsetAt(Seconds(Utc(2040, 12, 31, 23))) == -4 * 3600);
  CHECK_FALSE(all_year.NextChange(Seconds(Utc(2040, 1, 1))).has_value());
  // Greenland-style rule times: -1 means 23:00 the previous day.
  const PosixTimeZone negative = MustParse("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
  CHECK(negative.NextChange(Seconds(Utc(2040, 1, 1))) == Seconds(Utc(2040, 3, 25, 1)));
}

TEST_CASE("POSIX TZ: Julian day forms, with and without February 29") {
  // J60 is March 1 in every year; zero-based 59 is February 29 in leap years.
  const PosixTimeZone julian = MustParse("AAA0BBB,J60/0,J300/0");
  CHECK(julian.NextChange(Seconds(Utc(2040, 1, 1))) == Seconds(Utc(2040, 3, 1)));
  CHECK(julian.NextChange(Seconds(Utc(2041, 1, 1))) == Seconds(Utc(2041, 3, 1)));
  const PosixTimeZone zero_based = MustParse("AAA0BBB,59/0,299/0");
  CHECK(zero_based.NextChange(Seconds(Utc(2040, 1, 1))) == Seconds(Utc(2040, 2, 29)));
  CHECK(zero_based.NextChange(Seconds(Utc(2041, 1, 1))) == Seconds(Utc(2041, 3, 1)));
}

TEST_CASE("POSIX TZ: malformed strings are rejected") {
  const char* const bad[] = {
      "",                            // nothing
      "EST",                         // no offset
      "ES5",                         // name shorter than 3
      "<AB>5",                       // quoted name shorter than 3
      "<EST5",                       // unterminated quote
      "EST25",                       // offset over 24 hours
      "EST5:60",                     // minutes over 59
      "EST5 ",                       // trailing garbage
      "EST5EDT",                     // DST without a rule
      "EST5EDT,M3.2.0",              // one rule date
      "EST5EDT,M13.1.0,M11.1.0",     // month 13
      "EST5EDT,M3.6.0,M11.1.0",      // week 6
      "EST5EDT,M3.2.7,M11.1.0",      // weekday 7
      "EST5EDT,M3.2,M11.1.0",        // missing weekday
      "EST5EDT,J0,J365",             // Julian day 0
      "EST5EDT,366,J365",            // zero-based day 366
      "EST5EDT,M3.2.0/168,M11.1.0",  // rule time over 167 hours
      "EST5EDT,M3.2.0,M11.1.0,",     // trailing comma
      "5EST",                        // offset before name
  };
  for (const char* spec : bad) {
    CAPTURE(spec);
    CHECK_FALSE(PosixTimeZone::Parse(spec).has_value());
  }
}
