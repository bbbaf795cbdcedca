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

// ParseAddress, then the form outbox sends: a non-ASCII domain becomes its A-label (IDNA2008,
// UTS #46 non-transitional, via libidn2: "team@bücher.de" -> "team@xn--bcher-kva.de"), so the
// envelope and the headers stay 7-bit. A non-ASCII local part needs SMTPUTF8 (RFC 6531), which
// outbox does not speak: refused (kInvalidArgument naming `field`), as is a domain libidn2
// cannot convert.
core::Result<Address> ParseSendableAddress(std::string_view text, std::string_view field);

// A file sent along with the message. RenderMime sends `data` as is, base64-encoded.
struct Attachment {
  std::string filename;      // UTF-8, a base name without directories
  std::string content_type;  // "type/subtype", e.g. "application/pdf"
  std::string data;          // the file's bytes, any values
};

struct Message {
  Address from;
  std::vector<Address> to, cc, bcc;  // bcc goes into the envelope only, never a header
  std::optional<Address> reply_to;
  std::string subject;                                       // UTF-8
  std::string text;                                          // UTF-8 plain-text body, may be empty
  std::string html;                                          // UTF-8 HTML body, may be empty
  std::vector<Attachment> attachments;                       // files sent along, in order
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, in order
  std::string message_id;                                    // without angle brackets
  core::TimeMs date = 0;
  // "" (usual): MIME boundaries are random. Else they are derived from this text, so every
  // rendering of the same message has the same boundaries (a campaign's shared part and the
  // recipients' tails that close it may be rendered apart).
  std::string boundary_seed;
};

// Checks an extra header: the name is 1-76 printable ASCII characters other than ':' and
// not one that outbox sets itself (From, To, Cc, Bcc, Reply-To, Subject, Date, Message-ID,
// MIME-Version, Content-*); the value has no CR, LF or NUL. `field` names the input.
core::Status ValidateExtraHeader(std::string_view name, std::string_view value,
                                 std::string_view field);

// Strips everything up to the last '/' or '\' ("C:\fakepath\a.pdf" -> "a.pdf"): browsers and
// mail clients sometimes send a path where a file name belongs.
std::string BaseFileName(std::string_view path);

// Checks an attachment before it is rendered: the filename is 1-255 bytes of valid UTF-8 with
// no control characters (CR, LF, NUL and the rest of C0, DEL), no '/' or '\' (strip
// directories with BaseFileName first) and is not "." or ".."; the content type is empty
// (sent as application/octet-stream) or "type/subtype" in RFC 2045 token characters, at most
// 255 bytes. The data is not looked at here: CheckAttachmentType (sniff.h) does that. Errors
// are kInvalidArgument naming `field`.
core::Status ValidateAttachment(const Attachment& attachment, std::string_view field);

// Renders the message as RFC 5322 with CRLF line ends: From/To/Cc/Reply-To/Subject/Date/
// Message-ID/MIME-Version headers plus the extra headers; non-ASCII header text as RFC 2047
// encoded-words; text and HTML as a multipart/alternative (or a single part when only one is
// given) in UTF-8 quoted-printable; no line longer than 998 octets. With attachments the
// message is multipart/mixed: that body first, then one base64 part per attachment, named by
// Content-Disposition `filename` (RFC 2231 `filename*=UTF-8''...` unless the name is plain
// ASCII) and by Content-Type `name` (plain ASCII, '_' for each character it cannot carry).
// REQUIRES: the message was validated (addresses parsed, subject and headers free of CR/LF,
// attachments passed ValidateAttachment).
std::string RenderMime(const Message& message);

// A message sent to many recipients one by one (newsletters) is rendered in two pieces whose
// concatenation RenderRecipientHeaders(...) + RenderSharedPart(...) is a complete message:
// the shared part, rendered once, is RenderMime's output without To, Cc and Message-ID; the
// recipient's part is their To and Message-ID headers plus extra headers of their own (e.g.
// List-Unsubscribe). Same requirements as RenderMime.
std::string RenderSharedPart(const Message& message);
std::string RenderRecipientHeaders(const Address& to, std::string_view message_id,
                                   const std::vector<std::pair<std::string, std::string>>& headers);

// A campaign's message: as RenderSharedPart, but left open at the end of the HTML part so each
// recipient's own tail can add to the HTML (their open-tracking image) and close the message:
// RenderRecipientHeaders(...) + shared + RenderHtmlTail(html, close) is a complete message.
// close is "" when the message has no HTML part; RenderHtmlTail then adds nothing.
// REQUIRES: as RenderMime, and no attachments.
struct OpenHtmlPart {
  std::string shared;
  std::string close;
};
OpenHtmlPart RenderSharedPartOpenHtml(const Message& message);
std::string RenderHtmlTail(std::string_view html, std::string_view close);

// "Mon, 23 Nov 2026 01:52:30 +0000"
std::string FormatRfc5322Date(core::TimeMs time);

}  // namespace mail
