#pragma once
// libcurl plumbing the callback sender and the fetcher share (internal to hooks/): handle
// owners, the one-time global init, and a write callback that keeps at most a given number of
// bytes.
#include <curl/curl.h>

#include <cstddef>
#include <memory>
#include <string>

namespace hooks::curl {

struct EasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using Easy = std::unique_ptr<CURL, EasyDeleter>;

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

// curl_global_init, once per process; its result. It must run before the first handle exists.
// The SMTP transport runs its own once; curl counts the calls, and this libcurl (7.84+,
// "threadsafe" feature) serializes them. Never undone.
CURLcode InitOnce();

// What CollectBody gathers: at most `limit` bytes. Reserve(limit) up front, so appending never
// allocates (and never throws inside curl's C callback).
struct Body {
  explicit Body(std::size_t max_bytes) : limit(max_bytes) { bytes.reserve(max_bytes); }
  std::string bytes;
  std::size_t limit;
  bool cut_off = false;  // the body went on past `limit`; the transfer was stopped
};

// CURLOPT_WRITEFUNCTION for a Body (CURLOPT_WRITEDATA): keeps what fits; past the limit it sets
// cut_off and makes curl stop with CURLE_WRITE_ERROR.
std::size_t CollectBody(char* data, std::size_t size, std::size_t count, void* body);

// What every outbound request of outbox sets, for a handle `h` about to fetch `url`: the error
// buffer (CURL_ERROR_SIZE bytes), http(s) only, no redirects, no proxy (not even from
// http_proxy / HTTPS_PROXY: a proxy would resolve the host itself, around any pinning), no
// signals, the whole-transfer timeout, the user agent ("" for curl's none) and the response
// collected into `body`. Returns the first failing setopt's code, else CURLE_OK.
CURLcode SetGuardedRequest(CURL* h, const std::string& url, char* error_buffer, long timeout_ms,
                           const std::string& user_agent, Body& body);

}  // namespace hooks::curl
