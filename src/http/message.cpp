#include "http/message.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

namespace http {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Lower(x) == Lower(y); });
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of parameter `name` in a header value such as `form-data; name="a"; filename=b`:
// quoted (with backslash escapes) or a bare token; nullopt when absent. `malformed` (when given)
// is set if a quoted value has no closing quote (a line broken inside it).
std::optional<std::string> HeaderParameter(std::string_view value, std::string_view name,
                                           bool* malformed = nullptr) {
  std::size_t position = value.find(';');
  while (position != std::string_view::npos) {
    std::string_view rest = Trim(value.substr(position + 1));
    const std::size_t equals = rest.find('=');
    if (equals == std::string_view::npos) return std::nullopt;
    const bool wanted = EqualsIgnoringCase(Trim(rest.substr(0, equals)), name);
    std::string_view after = Trim(rest.substr(equals + 1));
    std::string parsed;
    std::size_t consumed = 0;
    if (!after.empty() && after.front() == '"') {
      std::size_t i = 1;
      for (; i < after.size() && after[i] != '"'; ++i) {
        if (after[i] == '\\' && i + 1 < after.size()) ++i;
        parsed.push_back(after[i]);
      }
      if (i >= after.size() && malformed != nullptr) *malformed = true;
      consumed = std::min(i + 1, after.size());
    } else {
      consumed = std::min(after.find(';'), after.size());
      parsed = std::string(Trim(after.substr(0, consumed)));
    }
    if (wanted) return parsed;
    const std::size_t next = after.substr(consumed).find(';');
    if (next == std::string_view::npos) return std::nullopt;
    position = static_cast<std::size_t>(after.data() + consumed + next - value.data());
  }
  return std::nullopt;
}

// Reads one part (its header lines, a blank line, its content) into `part`.
bool ReadFormPart(std::string_view raw, FormPart& part) {
  const std::size_t header_end = raw.find("\r\n\r\n");
  if (header_end == std::string_view::npos) return false;
  std::string_view headers = raw.substr(0, header_end + 2);
  part.content = std::string(raw.substr(header_end + 4));
  while (!headers.empty()) {
    const std::size_t line_end = headers.find("\r\n");
    const std::string_view line = headers.substr(0, line_end);
    headers.remove_prefix(line_end + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view field = Trim(line.substr(0, colon));
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoringCase(field, "Content-Type")) {
      part.content_type = std::string(value);
    } else if (EqualsIgnoringCase(field, "Content-Disposition")) {
      // A bare CR or LF (a file name with a line break) makes the line unreadable: the part
      // keeps no name, which the routes refuse.
      if (value.find_first_of("\r\n") != std::string_view::npos) continue;
      const std::string_view kind = Trim(value.substr(0, value.find(';')));
      if (!EqualsIgnoringCase(kind, "form-data")) continue;
      bool malformed = false;
      std::string name = HeaderParameter(value, "name", &malformed).value_or("");
      std::string filename = HeaderParameter(value, "filename", &malformed).value_or("");
      if (malformed) continue;
      part.name = std::move(name);
      part.filename = std::move(filename);
    }
  }
  return true;
}

}  // namespace

bool CaseInsensitiveLess::operator()(const std::string& a, const std::string& b) const {
  return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                      [](char x, char y) { return Lower(x) < Lower(y); });
}

bool Request::has_header(const std::string& name) const { return headers.count(name) != 0; }

std::string Request::get_header_value(const std::string& name) const {
  const auto found = headers.find(name);
  return found == headers.end() ? std::string() : found->second;
}

bool Request::has_param(const std::string& name) const { return params.count(name) != 0; }

std::string Request::get_param_value(const std::string& name) const {
  const auto found = params.find(name);
  return found == params.end() ? std::string() : found->second;
}

bool Request::is_multipart_form_data() const {
  const std::string type = get_header_value("Content-Type");
  return EqualsIgnoringCase(std::string_view(type).substr(0, 19), "multipart/form-data");
}

bool Request::has_file(const std::string& name) const { return files.count(name) != 0; }

FormPart Request::get_file_value(const std::string& name) const {
  const auto found = files.find(name);
  return found == files.end() ? FormPart{} : found->second;
}

void Response::set_header(const std::string& name, const std::string& value) {
  headers.erase(name);
  headers.emplace(name, value);
}

void Response::set_content(std::string body_text, const std::string& content_type) {
  body = std::move(body_text);
  set_header("Content-Type", content_type);
}

std::string DecodePercent(std::string_view text, bool plus_is_space) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
        HexValue(text[i + 2]) >= 0) {
      decoded.push_back(static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      decoded.push_back(' ');
    } else {
      decoded.push_back(c);
    }
  }
  return decoded;
}

Params ParseQuery(std::string_view query) {
  Params params;
  while (!query.empty()) {
    const std::size_t end = std::min(query.find('&'), query.size());
    const std::string_view pair = query.substr(0, end);
    query.remove_prefix(std::min(end + 1, query.size()));
    if (pair.empty()) continue;
    const std::size_t equals = pair.find('=');
    std::string name = DecodePercent(pair.substr(0, equals), true);
    std::string value = equals == std::string_view::npos
                            ? std::string()
                            : DecodePercent(pair.substr(equals + 1), true);
    params.emplace(std::move(name), std::move(value));
  }
  return params;
}

bool ParseMultipartForm(std::string_view content_type, std::string_view body, FormParts& parts,
                        std::size_t max_parts) {
  const std::optional<std::string> boundary = HeaderParameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 200) return false;
  const std::string delimiter = "--" + *boundary;
  // The body starts with the first delimiter line (a preamble before it is allowed); each part
  // ends at CRLF + delimiter; the last delimiter carries "--".
  std::size_t position = body.find(delimiter);
  if (position == std::string_view::npos) return false;
  if (position != 0 && (position < 2 || body.substr(position - 2, 2) != "\r\n")) return false;
  const std::string separator = "\r\n" + delimiter;
  position += delimiter.size();
  while (true) {
    if (body.substr(position, 2) == "--") return true;  // the closing delimiter
    if (body.substr(position, 2) != "\r\n") return false;
    position += 2;
    const std::size_t end = body.find(separator, position);
    if (end == std::string_view::npos) return false;
    if (parts.size() >= max_parts) return false;
    FormPart part;
    if (!ReadFormPart(body.substr(position, end - position), part)) return false;
    std::string name = part.name;
    parts.emplace(std::move(name), std::move(part));
    position = end + separator.size();
  }
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 303: return "See Other";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 423: return "Locked";
    case 428: return "Precondition Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return "";
  }
}

}  // namespace http
