#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "sched/cron.h"
#include "sched_test_util.h"

using sched::kNever;
using sched::TimeZone;
using sched_test::Cron;
using sched_test::Fires;
using sched_test::Iso;
using sched_test::SystemZone;
using sched_test::Utc;
using sched_test::Wall;
using Strings = std::vector<std::string>;

TEST_CASE("cron next: every macro, in UTC") {
  const TimeZone utc;
  const core::TimeMs start = Utc(2026, 5, 5, 12, 34);  // a Tuesday
  CHECK(Fires(Cron("@yearly"), utc, start, 2) ==
        Strings{"2027-01-01T00:00:00Z", "2028-01-01T00:00:00Z"});
  CHECK(Fires(Cron("@annually"), utc, start, 1) == Strings{"2027-01-01T00:00:00Z"});
  CHECK(Fires(Cron("@monthly"), utc, start, 2) ==
        Strings{"2026-06-01T00:00:00Z", "2026-07-01T00:00:00Z"});
  CHECK(Fires(Cron("@weekly"), utc, start, 2) ==
        Strings{"2026-05-10T00:00:00Z", "2026-05-17T00:00:00Z"});
  CHECK(Fires(Cron("@daily"), utc, start, 2) ==
        Strings{"2026-05-06T00:00:00Z", "2026-05-07T00:00:00Z"});
  CHECK(Fires(Cron("@midnight"), utc, start, 1) == Strings{"2026-05-06T00:00:00Z"});
  CHECK(Fires(Cron("@hourly"), utc, start, 2) ==
        Strings{"2026-05-05T13:00:00Z", "2026-05-05T14:00:00Z"});
}

TEST_CASE("cron next: strictly after, at millisecond resolution") {
  const TimeZone utc;
  const auto daily = Cron("@daily");
  CHECK(daily.Next(Utc(2026, 5, 6), utc) == Utc(2026, 5, 7));
  CHECK(daily.Next(Utc(2026, 5, 6) - 1, utc) == Utc(2026, 5, 6));
  CHECK(daily.Next(Utc(2026, 5, 6) + 1, utc) == Utc(2026, 5, 7));
  const auto minutely = Cron("* * * * *");
  CHECK(minutely.Next(Utc(2026, 5, 6, 10, 0, 59) + 999, utc) == Utc(2026, 5, 6, 10, 1));
  CHECK(minutely.Next(Utc(1969, 12, 31, 23, 59, 30), utc) == Utc(1970, 1, 1));
}

TEST_CASE("cron next: the 31st skips 30-day months and February") {
  const TimeZone utc;
  CHECK(Fires(Cron("0 0 31 * *"), utc, Utc(2026, 1, 1), 7) ==
        Strings{"2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z",
                "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z",
                "2026-12-31T00:00:00Z"});
  CHECK(Fires(Cron("0 0 30 * *"), utc, Utc(2026, 1, 30), 2) ==
        Strings{"2026-03-30T00:00:00Z", "2026-04-30T00:00:00Z"});
  CHECK(Fires(Cron("59 23 31 12 *"), utc, Utc(2026, 6, 1), 2) ==
        Strings{"2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"});
}

TEST_CASE("cron next: February 29 fires only in leap years") {
  const TimeZone utc;
  CHECK(Fires(Cron("0 0 29 2 *"), utc, Utc(2025, 1, 1), 3) ==
        Strings{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"});
  // 2100 is not a leap year.
  CHECK(Fires(Cron("0 0 29 2 *"), utc, Utc(2096, 3, 1), 1) == Strings{"2104-02-29T00:00:00Z"});
  // February 29 that is also a Sunday ('*' in day-of-week: both fields must match).
  CHECK(Fires(Cron("0 0 29 2 */7"), utc, Utc(2025, 1, 1), 3) ==
        Strings{"2032-02-29T00:00:00Z", "2060-02-29T00:00:00Z", "2088-02-29T00:00:00Z"});
  const TimeZone berlin = SystemZone("Europe/Berlin");
  CHECK(Fires(Cron("0 0 29 2 *"), berlin, Utc(2025, 1, 1), 1) == Strings{"2028-02-28T23:00:00Z"});
}

TEST_CASE("cron next: day-of-month OR day-of-week when both are restricted") {
  const TimeZone utc;
  // June 2026: Mondays are the 1st, 8th, 15th, 22nd, 29th.
  CHECK(Fires(Cron("0 9 1,15 * MON"), utc, Utc(2026, 6, 1), 7) ==
        Strings{"2026-06-01T09:00:00Z", "2026-06-08T09:00:00Z", "2026-06-15T09:00:00Z",
                "2026-06-22T09:00:00Z", "2026-06-29T09:00:00Z", "2026-07-01T09:00:00Z",
                "2026-07-06T09:00:00Z"});
  // The 13th or any Friday: February 2026 has Friday the 13th.
  CHECK(Fires(Cron("0 0 13 * FRI"), utc, Utc(2026, 2, 1), 4) ==
        Strings{"2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z",
                "2026-02-27T00:00:00Z"});
  // A '*' field leaves the other alone in charge.
  CHECK(Fires(Cron("0 0 * * MON"), utc, Utc(2026, 6, 1), 2) ==
        Strings{"2026-06-08T00:00:00Z", "2026-06-15T00:00:00Z"});
  CHECK(Fires(Cron("0 0 15 * *"), utc, Utc(2026, 6, 1), 2) ==
        Strings{"2026-06-15T00:00:00Z", "2026-07-15T00:00:00Z"});
  // Vixie quirk kept for compatibility: "*/2" starts with '*', so both fields must match
  // (odd days that are Mondays).
  CHECK(Fires(Cron("0 0 */2 * MON"), utc, Utc(2026, 6, 1), 3) ==
        Strings{"2026-06-15T00:00:00Z", "2026-06-29T00:00:00Z", "2026-07-13T00:00:00Z"});
}

TEST_CASE("cron next: steps, ranges, lists and names") {
  const TimeZone utc;
  CHECK(Fires(Cron("*/15 * * * *"), utc, Utc(2026, 6, 1, 10, 7), 4) ==
        Strings{"2026-06-01T10:15:00Z", "2026-06-01T10:30:00Z", "2026-06-01T10:45:00Z",
                "2026-06-01T11:00:00Z"});
  CHECK(Fires(Cron("1-30/10 * * * *"), utc, Utc(2026, 6, 1, 10), 4) ==
        Strings{"2026-06-01T10:01:00Z", "2026-06-01T10:11:00Z", "2026-06-01T10:21:00Z",
                "2026-06-01T11:01:00Z"});
  CHECK(Fires(Cron("5,50 9-10 * * *"), utc, Utc(2026, 6, 1), 5) ==
        Strings{"2026-06-01T09:05:00Z", "2026-06-01T09:50:00Z", "2026-06-01T10:05:00Z",
                "2026-06-01T10:50:00Z", "2026-06-02T09:05:00Z"});
  CHECK(Fires(Cron("0 12 * * MON-FRI"), utc, Utc(2026, 6, 5, 13), 2) ==  // from Friday noon
        Strings{"2026-06-08T12:00:00Z", "2026-06-09T12:00:00Z"});
  CHECK(Fires(Cron("0 0 1 */3 *"), utc, Utc(2026, 1, 1), 4) ==
        Strings{"2026-04-01T00:00:00Z", "2026-07-01T00:00:00Z", "2026-10-01T00:00:00Z",
                "2027-01-01T00:00:00Z"});
  CHECK(Fires(Cron("30 8 * jan,JUL sun"), utc, Utc(2026, 1, 20), 3) ==
        Strings{"2026-01-25T08:30:00Z", "2026-07-05T08:30:00Z", "2026-07-12T08:30:00Z"});
  CHECK(Fires(Cron("0 0 * * SAT-SUN/1"), utc, Utc(2026, 6, 1), 2) ==
        Strings{"2026-06-06T00:00:00Z", "2026-06-07T00:00:00Z"});
}

TEST_CASE("cron next: Europe/Berlin spring forward, 02:30 fires at 03:00 CEST") {
  const TimeZone berlin = SystemZone("Europe/Berlin");
  const auto schedule = Cron("30 2 * * *");
  const Strings fires = Fires(schedule, berlin, Utc(2026, 3, 27, 12), 3);
  CHECK(fires == Strings{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
  CHECK(Wall(berlin, Utc(2026, 3, 29, 1)) == "2026-03-29T03:00:00");
}

TEST_CASE("cron next: Europe/Berlin fall back, 02:30 fires once, at its first occurrence") {
  const TimeZone berlin = SystemZone("Europe/Berlin");
  const auto schedule = Cron("30 2 * * *");
  CHECK(Fires(schedule, berlin, Utc(2026, 10, 23, 12), 3) ==
        Strings{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
  // Asked from between the two occurrences, the second is not offered.
  CHECK(Iso(schedule.Next(Utc(2026, 10, 25, 1), berlin)) == "2026-10-26T01:30:00Z");
  CHECK(Iso(schedule.Next(Utc(2026, 10, 25, 1, 30), berlin)) == "2026-10-26T01:30:00Z");
}

TEST_CASE("cron next: America/New_York spring-forward gap and fall-back fold") {
  const TimeZone new_york = SystemZone("America/New_York");
  // 2026-03-08: 02:00 EST -> 03:00 EDT. 02:30 fires once, at 03:00 EDT (07:00Z).
  CHECK(Fires(Cron("30 2 * * *"), new_york, Utc(2026, 3, 7), 3) ==
        Strings{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"});
  // Several fixed times in the gap still fire only once.
  CHECK(Fires(Cron("0,15,30,45 2 * * *"), new_york, Utc(2026, 3, 8, 6), 3) ==
        Strings{"2026-03-08T07:00:00Z", "2026-03-09T06:00:00Z", "2026-03-09T06:15:00Z"});
  // 2026-11-01: 02:00 EDT -> 01:00 EST. 01:30 fires once, at 01:30 EDT (05:30Z).
  const auto fold = Cron("30 1 * * *");
  CHECK(Fires(fold, new_york, Utc(2026, 10, 31), 3) ==
        Strings{"2026-10-31T05:30:00Z", "2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"});
  CHECK(Iso(fold.Next(Utc(2026, 11, 1, 6), new_york)) == "2026-11-02T06:30:00Z");
  // A job after the fold is unaffected.
  CHECK(Fires(Cron("0 2 * * *"), new_york, Utc(2026, 11, 1), 1) == Strings{"2026-11-01T07:00:00Z"});
}

TEST_CASE("cron next: interval schedules follow the wall clock through DST changes") {
  const TimeZone new_york = SystemZone("America/New_York");
  // The repeated hour fires again: every 30 minutes of wall time, twice through 01:xx.
  CHECK(Fires(Cron("*/30 * * * *"), new_york, Utc(2026, 11, 1, 4, 45), 5) ==
        Strings{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z",
                "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z"});
  // Minutes that do not exist do not fire.
  CHECK(Fires(Cron("30 * * * *"), new_york, Utc(2026, 3, 8, 5), 3) ==
        Strings{"2026-03-08T05:30:00Z", "2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"});

  // @hourly in Berlin fires 23 times on the short day and 25 on the long one.
  const TimeZone berlin = SystemZone("Europe/Berlin");
  const auto hourly = Cron("@hourly");
  auto count_between = [&](core::TimeMs from, core::TimeMs to) {
    int count = 0;
    for (core::TimeMs t = hourly.Next(from - 1, berlin); t < to; t = hourly.Next(t, berlin)) {
      ++count;
    }
    return count;
  };
  CHECK(count_between(Utc(2026, 3, 28, 23), Utc(2026, 3, 29, 22)) == 23);
  CHECK(count_between(Utc(2026, 10, 24, 22), Utc(2026, 10, 25, 23)) == 25);
  CHECK(count_between(Utc(2026, 6, 1, 22), Utc(2026, 6, 2, 22)) == 24);
}

TEST_CASE("cron next: @daily where clocks skip midnight (America/Santiago)") {
  // 2026-09-06: Saturday 24:00 -04 becomes Sunday 01:00 -03; midnight never happens.
  const TimeZone santiago = SystemZone("America/Santiago");
  CHECK(Fires(Cron("@daily"), santiago, Utc(2026, 9, 5, 12), 2) ==
        Strings{"2026-09-06T04:00:00Z", "2026-09-07T03:00:00Z"});
  CHECK(Wall(santiago, Utc(2026, 9, 6, 4)) == "2026-09-06T01:00:00");
}

TEST_CASE("cron next: zones with non-hour offsets") {
  const TimeZone kolkata = SystemZone("Asia/Kolkata");
  CHECK(Fires(Cron("0 9 * * *"), kolkata, Utc(2026, 1, 1), 2) ==
        Strings{"2026-01-01T03:30:00Z", "2026-01-02T03:30:00Z"});
  CHECK(Fires(Cron("@hourly"), kolkata, Utc(2026, 1, 1, 0, 10), 2) ==
        Strings{"2026-01-01T00:30:00Z", "2026-01-01T01:30:00Z"});

  // Lord Howe Island shifts by 30 minutes: 2026-10-04 02:00 -> 02:30 (+10:30 -> +11).
  const TimeZone lord_howe = SystemZone("Australia/Lord_Howe");
  CHECK(Fires(Cron("15 2 * * *"), lord_howe, Utc(2026, 10, 2), 3) ==
        Strings{"2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z", "2026-10-04T15:15:00Z"});
  CHECK(Wall(lord_howe, Utc(2026, 10, 3, 15, 30)) == "2026-10-04T02:30:00");
  // 2026-04-05 01:30-02:00 happens twice (+11 then +10:30); 01:45 fires at the first.
  CHECK(Fires(Cron("45 1 * * *"), lord_howe, Utc(2026, 4, 3), 3) ==
        Strings{"2026-04-03T14:45:00Z", "2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"});
}

TEST_CASE("cron next: beyond the last TZif transition (2040) the footer rule governs DST") {
  const TimeZone new_york = SystemZone("America/New_York");
  CHECK(Fires(Cron("30 2 * * *"), new_york, Utc(2040, 3, 10), 2) ==
        Strings{"2040-03-10T07:30:00Z", "2040-03-11T07:00:00Z"});
  CHECK(Fires(Cron("30 1 * * *"), new_york, Utc(2040, 11, 3), 3) ==
        Strings{"2040-11-03T05:30:00Z", "2040-11-04T05:30:00Z", "2040-11-05T06:30:00Z"});
  const TimeZone berlin = SystemZone("Europe/Berlin");
  CHECK(Fires(Cron("30 2 * * *"), berlin, Utc(2040, 3, 24), 2) ==
        Strings{"2040-03-24T01:30:00Z", "2040-03-25T01:00:00Z"});
  CHECK(Fires(Cron("0 9 * * MON"), berlin, Utc(2040, 10, 27), 2) ==
        Strings{"2040-10-29T08:00:00Z", "2040-11-05T08:00:00Z"});
}

TEST_CASE("cron next: the ends of the supported range") {
  const TimeZone utc;
  const auto daily = Cron("@daily");
  CHECK(daily.Next(std::numeric_limits<core::TimeMs>::max(), utc) == kNever);
  CHECK(daily.Next(Utc(9999, 12, 31), utc) == kNever);
  CHECK(daily.Next(Utc(9999, 12, 30, 12), utc) == Utc(9999, 12, 31));
  CHECK(Iso(daily.Next(std::numeric_limits<core::TimeMs>::min(), utc)) == "0001-01-01T00:00:00Z");
  const TimeZone new_york = SystemZone("America/New_York");
  CHECK(daily.Next(std::numeric_limits<core::TimeMs>::max(), new_york) == kNever);
  CHECK(daily.Next(std::numeric_limits<core::TimeMs>::min(), new_york) > Utc(1, 1, 1) - 86'400'000);
  CHECK(Cron("0 0 29 2 */7").Next(Utc(9990, 1, 1), utc) == kNever);  // next one is in 10032
}

TEST_CASE("cron next: rare schedules stay cheap across many DST transitions") {
  const TimeZone new_york = SystemZone("America/New_York");
  const auto rare = Cron("0 0 29 2 */7");  // February 29 on a Sunday
  core::TimeMs t = Utc(1900, 1, 1);
  int fires = 0;
  while (fires < 20) {
    t = rare.Next(t, new_york);
    REQUIRE(t != kNever);
    CHECK(Wall(new_york, t).substr(4) == "-02-29T00:00:00");
    ++fires;
  }
  CHECK(t > Utc(2400, 1, 1));
}

namespace {

// A brute-force reference for the DST policy: walk UTC minute by minute, decide whether each
// wall time matches with the schedule's own UTC evaluation (wall time read as UTC), and apply
// the policy rules directly. Only compares fires in [from, to).
std::vector<core::TimeMs> ReferenceFires(const sched::CronSchedule& schedule, bool fixed_time,
                                         const TimeZone& zone, core::TimeMs from, core::TimeMs to) {
  const TimeZone utc;
  // The next matching wall time at or after `memo_from` is `memo_next`; walls mostly increase,
  // so this needs about one Next call per match.
  std::int64_t memo_from = 1;
  std::int64_t memo_next = 0;
  auto matches = [&](std::int64_t wall_seconds) {
    if (wall_seconds < memo_from || wall_seconds > memo_next) {
      memo_from = wall_seconds;
      memo_next = schedule.Next(wall_seconds * 1000 - 1, utc) / 1000;
    }
    return wall_seconds == memo_next;
  };
  auto wall_of = [&](core::TimeMs t) { return sched::CivilToSeconds(zone.ToCivil(t)); };
  std::vector<core::TimeMs> fires;
  const core::TimeMs history = from - 30 * 3'600'000LL;  // longer than any UTC offset
  std::int64_t previous = wall_of(history - 60'000);
  std::int64_t latest_wall = previous;
  for (core::TimeMs t = history; t < to; t += 60'000) {
    const std::int64_t wall = wall_of(t);
    bool fire = false;
    if (fixed_time && wall > previous + 60) {
      for (std::int64_t skipped = previous + 60; skipped < wall; skipped += 60) {
        fire = fire || matches(skipped);
      }
    }
    if (matches(wall) && (!fixed_time || wall > latest_wall)) {
      fire = true;
    }
    latest_wall = std::max(latest_wall, wall);
    previous = wall;
    if (fire && t >= from) {
      fires.push_back(t);
    }
  }
  return fires;
}

}  // namespace

TEST_CASE("cron next: agrees with a brute-force reference around DST transitions") {
  struct Window {
    const char* zone;
    core::TimeMs around;
  };
  const Window windows[] = {
      {"America/New_York", Utc(2026, 3, 8, 7)},      {"America/New_York", Utc(2026, 11, 1, 6)},
      {"Europe/Berlin", Utc(2026, 3, 29, 1)},        {"Europe/Berlin", Utc(2040, 10, 28, 1)},
      {"Australia/Lord_Howe", Utc(2026, 10, 3, 15)}, {"Australia/Lord_Howe", Utc(2026, 4, 4, 15)},
      {"America/Santiago", Utc(2026, 9, 6, 4)},      {"America/Santiago", Utc(2026, 4, 5, 3)},
  };
  const char* const minutes[] = {"0", "30", "*/20", "15,45", "*"};
  const char* const hours[] = {"*", "0", "1", "2", "1-3", "23", "*/2"};
  const char* const days[] = {"*", "1-10 * *", "* * SUN", "1 * MON"};
  for (const Window& window : windows) {
    const TimeZone zone = SystemZone(window.zone);
    const core::TimeMs from = window.around - 18 * 3'600'000LL;
    const core::TimeMs to = window.around + 30 * 3'600'000LL;
    for (const char* minute : minutes) {
      for (const char* hour : hours) {
        for (const char* day : days) {
          const std::string day_fields = std::string(day) == "*" ? "* * *" : day;
          const std::string expression = std::string(minute) + " " + hour + " " + day_fields;
          CAPTURE(window.zone);
          CAPTURE(Iso(window.around));
          CAPTURE(expression);
          const auto schedule = Cron(expression);
          const bool fixed_time = minute[0] != '*' && hour[0] != '*';
          std::vector<core::TimeMs> actual;
          for (core::TimeMs t = schedule.Next(from - 1, zone); t < to; t = schedule.Next(t, zone)) {
            actual.push_back(t);
          }
          const auto expected = ReferenceFires(schedule, fixed_time, zone, from, to);
          REQUIRE(actual == expected);
        }
      }
    }
  }
}
