#pragma once
// A small HTTP GET client for the few URLs outbox reads on its own account: the certificate an
// SNS message is signed with (SigningCertURL) and the SubscribeURL that confirms a
// subscription. Callers check the URL first (CheckSigningCertUrl in hooks/sns.h); the fetcher
// itself only enforces the transfer's bounds:
//   - http and https only, no redirects (a 3xx is an error: its Location was not checked),
//     no proxies (proxy environment variables are ignored);
//   - HTTPS certificates verified against the system store;
//   - one timeout for the whole exchange, and the body cut off (an error) past max_body_bytes.
#include <cstddef>
#include <functional>
#include <string>

#include "core/result.h"

namespace hooks {

// GETs a URL and returns the body of a 2xx answer. Must be safe to call from several threads.
using UrlFetcher = std::function<core::Result<std::string>(const std::string& url)>;

struct FetchOptions {
  int timeout_ms = 5'000;                               // the whole exchange, connect included; > 0
  std::size_t max_body_bytes = std::size_t{64} * 1024;  // larger bodies are an error
  std::string user_agent;                               // empty: no User-Agent header
};

// The libcurl fetcher: one easy handle per call. Errors are kUnavailable (no connection,
// timeout, TLS failure, a status outside 2xx, a redirect) or kResourceExhausted (body over the
// limit), with the URL in the message. Never throws.
// REQUIRES: options.timeout_ms > 0.
UrlFetcher NewCurlFetcher(const FetchOptions& options);

}  // namespace hooks
