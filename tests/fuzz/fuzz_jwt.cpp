// VerifyHs256 on arbitrary tokens: never crashes, and refuses everything not signed with the
// secret (a fuzzer cannot forge HMAC-SHA256, so any accepted token is a seed's own). The strict
// base64 decoders accept exactly one encoding per byte string.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "auth/jwt.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSecret = "fuzz-secret-fuzz-secret-fuzz-secret!";
  auth::VerifyOptions options;
  (void)auth::VerifyHs256(text, kSecret, /*now=*/1'795'000'000'000, options);
  options.require_exp = false;
  auto claims = auth::VerifyHs256(text, kSecret, 1'795'000'000'000, options);
  if (claims.ok() && !claims->is_object()) std::abort();
  auto url = auth::Base64UrlDecode(text);
  if (url.ok() && auth::Base64UrlEncode(*url) != text) std::abort();
  (void)auth::Base64Decode(text);
  return 0;
}
