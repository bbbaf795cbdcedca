#pragma once
// The message model and its RFC 5322 / MIME rendering.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace mail {

struct Address {
  std::string display_name;  // UTF-8, may be empty
  std::string address;       // local@domain, no angle brackets
};

// Parses "user@example.com" or "Display Name <user@example.com>" (display name optionally
// quoted). Refuses CR, LF and NUL anywhere, missing '@', empty local part or domain, spaces
// in the address, and addresses over 254 octets. Errors are kInvalidArgument naming `field`.
core::Result<Address> ParseAddress(std::string_view text, std::string_view field);

struct Message {
  Address from;
  std::vector<Address> to, cc, bcc;  // bcc goes into the envelope only, never a header
  std::optional<Address> reply_to;
  std::string subject;  // UTF-8
  std::string text;     // UTF-8 plain-text body, may be empty
  std::string html;     // UTF-8 HTML body, may be empty
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order
  std::string message_id;  // without angle brackets
  core::TimeMs date = 0;
};

// Checks an extra header: the name is 1-76 printable ASCII characters other than ':' and
// not one that outbox sets itself (From, To, Cc, Bcc, Reply-To, Subject, Date, Message-ID,
// MIME-Version, Content-*); the value has no CR, LF or NUL. `field` names the input.
core::Status ValidateExtraHeader(std::string_view name, std::string_view value,
                                 std::string_view field);

// Renders the message as RFC 5322 with CRLF line ends: From/To/Cc/Reply-To/Subject/Date/
// Message-ID/MIME-Version headers plus the extra headers; non-ASCII header text as RFC 2047
// encoded-words; text and HTML as a multipart/alternative (or a single part when only one is
// given) in UTF-8 quoted-printable; no line longer than 998 octets.
// REQUIRES: the message was validated (addresses parsed, subject and headers free of CR/LF).
std::string RenderMime(const Message& message);

// "Mon, 23 Nov 2026 01:52:30 +0000"
std::string FormatRfc5322Date(core::TimeMs time);

}  // namespace mail
