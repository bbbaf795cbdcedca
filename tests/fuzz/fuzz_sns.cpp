// ParseSnsMessage on arbitrary POST /email-status bodies, then the canonical string it would
// be verified against; ParseSesEvent on the same bytes as an SNS "Message".
#include <cstdint>
#include <string_view>

#include "hooks/sns.h"
#include "service/provider_events.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto message = hooks::ParseSnsMessage(text);
  if (message.ok()) {
    (void)hooks::SnsStringToSign(*message);
    (void)service::ParseSesEvent(message->message);
  }
  (void)service::ParseSesEvent(text);
  return 0;
}
