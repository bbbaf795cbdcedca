#pragma once
// Reading a stored message back into what a person looks at: its headers, its HTML and text
// bodies and its attachments (the dashboard's preview, text, headers and downloads). Any input
// is accepted, however malformed: what cannot be read is left out, never an error. The cost is
// bounded: multipart nesting and the number of parts are capped (ReadLimits), and the work is
// linear in the message's size times the nesting depth.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mail {

struct ReadLimits {
  int max_depth = 16;           // multiparts inside multiparts; deeper ones are left out
  std::size_t max_parts = 500;  // entities read, containers included; the rest are left out
};

// A body decoded from its transfer encoding (base64, quoted-printable, or none). The bytes stay
// in the part's charset; the label says which one.
struct ReadBody {
  std::string content;
  std::string charset;  // lower-cased label ("utf-8", "iso-8859-1"), "" when the part has none
};

struct ReadAttachment {
  std::string filename;      // as named (RFC 2231 and 2047 decoded); "" when unnamed
  std::string content_type;  // lower-cased "type/subtype", parameters dropped
  std::string content_id;    // without the angle brackets; "" for none
  std::string data;          // decoded bytes
};

struct MessageParts {
  // The message's own header fields in order: unfolded, RFC 2047 encoded-words in UTF-8,
  // US-ASCII or ISO-8859-1 decoded to UTF-8 (others left as written).
  std::vector<std::pair<std::string, std::string>> headers;
  // The first text/html and the first text/plain part that is not an attachment.
  std::optional<ReadBody> html, text;
  // Every other leaf part, in order: those marked attachment, named ones, non-text ones
  // (inline images included), further text parts; message/rfc822 parts whole, not opened.
  std::vector<ReadAttachment> attachments;
  bool truncated = false;  // a limit was reached and something was left out
};

// Reads an RFC 5322 message (CRLF or bare LF line ends).
MessageParts ReadMessageParts(std::string_view raw, const ReadLimits& limits = {});

// An unstructured header value with its RFC 2047 encoded-words decoded as in
// MessageParts::headers.
std::string DecodeHeaderValue(std::string_view value);

// The Content-Disposition value offering `filename` for download:
// attachment; filename="<ASCII stand-in>"; filename*=UTF-8''<percent-encoded name>
// with directories and control characters dropped first ("attachment" when nothing is left).
std::string AttachmentDisposition(std::string_view filename);

// `html` with each "cid:<id>" that names an image/* part among `attachments` (its content_id)
// replaced by a data: URI holding the image, so a preview that may load nothing from outside
// still shows the message's own images. Linear in the sizes of html and the images used.
std::string InlineContentIdImages(std::string_view html,
                                  const std::vector<ReadAttachment>& attachments);

// `raw` with the message's header field `name` (case-insensitive, with its continuation lines)
// replaced by "name: value"; added at the end of the header block when absent. Only the first
// field of that name is replaced; the body is untouched.
// REQUIRES: value holds no CR or LF.
std::string ReplaceHeader(std::string_view raw, std::string_view name, std::string_view value);

}  // namespace mail
