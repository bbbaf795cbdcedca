#include "auth/otp.h"

#include <algorithm>
#include <stdexcept>

#include "auth/jwt.h"
#include "core/random.h"

namespace auth {
namespace {

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string GenerateOtp(int digits) {
  if (digits < kMinOtpDigits || digits > kMaxOtpDigits) {
    throw std::invalid_argument("OTP length must be 4 to 8 digits");
  }
  const auto length = static_cast<std::size_t>(digits);
  std::string code;
  code.reserve(length);
  while (code.size() < length) {
    // Each hex digit is a uniform 4-bit value; keeping only 0-9 (10 of 16) is rejection
    // sampling, so every kept digit is uniform.
    for (const char nibble : core::RandomHex(length)) {
      if (IsAsciiDigit(nibble) && code.size() < length) {
        code.push_back(nibble);
      }
    }
  }
  return code;
}

std::string HashOtp(std::string_view code, std::string_view recipient, std::string_view secret) {
  std::string message;
  message.reserve(recipient.size() + 1 + code.size());
  for (const char c : recipient) {
    message.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  message.push_back(':');
  message.append(code);
  return HmacSha256Hex(secret, message);
}

bool OtpMatches(std::string_view code, std::string_view recipient, std::string_view stored_hash,
                std::string_view secret) {
  const bool well_formed = code.size() >= static_cast<std::size_t>(kMinOtpDigits) &&
                           code.size() <= static_cast<std::size_t>(kMaxOtpDigits) &&
                           std::all_of(code.begin(), code.end(), IsAsciiDigit);
  if (!well_formed || secret.empty()) {
    return false;
  }
  return ConstantTimeEquals(HashOtp(code, recipient, secret), stored_hash);
}

OtpCheck CheckOtp(const OtpState* state, std::string_view code, std::string_view recipient,
                  std::string_view secret, core::TimeMs now, int max_failed) {
  if (state == nullptr) {
    return OtpCheck::kNone;
  }
  if (state->used) {
    return OtpCheck::kUsed;
  }
  if (now >= state->expires_at) {
    return OtpCheck::kExpired;
  }
  if (state->failed_attempts >= max_failed) {
    return OtpCheck::kLocked;
  }
  return OtpMatches(code, recipient, state->hash, secret) ? OtpCheck::kVerified : OtpCheck::kWrong;
}

}  // namespace auth
