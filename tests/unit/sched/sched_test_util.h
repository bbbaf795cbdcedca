#pragma once
// Helpers for the sched tests: UTC instants from calendar fields, readable instants, zones that
// must load (a missing tzdata file fails the test, it is never skipped), synthetic TZif files.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "sched/civil.h"
#include "sched/cron.h"
#include "sched/timezone.h"

namespace sched_test {

inline constexpr const char* kZoneInfo = "/usr/share/zoneinfo";

// The UTC instant of a calendar time.
inline core::TimeMs Utc(int year, int month, int day, int hour = 0, int minute = 0,
                        int second = 0) {
  return sched::CivilToSeconds({year, month, day, hour, minute, second}) * 1000;
}

// An instant as "2026-03-08T07:00:00Z" (FireKey with an empty group, minus the '@').
inline std::string Iso(core::TimeMs time) { return sched::FireKey("", time).substr(1); }

// The wall time of `time` in `zone`, as "2026-03-08T03:00:00".
inline std::string Wall(const sched::TimeZone& zone, core::TimeMs time) {
  return sched::FormatCivil(zone.ToCivil(time));
}

template <typename T>
std::string ErrorText(const core::Result<T>& result) {
  return result.ok() ? std::string() : result.error().message;
}

// Loads a zone from the system tzdata; FAILS (not skips) when the database or zone is missing.
inline sched::TimeZone SystemZone(const std::string& name) {
  INFO("tzdata must be installed at ", kZoneInfo, " (Debian package tzdata)");
  REQUIRE(std::filesystem::is_directory(kZoneInfo));
  auto zone = sched::TimeZone::Load(name);
  INFO("loading ", name, ": ", ErrorText(zone));
  REQUIRE(zone.ok());
  return *zone;
}

inline sched::CronSchedule Cron(const std::string& expression) {
  auto schedule = sched::CronSchedule::Parse(expression);
  INFO("parsing \"", expression, "\": ", ErrorText(schedule));
  REQUIRE(schedule.ok());
  return *schedule;
}

// The first `count` fire times after `after`, as UTC strings.
inline std::vector<std::string> Fires(const sched::CronSchedule& schedule,
                                      const sched::TimeZone& zone, core::TimeMs after, int count) {
  std::vector<std::string> fires;
  for (int i = 0; i < count; ++i) {
    after = schedule.Next(after, zone);
    if (after == sched::kNever) {
      fires.emplace_back("never");
      break;
    }
    fires.push_back(Iso(after));
  }
  return fires;
}

// Builds TZif bytes (RFC 8536). Version '\0' writes a v1 file; '2'+ writes an empty v1 block
// (as zic -b slim does) followed by the 64-bit block and the footer.
struct TzifType {
  std::int32_t utoff;
  bool is_dst;
};

inline void PutBigEndian(std::string* out, std::uint64_t value, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) {
    out->push_back(static_cast<char>((value >> (8 * i)) & 0xff));
  }
}

inline void PutHeader(std::string* out, char version, std::uint32_t timecnt, std::uint32_t typecnt,
                      std::uint32_t charcnt, std::uint32_t leapcnt = 0) {
  *out += "TZif";
  out->push_back(version);
  out->append(15, '\0');
  PutBigEndian(out, 0, 4);  // isutcnt
  PutBigEndian(out, 0, 4);  // isstdcnt
  PutBigEndian(out, leapcnt, 4);
  PutBigEndian(out, timecnt, 4);
  PutBigEndian(out, typecnt, 4);
  PutBigEndian(out, charcnt, 4);
}

inline std::string BuildTzif(char version, const std::vector<std::int64_t>& times,
                             const std::vector<int>& type_indexes,
                             const std::vector<TzifType>& types, const std::string& footer) {
  const int time_size = version == '\0' ? 4 : 8;
  std::string out;
  if (version != '\0') {
    PutHeader(&out, version, 0, 1, 1);  // minimal v1 block for old readers
    PutBigEndian(&out, 0, 4);           // one type: UTC
    out.append(2, '\0');
    out.push_back('\0');  // one abbreviation byte
  }
  const auto abbreviations = static_cast<std::uint32_t>(4 * types.size());
  PutHeader(&out, version, static_cast<std::uint32_t>(times.size()),
            static_cast<std::uint32_t>(types.size()), abbreviations);
  for (const std::int64_t time : times) {
    PutBigEndian(&out, static_cast<std::uint64_t>(time), time_size);
  }
  for (const int index : type_indexes) {
    out.push_back(static_cast<char>(index));
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    PutBigEndian(&out, static_cast<std::uint32_t>(types[i].utoff), 4);
    out.push_back(types[i].is_dst ? 1 : 0);
    out.push_back(static_cast<char>(4 * i));
  }
  for (std::size_t i = 0; i < types.size(); ++i) {
    out += "ZZZ";
    out.push_back('\0');
  }
  if (version != '\0') {
    out += "\n" + footer + "\n";
  }
  return out;
}

}  // namespace sched_test
