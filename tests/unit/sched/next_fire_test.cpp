#include <doctest/doctest.h>

#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "sched/cron.h"
#include "sched_test_util.h"

using sched::FireKey;
using sched::kNever;
using sched::NextFire;
using sched::TimeZone;
using sched_test::Cron;
using sched_test::Iso;
using sched_test::SystemZone;
using sched_test::Utc;

namespace {

// What a scheduler's pure RunDue(now) step does with NextFire: enqueue the fire if due and
// remember it. Until the first fire it passes the schedule's creation time, as cron.h asks.
// Returns the keys enqueued by this step.
struct FakeScheduler {
  sched::CronSchedule schedule;
  TimeZone zone;
  core::TimeMs created_at;
  std::optional<core::TimeMs> last_fire;
  std::set<std::string> enqueued;

  std::vector<std::string> RunDue(core::TimeMs now) {
    std::vector<std::string> keys;
    const core::TimeMs fire = NextFire(last_fire.value_or(created_at), schedule, zone, now);
    if (fire <= now) {
      const std::string key = FireKey("digest", fire);
      CHECK(enqueued.insert(key).second);  // never the same fire twice
      keys.push_back(key);
      last_fire = fire;
    }
    return keys;
  }
};

}  // namespace

TEST_CASE("NextFire: down for three days on @daily gives exactly one due fire, the latest") {
  const TimeZone utc;
  const auto daily = Cron("@daily");
  const core::TimeMs last = Utc(2026, 11, 20);
  const core::TimeMs now = Utc(2026, 11, 23, 9, 30);
  CHECK(Iso(NextFire(last, daily, utc, now)) == "2026-11-23T00:00:00Z");
  // Once that is recorded, the next one is in the future.
  CHECK(Iso(NextFire(Utc(2026, 11, 23), daily, utc, now)) == "2026-11-24T00:00:00Z");

  FakeScheduler scheduler{daily, utc, Utc(2026, 1, 1), last, {}};
  CHECK(scheduler.RunDue(now) == std::vector<std::string>{"digest@2026-11-23T00:00:00Z"});
  CHECK(scheduler.RunDue(now).empty());
  CHECK(scheduler.RunDue(now + 60'000).empty());
}

TEST_CASE("NextFire: normal running fires each period once") {
  const TimeZone new_york = SystemZone("America/New_York");
  FakeScheduler scheduler{Cron("30 1 * * *"), new_york, Utc(2026, 10, 27), std::nullopt, {}};
  // Ten days polled every seven minutes (so polls rarely land on a fire time), across the
  // November fold.
  int fires = 0;
  for (core::TimeMs now = Utc(2026, 10, 27); now < Utc(2026, 11, 6); now += 7 * 60'000LL) {
    fires += static_cast<int>(scheduler.RunDue(now).size());
  }
  CHECK(fires == 10);
  CHECK(scheduler.enqueued.count("digest@2026-11-01T05:30:00Z") == 1);  // first 01:30
  CHECK(scheduler.enqueued.count("digest@2026-11-01T06:30:00Z") == 0);  // not the second
}

TEST_CASE("NextFire: nothing missed returns the next future fire") {
  const TimeZone utc;
  const auto daily = Cron("@daily");
  CHECK(Iso(NextFire(Utc(2026, 11, 23), daily, utc, Utc(2026, 11, 23, 9))) ==
        "2026-11-24T00:00:00Z");
  // A fire due exactly now is due.
  CHECK(NextFire(Utc(2026, 11, 23), daily, utc, Utc(2026, 11, 24)) == Utc(2026, 11, 24));
  // Never fired: the first fire after now, not one for the past.
  CHECK(NextFire(std::nullopt, daily, utc, Utc(2026, 11, 23, 9)) == Utc(2026, 11, 24));
  CHECK(NextFire(std::nullopt, daily, utc, Utc(2026, 11, 24)) == Utc(2026, 11, 25));
  // The clock went back behind the last fire: wait for the one after it; nothing repeats.
  CHECK(NextFire(Utc(2026, 11, 25), daily, utc, Utc(2026, 11, 23, 9)) == Utc(2026, 11, 26));
}

TEST_CASE("NextFire: long outages collapse to the latest fire, whatever the schedule") {
  const TimeZone utc;
  CHECK(Iso(NextFire(Utc(2020, 1, 1), Cron("* * * * *"), utc, Utc(2026, 6, 1, 12, 34, 56))) ==
        "2026-06-01T12:34:00Z");
  CHECK(Iso(NextFire(Utc(2020, 1, 1), Cron("@yearly"), utc, Utc(2026, 6, 1))) ==
        "2026-01-01T00:00:00Z");
  // Clustered fires: every minute of 00:xx on January 1.
  CHECK(Iso(NextFire(Utc(2020, 1, 1), Cron("* 0 1 1 *"), utc, Utc(2026, 12, 31))) ==
        "2026-01-01T00:59:00Z");
  CHECK(Iso(NextFire(Utc(2020, 1, 1), Cron("*/5 9-17 * * MON-FRI"), utc,
                     Utc(2026, 6, 7, 12))) ==  // a Sunday: the latest is Friday 17:55
        "2026-06-05T17:55:00Z");
  CHECK(Iso(NextFire(Utc(2028, 2, 29), Cron("0 0 29 2 *"), utc, Utc(2040, 1, 1))) ==
        "2036-02-29T00:00:00Z");
  // Missed fires across DST: the latest is the fold's first occurrence.
  const TimeZone new_york = SystemZone("America/New_York");
  CHECK(Iso(NextFire(Utc(2026, 10, 20), Cron("30 1 * * *"), new_york, Utc(2026, 11, 1, 7))) ==
        "2026-11-01T05:30:00Z");
}

TEST_CASE("NextFire: extreme inputs terminate") {
  const TimeZone utc;
  const auto minutely = Cron("* * * * *");
  CHECK(Iso(NextFire(Utc(2020, 1, 1), minutely, utc, std::numeric_limits<core::TimeMs>::max())) ==
        "9999-12-31T23:59:00Z");
  CHECK(NextFire(Utc(9999, 6, 1), Cron("@yearly"), utc, Utc(9999, 7, 1)) == kNever);
  CHECK(NextFire(std::nullopt, minutely, utc, std::numeric_limits<core::TimeMs>::max()) == kNever);
  CHECK(Iso(NextFire(std::numeric_limits<core::TimeMs>::min(), Cron("@daily"), utc,
                     Utc(2026, 6, 1, 12))) == "2026-06-01T00:00:00Z");
}

TEST_CASE("FireKey: stable, readable, unique") {
  CHECK(FireKey("digest", Utc(2026, 11, 23, 9)) == "digest@2026-11-23T09:00:00Z");
  CHECK(FireKey("digest", Utc(2026, 11, 23, 9)) == FireKey("digest", Utc(2026, 11, 23, 9)));
  CHECK(FireKey("digest", Utc(2026, 11, 23, 9) + 123) == "digest@2026-11-23T09:00:00.123Z");
  CHECK(FireKey("g", -1) == "g@1969-12-31T23:59:59.999Z");
  CHECK(FireKey("g", Utc(1, 1, 1)) == "g@0001-01-01T00:00:00Z");
  CHECK(FireKey("g", Utc(10000, 1, 1)) == "g@+10000-01-01T00:00:00Z");
  CHECK(FireKey("", 0) == "@1970-01-01T00:00:00Z");
  // Groups may contain '@'; the key still tells the pairs apart.
  CHECK(FireKey("a@b", 0) != FireKey("a", 0));
  std::set<std::string> keys;
  for (core::TimeMs t = Utc(2026, 1, 1); t < Utc(2026, 1, 2); t += 60'000) {
    keys.insert(FireKey("g", t));
  }
  CHECK(keys.size() == 1440);
}
