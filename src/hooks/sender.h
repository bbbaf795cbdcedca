#pragma once
// Delivery of one status callback attempt: an HTTP POST of a JSON body to a client-chosen URL.
// Deciding whether and when to try again is the caller's business; a CallbackAttempt only
// says what happened.
//
// The URL is untrusted (SSRF), so the curl sender:
//   - checks it with ResolveCallbackUrl (http/https only, every resolved address allowed) and
//     makes no request at all when it is refused;
//   - pins the connection to exactly the addresses it checked (CURLOPT_RESOLVE), so a DNS
//     answer that changes between the check and the connect (rebinding) is never used, and
//     refuses any socket to a forbidden address again as it is opened;
//   - ignores proxy environment variables (a proxy would resolve the name itself), allows
//     only the http and https protocols and follows no redirects (a 3xx is a failed attempt:
//     its Location could name any address);
//   - reads at most kMaxResponseBytes of the answer's body and stops the transfer there.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "hooks/url_guard.h"

namespace hooks {

// The body bytes read from an answer; the transfer is cut off after this many.
inline constexpr std::size_t kMaxResponseBytes = 4096;
// The length limit of CallbackAttempt::response_excerpt.
inline constexpr std::size_t kResponseExcerptBytes = 512;

struct CallbackRequest {
  std::string url;   // checked with ResolveCallbackUrl before anything is sent
  std::string body;  // sent as is, with Content-Type: application/json
  // Extra headers, in order (e.g. SignCallback's Authorization and X-Outbox-Signature).
  // Names must be HTTP tokens and values must not contain CR, LF or NUL; otherwise the
  // request is refused unsent. A Content-Type or User-Agent given here replaces the default;
  // Host, Content-Length, Transfer-Encoding, Connection and Expect are the sender's and are
  // refused.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct CallbackAttempt {
  // The HTTP status of the answer; 0 if none came. A 2xx counts even if the body after it
  // then failed to arrive: the receiver had accepted the callback.
  int status = 0;
  // From the start of Send to its end, resolution included (monotonic clock).
  core::TimeMs latency_ms = 0;
  // Empty exactly when ok(). Otherwise why not: the URL guard's or curl's message, or
  // "HTTP <status>" for an answer outside 2xx.
  std::string error;
  // True when nothing was sent because the request itself was refused: a malformed or
  // non-http(s) URL, an unknown host, a forbidden address or a malformed header. Repeating it
  // would fail the same way (unless DNS changes); a transient resolver failure is not refused.
  bool refused = false;
  // The start of the answer's body, at most kResponseExcerptBytes, made valid UTF-8
  // (ResponseExcerpt), for logs and the job's event history.
  std::string response_excerpt;

  bool ok() const { return status >= 200 && status <= 299; }
};

// Sends callbacks. Implementations are safe to call from several threads at once.
class CallbackSender {
 public:
  virtual ~CallbackSender() = default;
  // One attempt; blocks for at most about timeout_ms after resolution. Never throws.
  virtual CallbackAttempt Send(const CallbackRequest& request) = 0;
};

struct SenderOptions {
  int timeout_ms = 10'000;         // the whole exchange, connect included; > 0
  int connect_timeout_ms = 5'000;  // TCP (and TLS) connect; > 0
  std::string user_agent;          // e.g. "outbox/0.1.0"; empty: no User-Agent header
  // Called on every Send, possibly from several threads at once; must be thread-safe.
  HostResolver resolver = ResolveHostSystem;
};

// The libcurl sender: one easy handle (so one connection, never reused) per Send, HTTPS
// certificates verified against the system store. Latencies are read from `clock`, which must
// outlive the sender. Initializes libcurl once per process (curl_global_init is reference
// counted and, in the libcurl Debian ships, thread-safe).
// REQUIRES: options.timeout_ms > 0, options.connect_timeout_ms > 0, options.resolver set.
std::unique_ptr<CallbackSender> NewCurlCallbackSender(const SenderOptions& options,
                                                      const core::Clock& clock);

// The first bytes of `body`, at most max_bytes of them, as valid UTF-8 for logs and JSON: cut
// before a character that would not fit whole, each byte of an invalid sequence replaced by
// U+FFFD (if the replacement still fits). Pure.
std::string ResponseExcerpt(std::string_view body, std::size_t max_bytes = kResponseExcerptBytes);

}  // namespace hooks
