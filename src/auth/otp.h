#pragma once
// One-time codes (e-mail verification, login codes): generation, keyed hashing for storage,
// and the pure check that decides verified / wrong / expired / locked / used. Storing and
// updating the code's state is the caller's job; see CheckOtp for what to write back.
#include <string>
#include <string_view>

#include "core/clock.h"

namespace auth {

inline constexpr int kMinOtpDigits = 4;
inline constexpr int kMaxOtpDigits = 8;

// `digits` decimal digits, each uniform over 0-9 from the CSPRNG (rejection sampling, no
// modulo bias); leading zeros are kept, so treat the code as a string, never as a number.
// REQUIRES: kMinOtpDigits <= digits <= kMaxOtpDigits; throws std::invalid_argument otherwise.
std::string GenerateOtp(int digits);

// Lower-case hex HMAC-SHA256(secret, lowercase(recipient) + ":" + code). Without `secret` a
// leaked hash cannot be brute-forced over the small code space, and the hash only matches for
// the recipient it was issued to. Only ASCII letters are lower-cased; pass the recipient in
// the same normalized form when issuing and checking.
// REQUIRES: `secret` non-empty; `code` as produced by GenerateOtp (digits only).
std::string HashOtp(std::string_view code, std::string_view recipient, std::string_view secret);

// Whether `code` is the one `stored_hash` was made from for `recipient`, compared in constant
// time. False for an empty secret and for codes that are not kMinOtpDigits..kMaxOtpDigits ASCII
// digits (which also keeps a ':' in the code from shifting the recipient/code boundary).
bool OtpMatches(std::string_view code, std::string_view recipient, std::string_view stored_hash,
                std::string_view secret);

// A stored one-time code.
struct OtpState {
  std::string hash;  // HashOtp(code, recipient, secret)
  core::TimeMs expires_at = 0;
  int failed_attempts = 0;
  bool used = false;
};

enum class OtpCheck {
  kVerified,  // right code, in time: the caller must mark it used
  kWrong,     // wrong code: the caller must count the failure
  kExpired,   // now >= expires_at
  kLocked,    // failed_attempts >= max_failed; even the right code is refused
  kUsed,      // already verified once
  kNone,      // no code was issued
};

// Decides a verification attempt, without side effects. Checked in this order: no state
// (kNone), used (kUsed), expired (kExpired), locked (kLocked), then the code itself. A
// `max_failed` <= 0 locks every code.
//
// The caller reads the state, calls CheckOtp and writes back as one serialized step per code
// (a write transaction such as SQLite's BEGIN IMMEDIATE, SELECT ... FOR UPDATE, or a per-code
// lock). Otherwise parallel requests all see the same failed_attempts, so together they test
// more than max_failed guesses, and two requests can both spend the right code. What to write
// back, for each result:
//   kVerified: used = true, before reporting success.
//   kWrong:    failed_attempts + 1, before reporting failure.
//   kExpired, kLocked, kUsed, kNone: nothing (deleting the record is fine). Never reset
//              failed_attempts; a fresh code, issued under its own rate limit, replaces a
//              locked one.
OtpCheck CheckOtp(const OtpState* state, std::string_view code, std::string_view recipient,
                  std::string_view secret, core::TimeMs now, int max_failed = 5);

}  // namespace auth
