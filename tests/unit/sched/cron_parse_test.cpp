#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "sched/cron.h"
#include "sched_test_util.h"

using sched::CronSchedule;
using sched_test::Cron;
using sched_test::Fires;
using sched_test::Utc;

TEST_CASE("cron parse: valid expressions") {
  const char* const valid[] = {
      "* * * * *",
      "*/15 * * * *",
      "0 9 * * MON-FRI",
      "0 0 1 jan,Jul *",
      "0 0 * * sun",
      "0 0 * * 7",
      "0 0 * * 0-7",
      "5,10-20/5,59 * * * *",
      "0 0-23/6 * * *",
      "0 0 29 2 *",
      "0 0 31 2 MON",  // either field: every Monday in February
      "0 0 1-31/10 * *",
      "0 0 * DEC-dec/1 Sat",
      "*/60 */24 */31 */12 */8",
      "00 09 01 01 00",
      "  0\t9  * *   1  ",
      "@yearly",
      "@annually",
      "@monthly",
      "@weekly",
      "@daily",
      "@midnight",
      "@hourly",
      "@DAILY",
  };
  for (const char* expression : valid) {
    CAPTURE(expression);
    auto schedule = CronSchedule::Parse(expression);
    CHECK_MESSAGE(schedule.ok(), sched_test::ErrorText(schedule));
  }
  CHECK(Cron("  0\t9  * *   1  ").expression() == "0\t9  * *   1");
  CHECK(Cron("@daily").expression() == "@daily");
}

TEST_CASE("cron parse: each kind of error names the part at fault") {
  struct Case {
    const char* expression;
    const char* message_part;
  };
  const std::string too_long(1100, '*');
  const Case cases[] = {
      {"", "empty"},
      {"   \t ", "empty"},
      {"* * * *", "expected 5 fields"},
      {"* * * * * *", "expected 5 fields"},
      {"0 0 * * * 2026", "got 6"},
      {"60 * * * *", "minute field \"60\": 60 is out of range 0-59"},
      {"* 24 * * *", "hour field \"24\": 24 is out of range 0-23"},
      {"* * 0 * *", "day-of-month field \"0\": 0 is out of range 1-31"},
      {"* * 32 * *", "day-of-month field \"32\""},
      {"* * * 0 *", "month field \"0\": 0 is out of range 1-12"},
      {"* * * 13 *", "month field \"13\""},
      {"* * * * 8", "day-of-week field \"8\": 8 is out of range 0-7"},
      {"* * * * MONDAY", "day-of-week field \"MONDAY\": \"MONDAY\" is not a number or name"},
      {"* * * FOO *", "month field \"FOO\""},
      {"* * * * JAN", "day-of-week field \"JAN\""},
      {"* * * MON *", "month field \"MON\""},
      {"JAN * * * *", "minute field \"JAN\": \"JAN\" is not a number"},
      {"5-1 * * * *", "range 5-1 is backwards"},
      {"* * * * FRI-MON", "range FRI-MON is backwards"},
      {"*/0 * * * *", "step \"0\" must be a number from 1 to 60"},
      {"*/61 * * * *", "step \"61\""},
      {"* */x * * *", "hour field \"*/x\": step \"x\""},
      {"*/ * * * *", "step \"\""},
      {"5/15 * * * *", "a step needs a range"},
      {"1,,2 * * * *", "empty list element"},
      {"1, * * * *", "empty list element"},
      {"-5 * * * *", "missing value"},
      {"1- * * * *", "missing value"},
      {"1-2-3 * * * *", "\"2-3\" is not a number"},
      {"99999 * * * *", "is not a number"},
      {"? * * * *", "minute field \"?\""},
      {"0 0 L * *", "day-of-month field \"L\""},
      {"0 0 30 2 *", "never fire"},
      {"0 0 31 2,4,6,9,11 *", "never fire"},
      {"0 0 30,31 feb *", "never fire"},
      {"0 0 30 2 */2", "never fire"},  // '*' in day-of-week means both must match
      {"@reboot", "@reboot is not supported"},
      {"@every 5m", "unknown macro"},
      {"@daily *", "unknown macro"},
      {"@", "unknown macro"},
      {too_long.c_str(), "longer than 1024"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.expression);
    auto schedule = CronSchedule::Parse(c.expression);
    REQUIRE_FALSE(schedule.ok());
    CHECK(schedule.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(schedule.error().field == "cron");
    CAPTURE(schedule.error().message);
    CHECK(schedule.error().message.find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("cron parse: names, numbers and both Sundays mean the same thing") {
  const sched::TimeZone utc;
  const core::TimeMs start = Utc(2026, 1, 1);
  const auto sundays = Fires(Cron("0 0 * * 0"), utc, start, 10);
  CHECK(Fires(Cron("0 0 * * 7"), utc, start, 10) == sundays);
  CHECK(Fires(Cron("0 0 * * SUN"), utc, start, 10) == sundays);
  CHECK(Fires(Cron("0 0 * * sUn"), utc, start, 10) == sundays);
  CHECK(Fires(Cron("@weekly"), utc, start, 10) == sundays);
  CHECK(Fires(Cron("0 0 1 JAN-MAR *"), utc, start, 3) == Fires(Cron("0 0 1 1-3 *"), utc, start, 3));
  CHECK(Fires(Cron("0 0 * * MON-FRI"), utc, start, 20) ==
        Fires(Cron("0 0 * * 1,2,3,4,5"), utc, start, 20));
  CHECK(Fires(Cron("0 0 * * 5-7"), utc, start, 9) ==
        Fires(Cron("0 0 * * FRI,SAT,SUN"), utc, start, 9));
  CHECK(Fires(Cron("0 0 * * FRI-SUN"), utc, start, 9) == Fires(Cron("0 0 * * 5-7"), utc, start, 9));
  CHECK(Fires(Cron("0 0 * * SUN-SAT"), utc, start, 9) == Fires(Cron("@daily"), utc, start, 9));
}

TEST_CASE("cron_whitespace_spellings_are_one_schedule") {
  const auto spelling = [](std::string_view text) {
    auto parsed = sched::CronSchedule::Parse(text);
    REQUIRE(parsed.ok());
    return parsed->spelling();
  };
  CHECK(spelling("  0\t9  * *   1  ") == "0 9 * * 1");
  CHECK(spelling("0 9 * * 1") == "0 9 * * 1");
  CHECK(spelling("0\n9 * * 1") == "0 9 * * 1");
  CHECK(spelling("@Daily") == "@daily");
}
