#pragma once
// A deliberately small, independent reader for what RenderMime writes, so the tests check the
// output by decoding it rather than by comparing strings: header unfolding, RFC 2047
// encoded-words (B and Q), quoted-printable, base64 bodies, multipart splitting (nested parts
// are split again with their own boundary) and RFC 2231 parameters.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mail_test {

inline int HexValue(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  return -1;
}

inline std::string DecodeBase64(std::string_view text) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    if (c == '=') {
      break;
    }
    const std::size_t value = kAlphabet.find(c);
    if (value == std::string_view::npos) {
      return "<bad base64>";
    }
    buffer = (buffer << 6) | static_cast<unsigned>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

inline std::string DecodeQ(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_') {
      out.push_back(' ');
    } else if (text[i] == '=' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// One encoded-word "=?UTF-8?B?...?=" decoded, or nullopt-like empty flag through `ok`.
inline std::string DecodeEncodedWord(std::string_view word, bool* ok) {
  *ok = false;
  if (!word.starts_with("=?") || !word.ends_with("?=")) {
    return {};
  }
  const std::string_view inner = word.substr(2, word.size() - 4);
  const std::size_t q1 = inner.find('?');
  if (q1 == std::string_view::npos || q1 + 2 >= inner.size() || inner[q1 + 2] != '?') {
    return {};
  }
  std::string charset(inner.substr(0, q1));
  std::transform(charset.begin(), charset.end(), charset.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  if (charset != "UTF-8") {
    return {};
  }
  const char encoding = static_cast<char>(std::toupper(static_cast<unsigned char>(inner[q1 + 1])));
  const std::string_view payload = inner.substr(q1 + 3);
  *ok = true;
  if (encoding == 'B') {
    return DecodeBase64(payload);
  }
  if (encoding == 'Q') {
    return DecodeQ(payload);
  }
  *ok = false;
  return {};
}

// Splits an unfolded header value into encoded-words and the text around them, decoding the
// words and dropping whitespace that only separates two encoded-words (RFC 2047 6.2).
inline std::string DecodeHeaderValue(std::string_view value) {
  std::string out;
  std::string pending_space;
  bool previous_was_word = false;
  std::size_t i = 0;
  while (i < value.size()) {
    if (value[i] == ' ' || value[i] == '\t') {
      pending_space.push_back(value[i]);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < value.size() && value[end] != ' ' && value[end] != '\t') {
      ++end;
    }
    const std::string_view token = value.substr(i, end - i);
    bool ok = false;
    std::string decoded = DecodeEncodedWord(token, &ok);
    if (ok) {
      if (!previous_was_word) {
        out += pending_space;
      }
      out += decoded;
    } else {
      out += pending_space;
      out += token;
    }
    pending_space.clear();
    previous_was_word = ok;
    i = end;
  }
  return out + pending_space;
}

inline std::string DecodeQuotedPrintable(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '=') {
      out.push_back(text[i]);
    } else if (text.substr(i + 1, 2) == "\r\n") {
      i += 2;  // soft line break
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out += "<bad qp>";
    }
  }
  return out;
}

// A base64 body: the encoded text with its line breaks.
inline std::string DecodeBase64Body(std::string_view text) {
  std::string joined;
  for (const char c : text) {
    if (c != '\r' && c != '\n') {
      joined.push_back(c);
    }
  }
  return DecodeBase64(joined);
}

inline std::vector<std::string> SplitLines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = text.find("\r\n", start);
    if (end == std::string_view::npos) {
      if (start < text.size()) {
        lines.emplace_back(text.substr(start));
      }
      break;
    }
    lines.emplace_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

inline std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

struct Entity {
  std::vector<std::pair<std::string, std::string>> headers;  // unfolded, in order
  std::string raw_header_block;                              // as written, folded
  std::string body;

  // The value of the first header with this name (case-insensitive), unfolded; "" if absent.
  std::string Header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
      if (Lower(key) == Lower(std::string(name))) {
        return value;
      }
    }
    return {};
  }
  int Count(std::string_view name) const {
    return static_cast<int>(std::count_if(headers.begin(), headers.end(), [&](const auto& header) {
      return Lower(header.first) == Lower(std::string(name));
    }));
  }
};

// Splits at the first empty line and unfolds the headers (CRLF followed by WSP is removed).
inline Entity ParseEntity(std::string_view text) {
  Entity entity;
  std::size_t split = text.find("\r\n\r\n");
  std::string_view block =
      text.substr(0, split == std::string_view::npos ? text.size() : split + 2);
  entity.raw_header_block = std::string(block);
  entity.body = split == std::string_view::npos ? "" : std::string(text.substr(split + 4));
  for (const std::string& line : SplitLines(block)) {
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !entity.headers.empty()) {
      entity.headers.back().second += line;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') {
      value.erase(0, 1);
    }
    entity.headers.emplace_back(line.substr(0, colon), value);
  }
  return entity;
}

// The boundary parameter of a Content-Type value, without quotes.
inline std::string BoundaryOf(std::string_view content_type) {
  const std::size_t at = content_type.find("boundary=");
  if (at == std::string_view::npos) {
    return {};
  }
  std::string_view rest = content_type.substr(at + 9);
  if (!rest.empty() && rest[0] == '"') {
    rest.remove_prefix(1);
    return std::string(rest.substr(0, rest.find('"')));
  }
  return std::string(rest.substr(0, rest.find_first_of("; ")));
}

// The media type of a Content-Type value ("type/subtype", lower case), without parameters.
inline std::string MediaTypeOf(std::string_view value) {
  std::string type(value.substr(0, value.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
    type.pop_back();
  }
  return Lower(type);
}

// The parameters of a header value such as `attachment; filename="a b"; filename*=...` as
// (lower-case attribute, value) pairs, quoted strings unquoted and unescaped.
inline std::vector<std::pair<std::string, std::string>> ParametersOf(std::string_view value) {
  std::vector<std::pair<std::string, std::string>> parameters;
  std::size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;  // the ';'
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) {
      ++i;
    }
    const std::size_t equals = value.find('=', i);
    if (equals == std::string_view::npos) {
      break;
    }
    std::string attribute = Lower(std::string(value.substr(i, equals - i)));
    i = equals + 1;
    std::string parameter_value;
    if (i < value.size() && value[i] == '"') {
      for (++i; i < value.size() && value[i] != '"'; ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          ++i;
        }
        parameter_value.push_back(value[i]);
      }
      i = value.find(';', i);
    } else {
      const std::size_t end = value.find(';', i);
      parameter_value = std::string(value.substr(i, end - i));
      while (!parameter_value.empty() &&
             (parameter_value.back() == ' ' || parameter_value.back() == '\t')) {
        parameter_value.pop_back();
      }
      i = end;
    }
    parameters.emplace_back(std::move(attribute), std::move(parameter_value));
  }
  return parameters;
}

// RFC 2231 4: percent-decoding; "<bad pct>" marks an escape that is not two hex digits.
inline std::string DecodePercent(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out.push_back(text[i]);
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out += "<bad pct>";
    }
  }
  return out;
}

// charset'language'percent-encoded (RFC 2231 4), for UTF-8 and US-ASCII only.
inline std::optional<std::string> DecodeExtendedValue(std::string_view text) {
  const std::size_t first = text.find('\'');
  const std::size_t second = first == std::string_view::npos ? first : text.find('\'', first + 1);
  if (second == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string charset = Lower(std::string(text.substr(0, first)));
  if (charset != "utf-8" && charset != "us-ascii") {
    return std::nullopt;
  }
  return DecodePercent(text.substr(second + 1));
}

// A parameter's value as a reader applying RFC 2231 sees it: `name*` (extended) wins over
// `name*0`, `name*1*`, ... (continuations), which win over plain `name`. nullopt if absent.
inline std::optional<std::string> ParameterOf(std::string_view value, std::string_view name) {
  const auto parameters = ParametersOf(value);
  const auto find = [&](const std::string& attribute) -> const std::string* {
    for (const auto& [key, parameter_value] : parameters) {
      if (key == attribute) {
        return &parameter_value;
      }
    }
    return nullptr;
  };
  const std::string base = Lower(std::string(name));
  if (const std::string* extended = find(base + "*")) {
    return DecodeExtendedValue(*extended);
  }
  std::string joined;
  bool any_section = false;
  for (int section = 0;; ++section) {
    const std::string prefix = base + "*" + std::to_string(section);
    if (const std::string* encoded = find(prefix + "*")) {
      if (section == 0) {
        const auto decoded = DecodeExtendedValue(*encoded);
        if (!decoded) {
          return std::nullopt;
        }
        joined += *decoded;
      } else {
        joined += DecodePercent(*encoded);
      }
    } else if (const std::string* plain = find(prefix)) {
      joined += *plain;
    } else {
      break;
    }
    any_section = true;
  }
  if (any_section) {
    return joined;
  }
  if (const std::string* plain = find(base)) {
    return *plain;
  }
  return std::nullopt;
}

// The parts between "--boundary" delimiter lines (RFC 2046 5.1.1), each parsed as an entity.
// The CRLF before a delimiter belongs to the delimiter, not to the part.
inline std::vector<Entity> SplitMultipart(std::string_view body, std::string_view boundary) {
  std::vector<Entity> parts;
  const std::string delimiter = "--" + std::string(boundary);
  std::size_t at = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (at == std::string_view::npos) {
    return parts;
  }
  std::size_t cursor = at == 0 ? 0 : at + 2;
  while (true) {
    cursor += delimiter.size();
    if (body.substr(cursor, 2) == "--") {
      break;  // close delimiter
    }
    cursor += 2;  // CRLF after the delimiter
    const std::size_t next = body.find("\r\n" + delimiter, cursor);
    if (next == std::string_view::npos) {
      break;
    }
    parts.push_back(ParseEntity(body.substr(cursor, next - cursor)));
    cursor = next + 2;
  }
  return parts;
}

// True when every LF is preceded by CR and every CR is followed by LF.
inline bool HasOnlyCrlf(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
      return false;
    }
    if (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n')) {
      return false;
    }
  }
  return true;
}

inline std::size_t LongestLine(std::string_view text) {
  std::size_t longest = 0;
  for (const std::string& line : SplitLines(text)) {
    longest = std::max(longest, line.size());
  }
  return longest;
}

}  // namespace mail_test
