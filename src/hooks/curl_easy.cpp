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

}  // namespace hooks::curl
