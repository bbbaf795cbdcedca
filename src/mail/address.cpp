// Address parsing and extra-header validation: everything that decides whether user input may
// enter a header at all. Rendering lives in mime.cpp.
//
// Accepted address syntax is deliberately narrower than RFC 5322 (no comments, no quoted local
// parts, no domain literals, no obsolete forms): those are vanishingly rare in real mailboxes,
// many relays refuse them, and each one is a way to smuggle structure into a header.
// What is accepted:
//   - local part: RFC 5322 atext and dots (no leading, trailing or doubled dot), plus UTF-8
//     (RFC 6531 internationalised mailboxes; ParseSendableAddress refuses them, as outbox does
//     not speak SMTPUTF8);
//   - domain: dot-separated labels of letters, digits and hyphens (no hyphen at either end),
//     1-63 octets each, UTF-8 labels taken as they are (IDN; ParseSendableAddress converts them
//     to A-labels for the envelope and the headers); a single label such as "localhost" is
//     accepted, because outbox runs on intranets and edge boxes whose relays deliver to local
//     names, and whether a domain exists is the relay's call, not the parser's.
#include <idn2.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <string>

#include "mail/message.h"
#include "mail/mime_encoding.h"

namespace mail {
namespace {

constexpr std::size_t kMaxAddressLength = 254;   // RFC 5321 4.5.3.1.3 path minus the brackets
constexpr std::size_t kMaxLocalPartLength = 64;  // RFC 5321 4.5.3.1.1
constexpr std::size_t kMaxLabelLength = 63;      // RFC 1035 2.3.4
constexpr std::size_t kMaxHeaderNameLength = 76;

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool IsControl(unsigned char c) { return c < 0x20 || c == 0x7F; }

std::string_view Trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

core::Error Invalid(std::string_view field, std::string message) {
  return core::InvalidArgument(std::string(field), std::move(message));
}

core::Status ValidateLocalPart(std::string_view local, std::string_view field) {
  if (local.empty()) {
    return Invalid(field, "the part before '@' is empty");
  }
  if (local.size() > kMaxLocalPartLength) {
    return Invalid(field, "the part before '@' is longer than 64 octets");
  }
  if (local.front() == '.' || local.back() == '.' || local.find("..") != std::string_view::npos) {
    return Invalid(field, "the part before '@' has a leading, trailing or doubled '.'");
  }
  for (const char ch : local) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80 && !internal::IsAtext(c) && c != '.') {
      return Invalid(field, std::string("the part before '@' must not contain '") + ch + "'");
    }
  }
  return {};
}

core::Status ValidateDomain(std::string_view domain, std::string_view field) {
  if (domain.empty()) {
    return Invalid(field, "the domain after '@' is empty");
  }
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = domain.find('.', start);
    const std::string_view label =
        domain.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty()) {
      return Invalid(field, "the domain has an empty label");
    }
    if (label.size() > kMaxLabelLength) {
      return Invalid(field, "a domain label is longer than 63 octets");
    }
    if (label.front() == '-' || label.back() == '-') {
      return Invalid(field, "a domain label starts or ends with '-'");
    }
    for (const char ch : label) {
      const auto c = static_cast<unsigned char>(ch);
      if (c < 0x80 && !IsAsciiAlnum(c) && c != '-') {
        return Invalid(field, std::string("the domain must not contain '") + ch + "'");
      }
    }
    if (dot == std::string_view::npos) {
      break;
    }
    start = dot + 1;
  }
  return {};
}

core::Status ValidateAddrSpec(std::string_view address, std::string_view field) {
  if (address.empty()) {
    return Invalid(field, "the address is empty");
  }
  if (address.size() > kMaxAddressLength) {
    return Invalid(field, "the address is longer than 254 octets");
  }
  for (const char ch : address) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == ' ' || IsControl(c)) {
      return Invalid(field, "the address must not contain whitespace or control characters");
    }
  }
  if (!internal::IsValidUtf8(address)) {
    return Invalid(field, "the address is not valid UTF-8");
  }
  const std::size_t at = address.find('@');
  if (at == std::string_view::npos) {
    return Invalid(field, "the address has no '@'");
  }
  if (address.find('@', at + 1) != std::string_view::npos) {
    return Invalid(field, "the address has more than one '@'");
  }
  if (auto status = ValidateLocalPart(address.substr(0, at), field); !status) {
    return status;
  }
  return ValidateDomain(address.substr(at + 1), field);
}

core::Status ValidateDisplayName(std::string_view name, std::string_view field) {
  for (const char ch : name) {
    if (IsControl(static_cast<unsigned char>(ch))) {
      return Invalid(field, "the display name must not contain control characters");
    }
  }
  if (!internal::IsValidUtf8(name)) {
    return Invalid(field, "the display name is not valid UTF-8");
  }
  return {};
}

// Reads a quoted display name starting at text[0] == '"'. On success `name` holds the
// unescaped text and `rest` what follows the closing quote.
core::Status ReadQuotedName(std::string_view text, std::string_view field, std::string& name,
                            std::string_view& rest) {
  for (std::size_t i = 1; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      rest = text.substr(i + 1);
      return {};
    }
    if (c == '\\') {
      if (++i == text.size()) {
        break;
      }
      name.push_back(text[i]);
    } else {
      name.push_back(c);
    }
  }
  return Invalid(field, "the quoted display name has no closing '\"'");
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

core::Result<Address> ParseAddress(std::string_view text, std::string_view field) {
  // Checked before anything else: a line break is header injection wherever it appears.
  if (text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return Invalid(field, "must not contain CR, LF or NUL");
  }
  const std::string_view trimmed = Trim(text);
  if (trimmed.empty()) {
    return Invalid(field, "the address is empty");
  }

  Address result;
  std::string_view angle_part;  // "<...>" when present
  if (trimmed.front() == '"') {
    std::string_view rest;
    if (auto status = ReadQuotedName(trimmed, field, result.display_name, rest); !status) {
      return status.error();
    }
    angle_part = Trim(rest);
    if (angle_part.empty() || angle_part.front() != '<') {
      return Invalid(field, "a quoted display name must be followed by <address>");
    }
  } else if (const std::size_t open = trimmed.find('<'); open != std::string_view::npos) {
    result.display_name = std::string(Trim(trimmed.substr(0, open)));
    angle_part = trimmed.substr(open);
  } else if (trimmed.find('>') != std::string_view::npos) {
    return Invalid(field, "'>' without '<'");
  }

  std::string_view address = trimmed;
  if (!angle_part.empty()) {
    const std::size_t close = angle_part.find('>');
    if (close == std::string_view::npos) {
      return Invalid(field, "'<' without '>'");
    }
    if (close + 1 != angle_part.size()) {
      return Invalid(field, "unexpected text after '>'");
    }
    address = angle_part.substr(1, close - 1);
  }
  result.display_name = std::string(Trim(result.display_name));
  if (auto status = ValidateDisplayName(result.display_name, field); !status) {
    return status.error();
  }
  if (auto status = ValidateAddrSpec(address, field); !status) {
    return status.error();
  }
  result.address = std::string(address);
  return result;
}

core::Result<Address> ParseSendableAddress(std::string_view text, std::string_view field) {
  auto parsed = ParseAddress(text, field);
  if (!parsed.ok()) return parsed;
  const std::size_t at = parsed->address.find('@');
  const std::string_view local = std::string_view(parsed->address).substr(0, at);
  const std::string domain = parsed->address.substr(at + 1);
  const auto not_ascii = [](char c) { return static_cast<unsigned char>(c) >= 0x80; };
  if (std::any_of(local.begin(), local.end(), not_ascii)) {
    return Invalid(field,
                   "the part before '@' is not ASCII: that needs SMTPUTF8 (RFC 6531), which "
                   "outbox does not support");
  }
  if (std::none_of(domain.begin(), domain.end(), not_ascii)) return parsed;
  char* converted = nullptr;
  const int status =
      idn2_to_ascii_8z(domain.c_str(), &converted, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
  const std::unique_ptr<char, decltype(&idn2_free)> owned(converted, &idn2_free);
  if (status != IDN2_OK) {
    return Invalid(field, std::string("the domain is not a valid internationalised domain name: ") +
                              idn2_strerror(status));
  }
  std::string address = std::string(local) + "@" + owned.get();
  if (address.size() > kMaxAddressLength) {
    return Invalid(field, "the address is longer than 254 octets once its domain is converted");
  }
  parsed->address = std::move(address);
  return parsed;
}

core::Status ValidateExtraHeader(std::string_view name, std::string_view value,
                                 std::string_view field) {
  if (name.empty() || name.size() > kMaxHeaderNameLength) {
    return Invalid(field, "the header name must be 1-76 characters");
  }
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 33 || c > 126 || c == ':') {
      return Invalid(field, "the header name must be printable ASCII without ':'");
    }
  }
  static constexpr std::array<std::string_view, 9> kReserved = {
      "From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version"};
  const bool reserved = std::any_of(kReserved.begin(), kReserved.end(),
                                    [&](std::string_view reserved_name) {
                                      return EqualsIgnoreCase(name, reserved_name);
                                    }) ||
                        (name.size() >= 8 && EqualsIgnoreCase(name.substr(0, 8), "Content-"));
  if (reserved) {
    return Invalid(field, "the header " + std::string(name) + " is set by outbox itself");
  }
  if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    return Invalid(field, "the header value must not contain CR, LF or NUL");
  }
  return {};
}

}  // namespace mail
