// ParseDotEnv must never crash on arbitrary files.
#include <cstdint>
#include <string>

#include "app/config.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)app::ParseDotEnv(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
