// ReadMessageParts on arbitrary bytes (a stored message as the dashboard reads it): never
// crashes, stays within its part limit, and what it hands on (the preview's cid: rewrite, a
// resend's header swap) takes anything it returns.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mime_parts.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view raw(reinterpret_cast<const char*>(data), size);
  const mail::ReadLimits limits{.max_depth = 4, .max_parts = 20};
  const mail::MessageParts parts = mail::ReadMessageParts(raw, limits);
  if (parts.attachments.size() + (parts.html ? 1 : 0) + (parts.text ? 1 : 0) > limits.max_parts) {
    std::abort();
  }
  if (parts.html) (void)mail::InlineContentIdImages(parts.html->content, parts.attachments);
  for (const auto& attachment : parts.attachments)
    (void)mail::AttachmentDisposition(attachment.filename);
  const std::string replaced = mail::ReplaceHeader(raw, "Message-ID", "<fuzz@example.com>");
  if (replaced.find("Message-ID: <fuzz@example.com>\r\n") == std::string::npos) std::abort();
  (void)mail::ReadMessageParts(raw);
  return 0;
}
