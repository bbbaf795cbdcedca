#include "hooks/signing.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "auth/auth.h"
#include "auth/jwt.h"
#include "core/random.h"

namespace hooks {
namespace {

constexpr std::size_t kHexSha256Length = 64;
// Unix seconds fit in 12 digits for the next 30,000 years; more is an attack or a bug.
constexpr std::size_t kMaxTimestampDigits = 12;

std::int64_t FloorSeconds(core::TimeMs ms) { return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000); }

std::string BodySha256(std::string_view body) { return core::Sha256Hex(std::string(body)); }

std::string SignatureFor(std::string_view timestamp, std::string_view body, std::string_view salt) {
  std::string message;
  message.reserve(timestamp.size() + 1 + body.size());
  message.append(timestamp).append(".").append(body);
  return auth::HmacSha256Hex(salt, message);
}

core::Error RejectSignature(std::string message) {
  return core::Error{core::ErrorCode::kUnauthenticated, std::move(message),
                     std::string(kSignatureHeader)};
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

bool IsLowerHex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

}  // namespace

CallbackHeaders SignCallback(std::string_view body, std::string_view salt, core::TimeMs now,
                             core::TimeMs jwt_ttl_ms) {
  const std::int64_t issued_at = FloorSeconds(now);
  const nlohmann::json claims = {
      {"iat", issued_at},
      {"exp", FloorSeconds(now + jwt_ttl_ms)},
      {std::string(kBodySha256Claim), BodySha256(body)},
  };
  const std::string timestamp = std::to_string(issued_at);
  return CallbackHeaders{
      .authorization = "Bearer " + auth::SignHs256(claims, salt),
      .signature = "t=" + timestamp + ",v1=" + SignatureFor(timestamp, body, salt),
  };
}

core::Status VerifyCallbackSignature(std::string_view header, std::string_view body,
                                     std::string_view salt, core::TimeMs now,
                                     core::TimeMs tolerance_ms) {
  if (salt.empty()) {
    return core::Internal("callback signing secret (SALT) not configured");
  }
  if (header.empty()) {
    return RejectSignature("missing signature");
  }
  if (header.size() > kMaxSignatureHeaderBytes) {
    return RejectSignature("signature header too large");
  }
  std::string_view timestamp;
  bool has_timestamp = false;
  std::vector<std::string_view> candidates;
  std::string_view rest = header;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = TrimSpaces(rest.substr(0, comma));
    const std::size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return RejectSignature("malformed signature: expected t=<seconds>,v1=<hex>");
    }
    const std::string_view key = item.substr(0, equals);
    const std::string_view value = item.substr(equals + 1);
    if (key == "t") {
      if (has_timestamp) {
        return RejectSignature("malformed signature: more than one t");
      }
      if (value.empty() || value.size() > kMaxTimestampDigits ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return RejectSignature("malformed signature: t must be Unix seconds");
      }
      has_timestamp = true;
      timestamp = value;
    } else if (key == "v1") {
      if (value.size() != kHexSha256Length || !IsLowerHex(value)) {
        return RejectSignature("malformed signature: v1 must be 64 lower-case hex digits");
      }
      candidates.push_back(value);
    }
    if (comma == std::string_view::npos) {
      break;
    }
    rest.remove_prefix(comma + 1);
  }
  if (!has_timestamp) {
    return RejectSignature("malformed signature: no t");
  }
  if (candidates.empty()) {
    return RejectSignature("malformed signature: no v1");
  }

  // At most 12 digits: the product cannot overflow.
  const core::TimeMs signed_at = std::stoll(std::string(timestamp)) * 1000;
  const core::TimeMs tolerance = std::max<core::TimeMs>(0, tolerance_ms);
  const core::TimeMs skew = now >= signed_at ? now - signed_at : signed_at - now;
  if (skew > tolerance) {
    return RejectSignature("signature timestamp outside the allowed window");
  }

  const std::string expected = SignatureFor(timestamp, body, salt);
  bool matched = false;
  for (const std::string_view candidate : candidates) {
    // Every candidate is compared, so the time taken does not reveal which one matched.
    matched = auth::ConstantTimeEquals(candidate, expected) || matched;
  }
  if (!matched) {
    return RejectSignature("bad signature");
  }
  return {};
}

core::Status VerifyCallbackAuthorization(std::string_view authorization, std::string_view body,
                                         std::string_view salt, core::TimeMs now) {
  const auto claims =
      auth::VerifyHs256(auth::StripBearer(authorization), salt, now, auth::VerifyOptions{});
  if (!claims.ok()) {
    return claims.error();
  }
  const auto bound = claims->find(std::string(kBodySha256Claim));
  if (bound == claims->end() || !bound->is_string()) {
    return core::Error{core::ErrorCode::kUnauthenticated, "token has no body_sha256 claim",
                       "Authorization"};
  }
  if (!auth::ConstantTimeEquals(bound->get_ref<const std::string&>(), BodySha256(body))) {
    return core::Error{core::ErrorCode::kUnauthenticated, "token was issued for another body",
                       "Authorization"};
  }
  return {};
}

}  // namespace hooks
