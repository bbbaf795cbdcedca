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

// Splits `text` into RFC 2047 UTF-8 encoded-words ("=?UTF-8?B?...?=" or "=?UTF-8?Q?...?=",
// whichever is shorter for this text). The first word is at most first_max_length characters,
// the others at most max_length (both raised to 24 if smaller, the least that always fits a
// 4-byte sequence). A UTF-8 sequence is never split across words. Decoding the words and
// concatenating them gives `text` back exactly, whitespace included.
std::vector<std::string> EncodeWords(std::string_view text, std::size_t first_max_length,
                                     std::size_t max_length);

}  // namespace mail::internal
