#pragma once
// HS256 JSON Web Tokens (RFC 7519 on RFC 7515 compact serialization), plus the base64url and
// HMAC-SHA256 helpers they are built from. GoMail-style API keys and the signed delivery
// callbacks (SALT as secret, JWT_EXP_HRS expiry) use these. Only HS256 is accepted: the
// algorithm is fixed by the server, never chosen by the token, so "none" and algorithm
// confusion (RS256 with the HMAC secret as "public key") cannot apply.
#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace auth {

// Tokens longer than this are refused before any decoding or parsing.
inline constexpr std::size_t kMaxJwtBytes = 8192;

struct VerifyOptions {
  // Refuse tokens without an "exp" claim. Tokens meant to live until revoked (API keys) must
  // opt out explicitly.
  bool require_exp = true;
  // Clock skew tolerated for "exp" and "nbf". Negative values are treated as 0.
  core::TimeMs leeway_ms = 30'000;
};

// Signs `claims` with header {"alg":"HS256","typ":"JWT"}. The caller sets any registered claims
// ("exp", "iat", ... as NumericDate seconds); none are added here.
// REQUIRES: claims is a JSON object and the token stays within kMaxJwtBytes (otherwise it signs
// but never verifies); `secret` is at least 32 bytes (RFC 7518 section 3.2), which
// configuration validation should enforce. Strings that are not valid UTF-8 are encoded with
// U+FFFD in place of the bad bytes. Throws std::runtime_error only if libcrypto fails.
std::string SignHs256(const nlohmann::json& claims, std::string_view secret);

// Verifies a compact HS256 token and returns its claims. Order: size and shape, header ("alg"
// exactly "HS256", "typ" if present "JWT" in any case, no "crit"), signature (constant time),
// then claims ("exp"/"nbf" NumericDates checked against `now` with leeway, "iat" a number if
// present). Duplicate member names resolve to the last one, as RFC 7515 section 4 permits.
// Every rejection of the token is kUnauthenticated with field "Authorization" and a message
// safe to show the client (never key material). An empty `secret` is a server
// misconfiguration and yields kInternal: no token verifies against it.
core::Result<nlohmann::json> VerifyHs256(std::string_view token, std::string_view secret,
                                         core::TimeMs now, const VerifyOptions& options);

// Base64url (RFC 4648 section 5) without padding.
std::string Base64UrlEncode(std::string_view data);
// Strict inverse of Base64UrlEncode: only [A-Za-z0-9_-], no padding or whitespace, no length
// that is 1 mod 4, and unused trailing bits must be zero, so every byte string has exactly one
// accepted encoding. kInvalidArgument otherwise.
core::Result<std::string> Base64UrlDecode(std::string_view text);
// Standard base64 (RFC 4648 section 4) with its padding, strictly: no whitespace, so every byte
// string has exactly one accepted encoding. kInvalidArgument (no field) otherwise.
core::Result<std::string> Base64Decode(std::string_view text);

// Lower-case hex HMAC-SHA256(key, data), e.g. for webhook signature headers. Check a received
// value with ConstantTimeEquals, never ==. Throws std::runtime_error only if libcrypto fails.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Equality whose running time depends only on the lengths, which are not secret.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace auth
