#include "sched/timezone.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "sched_test_util.h"
#include "testing/temp_dir.h"

using core::ErrorCode;
using sched::CivilTime;
using sched::TimeZone;
using sched_test::BuildTzif;
using sched_test::Iso;
using sched_test::SystemZone;
using sched_test::Utc;
using sched_test::Wall;

namespace {

std::vector<std::string> FromCivilIso(const TimeZone& zone, const CivilTime& local) {
  std::vector<std::string> instants;
  for (const core::TimeMs instant : zone.FromCivil(local)) {
    instants.push_back(Iso(instant));
  }
  return instants;
}

void CheckTransition(const TimeZone& zone, core::TimeMs after, core::TimeMs at, int before,
                     int after_offset) {
  const auto transition = zone.NextTransition(after);
  REQUIRE(transition.has_value());
  CHECK(Iso(transition->at) == Iso(at));
  CHECK(transition->offset_before == before);
  CHECK(transition->offset_after == after_offset);
}

// A version 2 file shaped like `zic -b slim` output for New York: LMT until 1883, two explicit
// transitions, then the footer rule.
std::string SlimNewYork() {
  return BuildTzif(
      '2', {Utc(1883, 11, 18, 17) / 1000, Utc(2007, 3, 11, 7) / 1000, Utc(2007, 11, 4, 6) / 1000},
      {2, 1, 2}, {{-17762, false}, {-14400, true}, {-18000, false}}, "EST5EDT,M3.2.0,M11.1.0");
}

}  // namespace

TEST_CASE("TimeZone: UTC needs no files and is the default") {
  auto utc = TimeZone::Load("UTC", "/nonexistent-zoneinfo-root");
  REQUIRE(utc.ok());
  CHECK(utc->name() == "UTC");
  CHECK(utc->OffsetSecondsAt(Utc(2026, 7, 1)) == 0);
  CHECK(Wall(*utc, Utc(2026, 7, 1, 12, 34, 56) + 789) == "2026-07-01T12:34:56");
  CHECK(utc->FromCivil({2026, 7, 1, 12, 0, 0}) == std::vector<core::TimeMs>{Utc(2026, 7, 1, 12)});
  CHECK_FALSE(utc->NextTransition(0).has_value());
  const TimeZone default_zone;
  CHECK(default_zone.name() == "UTC");
  CHECK(TimeZone::Utc().OffsetSecondsAt(-1) == 0);
}

TEST_CASE("TimeZone: malformed names are refused before touching the disk") {
  const std::string too_long(300, 'A');
  const char* const bad[] = {"",
                             "/etc/passwd",
                             "../etc/passwd",
                             "Europe/../../etc/passwd",
                             "Europe/..",
                             "Europe//Berlin",
                             "Europe/Berlin/",
                             "Europe/.hidden",
                             "./Europe/Berlin",
                             "Europe/Ber lin",
                             "Europe/Berlin\n",
                             "Europe\\Berlin",
                             "localtime",
                             too_long.c_str()};
  for (const char* name : bad) {
    CAPTURE(name);
    auto zone = TimeZone::Load(name, sched_test::kZoneInfo);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == ErrorCode::kInvalidArgument);
    CHECK(zone.error().field == "timezone");
  }
}

TEST_CASE("TimeZone: unknown zones, non-TZif files and directories are invalid arguments") {
  REQUIRE(std::filesystem::is_directory(sched_test::kZoneInfo));
  for (const char* name : {"Mars/Olympus_Mons", "Europe", "zone.tab", "tzdata.zi"}) {
    CAPTURE(name);
    auto zone = TimeZone::Load(name);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == ErrorCode::kInvalidArgument);
    CHECK(zone.error().field == "timezone");
  }
  auto unknown = TimeZone::Load("Mars/Olympus_Mons");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.error().message == "unknown time zone \"Mars/Olympus_Mons\"");
  auto table = TimeZone::Load("zone.tab");
  REQUIRE_FALSE(table.ok());
  CHECK(table.error().message.find("not TZif") != std::string::npos);
}

TEST_CASE("TimeZone: leap-second zones (right/) are refused with a reason") {
  const std::string path = std::string(sched_test::kZoneInfo) + "/right/Europe/Berlin";
  INFO("Debian's tzdata ships right/ zones; missing: ", path);
  REQUIRE(std::filesystem::is_regular_file(path));
  auto zone = TimeZone::Load("right/Europe/Berlin");
  REQUIRE_FALSE(zone.ok());
  CHECK(zone.error().code == ErrorCode::kInvalidArgument);
  CHECK(zone.error().message.find("leap-second") != std::string::npos);
}

TEST_CASE("TimeZone: a missing zoneinfo root is a failed precondition, not a bad name") {
  auto zone = TimeZone::Load("Europe/Berlin", "/nonexistent-zoneinfo-root");
  REQUIRE_FALSE(zone.ok());
  CHECK(zone.error().code == ErrorCode::kFailedPrecondition);
  CHECK(zone.error().field == "timezone");
}

TEST_CASE("TimeZone: Europe/Berlin offsets, wall times and 2026 transitions") {
  const TimeZone berlin = SystemZone("Europe/Berlin");
  CHECK(berlin.name() == "Europe/Berlin");
  CHECK(berlin.OffsetSecondsAt(Utc(2026, 1, 15)) == 3600);
  CHECK(berlin.OffsetSecondsAt(Utc(2026, 7, 15)) == 7200);
  CHECK(Wall(berlin, Utc(2026, 7, 15, 10)) == "2026-07-15T12:00:00");
  CheckTransition(berlin, Utc(2026, 1, 1), Utc(2026, 3, 29, 1), 3600, 7200);
  CheckTransition(berlin, Utc(2026, 3, 29, 1), Utc(2026, 10, 25, 1), 7200, 3600);
  // The transition instant itself is on the new offset; one millisecond before is not.
  CHECK(berlin.OffsetSecondsAt(Utc(2026, 3, 29, 1) - 1) == 3600);
  CHECK(berlin.OffsetSecondsAt(Utc(2026, 3, 29, 1)) == 7200);
  CHECK(Wall(berlin, Utc(2026, 3, 29, 1) - 1) == "2026-03-29T01:59:59");
  CHECK(Wall(berlin, Utc(2026, 3, 29, 1)) == "2026-03-29T03:00:00");
  // Berlin kept CET (UTC+1) through 1945; before 1893 it was local mean time.
  CHECK(berlin.OffsetSecondsAt(Utc(1850, 1, 1)) == 3208);
}

TEST_CASE("TimeZone: FromCivil reports gaps, single times and folds") {
  const TimeZone berlin = SystemZone("Europe/Berlin");
  CHECK(FromCivilIso(berlin, {2026, 3, 29, 2, 30, 0}).empty());  // 02:00 -> 03:00
  CHECK(FromCivilIso(berlin, {2026, 3, 29, 3, 0, 0}) ==
        std::vector<std::string>{"2026-03-29T01:00:00Z"});
  CHECK(FromCivilIso(berlin, {2026, 3, 29, 1, 59, 59}) ==
        std::vector<std::string>{"2026-03-29T00:59:59Z"});
  CHECK(FromCivilIso(berlin, {2026, 10, 25, 2, 30, 0}) ==
        std::vector<std::string>{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"});
  CHECK(FromCivilIso(berlin, {2026, 10, 25, 3, 0, 0}) ==
        std::vector<std::string>{"2026-10-25T02:00:00Z"});

  const TimeZone new_york = SystemZone("America/New_York");
  CHECK(FromCivilIso(new_york, {2026, 3, 8, 2, 30, 0}).empty());
  CHECK(FromCivilIso(new_york, {2026, 11, 1, 1, 30, 0}) ==
        std::vector<std::string>{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z"});
  CHECK(FromCivilIso(new_york, {2026, 7, 4, 12, 0, 0}) ==
        std::vector<std::string>{"2026-07-04T16:00:00Z"});

  // Invalid wall times have no instants rather than being normalised.
  CHECK(berlin.FromCivil({2026, 2, 29, 12, 0, 0}).empty());
  CHECK(berlin.FromCivil({2026, 2, 30, 12, 0, 0}).empty());
  CHECK(berlin.FromCivil({2026, 13, 1, 0, 0, 0}).empty());
  CHECK(berlin.FromCivil({2026, 1, 1, 24, 0, 0}).empty());
  CHECK(berlin.FromCivil({2026, 1, 1, 0, 60, 0}).empty());
  CHECK(berlin.FromCivil({2026, 1, 1, 0, 0, -1}).empty());
  CHECK(berlin.FromCivil({2'000'000'000, 1, 1, 0, 0, 0}).empty());  // beyond int64 ms
}

TEST_CASE("TimeZone: non-hour offsets, Asia/Kolkata and Australia/Lord_Howe") {
  const TimeZone kolkata = SystemZone("Asia/Kolkata");
  CHECK(kolkata.OffsetSecondsAt(Utc(2026, 1, 1)) == 19800);
  CHECK(Wall(kolkata, Utc(2026, 1, 1)) == "2026-01-01T05:30:00");
  CHECK_FALSE(kolkata.NextTransition(Utc(2026, 1, 1)).has_value());

  // Lord Howe Island: UTC+10:30, with a 30-minute daylight saving shift to UTC+11.
  const TimeZone lord_howe = SystemZone("Australia/Lord_Howe");
  CheckTransition(lord_howe, Utc(2026, 1, 1), Utc(2026, 4, 4, 15), 39600, 37800);
  CheckTransition(lord_howe, Utc(2026, 4, 4, 15), Utc(2026, 10, 3, 15, 30), 37800, 39600);
  CHECK(FromCivilIso(lord_howe, {2026, 10, 4, 2, 15, 0}).empty());  // 02:00 -> 02:30
  CHECK(FromCivilIso(lord_howe, {2026, 4, 5, 1, 45, 0}) ==
        std::vector<std::string>{"2026-04-04T14:45:00Z", "2026-04-04T15:15:00Z"});
}

TEST_CASE("TimeZone: beyond the file's transitions (2040) the footer POSIX rule applies") {
  // Debian's tzdata files list transitions only through 2037.
  const TimeZone new_york = SystemZone("America/New_York");
  CheckTransition(new_york, Utc(2040, 1, 1), Utc(2040, 3, 11, 7), -18000, -14400);
  CheckTransition(new_york, Utc(2040, 3, 11, 7), Utc(2040, 11, 4, 6), -14400, -18000);
  CHECK(FromCivilIso(new_york, {2040, 11, 4, 1, 30, 0}) ==
        std::vector<std::string>{"2040-11-04T05:30:00Z", "2040-11-04T06:30:00Z"});
  const TimeZone berlin = SystemZone("Europe/Berlin");
  CheckTransition(berlin, Utc(2040, 1, 1), Utc(2040, 3, 25, 1), 3600, 7200);
  CheckTransition(berlin, Utc(2040, 3, 25, 1), Utc(2040, 10, 28, 1), 7200, 3600);
  CheckTransition(berlin, Utc(2399, 6, 1), Utc(2399, 10, 31, 1), 7200, 3600);
  const TimeZone lord_howe = SystemZone("Australia/Lord_Howe");
  CheckTransition(lord_howe, Utc(2040, 1, 1), Utc(2040, 3, 31, 15), 39600, 37800);
  CheckTransition(lord_howe, Utc(2040, 3, 31, 15), Utc(2040, 10, 6, 15, 30), 37800, 39600);
}

TEST_CASE("TimeZone: any int64 instant is handled without overflow") {
  const TimeZone new_york = SystemZone("America/New_York");
  for (const core::TimeMs extreme :
       {std::numeric_limits<core::TimeMs>::min(), std::numeric_limits<core::TimeMs>::max()}) {
    CAPTURE(extreme);
    const int offset = new_york.OffsetSecondsAt(extreme);
    CHECK(offset > -86400);
    CHECK(offset < 86400);
    const CivilTime wall = new_york.ToCivil(extreme);
    CHECK(wall.month >= 1);
    CHECK(wall.month <= 12);
    const auto transition = new_york.NextTransition(extreme);
    if (transition) {
      CHECK(transition->at > extreme);
    }
  }
  CHECK(new_york.OffsetSecondsAt(std::numeric_limits<core::TimeMs>::min()) == -17762);  // LMT
}

TEST_CASE("TimeZone: slim TZif files lean on the footer from early on") {
  auto zone = TimeZone::FromTzif("Test/SlimNewYork", SlimNewYork());
  REQUIRE_MESSAGE(zone.ok(), sched_test::ErrorText(zone));
  CHECK(zone->name() == "Test/SlimNewYork");
  CHECK(zone->OffsetSecondsAt(Utc(1800, 1, 1)) == -17762);  // type 0 before the first
  CHECK(zone->OffsetSecondsAt(Utc(2007, 7, 1)) == -14400);  // explicit table
  CHECK(zone->OffsetSecondsAt(Utc(2026, 7, 1)) == -14400);  // footer rule
  CHECK(zone->OffsetSecondsAt(Utc(2026, 12, 1)) == -18000);
  CheckTransition(*zone, Utc(2007, 3, 11, 7), Utc(2007, 11, 4, 6), -14400, -18000);
  CheckTransition(*zone, Utc(2007, 11, 4, 6), Utc(2008, 3, 9, 7), -18000, -14400);
  CheckTransition(*zone, Utc(2026, 1, 1), Utc(2026, 3, 8, 7), -18000, -14400);
  // Same answers as the system's (fat) file.
  const TimeZone system = SystemZone("America/New_York");
  for (core::TimeMs t = Utc(2008, 1, 1); t < Utc(2060, 1, 1); t += 86'400'000LL * 7 + 3'600'000) {
    CAPTURE(Iso(t));
    REQUIRE(zone->OffsetSecondsAt(t) == system.OffsetSecondsAt(t));
  }
}

TEST_CASE("TimeZone: a footer-only file applies its rule to all time") {
  auto zone = TimeZone::FromTzif(
      "Test/RuleOnly", BuildTzif('2', {}, {}, {{-18000, false}}, "EST5EDT,M3.2.0,M11.1.0"));
  REQUIRE_MESSAGE(zone.ok(), sched_test::ErrorText(zone));
  CheckTransition(*zone, Utc(2026, 1, 1), Utc(2026, 3, 8, 7), -18000, -14400);
  CHECK(zone->OffsetSecondsAt(Utc(1990, 7, 1)) == -14400);
}

TEST_CASE("TimeZone: version 1 files and empty footers keep the last type forever") {
  const std::vector<sched_test::TzifType> types = {{3600, false}, {7200, true}};
  auto v1 = TimeZone::FromTzif("Test/V1", BuildTzif('\0', {1000000000}, {1}, types, ""));
  REQUIRE_MESSAGE(v1.ok(), sched_test::ErrorText(v1));
  CHECK(v1->OffsetSecondsAt(999'999'999'999) == 3600);
  CHECK(v1->OffsetSecondsAt(1'000'000'000'000) == 7200);
  CHECK(v1->OffsetSecondsAt(Utc(2200, 1, 1)) == 7200);
  CHECK_FALSE(v1->NextTransition(1'000'000'000'000).has_value());
  auto empty_footer = TimeZone::FromTzif("Test/V3", BuildTzif('3', {1000000000}, {1}, types, ""));
  REQUIRE_MESSAGE(empty_footer.ok(), sched_test::ErrorText(empty_footer));
  CHECK(empty_footer->OffsetSecondsAt(Utc(2200, 1, 1)) == 7200);
}

TEST_CASE("TimeZone: zic's big-bang transition at -2^59 s is accepted") {
  const std::int64_t big_bang = -(std::int64_t{1} << 59);
  auto zone = TimeZone::FromTzif(
      "Test/BigBang",
      BuildTzif('2', {big_bang, 0}, {0, 1}, {{-3600, false}, {3600, false}}, "XXX-1"));
  REQUIRE_MESSAGE(zone.ok(), sched_test::ErrorText(zone));
  CHECK(zone->OffsetSecondsAt(std::numeric_limits<core::TimeMs>::min()) == -3600);
  CHECK(zone->OffsetSecondsAt(-1) == -3600);
  CHECK(zone->OffsetSecondsAt(0) == 3600);
  CheckTransition(*zone, std::numeric_limits<core::TimeMs>::min(), 0, -3600, 3600);
}

TEST_CASE("TimeZone: malformed TZif data is an invalid argument, never a crash") {
  const std::string good = SlimNewYork();
  REQUIRE(TimeZone::FromTzif("Test/Good", good).ok());
  // Every truncation of a valid file is detected.
  for (std::size_t length = 0; length < good.size(); ++length) {
    CAPTURE(length);
    auto zone = TimeZone::FromTzif("Test/Truncated", good.substr(0, length));
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == ErrorCode::kInvalidArgument);
    CHECK(zone.error().field == "timezone");
  }
  struct Case {
    const char* what;
    std::string data;
    const char* message_part;
  };
  std::string bad_version = good;
  bad_version[4] = '1';
  std::string leap = BuildTzif('2', {}, {}, {{0, false}}, "UTC0");
  // The v1 part is a 44-byte header and 7 bytes of data; leapcnt's low byte is at 31.
  leap[44 + 7 + 31] = 1;
  const Case cases[] = {
      {"bad magic", "TZiX" + good.substr(4), "not TZif"},
      {"unknown version", bad_version, "unknown TZif version"},
      {"no types", BuildTzif('2', {}, {}, {}, "UTC0"), "no local time types"},
      {"out of order", BuildTzif('2', {10, 5}, {0, 0}, {{0, false}}, "UTC0"), "out of order"},
      {"repeated time", BuildTzif('2', {10, 10}, {0, 0}, {{0, false}}, "UTC0"), "out of order"},
      {"type index", BuildTzif('2', {10}, {1}, {{0, false}}, "UTC0"), "nonexistent"},
      {"offset of 26 h", BuildTzif('2', {}, {}, {{26 * 3600, false}}, "UTC0"), "26 hours"},
      {"bad footer", BuildTzif('2', {}, {}, {{0, false}}, "EST5EDT"), "footer"},
      {"footer unterminated", good.substr(0, good.size() - 1), "footer"},
      {"leap seconds", leap, "leap-second"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    auto zone = TimeZone::FromTzif("Test/Bad", c.data);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == ErrorCode::kInvalidArgument);
    CHECK(zone.error().message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("TimeZone: Load reads zones from a configurable root") {
  testing::TempDir root;
  root.Write("Test/Slim_New-York+1", SlimNewYork());
  root.Write("Test/Empty", "");
  auto zone = TimeZone::Load("Test/Slim_New-York+1", root.path().string());
  REQUIRE_MESSAGE(zone.ok(), sched_test::ErrorText(zone));
  CHECK(zone->name() == "Test/Slim_New-York+1");
  CHECK(zone->OffsetSecondsAt(Utc(2026, 7, 1)) == -14400);
  auto empty = TimeZone::Load("Test/Empty", root.path().string());
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().code == ErrorCode::kInvalidArgument);
  // Copies share the parsed rules and answer alike.
  const TimeZone copy = *zone;
  CHECK(copy.name() == zone->name());
  CHECK(copy.OffsetSecondsAt(Utc(2026, 1, 1)) == -18000);
}

TEST_CASE("timezone_factory_and_posixrules_refused") {
  for (const char* name : {"Factory", "posixrules", "EST5EDT", "Japan", "posix/Europe/Berlin"}) {
    CAPTURE(name);
    auto zone = TimeZone::Load(name);
    REQUIRE_FALSE(zone.ok());
    CHECK(zone.error().code == ErrorCode::kInvalidArgument);
    CHECK(zone.error().field == "timezone");
  }
  CHECK(TimeZone::Load("UTC").ok());
  CHECK(TimeZone::Load("GMT").ok());
  CHECK(TimeZone::Load("Etc/UTC").ok());
  CHECK(TimeZone::Load("Europe/Berlin").ok());
  CHECK(TimeZone::Load("America/Argentina/Buenos_Aires").ok());
}
