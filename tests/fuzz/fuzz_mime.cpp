// RenderMime on arbitrary subject/body text: never crashes, never emits a bare LF or a line
// over 998 octets.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "mail/message.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  mail::Message message;
  message.from = {"Sénder", "from@example.com"};
  message.to = {{"", "to@example.com"}};
  const auto third = input.size() / 3;
  message.subject = input.substr(0, third);
  for (char& c : message.subject) {
    if (c == '\r' || c == '\n' || c == '\0') c = ' ';  // the service refuses these earlier
  }
  message.text = input.substr(third, third);
  message.html = input.substr(2 * third);
  message.message_id = "id@example.com";
  const std::string out = mail::RenderMime(message);
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i] == '\n') {
      if (i == 0 || out[i - 1] != '\r') std::abort();
      if (i - line_start > 999) std::abort();
      line_start = i + 1;
    }
  }
  return 0;
}
