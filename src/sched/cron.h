#pragma once
// Cron schedules evaluated in a time zone's wall time, and the missed-fire policy. Pure: every
// function takes the time it reasons about, nothing reads the clock.
//
// Expressions are the standard five fields "minute hour day-of-month month day-of-week":
//   minute 0-59, hour 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 0-7 or
//   SUN-SAT (0 and 7 are Sunday, so "FRI-SUN" is Friday to Sunday); names are
//   case-insensitive.
//   Each field is a comma-separated list of "*", "N", "N-M", each optionally "/STEP"
//   ("*/15", "1-30/5", "MON-FRI/2"). Ranges do not wrap ("FRI-MON" is an error) and a step
//   needs a range ("5/15" is an error: write "5-59/15").
//   Macros: @yearly = @annually = "0 0 1 1 *", @monthly = "0 0 1 * *", @weekly = "0 0 * * 0",
//   @daily = @midnight = "0 0 * * *", @hourly = "0 * * * *". @reboot is not a schedule.
//
// Day matching follows Vixie cron: if the day-of-month or the day-of-week field starts with
// '*', a day must match both fields (so the other field alone decides); otherwise a day
// matches if EITHER field matches: "0 9 1,15 * MON" fires on the 1st, the 15th and every
// Monday. Note that, as in Vixie cron, "*/2" counts as starting with '*'.
//
// Daylight saving time, as Vixie cron and cronie handle clock changes:
//   * Fixed-time schedules (neither the minute nor the hour field starts with '*', e.g.
//     "30 2 * * *", @daily, @weekly):
//       - a wall time skipped by a spring-forward gap fires once, at the first instant after
//         the gap (02:30 on the night clocks jump 02:00 -> 03:00 fires at 03:00 new time);
//         several skipped times, and a fire due at 03:00 itself, make one fire together;
//       - a wall time that happens twice in a fall-back fold fires once, at its first
//         occurrence.
//   * Interval schedules (the minute or hour field starts with '*', e.g. "*/15 * * * *",
//     @hourly): they follow the wall clock, so minutes that do not exist do not fire and
//     minutes that happen twice fire twice, keeping their rhythm through the repeated hour
//     rather than pausing for it.
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"
#include "sched/timezone.h"

namespace sched {

// Returned when there is no fire time to give (only past local year 9999).
inline constexpr core::TimeMs kNever = std::numeric_limits<core::TimeMs>::max();

class CronSchedule {
 public:
  // Parses a five-field expression or macro (see above); leading and trailing whitespace is
  // ignored and fields may be separated by any run of spaces and tabs.
  // Errors: kInvalidArgument, field "cron", the message naming the part at fault. Expressions
  // that can never fire (e.g. "0 0 30 2 *", "0 0 31 4,6,9,11 *") are rejected, so every
  // schedule Parse returns fires at least once in every 400 years.
  static core::Result<CronSchedule> Parse(std::string_view expression);

  // The first fire time strictly after `after`, evaluated in `zone`'s wall time under the DST
  // policy above. Fire times are whole wall-clock minutes. Returns kNever if the next fire
  // would be after local year 9999; fire times before local year 1 are never returned (an
  // earlier `after` gives the first fire of year 1). Cost: a few field steps per zone
  // transition crossed; at most a few thousand steps for rare days such as February 29 on a
  // Sunday.
  core::TimeMs Next(core::TimeMs after, const TimeZone& zone) const;

  // The expression as given to Parse, trimmed.
  const std::string& expression() const { return expression_; }
  // The one spelling of this expression: trimmed, each run of whitespace one space, a macro in
  // lower case ("0\t9  * * 1" -> "0 9 * * 1", "@Daily" -> "@daily"). What a schedule is stored
  // and grouped under, so the same schedule written two ways is one schedule.
  const std::string& spelling() const { return spelling_; }

 private:
  CronSchedule() = default;

  bool DayMatches(std::int64_t days_since_epoch, int day_of_month) const;
  // The first wall time (local seconds, see CivilToSeconds) at or after `local` that matches
  // every field; nullopt if none before local year 10000.
  std::optional<std::int64_t> NextLocalMatch(std::int64_t local) const;

  std::string expression_;
  std::string spelling_;
  std::uint64_t minutes_ = 0;   // bit n: minute n
  std::uint32_t hours_ = 0;     // bit n: hour n
  std::uint32_t days_ = 0;      // bit n: day of month n (1-31)
  std::uint32_t months_ = 0;    // bit n: month n (1-12)
  std::uint32_t weekdays_ = 0;  // bit n: weekday n (0 = Sunday - 6)
  bool day_of_month_star_ = false;
  bool day_of_week_star_ = false;
  bool fixed_time_ = false;  // neither minute nor hour starts with '*'
};

// The missed-fire policy: which single fire time to act on.
// `last_fire`: the scheduled time of the last fire that was enqueued (nullopt if none).
// Returns:
//   * with no last fire, the first fire time strictly after `now` (a new schedule does not
//     fire for the past). A polling loop must not keep passing nullopt, or a fire falling
//     between two polls is lost: until the first fire, pass the time the schedule was created
//     (or enabled) as `last_fire`;
//   * if fire times after `last_fire` are at or before `now` (they were missed while down, or
//     are due right now), the LATEST of them: a restart after three days of downtime fires
//     a daily schedule once, for its most recent time, not three times;
//   * otherwise the next fire time after `last_fire`, which is in the future (including when
//     the clock went back so `last_fire` is after `now`: nothing fires twice).
// So: result <= now means "due: enqueue it now"; result > now means "wait until then"; kNever
// means never. Cost: O(log(now - last_fire)) Next calls to find the window, then one per fire
// in it: a handful for regular schedules, ~120 for clustered ones such as "* 0 1 1 *".
core::TimeMs NextFire(std::optional<core::TimeMs> last_fire, const CronSchedule& schedule,
                      const TimeZone& zone, core::TimeMs now);

// A stable key naming one fire of a schedule group, for enqueueing it exactly once:
// "<group>@<scheduled as RFC 3339 UTC>", e.g. "digest@2026-11-23T09:00:00Z" (".123" before
// the "Z" if `scheduled` has milliseconds). The text after the last '@' never holds an '@', so
// distinct (group, scheduled) pairs give distinct keys.
std::string FireKey(std::string_view group, core::TimeMs scheduled);

}  // namespace sched
