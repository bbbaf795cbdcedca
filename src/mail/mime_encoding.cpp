#include "mail/mime_encoding.h"

#include <algorithm>
#include <cstdint>

namespace mail::internal {
namespace {

constexpr char kHexDigits[] = "0123456789ABCDEF";
// RFC 2045 6.7 (5): encoded lines are at most 76 characters, soft-break '=' included.
constexpr std::size_t kMaxQpLineLength = 76;
// RFC 2045 6.8: encoded lines are at most 76 characters; 76 is a multiple of 4, so each full
// line carries 57 input bytes and no padding.
constexpr std::size_t kBase64LineLength = 76;
constexpr std::size_t kBase64LineBytes = kBase64LineLength / 4 * 3;
// "=?UTF-8?B?" + "?=": the part of an encoded-word that carries no text.
constexpr std::size_t kEncodedWordOverhead = 12;
// Room for one 4-byte sequence in either encoding: 12 + 12 (Q) or 12 + 8 (B).
constexpr std::size_t kMinEncodedWordLength = 24;
constexpr char kBase64Alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void AppendHexEscape(unsigned char byte, std::string& out) {
  out.push_back('=');
  out.push_back(kHexDigits[byte >> 4]);
  out.push_back(kHexDigits[byte & 0xF]);
}

bool IsAsciiAlnum(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

// RFC 2047 5 (3): the characters a Q-encoded word may carry as themselves. This is the set
// allowed inside a phrase (display names), the strictest of the three contexts, so one encoder
// serves subjects and display names alike.
bool IsQLiteral(unsigned char c) {
  return IsAsciiAlnum(c) || c == '!' || c == '*' || c == '+' || c == '-' || c == '/';
}

std::size_t QLength(unsigned char c) { return (IsQLiteral(c) || c == ' ') ? 1 : 3; }

std::size_t Base64Length(std::size_t bytes) { return (bytes + 2) / 3 * 4; }

void AppendBase64(std::string_view bytes, std::string& out) {
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t group = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64Alphabet[(group >> 18) & 0x3F]);
    out.push_back(kBase64Alphabet[(group >> 12) & 0x3F]);
    out.push_back(kBase64Alphabet[(group >> 6) & 0x3F]);
    out.push_back(kBase64Alphabet[group & 0x3F]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 0) {
    return;
  }
  std::uint32_t group = static_cast<unsigned char>(bytes[i]) << 16;
  if (rest == 2) {
    group |= static_cast<unsigned char>(bytes[i + 1]) << 8;
  }
  out.push_back(kBase64Alphabet[(group >> 18) & 0x3F]);
  out.push_back(kBase64Alphabet[(group >> 12) & 0x3F]);
  out.push_back(rest == 2 ? kBase64Alphabet[(group >> 6) & 0x3F] : '=');
  out.push_back('=');
}

std::string MakeEncodedWord(std::string_view bytes, bool use_q) {
  std::string word = use_q ? "=?UTF-8?Q?" : "=?UTF-8?B?";
  if (use_q) {
    for (const char ch : bytes) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == ' ') {
        word.push_back('_');
      } else if (IsQLiteral(c)) {
        word.push_back(ch);
      } else {
        AppendHexEscape(c, word);
      }
    }
  } else {
    AppendBase64(bytes, word);
  }
  word += "?=";
  return word;
}

void AppendQuotedPrintableLine(std::string_view line, std::string& out) {
  std::size_t column = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const auto c = static_cast<unsigned char>(line[i]);
    const bool last = i + 1 == line.size();
    bool literal = (c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last);
    // Some relays still write mbox files and turn "From " at a line start into ">From ".
    if (literal && column == 0 && line.substr(i).starts_with("From ")) {
      literal = false;
    }
    const std::size_t token_length = literal ? 1 : 3;
    // The last token may end exactly at column 76; others leave room for the soft break's '='.
    const std::size_t limit = last ? kMaxQpLineLength : kMaxQpLineLength - 1;
    if (column > 0 && column + token_length > limit) {
      out += "=\r\n";
      column = 0;
      if (literal && line.substr(i).starts_with("From ")) {
        literal = false;
      }
    }
    if (literal) {
      out.push_back(static_cast<char>(c));
      column += 1;
    } else {
      AppendHexEscape(c, out);
      column += 3;
    }
  }
}

}  // namespace

std::size_t Utf8SequenceLength(std::string_view text, std::size_t pos) {
  const auto lead = static_cast<unsigned char>(text[pos]);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  std::uint32_t minimum = 0;
  if ((lead & 0xE0) == 0xC0) {
    length = 2;
    code_point = lead & 0x1F;
    minimum = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3;
    code_point = lead & 0x0F;
    minimum = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4;
    code_point = lead & 0x07;
    minimum = 0x10000;
  } else {
    return 0;
  }
  if (text.size() - pos < length) {
    return 0;
  }
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(text[pos + i]);
    if ((next & 0xC0) != 0x80) {
      return 0;
    }
    code_point = (code_point << 6) | (next & 0x3F);
  }
  if (code_point < minimum || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

bool IsAtext(unsigned char c) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
  return IsAsciiAlnum(c) || kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsValidUtf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    const std::size_t length = Utf8SequenceLength(text, pos);
    if (length == 0) {
      return false;
    }
    pos += length;
  }
  return true;
}

std::string NormalizeLineEnds(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r') {
      out += "\r\n";
      if (i + 1 < text.size() && text[i + 1] == '\n') {
        ++i;
      }
    } else if (c == '\n') {
      out += "\r\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EncodeQuotedPrintable(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find("\r\n", start);
    AppendQuotedPrintableLine(
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start),
        out);
    if (end == std::string_view::npos) {
      break;
    }
    out += "\r\n";
    start = end + 2;
  }
  return out;
}

std::string EncodeBase64Lines(std::string_view bytes) {
  std::string out;
  out.reserve(Base64Length(bytes.size()) + bytes.size() / kBase64LineBytes * 2 + 2);
  AppendBase64Lines(bytes, out);
  return out;
}

void AppendBase64Lines(std::string_view bytes, std::string& out) {
  for (std::size_t start = 0; start < bytes.size(); start += kBase64LineBytes) {
    if (start > 0) {
      out += "\r\n";
    }
    AppendBase64(bytes.substr(start, kBase64LineBytes), out);
  }
}

std::string EncodeRfc2231Value(std::string_view text) {
  static constexpr std::string_view kAttrSpecials = "!#$&+-.^_`|~";
  std::string out = "UTF-8''";
  out.reserve(out.size() + text.size() * 3);
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsAsciiAlnum(c) || kAttrSpecials.find(ch) != std::string_view::npos) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHexDigits[c >> 4]);
      out.push_back(kHexDigits[c & 0xF]);
    }
  }
  return out;
}

std::vector<std::string> EncodeWords(std::string_view text, std::size_t first_max_length,
                                     std::size_t max_length) {
  first_max_length = std::max(first_max_length, kMinEncodedWordLength);
  max_length = std::max(max_length, kMinEncodedWordLength);

  std::size_t q_total = 0;
  for (const char c : text) {
    q_total += QLength(static_cast<unsigned char>(c));
  }
  const bool use_q = q_total <= Base64Length(text.size());

  std::vector<std::string> words;
  std::size_t chunk_start = 0;
  std::size_t chunk_q_length = 0;  // Q-encoded length of text[chunk_start, pos)
  std::size_t pos = 0;
  while (pos < text.size()) {
    // A malformed byte travels alone; it cannot be split further anyway.
    const std::size_t unit = std::max<std::size_t>(1, Utf8SequenceLength(text, pos));
    std::size_t unit_q_length = 0;
    for (std::size_t i = pos; i < pos + unit; ++i) {
      unit_q_length += QLength(static_cast<unsigned char>(text[i]));
    }
    const std::size_t limit = words.empty() ? first_max_length : max_length;
    const std::size_t grown =
        use_q ? chunk_q_length + unit_q_length : Base64Length(pos + unit - chunk_start);
    if (pos > chunk_start && kEncodedWordOverhead + grown > limit) {
      words.push_back(MakeEncodedWord(text.substr(chunk_start, pos - chunk_start), use_q));
      chunk_start = pos;
      chunk_q_length = 0;
    }
    chunk_q_length += unit_q_length;
    pos += unit;
  }
  if (pos > chunk_start) {
    words.push_back(MakeEncodedWord(text.substr(chunk_start, pos - chunk_start), use_q));
  }
  return words;
}

}  // namespace mail::internal
