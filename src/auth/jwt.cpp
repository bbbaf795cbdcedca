#include "auth/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <utility>

#include "core/json.h"
namespace auth {
namespace {

using Json = nlohmann::json;

constexpr std::size_t kSha256Bytes = 32;
using Digest = std::array<unsigned char, kSha256Bytes>;

constexpr char kBase64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// Character -> 6-bit value, or -1 for anything outside the base64url alphabet.
constexpr std::array<std::int8_t, 256> kBase64UrlValues = [] {
  std::array<std::int8_t, 256> values{};
  values.fill(-1);
  for (int i = 0; i < 64; ++i) {
    values[static_cast<unsigned char>(kBase64UrlAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  return values;
}();

// Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})"); a unit test keeps the two in step.
constexpr std::string_view kHeaderSegment = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

constexpr core::TimeMs kMaxTimeMs = std::numeric_limits<core::TimeMs>::max();
constexpr core::TimeMs kMinTimeMs = std::numeric_limits<core::TimeMs>::min();

core::Error Reject(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message), "Authorization"};
}

// HMAC-SHA256 through EVP_Q_mac, whose lengths are size_t. Empty inputs get a valid pointer
// because a null key means "no key" rather than "empty key" to some OpenSSL paths.
bool HmacSha256(std::string_view key, std::string_view data, Digest& digest) {
  static constexpr unsigned char kNothing = 0;
  const void* key_bytes = key.empty() ? &kNothing : static_cast<const void*>(key.data());
  const unsigned char* data_bytes =
      data.empty() ? &kNothing : reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = 0;
  return EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key_bytes, key.size(), data_bytes,
                   data.size(), digest.data(), digest.size(), &length) != nullptr &&
         length == digest.size();
}

Digest HmacSha256OrThrow(std::string_view key, std::string_view data) {
  Digest digest{};
  if (!HmacSha256(key, data, digest)) {
    // Only a broken libcrypto (no SHA-256 provider, out of memory) gets here.
    throw std::runtime_error("HMAC-SHA256 failed");
  }
  return digest;
}

std::string_view AsChars(const Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

bool EqualsIgnoreAsciiCase(std::string_view a, std::string_view b) {
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [&](char x, char y) { return lower(x) == lower(y); });
}

// The client's "alg" echoed back only when it is short and plain, so error messages and the
// logs that carry them cannot be stuffed with control characters or kilobytes of text.
std::string UnsupportedAlg(std::string_view alg) {
  constexpr std::size_t kMaxEcho = 16;
  const bool plain =
      !alg.empty() && alg.size() <= kMaxEcho && std::all_of(alg.begin(), alg.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_' || c == '+' || c == '.';
      });
  return plain ? "unsupported alg '" + std::string(alg) + "'" : "unsupported alg";
}

// A NumericDate (seconds since the epoch, possibly fractional) as milliseconds, saturating at
// the ends of TimeMs. nullopt for non-numbers and non-finite values.
std::optional<core::TimeMs> NumericDateMs(const Json& value) {
  constexpr core::TimeMs kMaxSeconds = kMaxTimeMs / 1000;
  constexpr core::TimeMs kMinSeconds = kMinTimeMs / 1000;
  if (value.is_number_unsigned()) {
    const auto seconds = value.get<std::uint64_t>();
    if (seconds > static_cast<std::uint64_t>(kMaxSeconds)) {
      return kMaxTimeMs;
    }
    return static_cast<core::TimeMs>(seconds) * 1000;
  }
  if (value.is_number_integer()) {
    const auto seconds = value.get<std::int64_t>();
    if (seconds > kMaxSeconds) {
      return kMaxTimeMs;
    }
    if (seconds < kMinSeconds) {
      return kMinTimeMs;
    }
    return seconds * 1000;
  }
  if (value.is_number_float()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds)) {
      return std::nullopt;
    }
    const double ms = std::floor(seconds * 1000.0);
    // 9.2e18 is just inside the int64 range, so the cast below is always defined.
    if (ms >= 9.2e18) {
      return kMaxTimeMs;
    }
    if (ms <= -9.2e18) {
      return kMinTimeMs;
    }
    return static_cast<core::TimeMs>(ms);
  }
  return std::nullopt;
}

// a + b for b >= 0, saturating instead of overflowing.
core::TimeMs SaturatingAdd(core::TimeMs a, core::TimeMs b) {
  return a > kMaxTimeMs - b ? kMaxTimeMs : a + b;
}

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    out[2 * i] = kDigits[byte >> 4];
    out[2 * i + 1] = kDigits[byte & 0xF];
  }
  return out;
}

}  // namespace

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::size_t i = 0;
  const auto byte = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(data[at]));
  };
  for (; i + 3 <= data.size(); i += 3) {
    const std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out.push_back(kBase64UrlAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(group >> 6) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[group & 0x3F]);
  }
  const std::size_t rest = data.size() - i;
  if (rest == 1) {
    const std::uint32_t group = byte(i) << 16;
    out.push_back(kBase64UrlAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(group >> 12) & 0x3F]);
  } else if (rest == 2) {
    const std::uint32_t group = (byte(i) << 16) | (byte(i + 1) << 8);
    out.push_back(kBase64UrlAlphabet[(group >> 18) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(group >> 12) & 0x3F]);
    out.push_back(kBase64UrlAlphabet[(group >> 6) & 0x3F]);
  }
  return out;
}

core::Result<std::string> Base64UrlDecode(std::string_view text) {
  // A single leftover character carries only 6 bits: never a whole byte.
  if (text.size() % 4 == 1) {
    return core::InvalidArgument("", "invalid base64url length");
  }
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  std::uint32_t pending = 0;  // the low `pending_bits` bits not yet emitted
  int pending_bits = 0;
  for (const char c : text) {
    const std::int8_t value = kBase64UrlValues[static_cast<unsigned char>(c)];
    if (value < 0) {
      return core::InvalidArgument("", "invalid base64url character");
    }
    pending = (pending << 6) | static_cast<std::uint32_t>(value);
    pending_bits += 6;
    if (pending_bits >= 8) {
      pending_bits -= 8;
      out.push_back(static_cast<char>((pending >> pending_bits) & 0xFF));
      pending &= (1u << pending_bits) - 1;
    }
  }
  // Non-zero unused bits would give a second spelling of the same bytes.
  if (pending != 0) {
    return core::InvalidArgument("", "non-canonical base64url");
  }
  return out;
}

std::string HmacSha256Hex(std::string_view key, std::string_view data) {
  return ToHex(AsChars(HmacSha256OrThrow(key, data)));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  if (a.empty()) {
    return true;
  }
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string SignHs256(const nlohmann::json& claims, std::string_view secret) {
  const std::string payload = claims.dump(-1, ' ', false, Json::error_handler_t::replace);
  std::string token;
  token.reserve(kHeaderSegment.size() + 1 + (payload.size() * 4 + 2) / 3 + 1 + 43);
  token.append(kHeaderSegment).append(".").append(Base64UrlEncode(payload));
  const Digest signature = HmacSha256OrThrow(secret, token);
  token.append(".").append(Base64UrlEncode(AsChars(signature)));
  return token;
}

core::Result<nlohmann::json> VerifyHs256(std::string_view token, std::string_view secret,
                                         core::TimeMs now, const VerifyOptions& options) {
  if (secret.empty()) {
    return core::Internal("JWT secret not configured");
  }
  if (token.empty()) {
    return Reject("missing token");
  }
  if (token.size() > kMaxJwtBytes) {
    return Reject("token too large");
  }

  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos ||
      token.find('.', second_dot + 1) != std::string_view::npos) {
    return Reject("malformed token: expected three segments");
  }
  const std::string_view header_segment = token.substr(0, first_dot);
  const std::string_view payload_segment = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_segment = token.substr(second_dot + 1);
  if (header_segment.empty() || payload_segment.empty() || signature_segment.empty()) {
    return Reject("malformed token: empty segment");
  }
  // Decoding is cheap and parses nothing; it makes every malformed token fail the same way.
  auto header_bytes = Base64UrlDecode(header_segment);
  auto payload_bytes = Base64UrlDecode(payload_segment);
  auto signature = Base64UrlDecode(signature_segment);
  if (!header_bytes.ok() || !payload_bytes.ok() || !signature.ok()) {
    return Reject("malformed token: invalid base64url");
  }

  // The header is read before the signature is checked, but only to refuse anything that is
  // not HS256; the algorithm used is always HS256.
  auto parsed_header = core::ParseJson(*header_bytes, "header");
  const Json header = parsed_header.ok() ? std::move(*parsed_header) : Json();
  if (!header.is_object()) {
    return Reject("malformed token: header is not a JSON object");
  }
  const auto alg = header.find("alg");
  if (alg == header.end()) {
    return Reject("missing alg");
  }
  if (!alg->is_string()) {
    return Reject("unsupported alg");
  }
  if (alg->get_ref<const std::string&>() != "HS256") {
    return Reject(UnsupportedAlg(alg->get_ref<const std::string&>()));
  }
  if (const auto typ = header.find("typ"); typ != header.end()) {
    if (!typ->is_string() || !EqualsIgnoreAsciiCase(typ->get_ref<const std::string&>(), "JWT")) {
      return Reject("unsupported typ");
    }
  }
  // RFC 7515 section 4.1.11: extensions listed in "crit" must be understood; we know none.
  if (header.contains("crit")) {
    return Reject("unsupported critical header parameter");
  }

  Digest expected{};
  if (!HmacSha256(secret, token.substr(0, second_dot), expected)) {
    return core::Internal("HMAC-SHA256 unavailable");
  }
  if (!ConstantTimeEquals(*signature, AsChars(expected))) {
    return Reject("bad signature");
  }

  // Past the signature check these are claims outbox signed itself, bounded by kMaxJwtBytes.
  auto parsed_claims = core::ParseJson(*payload_bytes, "payload", core::JsonSyntax::kStrict,
                                       /*max_depth=*/kMaxJwtBytes);
  Json claims = parsed_claims.ok() ? std::move(*parsed_claims) : Json();
  if (!claims.is_object()) {
    return Reject("malformed token: payload is not a JSON object");
  }
  if (const auto iat = claims.find("iat"); iat != claims.end() && !iat->is_number()) {
    return Reject("invalid iat claim");
  }
  const core::TimeMs leeway = std::max<core::TimeMs>(0, options.leeway_ms);
  if (const auto exp = claims.find("exp"); exp != claims.end()) {
    const auto expires_at = NumericDateMs(*exp);
    if (!expires_at) {
      return Reject("invalid exp claim");
    }
    // RFC 7519 section 4.1.4: valid only while now is before exp.
    if (now >= SaturatingAdd(*expires_at, leeway)) {
      return Reject("token expired");
    }
  } else if (options.require_exp) {
    return Reject("token has no exp claim");
  }
  if (const auto nbf = claims.find("nbf"); nbf != claims.end()) {
    const auto not_before = NumericDateMs(*nbf);
    if (!not_before) {
      return Reject("invalid nbf claim");
    }
    // RFC 7519 section 4.1.5: valid from nbf on.
    if (SaturatingAdd(now, leeway) < *not_before) {
      return Reject("token not yet valid");
    }
  }
  return claims;
}

// Reuses the strict base64url decoder after mapping the alphabet.
core::Result<std::string> Base64Decode(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0 || text.find_first_of("-_") != std::string_view::npos) {
    return core::InvalidArgument("", "invalid base64");
  }
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  std::string url_alphabet(text.substr(0, text.size() - padding));
  std::replace(url_alphabet.begin(), url_alphabet.end(), '+', '-');
  std::replace(url_alphabet.begin(), url_alphabet.end(), '/', '_');
  auto decoded = Base64UrlDecode(url_alphabet);
  if (!decoded.ok()) {
    return core::InvalidArgument("", "invalid base64");
  }
  return decoded;
}

}  // namespace auth
