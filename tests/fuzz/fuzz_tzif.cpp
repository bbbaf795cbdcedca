// TimeZone::FromTzif on arbitrary bytes (the system's zoneinfo files are trusted, but the
// reader must not be the weak point); an accepted zone answers offsets within the documented
// bound and its transitions move forward.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sched/timezone.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto zone = sched::TimeZone::FromTzif("fuzz", bytes);
  if (!zone.ok()) return 0;
  for (core::TimeMs at : {core::TimeMs{-4'000'000'000'000}, core::TimeMs{0},
                          core::TimeMs{1'795'000'000'000}, core::TimeMs{4'000'000'000'000}}) {
    const int offset = zone->OffsetSecondsAt(at);
    if (offset < -sched::kMaxUtcOffsetSeconds || offset > sched::kMaxUtcOffsetSeconds) {
      std::abort();
    }
    auto next = zone->NextTransition(at);
    if (next && next->at <= at) std::abort();
    (void)zone->FromCivil(zone->ToCivil(at));
  }
  return 0;
}
