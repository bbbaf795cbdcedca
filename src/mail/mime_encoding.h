#pragma once
// Byte-level encodings behind RenderMime: UTF-8 checks, line-end normalisation,
// quoted-printable bodies (RFC 2045) and header encoded-words (RFC 2047). Internal to the mail
// module; declared here so the unit tests can reach them directly.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mail::internal {

// Length of the well-formed UTF-8 sequence starting at text[pos] (1 for ASCII), or 0 when the
// bytes there are not one (overlong forms, surrogates and code points past U+10FFFF count as
// malformed). REQUIRES: pos < text.size().
std::size_t Utf8SequenceLength(std::string_view text, std::size_t pos);
bool IsValidUtf8(std::string_view text);

// RFC 5322 3.2.3 atext: the characters of an atom (local parts, plain display-name words).
bool IsAtext(unsigned char c);

// Turns bare LF and bare CR into CRLF, leaving existing CRLF pairs alone.
std::string NormalizeLineEnds(std::string_view text);

// Quoted-printable for a body whose line ends are already CRLF: every output line is at most
// 76 octets (soft breaks "=\r\n" where needed), trailing whitespace and non-ASCII are escaped,
// "From " at a line start is escaped so mbox-style relays cannot mangle it. The output never
// contains "=_", which is what makes the multipart boundary collision-free.
std::string EncodeQuotedPrintable(std::string_view text);

// Base64 (RFC 2045 6.8) in lines of 76 characters joined by CRLF, with no line end after the
// last line; empty for empty input. The output never contains "=_" ('=' is only padding, at
// the very end), so it cannot contain a multipart boundary either.
std::string EncodeBase64Lines(std::string_view bytes);
// The same, appended to `out` (no copy of the encoded text).
void AppendBase64Lines(std::string_view bytes, std::string& out);

// An RFC 2231 extended parameter value for UTF-8 text: "UTF-8''" followed by the bytes, each
// one percent-encoded unless it is an RFC 5987 attr-char (letters, digits, "!#$&+-.^_`|~").
std::string EncodeRfc2231Value(std::string_view text);

// Splits `text` into RFC 2047 UTF-8 encoded-words ("=?UTF-8?B?...?=" or "=?UTF-8?Q?...?=",
// whichever is shorter for this text). The first word is at most first_max_length characters,
// the others at most max_length (both raised to 24 if smaller, the least that always fits a
// 4-byte sequence). A UTF-8 sequence is never split across words. Decoding the words and
// concatenating them gives `text` back exactly, whitespace included.
std::vector<std::string> EncodeWords(std::string_view text, std::size_t first_max_length,
                                     std::size_t max_length);

// Attachment header values (attachment.cpp). IsValidContentType: "type/subtype", both RFC 2045
// tokens, at most 255 bytes. SanitizeFileName: the name RenderMime writes for an attachment,
// which is the name itself when it passed ValidateAttachment; otherwise directories and control
// characters are dropped, it is cut to 255 bytes, and an empty result becomes "attachment".
bool IsValidContentType(std::string_view content_type);
std::string SanitizeFileName(std::string_view filename);

}  // namespace mail::internal
