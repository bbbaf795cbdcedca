// Status callbacks over libcurl's easy interface, one handle per Send.
//
// A fresh handle per attempt keeps Send free of shared mutable state (several worker threads
// call it at once) and keeps the pinned addresses (CURLOPT_RESOLVE lives in the handle's own
// DNS cache) from leaking between attempts to different URLs. The cost is a new connection,
// and TLS handshake, per callback, which is fine at callback rates.
//
// Address pinning has two layers: CURLOPT_RESOLVE hands curl the addresses the guard checked,
// so curl never asks DNS itself, and the open-socket callback refuses any socket whose peer is
// not one of them (which also covers IP-literal hosts, where CURLOPT_RESOLVE is not used, and
// anything a future option might make curl connect to).
#include "hooks/sender.h"

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstring>
#include <exception>

#include "hooks/curl_easy.h"

namespace hooks {
namespace {

// The IP address of a socket address curl is about to connect to; false for other families.
bool PeerAddress(const curl_sockaddr& address, IpAddress& ip) {
  // curl_sockaddr declares only a sockaddr, but curl passes storage large enough for the
  // family's whole address (addrlen); copy out before reading.
  if (address.family == AF_INET && address.addrlen >= sizeof(sockaddr_in)) {
    sockaddr_in v4{};
    std::memcpy(&v4, &address.addr, sizeof(v4));
    std::memcpy(ip.bytes.data(), &v4.sin_addr, 4);
    ip.is_v6 = false;
    return true;
  }
  if (address.family == AF_INET6 && address.addrlen >= sizeof(sockaddr_in6)) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &address.addr, sizeof(v6));
    std::memcpy(ip.bytes.data(), &v6.sin6_addr, 16);
    ip.is_v6 = true;
    return true;
  }
  return false;
}

// CURLOPT_OPENSOCKETFUNCTION: opens the socket only for a TCP connection to one of the
// addresses the guard checked (`user` is that vector).
curl_socket_t OpenCheckedSocket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  const auto& allowed = *static_cast<const std::vector<IpAddress>*>(user);
  IpAddress ip;
  if (purpose != CURLSOCKTYPE_IPCXN || address == nullptr || !PeerAddress(*address, ip) ||
      std::find(allowed.begin(), allowed.end(), ip) == allowed.end() ||
      IsForbiddenCallbackAddress(ip)) {
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
}

bool IsTokenChar(unsigned char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Headers the sender owns: the request's framing and the host it was pinned to.
constexpr std::array<std::string_view, 5> kReservedHeaders = {
    "Host", "Content-Length", "Transfer-Encoding", "Connection", "Expect"};

// Empty when every header may be sent, else why not.
std::string CheckHeaders(const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return IsTokenChar(static_cast<unsigned char>(c));
        })) {
      return "header name '" + name + "' is not an HTTP token";
    }
    for (const std::string_view reserved : kReservedHeaders) {
      if (EqualsIgnoreCase(name, reserved)) {
        return "header '" + name + "' is set by the callback sender";
      }
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      return "header '" + name + "' has a CR, LF or NUL in its value";
    }
  }
  return {};
}

// Appends to a curl list; false (list unchanged) when out of memory.
bool Append(curl::Slist& list, const std::string& entry) {
  curl_slist* appended = curl_slist_append(list.get(), entry.c_str());
  if (appended == nullptr) {
    return false;
  }
  static_cast<void>(list.release());
  list.reset(appended);
  return true;
}

bool BuildHeaders(const std::vector<std::pair<std::string, std::string>>& headers,
                  curl::Slist& list) {
  const bool has_content_type = std::any_of(headers.begin(), headers.end(), [](const auto& header) {
    return EqualsIgnoreCase(header.first, "Content-Type");
  });
  if (!has_content_type && !Append(list, "Content-Type: application/json")) {
    return false;
  }
  // An empty Expect stops curl from waiting for "100 Continue" before sending larger bodies.
  if (!Append(list, "Expect:")) {
    return false;
  }
  for (const auto& [name, value] : headers) {
    // "Name:" would delete a header of curl's; "Name;" is curl's way to send an empty one.
    std::string line = name;
    line += value.empty() ? ";" : ": ";
    line += value;
    if (!Append(list, line)) {
      return false;
    }
  }
  return true;
}

std::string HostForUrl(const HttpUrl& url) {
  return url.ipv6_literal ? "[" + url.host + "]" : url.host;
}

// The URL curl is given, rebuilt from what the guard parsed, so that curl's URL parser never
// sees anything ParseHttpUrl did not judge.
std::string CurlUrl(const HttpUrl& url) {
  std::string text = url.scheme + "://" + HostForUrl(url);
  if (url.explicit_port) {
    text += ":" + std::to_string(url.port);
  }
  return text + url.target;
}

// CURLOPT_RESOLVE's "host:port:addr1,[v6addr],..." pinning the host to the checked addresses.
std::string ResolveEntry(const ResolvedCallback& resolved) {
  std::string entry = resolved.url.host + ":" + std::to_string(resolved.url.port) + ":";
  for (std::size_t i = 0; i < resolved.addresses.size(); ++i) {
    const IpAddress& address = resolved.addresses[i];
    entry += i == 0 ? "" : ",";
    entry += address.is_v6 ? "[" + FormatIpAddress(address) + "]" : FormatIpAddress(address);
  }
  return entry;
}

// The length of the valid UTF-8 character at the start of `bytes`, or 0 if there is none
// (invalid or truncated sequence, overlong form, surrogate, beyond U+10FFFF).
std::size_t Utf8CharLength(std::string_view bytes) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
  const unsigned char lead = byte(0);
  if (lead < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  unsigned char second_min = 0x80;
  unsigned char second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    second_min = lead == 0xE0 ? 0xA0 : 0x80;  // overlong
    second_max = lead == 0xED ? 0x9F : 0xBF;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    second_min = lead == 0xF0 ? 0x90 : 0x80;  // overlong
    second_max = lead == 0xF4 ? 0x8F : 0xBF;  // beyond U+10FFFF
  } else {
    return 0;
  }
  if (bytes.size() < length || byte(1) < second_min || byte(1) > second_max) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) {
      return 0;
    }
  }
  return length;
}

class CurlCallbackSender : public CallbackSender {
 public:
  CurlCallbackSender(const SenderOptions& options, const core::Clock& clock)
      : options_(options), clock_(clock), init_result_(curl::InitOnce()) {}
  CurlCallbackSender(const CurlCallbackSender&) = delete;
  CurlCallbackSender& operator=(const CurlCallbackSender&) = delete;

  CallbackAttempt Send(const CallbackRequest& request) override {
    const auto start = clock_.Monotonic();
    CallbackAttempt attempt;
    try {
      Perform(request, attempt);
    } catch (const std::exception& error) {  // bad_alloc, or a throwing resolver
      attempt.status = 0;
      attempt.error = std::string("callback not sent: ") + error.what();
    }
    attempt.latency_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Monotonic() - start).count();
    return attempt;
  }

 private:
  void Perform(const CallbackRequest& request, CallbackAttempt& attempt) const {
    if (std::string problem = CheckHeaders(request.headers); !problem.empty()) {
      attempt.error = std::move(problem);
      attempt.refused = true;
      return;
    }
    auto resolved = ResolveCallbackUrl(request.url, "url", options_.resolver);
    if (!resolved.ok()) {
      attempt.error = resolved.error().message;
      attempt.refused = resolved.error().code == core::ErrorCode::kInvalidArgument;
      return;
    }
    if (init_result_ != CURLE_OK) {
      attempt.error =
          std::string("libcurl initialization failed: ") + curl_easy_strerror(init_result_);
      return;
    }
    const curl::Easy handle(curl_easy_init());
    curl::Slist headers;
    curl::Slist pins;
    if (!handle || !BuildHeaders(request.headers, headers) ||
        (!ParseIpAddress(resolved->url.host).ok() && !Append(pins, ResolveEntry(*resolved)))) {
      attempt.error = "libcurl: out of memory";
      return;
    }

    const std::string url = CurlUrl(resolved->url);
    curl::Body response(kMaxResponseBytes);
    std::array<char, CURL_ERROR_SIZE> error_text{};
    CURL* h = handle.get();
    CURLcode code =
        curl::SetGuardedRequest(h, url, error_text.data(), static_cast<long>(options_.timeout_ms),
                                options_.user_agent, response);
    const auto check = [&code](CURLcode result) {
      if (code == CURLE_OK) {
        code = result;
      }
    };
    if (pins) {
      check(curl_easy_setopt(h, CURLOPT_RESOLVE, pins.get()));
    }
    check(curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, OpenCheckedSocket));
    check(curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, static_cast<void*>(&resolved->addresses)));
    check(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                           static_cast<long>(options_.connect_timeout_ms)));
    check(curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get()));
    check(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(request.body.size())));
    check(curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data()));
    if (code == CURLE_OK) {
      code = curl_easy_perform(h);
    }
    long status = 0;
    if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
      status = 0;
    }

    attempt.status = static_cast<int>(status);
    attempt.response_excerpt = ResponseExcerpt(response.bytes);
    // Stopping a long body on purpose is not a failure; a transfer that broke off after a 2xx
    // status line still counts as delivered, since the receiver had accepted the callback.
    const bool transfer_failed =
        code != CURLE_OK && !(code == CURLE_WRITE_ERROR && response.cut_off);
    if (attempt.ok()) {
      return;
    }
    if (transfer_failed) {
      attempt.error = error_text[0] != '\0' ? std::string(error_text.data())
                                            : std::string(curl_easy_strerror(code));
    } else if (status >= 300 && status <= 399) {
      attempt.error = "HTTP " + std::to_string(status) + " (redirects are not followed)";
    } else {
      attempt.error = "HTTP " + std::to_string(status);
    }
  }

  const SenderOptions options_;
  const core::Clock& clock_;
  const CURLcode init_result_;
};

}  // namespace

std::unique_ptr<CallbackSender> NewCurlCallbackSender(const SenderOptions& options,
                                                      const core::Clock& clock) {
  return std::make_unique<CurlCallbackSender>(options, clock);
}

std::string ResponseExcerpt(std::string_view body, std::size_t max_bytes) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD
  std::string excerpt;
  std::size_t offset = 0;
  while (offset < body.size()) {
    const std::size_t length = Utf8CharLength(body.substr(offset));
    const std::string_view piece = length == 0 ? kReplacement : body.substr(offset, length);
    if (excerpt.size() + piece.size() > max_bytes) {
      break;
    }
    excerpt += piece;
    offset += length == 0 ? 1 : length;
  }
  return excerpt;
}

}  // namespace hooks
