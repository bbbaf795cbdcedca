#include "hooks/signing.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/jwt.h"
#include "core/random.h"

namespace {

constexpr std::string_view kSalt = "test-salt-0123456789abcdef0123456789";
constexpr std::string_view kBody = R"({"status":"SENT"})";
constexpr core::TimeMs kNow = 1'700'000'000'123;  // 2023-11-14T22:13:20.123Z
constexpr core::TimeMs kThreeHoursMs = core::TimeMs{3} * 3'600'000;
constexpr core::TimeMs kTolerance = hooks::kDefaultSignatureToleranceMs;
// printf '%s' '1700000000.{"status":"SENT"}' | openssl dgst -sha256 -hmac "$kSalt"
constexpr std::string_view kKnownV1 =
    "b6566241d12eae4c4367f432194250efadc22bb1e34ce0900e894a9aaad051d0";

// "ok", or the message of a rejection that has the expected code and field.
std::string Verdict(const core::Status& status, std::string_view field) {
  if (status.ok()) {
    return "ok";
  }
  if (status.error().code != core::ErrorCode::kUnauthenticated) {
    return "<code " + std::string(core::ErrorCodeName(status.error().code)) + ">";
  }
  if (status.error().field != field) {
    return "<field '" + status.error().field + "'>";
  }
  return status.error().message;
}

std::string VerifySignature(std::string_view header, std::string_view body = kBody,
                            core::TimeMs now = kNow) {
  return Verdict(hooks::VerifyCallbackSignature(header, body, kSalt, now, kTolerance),
                 hooks::kSignatureHeader);
}

std::string VerifyAuthorization(std::string_view authorization, std::string_view body = kBody,
                                core::TimeMs now = kNow) {
  return Verdict(hooks::VerifyCallbackAuthorization(authorization, body, kSalt, now),
                 "Authorization");
}

const std::string kGoodHeader = "t=1700000000,v1=" + std::string(kKnownV1);

}  // namespace

TEST_CASE("SignCallback: the signature header follows the documented scheme") {
  const hooks::CallbackHeaders headers = hooks::SignCallback(kBody, kSalt, kNow, kThreeHoursMs);
  // A known answer computed outside outbox pins the scheme "t=<s>,v1=HMAC(salt, t.body)".
  CHECK(headers.signature == kGoodHeader);
  CHECK(headers.signature ==
        "t=1700000000,v1=" + auth::HmacSha256Hex(kSalt, "1700000000." + std::string(kBody)));
}

TEST_CASE("SignCallback: the bearer JWT carries iat, exp and the body's SHA-256") {
  const hooks::CallbackHeaders headers = hooks::SignCallback(kBody, kSalt, kNow, kThreeHoursMs);
  REQUIRE(headers.authorization.rfind("Bearer ", 0) == 0);
  const auto claims =
      auth::VerifyHs256(headers.authorization.substr(7), kSalt, kNow, auth::VerifyOptions{});
  REQUIRE(claims.ok());
  CHECK(claims->size() == 3);
  CHECK((*claims)["iat"] == 1'700'000'000);
  CHECK((*claims)["exp"] == 1'700'000'000 + 3 * 3600);
  CHECK((*claims)["body_sha256"] == core::Sha256Hex(std::string(kBody)));
  CHECK(VerifyAuthorization(headers.authorization) == "ok");
}

TEST_CASE("VerifyCallbackAuthorization refuses other bodies, other salts and expired tokens") {
  const hooks::CallbackHeaders headers = hooks::SignCallback(kBody, kSalt, kNow, kThreeHoursMs);
  CHECK(VerifyAuthorization(headers.authorization, R"({"status":"BOUNCE"})") ==
        "token was issued for another body");
  CHECK(VerifyAuthorization(headers.authorization, kBody, kNow + kThreeHoursMs + 31'000) ==
        "token expired");
  const hooks::CallbackHeaders other =
      hooks::SignCallback(kBody, "another-salt-0123456789abcdef0123", kNow, kThreeHoursMs);
  CHECK(VerifyAuthorization(other.authorization) == "bad signature");
  const std::string unbound = "Bearer " + auth::SignHs256({{"exp", kNow / 1000 + 60}}, kSalt);
  CHECK(VerifyAuthorization(unbound) == "token has no body_sha256 claim");
  CHECK(VerifyAuthorization("") == "missing token");
  const auto no_salt = hooks::VerifyCallbackAuthorization(headers.authorization, kBody, "", kNow);
  REQUIRE(!no_salt.ok());
  CHECK(no_salt.error().code == core::ErrorCode::kInternal);
}

TEST_CASE("VerifyCallbackSignature accepts what SignCallback produced") {
  using namespace std::string_literals;
  const std::string body = "any bytes, even \0 and \xff"s;
  const hooks::CallbackHeaders headers = hooks::SignCallback(body, kSalt, kNow, kThreeHoursMs);
  CHECK(VerifySignature(headers.signature, body) == "ok");
  CHECK(VerifySignature(hooks::SignCallback("", kSalt, kNow, 1).signature, "") == "ok");
}

TEST_CASE("VerifyCallbackSignature refuses a changed body or another salt") {
  CHECK(VerifySignature(kGoodHeader, R"({"status":"SENT"} )") == "bad signature");
  CHECK(VerifySignature(kGoodHeader, "") == "bad signature");
  const auto other =
      hooks::VerifyCallbackSignature(kGoodHeader, kBody, "another-salt", kNow, kTolerance);
  CHECK(Verdict(other, hooks::kSignatureHeader) == "bad signature");
  // The timestamp is signed: moving it (to dodge the window) breaks the signature.
  CHECK(VerifySignature("t=1700000001,v1=" + std::string(kKnownV1)) == "bad signature");
}

TEST_CASE("VerifyCallbackSignature enforces the replay window on both sides") {
  constexpr core::TimeMs kSignedAt = 1'700'000'000'000;
  CHECK(VerifySignature(kGoodHeader, kBody, kSignedAt + kTolerance) == "ok");
  CHECK(VerifySignature(kGoodHeader, kBody, kSignedAt - kTolerance) == "ok");
  CHECK(VerifySignature(kGoodHeader, kBody, kSignedAt + kTolerance + 1) ==
        "signature timestamp outside the allowed window");
  CHECK(VerifySignature(kGoodHeader, kBody, kSignedAt - kTolerance - 1) ==
        "signature timestamp outside the allowed window");
  const auto exact = hooks::VerifyCallbackSignature(kGoodHeader, kBody, kSalt, kSignedAt, 0);
  CHECK(exact.ok());
  const auto negative = hooks::VerifyCallbackSignature(kGoodHeader, kBody, kSalt, kNow, -5);
  CHECK(!negative.ok());
}

TEST_CASE("VerifyCallbackSignature: extra v1 entries, unknown keys and spaces") {
  const std::string wrong(64, 'a');
  CHECK(VerifySignature("t=1700000000,v1=" + wrong + ",v1=" + std::string(kKnownV1)) == "ok");
  CHECK(VerifySignature("v1=" + std::string(kKnownV1) + ",t=1700000000") == "ok");
  CHECK(VerifySignature("t=1700000000, v0=legacy, v1=" + std::string(kKnownV1)) == "ok");
  CHECK(VerifySignature("t=1700000000,v1=" + wrong) == "bad signature");
}

TEST_CASE("VerifyCallbackSignature refuses malformed headers") {
  const std::string v1 = ",v1=" + std::string(kKnownV1);
  std::string upper(kKnownV1);
  for (char& c : upper) {
    c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  }
  CHECK(VerifySignature("") == "missing signature");
  CHECK(VerifySignature("v1=" + std::string(kKnownV1)) == "malformed signature: no t");
  CHECK(VerifySignature("t=1700000000") == "malformed signature: no v1");
  CHECK(VerifySignature("t=1700000000,t=1700000000" + v1) ==
        "malformed signature: more than one t");
  for (const std::string& header :
       {"t=" + v1, "t=-1" + v1, "t=17e8" + v1, "t=1700000000.5" + v1, "t=1234567890123" + v1,
        "t=1700000000,v1=" + upper, std::string("t=1700000000,v1=abc"), "t=1700000000" + v1 + "00",
        "t=1700000000," + v1, "t1700000000" + v1, "=1" + v1, "t=1700000000;v1=" + upper}) {
    CAPTURE(header);
    CHECK(VerifySignature(header).rfind("malformed signature", 0) == 0);
  }
  CHECK(VerifySignature(std::string(hooks::kMaxSignatureHeaderBytes + 1, 'a')) ==
        "signature header too large");
  const auto no_salt = hooks::VerifyCallbackSignature(kGoodHeader, kBody, "", kNow, kTolerance);
  REQUIRE(!no_salt.ok());
  CHECK(no_salt.error().code == core::ErrorCode::kInternal);
}
