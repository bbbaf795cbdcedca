#pragma once
// POSIX TZ strings such as "CET-1CEST,M3.5.0,M10.5.0/3": the rule a TZif file's footer gives
// for instants after its last transition (RFC 8536 section 3.3). Internal to sched/; TimeZone
// is the interface. Includes the TZif version 3 extensions (rule times from -167 to 167 hours,
// so "EST5EDT,0/0,J365/25" means daylight time all year).
#include <cstdint>
#include <optional>
#include <string_view>

namespace sched {

class PosixTimeZone {
 public:
  // One end of daylight time: a day rule and a local time of day (seconds, may be negative or
  // over 24 hours).
  struct RuleDate {
    enum class Kind {
      kJulianNoLeap,  // "Jn": day 1-365, February 29 never counted
      kZeroBased,     // "n": day 0-365, February 29 counted in leap years
      kMonthWeekDay,  // "Mm.w.d": weekday d (0 = Sunday) of week w (1-5, 5 = last) of month m
    };
    Kind kind = Kind::kMonthWeekDay;
    int day = 0;  // for kJulianNoLeap and kZeroBased
    int month = 1;
    int week = 1;
    int weekday = 0;
    int time_seconds = 2 * 3600;  // default 02:00:00
  };

  // nullopt when `spec` is not a valid TZ string, or names daylight time without a rule (POSIX
  // leaves that implementation-defined; TZif footers always carry the rule).
  static std::optional<PosixTimeZone> Parse(std::string_view spec);

  // Offsets in seconds east of UTC (POSIX writes them west-positive: "EST5" is -18000 here).
  int std_offset() const { return std_offset_; }
  bool has_dst() const { return has_dst_; }
  int dst_offset() const { return dst_offset_; }

  // The UTC offset in effect at `utc_seconds`.
  // REQUIRES: |utc_seconds| < 2^53 (any instant from an int64 millisecond timestamp).
  int OffsetAt(std::int64_t utc_seconds) const;
  // The first instant strictly after `utc_seconds` at which the offset changes; nullopt when it
  // never does (no daylight time, or daylight time all year). Same REQUIRES as OffsetAt.
  std::optional<std::int64_t> NextChange(std::int64_t utc_seconds) const;

 private:
  struct Change {
    std::int64_t at;  // UTC seconds
    bool to_dst;
  };
  // The two changes of `year` (DST start, DST end), as UTC seconds.
  void ChangesInYear(std::int64_t year, Change out[2]) const;
  // Changes of the years around `utc_seconds`, sorted, ends before starts at equal instants
  // (so a rule whose end meets the next start keeps daylight time).
  int SortedChangesAround(std::int64_t utc_seconds, Change out[8]) const;

  int std_offset_ = 0;
  int dst_offset_ = 0;
  bool has_dst_ = false;
  RuleDate start_;
  RuleDate end_;
};

}  // namespace sched
