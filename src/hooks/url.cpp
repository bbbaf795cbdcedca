#include "hooks/url.h"

#include <algorithm>
#include <utility>

namespace hooks {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string ToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), Lower);
  return out;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// A registered name: dot-separated, non-empty labels of letters, digits, '-' and '_'.
// Underscores are not DNS-legal hostnames but name containers on Docker networks.
bool IsRegisteredName(std::string_view host) {
  constexpr std::size_t kMaxHostBytes = 253;
  if (host.empty() || host.size() > kMaxHostBytes) {
    return false;
  }
  std::size_t label_length = 0;
  for (const char c : host) {
    if (c == '.') {
      if (label_length == 0) {
        return false;
      }
      label_length = 0;
    } else if (IsAlnum(c) || c == '-' || c == '_') {
      ++label_length;
    } else {
      return false;
    }
  }
  return label_length > 0;
}

// The inside of "[...]": hex digits, ':' and '.' (for an embedded IPv4 tail). Whether it is a
// valid address is left to the resolver, which parses it exactly once; IPvFuture ("v1.x")
// and zone ids ("%25eth0") are refused here.
bool IsIpv6LiteralText(std::string_view text) {
  return text.size() >= 2 && text.find(':') != std::string_view::npos &&
         std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') ||
                  c == ':' || c == '.';
         });
}

}  // namespace

core::Result<HttpUrl> ParseHttpUrl(std::string_view url, std::string_view field) {
  const auto invalid = [&](std::string message) {
    return core::InvalidArgument(std::string(field), std::move(message));
  };
  if (url.empty()) {
    return invalid("URL is empty");
  }
  if (url.size() > kMaxUrlBytes) {
    return invalid("URL is longer than " + std::to_string(kMaxUrlBytes) + " bytes");
  }
  for (const char c : url) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '\\' || c == '"') {
      return invalid("URL contains a space, control, non-ASCII, '\\' or '\"' character");
    }
  }

  HttpUrl parsed;
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return invalid("URL must start with http:// or https://");
  }
  parsed.scheme = ToLower(url.substr(0, scheme_end));
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return invalid("URL scheme must be http or https");
  }
  const std::string_view rest = url.substr(scheme_end + 3);
  const std::size_t authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("URL must not contain credentials ('@' before the host)");
  }

  std::string_view host;
  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return invalid("URL has an unterminated IPv6 literal");
    }
    host = authority.substr(1, close - 1);
    if (!IsIpv6LiteralText(host)) {
      return invalid("URL has a malformed IPv6 literal");
    }
    parsed.ipv6_literal = true;
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return invalid("URL has text after the IPv6 literal");
      }
      has_port = true;
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
    if (host.empty()) {
      return invalid("URL has no host");
    }
    if (!IsRegisteredName(host)) {
      return invalid("URL host is not a valid host name or IP address");
    }
  }
  parsed.host = ToLower(host);

  if (has_port) {
    constexpr std::size_t kMaxPortDigits = 5;
    if (port_text.empty() || port_text.size() > kMaxPortDigits ||
        !std::all_of(port_text.begin(), port_text.end(),
                     [](char c) { return c >= '0' && c <= '9'; })) {
      return invalid("URL port must be a number from 1 to 65535");
    }
    int port = 0;
    for (const char c : port_text) {
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) {
      return invalid("URL port must be a number from 1 to 65535");
    }
    parsed.port = static_cast<std::uint16_t>(port);
    parsed.explicit_port = true;
  } else {
    parsed.port = parsed.scheme == "https" ? 443 : 80;
  }

  if (authority_end != std::string_view::npos) {
    std::string_view target = rest.substr(authority_end);
    target = target.substr(0, target.find('#'));
    parsed.target = std::string(target);
  }
  if (parsed.target.empty() || parsed.target.front() != '/') {
    parsed.target.insert(0, "/");
  }
  return parsed;
}

}  // namespace hooks
