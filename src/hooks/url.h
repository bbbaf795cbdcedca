#pragma once
// The strict http(s) URL reader shared by the callback guard (url_guard.h) and the SNS
// certificate check (sns.h). It accepts a deliberately small subset of RFC 3986, so that what
// it calls the host is the host any HTTP client will connect to: anything that different URL
// parsers are known to read differently (userinfo, backslashes, percent-encoded or non-ASCII
// hosts, whitespace, control characters) is refused rather than interpreted.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace hooks {

// URLs longer than this are refused before parsing.
inline constexpr std::size_t kMaxUrlBytes = 2048;

struct HttpUrl {
  std::string scheme;  // "http" or "https", lower-case
  // Lower-case. A registered name (letters, digits, '-', '_', '.'; no empty label, so no
  // trailing dot) or an IP literal; IPv6 literals without their brackets.
  std::string host;
  bool ipv6_literal = false;
  std::uint16_t port = 0;      // the explicit port, else 80 or 443 from the scheme
  bool explicit_port = false;  // whether the URL named a port
  std::string target;          // path and query as written ("/" when empty); no fragment
};

// Parses "scheme://host[:port][/path][?query][#fragment]". Scheme http or https (any case).
// Refused, as kInvalidArgument with `field`: longer than kMaxUrlBytes; any byte outside
// printable ASCII, or a space, '\' or '"' anywhere; userinfo ('@' in the authority); an empty
// or malformed host; a '%' in the host (zone ids, encoded names); a port outside 1-65535 or
// an empty one ("host:").
core::Result<HttpUrl> ParseHttpUrl(std::string_view url, std::string_view field);

}  // namespace hooks
