// GET over libcurl's easy interface, one handle per call (calls come from several HTTP threads
// at once and are rare: a certificate is fetched once per URL, a SubscribeURL once per topic).
#include "hooks/fetch.h"

#include <curl/curl.h>

#include <array>
#include <exception>
#include <memory>
#include <string>

#include "hooks/curl_easy.h"

namespace hooks {
namespace {

core::Result<std::string> Fetch(const FetchOptions& options, CURLcode init_result,
                                const std::string& url) {
  if (init_result != CURLE_OK) {
    return core::Unavailable(std::string("libcurl initialization failed: ") +
                             curl_easy_strerror(init_result));
  }
  const curl::Easy handle(curl_easy_init());
  if (!handle) {
    return core::Unavailable("libcurl: out of memory");
  }
  curl::Body body(options.max_body_bytes);
  std::array<char, CURL_ERROR_SIZE> error_text{};
  CURL* h = handle.get();
  CURLcode code = curl::SetGuardedRequest(
      h, url, error_text.data(), static_cast<long>(options.timeout_ms), options.user_agent, body);
  if (code == CURLE_OK) code = curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  if (code == CURLE_OK) {
    code = curl_easy_perform(h);
  }
  if (body.cut_off) {
    return core::Error{
        core::ErrorCode::kResourceExhausted,
        "GET " + url + ": body larger than " + std::to_string(options.max_body_bytes) + " bytes",
        {}};
  }
  if (code != CURLE_OK) {
    return core::Unavailable("GET " + url + ": " +
                             (error_text[0] != '\0' ? std::string(error_text.data())
                                                    : std::string(curl_easy_strerror(code))));
  }
  long status = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
    status = 0;
  }
  if (status < 200 || status > 299) {
    return core::Unavailable(
        "GET " + url + ": HTTP " + std::to_string(status) +
        (status >= 300 && status <= 399 ? " (redirects are not followed)" : ""));
  }
  return std::move(body.bytes);
}

}  // namespace

UrlFetcher NewCurlFetcher(const FetchOptions& options) {
  const CURLcode init_result = curl::InitOnce();
  return [options, init_result](const std::string& url) -> core::Result<std::string> {
    try {
      return Fetch(options, init_result, url);
    } catch (const std::exception& error) {  // bad_alloc
      return core::Unavailable("GET " + url + ": " + error.what());
    }
  };
}

}  // namespace hooks
