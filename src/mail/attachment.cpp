// Attachment checks: file names and content types that are safe to put into MIME headers.
#include <string>
#include <string_view>

#include "mail/message.h"
#include "mail/mime_encoding.h"

namespace mail {
namespace {

// What most file systems accept as one name component, and what keeps the RFC 2231-encoded
// parameter (3 octets per byte) well inside a 998-octet header line.
constexpr std::size_t kMaxFileNameLength = 255;
// RFC 6838 4.2 allows 127 characters for each of type and subtype.
constexpr std::size_t kMaxContentTypeLength = 255;

core::Status Invalid(std::string_view field, std::string message) {
  return core::InvalidArgument(std::string(field), std::move(message));
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

// RFC 2045 5.1 token: printable ASCII other than space and tspecials.
bool IsTokenChar(unsigned char c) {
  static constexpr std::string_view kTspecials = "()<>@,;:\\\"/[]?=";
  return c > 0x20 && c < 0x7F && kTspecials.find(static_cast<char>(c)) == std::string_view::npos;
}

bool IsToken(std::string_view text) {
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace

namespace internal {

bool IsValidContentType(std::string_view content_type) {
  const std::size_t slash = content_type.find('/');
  return content_type.size() <= kMaxContentTypeLength && slash != std::string_view::npos &&
         IsToken(content_type.substr(0, slash)) && IsToken(content_type.substr(slash + 1));
}

std::string SanitizeFileName(std::string_view filename) {
  std::string name;
  for (const char c : BaseFileName(filename)) {
    if (!IsControl(static_cast<unsigned char>(c))) {
      name.push_back(c);
    }
  }
  if (name.size() > kMaxFileNameLength) {
    // Cut at a character boundary: drop continuation bytes back to a lead byte.
    std::size_t cut = kMaxFileNameLength;
    while (cut > 0 && (static_cast<unsigned char>(name[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    name.resize(cut);
  }
  if (name.empty() || name == "." || name == "..") {
    return "attachment";
  }
  return name;
}

}  // namespace internal

std::string BaseFileName(std::string_view path) {
  const std::size_t separator = path.find_last_of("/\\");
  return std::string(separator == std::string_view::npos ? path : path.substr(separator + 1));
}

core::Status ValidateAttachment(const Attachment& attachment, std::string_view field) {
  const std::string_view name = attachment.filename;
  if (name.empty() || name.size() > kMaxFileNameLength) {
    return Invalid(field, "the attachment filename must be 1-255 bytes");
  }
  for (const char c : name) {
    if (IsControl(static_cast<unsigned char>(c))) {
      return Invalid(field, "the attachment filename must not contain control characters");
    }
  }
  if (name.find_first_of("/\\") != std::string_view::npos) {
    return Invalid(field, "the attachment filename must not contain '/' or '\\'");
  }
  if (name == "." || name == "..") {
    return Invalid(field, "the attachment filename must name a file");
  }
  if (!internal::IsValidUtf8(name)) {
    return Invalid(field, "the attachment filename must be valid UTF-8");
  }
  if (!attachment.content_type.empty() && !internal::IsValidContentType(attachment.content_type)) {
    return Invalid(field, "the attachment content type must look like type/subtype");
  }
  return {};
}

}  // namespace mail
