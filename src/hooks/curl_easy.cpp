#include "hooks/curl_easy.h"

#include <mutex>

namespace hooks::curl {

CURLcode InitOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

std::size_t CollectBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto* body = static_cast<Body*>(user);
  const std::size_t length = size * count;
  const std::size_t room = body->limit - body->bytes.size();
  if (length > room) {
    body->bytes.append(data, room);
    body->cut_off = true;
    return 0;  // anything but `length` makes curl stop with CURLE_WRITE_ERROR
  }
  body->bytes.append(data, length);
  return length;
}

CURLcode SetGuardedRequest(CURL* h, const std::string& url, char* error_buffer, long timeout_ms,
                           const std::string& user_agent, Body& body) {
  CURLcode code = CURLE_OK;
  const auto check = [&code](CURLcode result) {
    if (code == CURLE_OK) code = result;
  };
  check(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer));
  check(curl_easy_setopt(h, CURLOPT_URL, url.c_str()));
  check(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  check(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));
  check(curl_easy_setopt(h, CURLOPT_MAXREDIRS, 0L));
  check(curl_easy_setopt(h, CURLOPT_PROXY, ""));
  check(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  check(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms));
  if (!user_agent.empty()) check(curl_easy_setopt(h, CURLOPT_USERAGENT, user_agent.c_str()));
  check(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, CollectBody));
  check(curl_easy_setopt(h, CURLOPT_WRITEDATA, static_cast<void*>(&body)));
  return code;
}

}  // namespace hooks::curl
