#pragma once
// Callback URLs ("return_api", status webhooks) are chosen by API clients and fetched by the
// server, so they must not become a way to reach what only the server can reach (SSRF). The
// guard refuses addresses that no legitimate callback needs:
//
//   refused                                  IPv4                        IPv6
//   unspecified / "this network"             0.0.0.0/8                   ::
//   link-local (includes instance metadata)  169.254.0.0/16              fe80::/10
//   cloud metadata                           169.254.169.254,            fd00:ec2::254 (AWS)
//                                            100.100.100.200 (Alibaba)
//   multicast                                224.0.0.0/4                 ff00::/8
//   reserved and limited broadcast           240.0.0.0/4 (incl. 255.255.255.255)
//
// IPv6 addresses that carry an IPv4 address to an IPv4 host (IPv4-mapped ::ffff:0:0/96 and
// the NAT64 prefix 64:ff9b::/96) are judged by that IPv4 address.
//
// Loopback (127.0.0.0/8, ::1) and private ranges (10/8, 172.16/12, 192.168/16, 100.64/10,
// fc00::/7 except the metadata address) stay ALLOWED on purpose: outbox is a self-hosted
// appliance whose callbacks commonly go to services on the same host or LAN, and the
// integration tests call back to loopback. Operators who need more isolation should run
// outbox in a network namespace without those routes.
//
// Resolution is checked once, here; an HTTP client that resolves the name again may get a
// different answer (DNS rebinding). Callers that fetch should connect to the addresses
// ResolveCallbackUrl returned (libcurl: CURLOPT_RESOLVE "host:port:addr") or re-check each
// socket's peer with IsForbiddenCallbackAddress (CURLOPT_OPENSOCKETFUNCTION).
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "hooks/url.h"

namespace hooks {

// An IPv4 address (bytes[0..3]) or an IPv6 address (bytes[0..15]), in network byte order.
struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};
  bool is_v6 = false;

  static IpAddress V4(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) {
    return IpAddress{{a, b, c, d}, false};
  }
  bool operator==(const IpAddress&) const = default;
};

// Parses a numeric IPv4 (dotted quad, as inet_pton) or IPv6 address; no brackets, no zone.
core::Result<IpAddress> ParseIpAddress(std::string_view text);
// Canonical text form (inet_ntop).
std::string FormatIpAddress(const IpAddress& address);

// Whether a callback must not be sent to `address` (the table above). Pure.
bool IsForbiddenCallbackAddress(const IpAddress& address);
// The same for a socket address; AF_INET and AF_INET6 are judged, any other family (and
// nullptr) is forbidden. REQUIRES: `address` points to a whole sockaddr_in or sockaddr_in6 as
// its family says (as getaddrinfo and libcurl hand them out).
bool IsForbiddenCallbackAddress(const sockaddr* address);

// Resolves a host name or IP literal to every address it has. kInvalidArgument when the name
// does not exist, kUnavailable when resolution failed transiently (try again later).
using HostResolver = std::function<core::Result<std::vector<IpAddress>>(const std::string& host)>;
// getaddrinfo(3), all families, no AI_ADDRCONFIG (every address a client might pick is seen).
// Blocks for as long as the system resolver takes.
core::Result<std::vector<IpAddress>> ResolveHostSystem(const std::string& host);

struct ResolvedCallback {
  HttpUrl url;
  std::vector<IpAddress> addresses;  // every resolved address, all allowed; never empty
};

// Parses `url` (ParseHttpUrl: http/https only, no credentials), resolves its host with
// `resolve`, and refuses it if ANY address is forbidden, since a client may connect to any
// of them. Errors name `field` (e.g. "return_api"): kInvalidArgument for a bad URL, an
// unknown host or a forbidden address; kUnavailable when the resolver failed transiently.
core::Result<ResolvedCallback> ResolveCallbackUrl(std::string_view url, std::string_view field,
                                                  const HostResolver& resolve);
// ResolveCallbackUrl with the system resolver, keeping only the verdict.
core::Status CheckCallbackUrl(std::string_view url, std::string_view field);

}  // namespace hooks
