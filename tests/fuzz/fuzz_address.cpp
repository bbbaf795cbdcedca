// ParseAddress must never crash, and what it accepts must be free of CR/LF.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mail/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = mail::ParseAddress(text, "to");
  if (parsed.ok()) {
    if (parsed->address.find_first_of("\r\n") != std::string::npos ||
        parsed->display_name.find_first_of("\r\n") != std::string::npos) {
      std::abort();
    }
  }
  return 0;
}
