// ParseRfc3339 must never crash; an accepted time formats and parses back to itself.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/log.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  core::TimeMs parsed = 0;
  if (core::ParseRfc3339(text, &parsed)) {
    core::TimeMs again = 0;
    if (!core::ParseRfc3339(core::FormatRfc3339(parsed), &again) || again != parsed) std::abort();
  }
  return 0;
}
