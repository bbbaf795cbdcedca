// The MIME header and body encoders on arbitrary bytes. The first two bytes choose the
// encoded-word lengths. Checks what RenderMime relies on: encoded-words fit their length and
// carry no CR/LF; line ends come out as CRLF only; quoted-printable lines stay within 76
// octets and never hold "=_"; attachment names come out without directories or controls.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mime_encoding.h"

namespace {

void CheckCrlfOnly(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) std::abort();
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t first = data[0];
  const std::size_t rest = data[1];
  std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
  namespace m = mail::internal;

  const auto words = m::EncodeWords(text, first, rest);
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.size() > std::max<std::size_t>(i == 0 ? first : rest, 24)) std::abort();
    if (word.find_first_of("\r\n") != std::string::npos) std::abort();
    if (word.rfind("=?UTF-8?", 0) != 0) std::abort();
  }
  const std::string normalized = m::NormalizeLineEnds(text);
  CheckCrlfOnly(normalized);
  const std::string qp = m::EncodeQuotedPrintable(normalized);
  CheckCrlfOnly(qp);
  if (qp.find("=_") != std::string::npos) std::abort();
  std::size_t line_start = 0;
  for (std::size_t i = 0; i <= qp.size(); ++i) {
    if (i == qp.size() || qp[i] == '\r') {
      if (i - line_start > 76) std::abort();
      line_start = i + 2;
    }
  }
  const std::string b64 = m::EncodeBase64Lines(text);
  if (b64.find("=_") != std::string::npos) std::abort();
  CheckCrlfOnly(b64);
  const std::string rfc2231 = m::EncodeRfc2231Value(text);
  if (rfc2231.find_first_of("\r\n\" ") != std::string::npos) std::abort();
  (void)m::IsValidUtf8(text);
  (void)m::IsValidContentType(text);
  const std::string name = m::SanitizeFileName(text);
  if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos) std::abort();
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) std::abort();
  }
  return 0;
}
