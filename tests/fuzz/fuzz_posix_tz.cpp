// PosixTimeZone::Parse on arbitrary TZ strings (the footer of every TZif file); an accepted
// rule answers offsets within +-26 hours and its changes move forward.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "sched/posix_tz.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto zone = sched::PosixTimeZone::Parse(text);
  if (!zone) return 0;
  constexpr std::int64_t kLimit = 26 * 3600;
  for (std::int64_t at : {std::int64_t{-4'000'000'000'000}, std::int64_t{0},
                          std::int64_t{1'795'000'000}, std::int64_t{4'000'000'000'000}}) {
    const int offset = zone->OffsetAt(at);
    if (offset <= -kLimit || offset >= kLimit) std::abort();
    auto change = zone->NextChange(at);
    if (change && *change <= at) std::abort();
  }
  return 0;
}
