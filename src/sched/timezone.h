#pragma once
// IANA time zones read from the system's TZif files (RFC 8536), because libstdc++ 12 ships no
// std::chrono time-zone database. A TimeZone maps UTC instants to local wall time and back;
// it is an immutable value, cheap to copy (it shares its parsed rules) and safe to use from
// any number of threads.
//
// Instants after a file's last transition follow the POSIX TZ rule in the file's footer
// (e.g. "CET-1CEST,M3.5.0,M10.5.0/3"), so dates far in the future keep their daylight saving
// time. Leap-second ("right/") zones are refused.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sched/civil.h"

namespace sched {

inline constexpr std::string_view kDefaultZoneInfoRoot = "/usr/share/zoneinfo";
// Every UTC offset a TimeZone reports is within +-this many seconds (under 26 hours, as RFC 8536
// asks; files with larger offsets are refused).
inline constexpr int kMaxUtcOffsetSeconds = 26 * 3600 - 1;

// A change of UTC offset.
struct ZoneTransition {
  core::TimeMs at = 0;    // the first instant on the new offset
  int offset_before = 0;  // seconds east of UTC
  int offset_after = 0;
};

class TimeZone {
 public:
  // UTC, needing no files.
  TimeZone();
  static TimeZone Utc() { return TimeZone(); }

  // Loads `name` (e.g. "Europe/Berlin") from `root`/`name`. "UTC" always works, without files.
  // Errors: kInvalidArgument (field "timezone") for a name that is malformed (empty, leading
  // '/', "..", characters outside [A-Za-z0-9_+-./]), unknown, "localtime" (host-dependent),
  // whose file is not valid TZif, or not of Area/Location form ("Factory", "posixrules",
  // "EST5EDT", "Japan", "posix/..."; "UTC" and "GMT" are the accepted one-word names);
  // kFailedPrecondition (field "timezone") when `root` is not a directory, i.e. the tzdata package
  // is missing.
  static core::Result<TimeZone> Load(std::string_view name,
                                     std::string_view root = kDefaultZoneInfoRoot);
  // Parses the bytes of a TZif file (versions 1 to 4); `name` is only reported by name().
  // Errors: kInvalidArgument (field "timezone") naming what is malformed.
  static core::Result<TimeZone> FromTzif(std::string_view name, std::string_view data);

  const std::string& name() const;

  // Seconds east of UTC in effect at `utc` (e.g. 3600 for Berlin in winter, 19800 for Kolkata).
  int OffsetSecondsAt(core::TimeMs utc) const;

  // The wall time at `utc`, truncated to whole seconds.
  CivilTime ToCivil(core::TimeMs utc) const;

  // Every UTC instant (whole seconds, ascending) whose wall time is `local`: none when `local`
  // falls in a gap (clocks jumped over it), one normally, two in a fold (clocks were turned
  // back and it happened twice). Returns none for an invalid `local` (see CivilTime) or one
  // that an int64 millisecond timestamp cannot represent.
  std::vector<core::TimeMs> FromCivil(const CivilTime& local) const;

  // The first change of UTC offset strictly after `after`, if the zone has one. Changes only of
  // abbreviation or of the DST flag are not reported.
  std::optional<ZoneTransition> NextTransition(core::TimeMs after) const;

 private:
  struct Rules;
  explicit TimeZone(std::shared_ptr<const Rules> rules);

  std::shared_ptr<const Rules> rules_;
};

}  // namespace sched
