#include "mail/mime_parts.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <unordered_map>

#include "mail/mime_encoding.h"

namespace mail {
namespace {

// RFC 2046 5.1.1 allows 70 characters; a little slack for senders that ignore it.
constexpr std::size_t kMaxBoundaryLength = 200;
// Parameters read from one header value (a Content-Type, a Content-Disposition).
constexpr std::size_t kMaxParameters = 64;
// RFC 2231 continuations of one parameter.
constexpr int kMaxContinuations = 64;
// InlineContentIdImages' data: URIs, all together.
constexpr std::size_t kMaxInlinedBytes = 64 << 20;

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view text) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Lenient: characters outside the alphabet (line ends, spaces, junk) are skipped; '=' ends it.
std::string DecodeBase64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3);
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') {
      value = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      value = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      value = c - '0' + 52;
    } else if (c == '+') {
      value = 62;
    } else if (c == '/') {
      value = 63;
    } else if (c == '=') {
      break;
    } else {
      continue;
    }
    buffer = ((buffer << 6) | static_cast<unsigned>(value)) & 0xFFFFFF;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// RFC 2045 6.7: "=XX" is a byte, "=" at a line end a soft break; a malformed escape stays as is.
// `q` is RFC 2047's Q encoding, where '_' is a space.
std::string DecodeQuotedPrintable(std::string_view text, bool q = false) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '_' && q) {
      out.push_back(' ');
    } else if (c != '=') {
      out.push_back(c);
    } else if (i + 2 < text.size() && HexValue(text[i + 1]) >= 0 && HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (i + 1 < text.size() && text[i + 1] == '\n') {
      i += 1;
    } else if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Latin1ToUtf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out.push_back(ch);
    } else {
      out.push_back(static_cast<char>(0xC0 | (c >> 6)));
      out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
    }
  }
  return out;
}

// Text in a charset named by a label, as UTF-8 when that is known how; nullopt otherwise.
std::optional<std::string> ToUtf8(std::string_view text, std::string_view charset) {
  const std::string label = Lower(charset);
  if (label == "utf-8" || label == "utf8" || label == "us-ascii" || label == "ascii") {
    return std::string(text);
  }
  if (label == "iso-8859-1" || label == "latin1" || label == "latin-1") return Latin1ToUtf8(text);
  return std::nullopt;
}

// One "=?charset?B|Q?text?=" word decoded to UTF-8, or nullopt.
std::optional<std::string> DecodeEncodedWord(std::string_view word) {
  if (word.size() < 8 || !word.starts_with("=?") || !word.ends_with("?=")) return std::nullopt;
  const std::string_view inner = word.substr(2, word.size() - 4);
  const std::size_t first = inner.find('?');
  if (first == std::string_view::npos || first + 2 >= inner.size() || inner[first + 2] != '?') {
    return std::nullopt;
  }
  std::string_view charset = inner.substr(0, first);
  charset = charset.substr(0, charset.find('*'));  // RFC 2231 language suffix
  const char encoding =
      static_cast<char>(std::toupper(static_cast<unsigned char>(inner[first + 1])));
  const std::string_view text = inner.substr(first + 3);
  if (encoding == 'B') return ToUtf8(DecodeBase64(text), charset);
  if (encoding == 'Q') return ToUtf8(DecodeQuotedPrintable(text, true), charset);
  return std::nullopt;
}

struct Header {
  std::string name;
  std::string value;  // unfolded, trimmed, still encoded
};

// The header block (up to the first empty line) and what follows it.
struct Entity {
  std::vector<Header> headers;
  std::string_view body;
};

Entity SplitEntity(std::string_view text) {
  Entity entity;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    const std::size_t next = end == std::string_view::npos ? text.size() : end + 1;
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = next;
    if (line.empty()) {
      entity.body = text.substr(pos);
      return entity;
    }
    if ((line.front() == ' ' || line.front() == '\t')) {
      if (!entity.headers.empty()) entity.headers.back().value.append(line);
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;  // not a header field: skipped
    entity.headers.push_back(
        Header{std::string(Trim(line.substr(0, colon))), std::string(line.substr(colon + 1))});
  }
  return entity;  // headers only, no body
}

std::string_view HeaderValue(const Entity& entity, std::string_view name) {
  for (const Header& header : entity.headers) {
    if (EqualsIgnoringCase(header.name, name)) return Trim(header.value);
  }
  return {};
}

// A structured value "main; name=value; name*=charset'lang'percent; name*0*=...": the main value
// lower-cased and the parameters by lower-cased name, RFC 2231 extended and continued ones
// joined and decoded to UTF-8 where their charset is known (else kept as bytes).
struct Parameterized {
  std::string value;
  std::map<std::string, std::string> parameters;
};

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Parameterized ParseParameterized(std::string_view text) {
  Parameterized out;
  struct Segment {
    std::string text;
    bool extended = false;
  };
  std::map<std::string, std::map<int, Segment>> continued;
  std::size_t pos = 0;
  bool first = true;
  std::size_t count = 0;
  while (pos <= text.size() && count <= kMaxParameters) {
    // One item up to an unquoted ';'.
    std::string item;
    bool quoted = false;
    for (; pos < text.size(); ++pos) {
      const char c = text[pos];
      if (quoted && c == '\\' && pos + 1 < text.size()) {
        item.push_back(text[++pos]);
      } else if (c == '"') {
        quoted = !quoted;
        item.push_back(c);
      } else if (c == ';' && !quoted) {
        break;
      } else {
        item.push_back(c);
      }
    }
    ++pos;
    if (first) {
      out.value = Lower(Trim(item));
      first = false;
      continue;
    }
    ++count;
    const std::size_t equals = item.find('=');
    if (equals == std::string::npos) continue;
    std::string name = Lower(Trim(std::string_view(item).substr(0, equals)));
    std::string_view value = Trim(std::string_view(item).substr(equals + 1));
    std::string unquoted(value);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      unquoted = std::string(value.substr(1, value.size() - 2));
      unquoted.erase(std::remove(unquoted.begin(), unquoted.end(), '"'), unquoted.end());
    }
    const bool extended = name.ends_with('*');
    if (extended) name.pop_back();
    const std::size_t star = name.find('*');
    int index = 0;
    if (star != std::string::npos) {
      const std::string digits = name.substr(star + 1);
      if (digits.empty() || digits.size() > 2 ||
          !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        continue;
      }
      index = std::stoi(digits);
      name.resize(star);
    } else if (!extended) {
      out.parameters.emplace(name, std::move(unquoted));
      continue;
    }
    if (index < kMaxContinuations) continued[name][index] = Segment{std::move(unquoted), extended};
  }
  for (auto& [name, segments] : continued) {
    std::string charset, joined;
    for (auto& [index, segment] : segments) {
      std::string_view part = segment.text;
      if (index == 0 && segment.extended) {
        // charset'language'text
        const std::size_t quote = part.find('\'');
        const std::size_t second =
            quote == std::string_view::npos ? quote : part.find('\'', quote + 1);
        if (second != std::string_view::npos) {
          charset = std::string(part.substr(0, quote));
          part = part.substr(second + 1);
        }
      }
      joined += segment.extended ? PercentDecode(part) : std::string(part);
    }
    auto utf8 = charset.empty() ? std::optional<std::string>() : ToUtf8(joined, charset);
    // An extended value wins over a plain one of the same name (RFC 2231's fallback).
    out.parameters[name] = utf8.has_value() ? std::move(*utf8) : std::move(joined);
  }
  return out;
}

std::string DecodeBody(std::string_view body, std::string_view transfer_encoding) {
  const std::string encoding = Lower(transfer_encoding);
  if (encoding == "base64") return DecodeBase64(body);
  if (encoding == "quoted-printable") return DecodeQuotedPrintable(body);
  return std::string(body);
}

// The parts of a multipart body: what lies between its delimiter lines ("--boundary" at a line
// start, then only whitespace, or "--" for the last). The preamble and epilogue are dropped; a
// body whose closing delimiter is missing ends at the end of the text.
std::vector<std::string_view> SplitMultipart(std::string_view body, std::string_view boundary) {
  std::vector<std::string_view> parts;
  const std::string delimiter = "--" + std::string(boundary);
  // The next delimiter line at or after `from`, or npos. Each call scans forward only, so the
  // whole split reads the body once.
  const auto next_delimiter = [&](std::size_t from) {
    while (true) {
      const std::size_t at = body.find(delimiter, from);
      if (at == std::string_view::npos) return at;
      const std::size_t after = at + delimiter.size();
      const bool line_start = at == 0 || body[at - 1] == '\n';
      const bool line_rest = after >= body.size() || body[after] == '-' || body[after] == ' ' ||
                             body[after] == '\t' || body[after] == '\r' || body[after] == '\n';
      if (line_start && line_rest) return at;
      from = at + 1;
    }
  };
  std::size_t at = next_delimiter(0);
  while (at != std::string_view::npos) {
    const std::size_t after = at + delimiter.size();
    if (body.substr(after, 2) == "--") break;  // the closing delimiter
    const std::size_t line_end = body.find('\n', after);
    if (line_end == std::string_view::npos) break;
    const std::size_t start = line_end + 1;
    const std::size_t next = next_delimiter(start);
    std::string_view part =
        body.substr(start, (next == std::string_view::npos ? body.size() : next) - start);
    if (next != std::string_view::npos) {
      // The line break before a delimiter belongs to the delimiter.
      if (part.ends_with('\n')) part.remove_suffix(1);
      if (part.ends_with('\r')) part.remove_suffix(1);
    }
    parts.push_back(part);
    at = next;
  }
  return parts;
}

class Reader {
 public:
  Reader(const ReadLimits& limits, MessageParts& out) : limits_(limits), out_(out) {}

  void Read(std::string_view text, int depth) {
    if (++parts_read_ > limits_.max_parts) {
      out_.truncated = true;
      return;
    }
    const Entity entity = SplitEntity(text);
    if (depth == 0) {
      for (const Header& header : entity.headers) {
        out_.headers.emplace_back(header.name, DecodeHeaderValue(Trim(header.value)));
      }
    }
    const Parameterized type = ParseParameterized(HeaderValue(entity, "Content-Type"));
    const std::string content_type = type.value.empty() ? "text/plain" : type.value;
    if (content_type.starts_with("multipart/")) {
      const auto boundary = type.parameters.find("boundary");
      if (boundary == type.parameters.end() || boundary->second.empty() ||
          boundary->second.size() > kMaxBoundaryLength) {
        return;  // nothing can be read out of it
      }
      if (depth + 1 > limits_.max_depth) {
        out_.truncated = true;
        return;
      }
      for (std::string_view part : SplitMultipart(entity.body, boundary->second)) {
        if (parts_read_ >= limits_.max_parts) {
          out_.truncated = true;
          return;
        }
        Read(part, depth + 1);
      }
      return;
    }
    const Parameterized disposition =
        ParseParameterized(HeaderValue(entity, "Content-Disposition"));
    std::string filename;
    if (auto named = disposition.parameters.find("filename");
        named != disposition.parameters.end()) {
      filename = DecodeHeaderValue(named->second);
    } else if (auto name = type.parameters.find("name"); name != type.parameters.end()) {
      filename = DecodeHeaderValue(name->second);
    }
    std::string data = DecodeBody(entity.body, HeaderValue(entity, "Content-Transfer-Encoding"));
    const bool body_part = disposition.value != "attachment" && filename.empty();
    const auto charset = type.parameters.find("charset");
    std::optional<ReadBody>* body = content_type == "text/html"    ? &out_.html
                                    : content_type == "text/plain" ? &out_.text
                                                                   : nullptr;
    if (body_part && body != nullptr && !body->has_value()) {
      *body = ReadBody{std::move(data),
                       charset == type.parameters.end() ? std::string() : Lower(charset->second)};
      return;
    }
    std::string content_id(HeaderValue(entity, "Content-ID"));
    if (content_id.size() >= 2 && content_id.front() == '<' && content_id.back() == '>') {
      content_id = content_id.substr(1, content_id.size() - 2);
    }
    out_.attachments.push_back(
        ReadAttachment{std::move(filename), content_type, std::move(content_id), std::move(data)});
  }

 private:
  const ReadLimits& limits_;
  MessageParts& out_;
  std::size_t parts_read_ = 0;
};

}  // namespace

std::string DecodeHeaderValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  std::string pending_space;  // whitespace after an encoded-word: dropped if another follows
  bool after_word = false;
  std::size_t pos = 0;
  while (pos < value.size()) {
    const bool space = value[pos] == ' ' || value[pos] == '\t';
    std::size_t end = pos;
    while (end < value.size() && (value[end] == ' ' || value[end] == '\t') == space) ++end;
    const std::string_view run = value.substr(pos, end - pos);
    pos = end;
    if (space) {
      if (after_word) {
        pending_space = run;
      } else {
        out.append(run);
      }
      continue;
    }
    auto decoded = DecodeEncodedWord(run);
    if (decoded.has_value()) {
      pending_space.clear();
      out += *decoded;
      after_word = true;
    } else {
      out += pending_space;
      pending_space.clear();
      out.append(run);
      after_word = false;
    }
  }
  out += pending_space;
  return out;
}

MessageParts ReadMessageParts(std::string_view raw, const ReadLimits& limits) {
  MessageParts parts;
  Reader(limits, parts).Read(raw, 0);
  return parts;
}

std::string AttachmentDisposition(std::string_view filename) {
  const std::string name = internal::SanitizeFileName(filename);
  std::string ascii;
  for (const char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 && c < 0xC0) continue;  // a UTF-8 continuation byte: one '_' per character
    ascii.push_back(c < 0x20 || c >= 0x7F || ch == '"' || ch == '\\' || ch == '%' ? '_' : ch);
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=" + internal::EncodeRfc2231Value(name);
}

std::string InlineContentIdImages(std::string_view html,
                                  const std::vector<ReadAttachment>& attachments) {
  struct Image {
    const ReadAttachment* attachment;
    std::string uri;  // encoded on first use
  };
  std::unordered_map<std::string_view, Image> images;
  for (const ReadAttachment& attachment : attachments) {
    if (!attachment.content_id.empty() && attachment.content_type.starts_with("image/") &&
        internal::IsValidContentType(attachment.content_type)) {
      images.emplace(attachment.content_id, Image{&attachment, {}});
    }
  }
  // A message may name one large image many times: past this many bytes of data: URIs the
  // references stay as they are.
  std::size_t budget = kMaxInlinedBytes;
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t at = images.empty() ? std::string_view::npos : html.find("cid:", pos);
    if (at == std::string_view::npos) break;
    std::size_t end = at + 4;
    while (end < html.size() &&
           std::string_view("\"' )>\t\r\n").find(html[end]) == std::string_view::npos) {
      ++end;
    }
    out.append(html.substr(pos, at - pos));
    const auto image = images.find(html.substr(at + 4, end - at - 4));
    if (image != images.end() && image->second.uri.empty()) {
      const ReadAttachment& attachment = *image->second.attachment;
      std::string base64 = internal::EncodeBase64Lines(attachment.data);
      std::erase(base64, '\r');
      std::erase(base64, '\n');
      image->second.uri = "data:" + attachment.content_type + ";base64," + base64;
    }
    if (image == images.end() || image->second.uri.size() > budget) {
      out.append(html.substr(at, end - at));
    } else {
      out += image->second.uri;
      budget -= image->second.uri.size();
    }
    pos = end;
  }
  out.append(html.substr(pos));
  return out;
}

std::string ReplaceHeader(std::string_view raw, std::string_view name, std::string_view value) {
  const std::string field = std::string(name) + ": " + std::string(value) + "\r\n";
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::size_t end = raw.find('\n', pos);
    end = end == std::string_view::npos ? raw.size() : end + 1;
    std::string_view line = raw.substr(pos, end - pos);
    if (line == "\r\n" || line == "\n") break;  // the end of the header block
    const std::size_t colon = line.find(':');
    if (colon != std::string_view::npos && line.front() != ' ' && line.front() != '\t' &&
        EqualsIgnoringCase(Trim(line.substr(0, colon)), name)) {
      // The field runs on over its continuation lines.
      while (end < raw.size() && (raw[end] == ' ' || raw[end] == '\t')) {
        const std::size_t next = raw.find('\n', end);
        end = next == std::string_view::npos ? raw.size() : next + 1;
      }
      return std::string(raw.substr(0, pos)) + field + std::string(raw.substr(end));
    }
    pos = end;
  }
  return std::string(raw.substr(0, pos)) + field + std::string(raw.substr(pos));
}

}  // namespace mail
