#pragma once
// Authentication of the status callbacks outbox POSTs to an API key's "return_api". Every
// callback carries two independent proofs, both keyed with the server's SALT:
//
// 1. Authorization: Bearer <JWT>   (what the SES-compatible seed documents)
//    An HS256 JWT, header {"alg":"HS256","typ":"JWT"}, claims
//      {"iat": <unix seconds>, "exp": <iat + JWT_EXP_HRS * 3600>,
//       "body_sha256": "<lower-case hex SHA-256 of the exact request body>"}
//    The seed promises only "a JWT signed with SALT" and names no claims; iat/exp follow
//    JWT_EXP_HRS, and body_sha256 binds the token to this body, so a token captured from one
//    callback cannot vouch for another body. Any JWT library verifies it with SALT.
//
// 2. X-Outbox-Signature: t=<unix seconds>,v1=<hex HMAC>   (Stripe-style, for receivers that
//    would rather not parse JWTs)
//      v1 = lower-case hex HMAC-SHA256(key = SALT, message = "<t>.<body>")
//    where <t> is the decimal digits exactly as they appear after "t=" and <body> the raw
//    request body bytes as received (before any JSON parsing or re-encoding). Example:
//      X-Outbox-Signature: t=1700000000,v1=0c5a...e3 (64 hex digits)
//    To verify: split the value on ',', take t and every v1, recompute the HMAC, compare in
//    constant time, accept if any v1 matches, and refuse if t is more than 5 minutes from the
//    receiver's clock (replay window). Unknown keys are ignored, so more schemes (v2) or a
//    second v1 during a SALT rotation can be added without breaking receivers.
#include <cstddef>
#include <string>
#include <string_view>

#include "core/clock.h"
#include "core/result.h"

namespace hooks {

inline constexpr std::string_view kSignatureHeader = "X-Outbox-Signature";
inline constexpr std::string_view kBodySha256Claim = "body_sha256";
// The replay window VerifyCallbackSignature is meant to be called with.
inline constexpr core::TimeMs kDefaultSignatureToleranceMs = core::TimeMs{5} * 60'000;
// Signature header values longer than this are refused unread.
inline constexpr std::size_t kMaxSignatureHeaderBytes = 4096;

struct CallbackHeaders {
  std::string authorization;  // the Authorization value: "Bearer <JWT>"
  std::string signature;      // the X-Outbox-Signature value: "t=<seconds>,v1=<hex>"
};

// Both headers for a callback with this exact `body`, signed at `now`; the JWT expires at
// now + jwt_ttl_ms (JWT_EXP_HRS in milliseconds). Times become whole Unix seconds, rounded
// down. REQUIRES: salt non-empty (at least 32 bytes, see auth::SignHs256), jwt_ttl_ms > 0.
// Throws std::runtime_error only if libcrypto fails.
CallbackHeaders SignCallback(std::string_view body, std::string_view salt, core::TimeMs now,
                             core::TimeMs jwt_ttl_ms);

// The receiver's check of an X-Outbox-Signature value (scheme above) against the raw body:
// well-formed, exactly one t, at least one v1 of 64 lower-case hex digits, |now - t| at most
// tolerance_ms, and some v1 equal (constant time) to the expected HMAC. Rejections are
// kUnauthenticated with field kSignatureHeader; an empty salt is kInternal.
core::Status VerifyCallbackSignature(std::string_view header, std::string_view body,
                                     std::string_view salt, core::TimeMs now,
                                     core::TimeMs tolerance_ms);

// The receiver's check of the Authorization value ("Bearer <JWT>"): auth::VerifyHs256 with
// SALT (exp required, 30 s leeway) and a body_sha256 claim equal to the body's SHA-256.
// Rejections are kUnauthenticated with field "Authorization"; an empty salt is kInternal.
core::Status VerifyCallbackAuthorization(std::string_view authorization, std::string_view body,
                                         std::string_view salt, core::TimeMs now);

}  // namespace hooks
