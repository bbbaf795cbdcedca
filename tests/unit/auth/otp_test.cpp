#include "auth/otp.h"

#include <doctest/doctest.h>

#include <array>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "core/random.h"

namespace {

constexpr std::string_view kSecret = "otp-secret-0123456789abcdef01234";
constexpr std::string_view kRecipient = "user@example.com";
constexpr core::TimeMs kNow = 1'700'000'000'000;

}  // namespace

TEST_CASE("one-time codes have the requested number of digits, leading zeros included") {
  for (int digits = auth::kMinOtpDigits; digits <= auth::kMaxOtpDigits; ++digits) {
    CAPTURE(digits);
    for (int i = 0; i < 50; ++i) {
      const std::string code = auth::GenerateOtp(digits);
      CHECK(code.size() == static_cast<std::size_t>(digits));
      CHECK(code.find_first_not_of("0123456789") == std::string::npos);
    }
  }
}

TEST_CASE("code lengths outside 4..8 are a contract violation") {
  for (const int digits : {-1, 0, 1, 3, 9, 100}) {
    CAPTURE(digits);
    CHECK_THROWS_AS(static_cast<void>(auth::GenerateOtp(digits)), std::invalid_argument);
  }
}

TEST_CASE("digits are spread over 0-9 at every position") {
  // 2000 six-digit codes: each digit is expected 1200 times overall (standard deviation about
  // 33) and 200 times per position, so these bounds fail only if the generator is broken.
  constexpr int kDraws = 2000;
  constexpr int kDigits = 6;
  std::array<int, 10> overall{};
  std::array<std::array<int, 10>, kDigits> by_position{};
  std::set<std::string> distinct;
  for (int i = 0; i < kDraws; ++i) {
    const std::string code = auth::GenerateOtp(kDigits);
    REQUIRE(code.size() == static_cast<std::size_t>(kDigits));
    distinct.insert(code);
    for (int position = 0; position < kDigits; ++position) {
      const int digit = code[static_cast<std::size_t>(position)] - '0';
      REQUIRE(digit >= 0);
      REQUIRE(digit <= 9);
      ++overall[static_cast<std::size_t>(digit)];
      ++by_position[static_cast<std::size_t>(position)][static_cast<std::size_t>(digit)];
    }
  }
  for (int digit = 0; digit < 10; ++digit) {
    CAPTURE(digit);
    CHECK(overall[static_cast<std::size_t>(digit)] > 900);
    CHECK(overall[static_cast<std::size_t>(digit)] < 1500);
    for (const auto& counts : by_position) {
      CHECK(counts[static_cast<std::size_t>(digit)] > 0);
    }
  }
  CHECK(by_position[0][0] > 0);          // leading zeros occur
  CHECK(distinct.size() > kDraws - 50);  // 10^6 codes: a handful of collisions at most
}

TEST_CASE("the stored hash is keyed and bound to the recipient") {
  const std::string hash = auth::HashOtp("123456", kRecipient, kSecret);
  CHECK(hash.size() == 64);
  CHECK(hash.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(hash == auth::HmacSha256Hex(kSecret, "user@example.com:123456"));
  CHECK(hash == auth::HashOtp("123456", kRecipient, kSecret));
  CHECK(hash == auth::HashOtp("123456", "User@Example.COM", kSecret));
  CHECK(hash != auth::HashOtp("123457", kRecipient, kSecret));
  CHECK(hash != auth::HashOtp("123456", "other@example.com", kSecret));
  CHECK(hash != auth::HashOtp("123456", kRecipient, "another-secret"));
  // Not a plain digest anyone could recompute over the 10^6 possible codes.
  CHECK(hash != core::Sha256Hex("user@example.com:123456"));
}

TEST_CASE("codes match only for their recipient and secret, in the expected form") {
  const std::string hash = auth::HashOtp("123456", kRecipient, kSecret);
  CHECK(auth::OtpMatches("123456", kRecipient, hash, kSecret));
  CHECK(auth::OtpMatches("123456", "USER@example.com", hash, kSecret));
  CHECK_FALSE(auth::OtpMatches("123457", kRecipient, hash, kSecret));
  CHECK_FALSE(auth::OtpMatches("123456", "other@example.com", hash, kSecret));
  CHECK_FALSE(auth::OtpMatches("123456", kRecipient, hash, "another-secret"));
  CHECK_FALSE(auth::OtpMatches("123456", kRecipient, "", kSecret));
  CHECK_FALSE(auth::OtpMatches("123456", kRecipient, hash.substr(0, 63), kSecret));
  CHECK_FALSE(auth::OtpMatches("", kRecipient, auth::HashOtp("", kRecipient, kSecret), kSecret));
  // Codes are 4 to 8 ASCII digits, exactly; no trimming.
  for (const std::string_view code : {"123", " 123456", "123456 ", "12 3456", "１23456", "+123456",
                                      "-123456", "0x1234", "123456789"}) {
    CAPTURE(code);
    CHECK_FALSE(
        auth::OtpMatches(code, kRecipient, auth::HashOtp(code, kRecipient, kSecret), kSecret));
  }
  CHECK(auth::OtpMatches("0000", kRecipient, auth::HashOtp("0000", kRecipient, kSecret), kSecret));
  CHECK(auth::OtpMatches("00000000", kRecipient, auth::HashOtp("00000000", kRecipient, kSecret),
                         kSecret));
  // An empty secret would make stored hashes brute-forceable: nothing matches under it.
  CHECK_FALSE(auth::OtpMatches("123456", kRecipient, auth::HashOtp("123456", kRecipient, ""), ""));
}

TEST_CASE("a ':' in the code cannot move the recipient/code boundary") {
  // "a:1" + ":" + "234567" and "a" + ":" + "1:234567" are the same HMAC input.
  const std::string hash = auth::HashOtp("234567", "a:1", kSecret);
  CHECK(auth::OtpMatches("234567", "a:1", hash, kSecret));
  CHECK_FALSE(auth::OtpMatches("1:234567", "a", hash, kSecret));
}

TEST_CASE("CheckOtp decision table") {
  const std::string hash = auth::HashOtp("123456", kRecipient, kSecret);
  const core::TimeMs expires_at = kNow + 600'000;
  using auth::OtpCheck;
  struct Row {
    const char* name;
    auth::OtpState state;
    const char* code;
    core::TimeMs now;
    OtpCheck expected;
  };
  const Row rows[] = {
      {"right code", {hash, expires_at, 0, false}, "123456", kNow, OtpCheck::kVerified},
      {"right code, 4 failures", {hash, expires_at, 4, false}, "123456", kNow, OtpCheck::kVerified},
      {"right code, last ms",
       {hash, expires_at, 0, false},
       "123456",
       expires_at - 1,
       OtpCheck::kVerified},
      {"wrong code", {hash, expires_at, 0, false}, "654321", kNow, OtpCheck::kWrong},
      {"malformed code", {hash, expires_at, 0, false}, "12345x", kNow, OtpCheck::kWrong},
      {"empty code", {hash, expires_at, 0, false}, "", kNow, OtpCheck::kWrong},
      {"locked, right code", {hash, expires_at, 5, false}, "123456", kNow, OtpCheck::kLocked},
      {"locked, wrong code", {hash, expires_at, 5, false}, "654321", kNow, OtpCheck::kLocked},
      {"past the lock", {hash, expires_at, 9, false}, "123456", kNow, OtpCheck::kLocked},
      {"expired at expires_at",
       {hash, expires_at, 0, false},
       "123456",
       expires_at,
       OtpCheck::kExpired},
      {"expired after", {hash, expires_at, 0, false}, "123456", expires_at + 1, OtpCheck::kExpired},
      {"used, right code", {hash, expires_at, 0, true}, "123456", kNow, OtpCheck::kUsed},
      {"used, wrong code", {hash, expires_at, 0, true}, "654321", kNow, OtpCheck::kUsed},
      {"used and expired", {hash, expires_at, 0, true}, "123456", expires_at, OtpCheck::kUsed},
      {"expired and locked",
       {hash, expires_at, 5, false},
       "123456",
       expires_at,
       OtpCheck::kExpired},
  };
  for (const Row& row : rows) {
    CAPTURE(row.name);
    CHECK(auth::CheckOtp(&row.state, row.code, kRecipient, kSecret, row.now) == row.expected);
  }
  CHECK(auth::CheckOtp(nullptr, "123456", kRecipient, kSecret, kNow) == OtpCheck::kNone);
  // Bound to the recipient it was issued for.
  const auth::OtpState state{hash, expires_at, 0, false};
  CHECK(auth::CheckOtp(&state, "123456", "other@example.com", kSecret, kNow) == OtpCheck::kWrong);
  // max_failed is the caller's policy; 0 or less refuses everything.
  const auth::OtpState two_failures{hash, expires_at, 2, false};
  CHECK(auth::CheckOtp(&two_failures, "123456", kRecipient, kSecret, kNow, 3) ==
        OtpCheck::kVerified);
  CHECK(auth::CheckOtp(&two_failures, "123456", kRecipient, kSecret, kNow, 2) == OtpCheck::kLocked);
  CHECK(auth::CheckOtp(&state, "123456", kRecipient, kSecret, kNow, 0) == OtpCheck::kLocked);
}

TEST_CASE("five wrong guesses lock the code, following the documented write-backs") {
  const std::string code = auth::GenerateOtp(6);
  const std::string wrong = code == "000000" ? "000001" : "000000";
  auth::OtpState state{auth::HashOtp(code, kRecipient, kSecret), kNow + 600'000, 0, false};
  core::TimeMs now = kNow;
  for (int attempt = 1; attempt <= 5; ++attempt) {
    CAPTURE(attempt);
    REQUIRE(auth::CheckOtp(&state, wrong, kRecipient, kSecret, now) == auth::OtpCheck::kWrong);
    ++state.failed_attempts;  // the caller's write-back for kWrong
    now += 1'000;
  }
  CHECK(state.failed_attempts == 5);
  CHECK(auth::CheckOtp(&state, code, kRecipient, kSecret, now) == auth::OtpCheck::kLocked);
  CHECK(auth::CheckOtp(&state, wrong, kRecipient, kSecret, now) == auth::OtpCheck::kLocked);
}

TEST_CASE("a verified code never verifies again") {
  const std::string code = auth::GenerateOtp(8);
  auth::OtpState state{auth::HashOtp(code, kRecipient, kSecret), kNow + 600'000, 4, false};
  REQUIRE(auth::CheckOtp(&state, code, kRecipient, kSecret, kNow) == auth::OtpCheck::kVerified);
  state.used = true;  // the caller's write-back for kVerified
  CHECK(auth::CheckOtp(&state, code, kRecipient, kSecret, kNow + 1) == auth::OtpCheck::kUsed);
}
