// CronSchedule::Parse on arbitrary expressions; an accepted schedule's next fire times are
// strictly later, whole minutes, and NextFire never goes back before a past fire.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sched/cron.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto schedule = sched::CronSchedule::Parse(text);
  if (!schedule.ok()) return 0;
  const sched::TimeZone utc;
  const core::TimeMs now = 1'795'000'000'000;  // 2026-11-18
  const core::TimeMs next = schedule->Next(now, utc);
  if (next != sched::kNever && (next <= now || next % 60'000 != 0)) std::abort();
  const core::TimeMs fire = sched::NextFire(now - 86'400'000, *schedule, utc, now);
  if (fire != sched::kNever && fire <= now - 86'400'000) std::abort();
  return 0;
}
