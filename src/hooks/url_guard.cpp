#include "hooks/url_guard.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

namespace hooks {
namespace {

bool IsForbiddenIpv4(const std::uint8_t* a) {
  if (a[0] == 0) {
    return true;  // 0.0.0.0/8: "this network"; 0.0.0.0 reaches local listeners on Linux
  }
  if (a[0] == 169 && a[1] == 254) {
    return true;  // link-local, includes the 169.254.169.254 metadata service
  }
  if (a[0] == 100 && a[1] == 100 && a[2] == 100 && a[3] == 200) {
    return true;  // Alibaba Cloud metadata
  }
  return a[0] >= 224;  // 224/4 multicast, 240/4 reserved, 255.255.255.255 broadcast
}

bool IsForbiddenIpv6(const std::array<std::uint8_t, 16>& a) {
  static constexpr std::array<std::uint8_t, 16> kUnspecified{};
  static constexpr std::array<std::uint8_t, 12> kV4MappedPrefix{0, 0, 0, 0, 0,    0,
                                                                0, 0, 0, 0, 0xff, 0xff};
  static constexpr std::array<std::uint8_t, 12> kNat64Prefix{0x00, 0x64, 0xff, 0x9b, 0, 0,
                                                             0,    0,    0,    0,    0, 0};
  static constexpr std::array<std::uint8_t, 16> kAwsMetadata{
      0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54};
  if (a == kUnspecified || a == kAwsMetadata) {
    return true;
  }
  if (std::memcmp(a.data(), kV4MappedPrefix.data(), kV4MappedPrefix.size()) == 0 ||
      std::memcmp(a.data(), kNat64Prefix.data(), kNat64Prefix.size()) == 0) {
    return IsForbiddenIpv4(a.data() + 12);
  }
  if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) {
    return true;  // fe80::/10 link-local
  }
  return a[0] == 0xff;  // ff00::/8 multicast
}

}  // namespace

core::Result<IpAddress> ParseIpAddress(std::string_view text) {
  const std::string copy(text);  // inet_pton wants a terminated string
  IpAddress address;
  if (inet_pton(AF_INET, copy.c_str(), address.bytes.data()) == 1) {
    return address;
  }
  if (inet_pton(AF_INET6, copy.c_str(), address.bytes.data()) == 1) {
    address.is_v6 = true;
    return address;
  }
  return core::InvalidArgument("", "not a numeric IP address");
}

std::string FormatIpAddress(const IpAddress& address) {
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(address.is_v6 ? AF_INET6 : AF_INET, address.bytes.data(), text, sizeof(text));
  return text;
}

bool IsForbiddenCallbackAddress(const IpAddress& address) {
  return address.is_v6 ? IsForbiddenIpv6(address.bytes) : IsForbiddenIpv4(address.bytes.data());
}

bool IsForbiddenCallbackAddress(const sockaddr* address) {
  if (address == nullptr) {
    return true;
  }
  IpAddress ip;
  if (address->sa_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, address, sizeof(v4));
    std::memcpy(ip.bytes.data(), &v4.sin_addr, 4);
  } else if (address->sa_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, address, sizeof(v6));
    std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
    ip.is_v6 = true;
  } else {
    return true;
  }
  return IsForbiddenCallbackAddress(ip);
}

core::Result<std::vector<IpAddress>> ResolveHostSystem(const std::string& host) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int rc = getaddrinfo(host.c_str(), nullptr, &hints, &raw);
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> list(raw, &freeaddrinfo);
  if (rc == EAI_AGAIN || rc == EAI_MEMORY || rc == EAI_SYSTEM) {
    return core::Unavailable("could not resolve host '" + host + "': " + gai_strerror(rc));
  }
  if (rc != 0) {
    return core::InvalidArgument("", "could not resolve host '" + host + "': " + gai_strerror(rc));
  }
  std::vector<IpAddress> addresses;
  for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
    IpAddress ip;
    if (entry->ai_family == AF_INET && entry->ai_addrlen >= sizeof(sockaddr_in)) {
      sockaddr_in v4{};
      std::memcpy(&v4, entry->ai_addr, sizeof(v4));
      std::memcpy(ip.bytes.data(), &v4.sin_addr, 4);
    } else if (entry->ai_family == AF_INET6 && entry->ai_addrlen >= sizeof(sockaddr_in6)) {
      sockaddr_in6 v6{};
      std::memcpy(&v6, entry->ai_addr, sizeof(v6));
      std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
      ip.is_v6 = true;
    } else {
      continue;
    }
    if (std::find(addresses.begin(), addresses.end(), ip) == addresses.end()) {
      addresses.push_back(ip);
    }
  }
  return addresses;
}

core::Result<ResolvedCallback> ResolveCallbackUrl(std::string_view url, std::string_view field,
                                                  const HostResolver& resolve) {
  auto parsed = ParseHttpUrl(url, field);
  if (!parsed.ok()) {
    return parsed.error();
  }
  auto addresses = resolve(parsed->host);
  if (!addresses.ok()) {
    core::Error error = addresses.error();
    error.field = std::string(field);
    return error;
  }
  if (addresses->empty()) {
    return core::InvalidArgument(std::string(field),
                                 "host '" + parsed->host + "' has no IP addresses");
  }
  for (const IpAddress& address : *addresses) {
    if (IsForbiddenCallbackAddress(address)) {
      return core::InvalidArgument(std::string(field),
                                   "host '" + parsed->host + "' resolves to " +
                                       FormatIpAddress(address) +
                                       ", which callbacks may not reach (link-local, metadata, "
                                       "unspecified, multicast or broadcast address)");
    }
  }
  return ResolvedCallback{std::move(*parsed), std::move(*addresses)};
}

core::Status CheckCallbackUrl(std::string_view url, std::string_view field) {
  const auto resolved = ResolveCallbackUrl(url, field, ResolveHostSystem);
  if (!resolved.ok()) {
    return resolved.error();
  }
  return {};
}

}  // namespace hooks
