#include "auth/jwt.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace {

using Json = nlohmann::json;

constexpr std::string_view kSecret = "0123456789abcdef0123456789abcdef";
constexpr core::TimeMs kNow = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr std::int64_t kNowSeconds = kNow / 1000;

const auth::VerifyOptions kDefaults{};
const auth::VerifyOptions kNoExpRequired{.require_exp = false, .leeway_ms = 30'000};

std::string FromHex(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

// A token over exactly these header and payload bytes, correctly signed with `secret`.
std::string SignRaw(std::string_view header, std::string_view payload,
                    std::string_view secret = kSecret) {
  const std::string input = auth::Base64UrlEncode(header) + "." + auth::Base64UrlEncode(payload);
  return input + "." + auth::Base64UrlEncode(FromHex(auth::HmacSha256Hex(secret, input)));
}

std::string SignWithHeader(std::string_view header) {
  return SignRaw(header, R"({"sub":"u1","exp":)" + std::to_string(kNowSeconds + 3600) + "}");
}

// The message of a well-formed rejection, or a description of what is wrong with the result.
std::string Rejection(const core::Result<Json>& result) {
  if (result.ok()) {
    return "<accepted>";
  }
  const core::Error& error = result.error();
  if (error.code != core::ErrorCode::kUnauthenticated) {
    return "<code " + std::string(core::ErrorCodeName(error.code)) + ">";
  }
  if (error.field != "Authorization") {
    return "<field '" + error.field + "'>";
  }
  if (error.message.find(kSecret) != std::string::npos) {
    return "<secret in message>";
  }
  return error.message;
}

std::string Verify(std::string_view token, core::TimeMs now = kNow,
                   const auth::VerifyOptions& options = kDefaults) {
  return Rejection(auth::VerifyHs256(token, kSecret, now, options));
}

std::string WithExp(std::int64_t exp_seconds) {
  return auth::SignHs256(Json{{"sub", "u1"}, {"exp", exp_seconds}}, kSecret);
}

}  // namespace

TEST_CASE("base64url: RFC 4648 section 10 vectors and the URL-safe alphabet") {
  const std::pair<std::string_view, std::string_view> vectors[] = {
      {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& vector : vectors) {
    const std::string_view plain = vector.first;
    const std::string_view encoded = vector.second;
    CAPTURE(plain);
    CHECK(auth::Base64UrlEncode(plain) == encoded);
    const auto decoded = auth::Base64UrlDecode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == plain);
  }
  CHECK(auth::Base64UrlEncode("\xfb\xff") == "-_8");
  CHECK(auth::Base64UrlEncode("\xfb\xef\xbe") == "----");
  CHECK(auth::Base64UrlEncode("\xff\xff\xff") == "____");
}

TEST_CASE("base64url: every byte value round-trips at every tail length") {
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  for (std::size_t length = 0; length <= all.size(); ++length) {
    const std::string data = all.substr(all.size() - length);
    const std::string encoded = auth::Base64UrlEncode(data);
    CHECK(encoded.find_first_of("=+/") == std::string::npos);
    const auto decoded = auth::Base64UrlDecode(encoded);
    REQUIRE(decoded.ok());
    CHECK(*decoded == data);
  }
}

TEST_CASE("base64url: decoding is strict") {
  const std::string_view bad[] = {
      "Zg==",     // padding
      "Zm8=",     // padding
      "Z",        // 1 mod 4: not a whole byte
      "Zm9vY",    // 1 mod 4
      "Zh",       // non-zero unused bits: a second spelling of "f"
      "Zm9",      // non-zero unused bits
      "Zm+v",     // standard alphabet
      "Zm/v",     // standard alphabet
      " Zm9v",    // whitespace
      "Zm9v\n",   // whitespace
      "Zm 9v",    // whitespace
      "Zm9v.",    // separator
      "Zm\x80v",  // non-ASCII
      std::string_view("Zm\0v", 4),
  };
  for (const auto text : bad) {
    CAPTURE(text);
    const auto decoded = auth::Base64UrlDecode(text);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == core::ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("HMAC-SHA256: RFC 4231 test cases 1 and 2, and empty inputs") {
  CHECK(auth::HmacSha256Hex(std::string(20, '\x0b'), "Hi There") ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(auth::HmacSha256Hex("Jefe", "what do ya want for nothing?") ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(auth::HmacSha256Hex("", "") ==
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("constant-time equality") {
  CHECK(auth::ConstantTimeEquals("", ""));
  CHECK(auth::ConstantTimeEquals("abc", "abc"));
  CHECK_FALSE(auth::ConstantTimeEquals("abc", "abd"));
  CHECK_FALSE(auth::ConstantTimeEquals("abc", "ab"));
  CHECK_FALSE(auth::ConstantTimeEquals("", "a"));
}

TEST_CASE("RFC 7515 appendix A.1: the HS256 example verifies with its key") {
  // Key: the JWK "k" member of the example, base64url-encoded.
  const auto key = auth::Base64UrlDecode(
      "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow");
  REQUIRE(key.ok());
  REQUIRE(key->size() == 64);
  const std::string_view token =
      "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
      ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnV"
      "lfQ"
      ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  constexpr core::TimeMs kExp = 1'300'819'380'000;

  const auto claims = auth::VerifyHs256(token, *key, kExp - 60'000, kDefaults);
  REQUIRE(claims.ok());
  CHECK((*claims)["iss"] == "joe");
  CHECK((*claims)["exp"] == 1300819380);
  CHECK((*claims)["http://example.com/is_root"] == true);

  // Its exp with the default 30 s leeway.
  CHECK(auth::VerifyHs256(token, *key, kExp + 29'999, kDefaults).ok());
  CHECK(Rejection(auth::VerifyHs256(token, *key, kExp + 30'000, kDefaults)) == "token expired");
  // Another key.
  CHECK(Rejection(auth::VerifyHs256(token, kSecret, kExp - 60'000, kDefaults)) == "bad signature");
}

TEST_CASE("sign then verify round-trips the claims") {
  const Json claims = {{"sub", "user@example.com"},
                       {"iat", kNowSeconds},
                       {"exp", kNowSeconds + 10'800},
                       {"scopes", {"send", "read"}},
                       {"name", "Zoë ✉"}};
  const std::string token = auth::SignHs256(claims, kSecret);
  CHECK(token.rfind("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 0) == 0);
  const auto header = auth::Base64UrlDecode(token.substr(0, token.find('.')));
  REQUIRE(header.ok());
  CHECK(*header == R"({"alg":"HS256","typ":"JWT"})");

  const auto verified = auth::VerifyHs256(token, kSecret, kNow, kDefaults);
  REQUIRE(verified.ok());
  CHECK(*verified == claims);
  // Signing is deterministic.
  CHECK(auth::SignHs256(claims, kSecret) == token);
}

TEST_CASE("signing replaces invalid UTF-8 instead of throwing") {
  const std::string token =
      auth::SignHs256(Json{{"exp", kNowSeconds + 60}, {"name", "bad\xff"}}, kSecret);
  const auto verified = auth::VerifyHs256(token, kSecret, kNow, kDefaults);
  REQUIRE(verified.ok());
  CHECK((*verified)["name"] == "bad\xEF\xBF\xBD");
}

TEST_CASE("tampered tokens are refused") {
  const std::string token = WithExp(kNowSeconds + 3600);
  REQUIRE(Verify(token) == "<accepted>");
  const std::size_t first_dot = token.find('.');
  const std::size_t second_dot = token.find('.', first_dot + 1);
  const std::string header = token.substr(0, first_dot);
  const std::string signature = token.substr(second_dot + 1);

  SUBCASE("payload") {
    const std::string payload = auth::Base64UrlEncode(R"({"sub":"admin","exp":)" +
                                                      std::to_string(kNowSeconds + 3600) + "}");
    CHECK(Verify(header + "." + payload + "." + signature) == "bad signature");
  }
  SUBCASE("header") {
    // Still an acceptable header, but not the one that was signed.
    const std::string other = auth::Base64UrlEncode(R"({"alg":"HS256","typ":"jwt"})");
    CHECK(Verify(other + token.substr(first_dot)) == "bad signature");
  }
  SUBCASE("signature") {
    std::string flipped = token;
    flipped[second_dot + 1] = flipped[second_dot + 1] == 'A' ? 'B' : 'A';
    CHECK(Verify(flipped) == "bad signature");
    CHECK(Verify(token.substr(0, token.size() - 4)) == "bad signature");  // truncated MAC
    CHECK(Verify(token + "AAAA") == "bad signature");                     // extended MAC
  }
  SUBCASE("wrong secret") {
    CHECK(Verify(auth::SignHs256(Json{{"exp", kNowSeconds + 60}},
                                 "another-secret-of-32-bytes-long!")) == "bad signature");
  }
}

TEST_CASE("only alg HS256 is accepted") {
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256"})")) == "<accepted>");
  CHECK(Verify(SignWithHeader(R"({"alg":"none","typ":"JWT"})")) == "unsupported alg 'none'");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS512","typ":"JWT"})")) == "unsupported alg 'HS512'");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS384"})")) == "unsupported alg 'HS384'");
  CHECK(Verify(SignWithHeader(R"({"alg":"RS256","typ":"JWT"})")) == "unsupported alg 'RS256'");
  CHECK(Verify(SignWithHeader(R"({"alg":"ES256"})")) == "unsupported alg 'ES256'");
  CHECK(Verify(SignWithHeader(R"({"alg":"hs256","typ":"JWT"})")) == "unsupported alg 'hs256'");
  CHECK(Verify(SignWithHeader(R"({"alg":"Hs256"})")) == "unsupported alg 'Hs256'");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256 "})")) == "unsupported alg");
  CHECK(Verify(SignWithHeader(R"({"alg":""})")) == "unsupported alg");
  CHECK(Verify(SignWithHeader(R"({"typ":"JWT"})")) == "missing alg");
  CHECK(Verify(SignWithHeader(R"({"alg":null})")) == "unsupported alg");
  CHECK(Verify(SignWithHeader(R"({"alg":["HS256"]})")) == "unsupported alg");
  CHECK(Verify(SignWithHeader(R"({"ALG":"HS256"})")) == "missing alg");
  // Unprintable or long values are not echoed into messages and logs.
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256\n"})")) == "unsupported alg");
  CHECK(Verify(SignWithHeader(R"({"alg":")" + std::string(100, 'A') + "\"}")) == "unsupported alg");
  // Duplicate members: the last one counts.
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","alg":"none"})")) == "unsupported alg 'none'");
}

TEST_CASE("the classic alg none token with an empty signature is refused") {
  const std::string header = auth::Base64UrlEncode(R"({"alg":"none","typ":"JWT"})");
  const std::string payload =
      auth::Base64UrlEncode(R"({"sub":"admin","exp":)" + std::to_string(kNowSeconds + 60) + "}");
  CHECK(Verify(header + "." + payload + ".") == "malformed token: empty segment");
  CHECK(Verify(header + "." + payload) == "malformed token: expected three segments");
}

TEST_CASE("typ, if present, must be JWT in any case; crit is refused") {
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":"JWT"})")) == "<accepted>");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":"jwt"})")) == "<accepted>");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":"jWt"})")) == "<accepted>");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":"JWS"})")) == "unsupported typ");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":"at+jwt"})")) == "unsupported typ");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":""})")) == "unsupported typ");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","typ":1})")) == "unsupported typ");
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","crit":["exp"],"exp":1})")) ==
        "unsupported critical header parameter");
  // Unknown header parameters are ignored; "kid" does not pick a key.
  CHECK(Verify(SignWithHeader(R"({"alg":"HS256","kid":"../../etc/passwd"})")) == "<accepted>");
}

TEST_CASE("exp and nbf with leeway") {
  const core::TimeMs leeway = kDefaults.leeway_ms;
  REQUIRE(leeway == 30'000);
  const std::int64_t exp = kNowSeconds;  // expires exactly at kNow

  SUBCASE("exp edges") {
    CHECK(Verify(WithExp(exp), kNow - 1) == "<accepted>");
    CHECK(Verify(WithExp(exp), kNow + leeway - 1) == "<accepted>");
    CHECK(Verify(WithExp(exp), kNow + leeway) == "token expired");
    CHECK(Verify(WithExp(exp), kNow + 3'600'000) == "token expired");
    const auth::VerifyOptions strict{.require_exp = true, .leeway_ms = 0};
    CHECK(Verify(WithExp(exp), kNow - 1, strict) == "<accepted>");
    CHECK(Verify(WithExp(exp), kNow, strict) == "token expired");
    const auth::VerifyOptions negative{.require_exp = true, .leeway_ms = -10'000};
    CHECK(Verify(WithExp(exp), kNow - 1, negative) == "<accepted>");  // treated as 0
    CHECK(Verify(WithExp(exp), kNow, negative) == "token expired");
  }
  SUBCASE("nbf edges") {
    const std::string token =
        auth::SignHs256(Json{{"exp", kNowSeconds + 3600}, {"nbf", kNowSeconds}}, kSecret);
    CHECK(Verify(token, kNow) == "<accepted>");
    CHECK(Verify(token, kNow - leeway) == "<accepted>");
    CHECK(Verify(token, kNow - leeway - 1) == "token not yet valid");
    const std::string future =
        auth::SignHs256(Json{{"exp", kNowSeconds + 7200}, {"nbf", kNowSeconds + 3600}}, kSecret);
    CHECK(Verify(future, kNow) == "token not yet valid");
    CHECK(Verify(future, kNow + 3'600'000) == "<accepted>");
  }
  SUBCASE("fractional NumericDates") {
    const std::string token = auth::SignHs256(Json{{"exp", kNowSeconds + 0.5}}, kSecret);
    CHECK(Verify(token, kNow + leeway + 499) == "<accepted>");
    CHECK(Verify(token, kNow + leeway + 500) == "token expired");
  }
  SUBCASE("extreme values saturate instead of overflowing") {
    CHECK(Verify(auth::SignHs256(Json{{"exp", UINT64_MAX}}, kSecret)) == "<accepted>");
    CHECK(Verify(auth::SignHs256(Json{{"exp", INT64_MAX}}, kSecret), INT64_MAX - 1) ==
          "<accepted>");
    CHECK(Verify(auth::SignHs256(Json{{"exp", 1e300}}, kSecret)) == "<accepted>");
    CHECK(Verify(auth::SignHs256(Json{{"exp", INT64_MIN}}, kSecret)) == "token expired");
    CHECK(Verify(auth::SignHs256(Json{{"exp", -1e300}}, kSecret)) == "token expired");
    CHECK(Verify(auth::SignHs256(Json{{"exp", 0}}, kSecret), INT64_MIN) == "<accepted>");
    CHECK(Verify(auth::SignHs256(Json{{"exp", 1}, {"nbf", INT64_MAX}}, kSecret), INT64_MIN) ==
          "token not yet valid");
    CHECK(Verify(auth::SignHs256(Json{{"nbf", INT64_MIN}}, kSecret), INT64_MAX, kNoExpRequired) ==
          "<accepted>");
    // Out of double range: either refused by the parser or as a claim, never accepted.
    CHECK(Verify(SignRaw(R"({"alg":"HS256"})", R"({"exp":1e400})")) != "<accepted>");
  }
}

TEST_CASE("exp is required unless the options say otherwise; claims must be numbers") {
  const std::string no_exp = auth::SignHs256(Json{{"sub", "u1"}}, kSecret);
  CHECK(Verify(no_exp) == "token has no exp claim");
  CHECK(Verify(no_exp, kNow, kNoExpRequired) == "<accepted>");

  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  CHECK(Verify(SignRaw(header, R"({"exp":"1800000000"})")) == "invalid exp claim");
  CHECK(Verify(SignRaw(header, R"({"exp":null})")) == "invalid exp claim");
  CHECK(Verify(SignRaw(header, R"({"exp":true})")) == "invalid exp claim");
  CHECK(Verify(SignRaw(header, R"({"exp":[1800000000]})")) == "invalid exp claim");
  CHECK(Verify(SignRaw(header, R"({"exp":1800000000,"nbf":"0"})")) == "invalid nbf claim");
  CHECK(Verify(SignRaw(header, R"({"exp":1800000000,"iat":"0"})")) == "invalid iat claim");
  CHECK(Verify(SignRaw(header, R"({"exp":1800000000,"iat":1700000000.5})")) == "<accepted>");
  CHECK(Verify(SignRaw(header, R"({"nbf":false})"), kNow, kNoExpRequired) == "invalid nbf claim");
}

TEST_CASE("malformed tokens") {
  const std::string good = WithExp(kNowSeconds + 3600);
  REQUIRE(Verify(good) == "<accepted>");
  const std::size_t first_dot = good.find('.');
  const std::size_t second_dot = good.find('.', first_dot + 1);
  const std::string header = good.substr(0, first_dot);
  const std::string payload = good.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string signature = good.substr(second_dot + 1);

  SUBCASE("segment count and emptiness") {
    CHECK(Verify("") == "missing token");
    CHECK(Verify(header + "." + payload) == "malformed token: expected three segments");
    CHECK(Verify(good + "." + signature) == "malformed token: expected three segments");
    CHECK(Verify(good + ".") == "malformed token: expected three segments");
    CHECK(Verify(header) == "malformed token: expected three segments");
    CHECK(Verify("..") == "malformed token: empty segment");
    CHECK(Verify("." + payload + "." + signature) == "malformed token: empty segment");
    CHECK(Verify(header + ".." + signature) == "malformed token: empty segment");
    CHECK(Verify(header + "." + payload + ".") == "malformed token: empty segment");
  }
  SUBCASE("encoding") {
    const std::string bad_base64 = "malformed token: invalid base64url";
    CHECK(Verify(header + "=." + payload + "." + signature) == bad_base64);
    CHECK(Verify(header + "." + payload + "." + signature + "=") == bad_base64);
    CHECK(Verify(header + "." + payload + "." + signature + "==") == bad_base64);
    CHECK(Verify(" " + good) == bad_base64);
    CHECK(Verify(good + "\n") == bad_base64);
    CHECK(Verify(good + " ") == bad_base64);
    CHECK(Verify(header + ". " + payload + "." + signature) == bad_base64);
    CHECK(Verify("Bearer " + good) == bad_base64);
    std::string plus = good;
    plus[first_dot + 1] = '+';
    CHECK(Verify(plus) == bad_base64);
    std::string slash = good;
    slash[second_dot + 1] = '/';
    CHECK(Verify(slash) == bad_base64);
    std::string nul = good;
    nul[1] = '\0';
    CHECK(Verify(nul) == bad_base64);
  }
  SUBCASE("a signature with non-zero unused bits is not a second spelling") {
    // 43 characters carry 258 bits; the last character's low 2 bits must be zero.
    std::string other = good;
    char& last = other.back();
    const std::string_view alphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    last = alphabet[alphabet.find(last) | 1];
    CHECK(Verify(other) == "malformed token: invalid base64url");
  }
  SUBCASE("JSON shape") {
    CHECK(Verify(SignRaw("not json", R"({"exp":1800000000})")) ==
          "malformed token: header is not a JSON object");
    CHECK(Verify(SignRaw(R"(["alg","HS256"])", R"({"exp":1800000000})")) ==
          "malformed token: header is not a JSON object");
    CHECK(Verify(SignRaw(R"("HS256")", R"({"exp":1800000000})")) ==
          "malformed token: header is not a JSON object");
    CHECK(Verify(SignRaw(R"({"alg":"HS256"}{})", R"({"exp":1800000000})")) ==
          "malformed token: header is not a JSON object");
    CHECK(Verify(SignRaw(R"({"alg":"HS256")", R"({"exp":1800000000})")) ==
          "malformed token: header is not a JSON object");
    const std::string ok_header = R"({"alg":"HS256","typ":"JWT"})";
    const std::string not_object = "malformed token: payload is not a JSON object";
    CHECK(Verify(SignRaw(ok_header, R"([{"exp":1800000000}])")) == not_object);
    CHECK(Verify(SignRaw(ok_header, "null")) == not_object);
    CHECK(Verify(SignRaw(ok_header, "1800000000")) == not_object);
    CHECK(Verify(SignRaw(ok_header, R"("claims")")) == not_object);
    CHECK(Verify(SignRaw(ok_header, R"({"exp":1800000000} x)")) == not_object);
    CHECK(Verify(SignRaw(ok_header, "{\"exp\":1800000000,\"sub\":\"\xff\"}")) == not_object);
    CHECK(Verify(SignRaw(ok_header, "/*c*/{\"exp\":1800000000}")) == not_object);
    // Whitespace inside the JSON is fine (RFC 7515 A.1 has CR LF in both parts).
    CHECK(Verify(SignRaw("{ \"alg\" : \"HS256\" }\r\n", " {\"exp\" :\t1800000000 } ")) ==
          "<accepted>");
  }
  SUBCASE("deep nesting is handled without recursion trouble") {
    const std::string deep = std::string(3000, '[') + std::string(3000, ']');
    CHECK(Verify(SignRaw(deep, R"({"exp":1800000000})")) ==
          "malformed token: header is not a JSON object");
    CHECK(Verify(SignRaw(R"({"alg":"HS256"})", R"({"exp":1800000000,"x":)" + deep + "}")) ==
          "<accepted>");
  }
}

TEST_CASE("tokens over 8 KiB are refused before parsing") {
  // Find padding that makes a validly signed token exactly kMaxJwtBytes long.
  std::string at_limit;
  for (std::size_t pad = 5000; pad < 7000 && at_limit.size() != auth::kMaxJwtBytes; ++pad) {
    at_limit =
        auth::SignHs256(Json{{"exp", kNowSeconds + 60}, {"pad", std::string(pad, 'x')}}, kSecret);
  }
  REQUIRE(at_limit.size() == auth::kMaxJwtBytes);
  CHECK(Verify(at_limit) == "<accepted>");

  const std::string over =
      auth::SignHs256(Json{{"exp", kNowSeconds + 60}, {"pad", std::string(7000, 'x')}}, kSecret);
  REQUIRE(over.size() > auth::kMaxJwtBytes);
  CHECK(Verify(over) == "token too large");
  CHECK(Verify(std::string(auth::kMaxJwtBytes + 1, 'A')) == "token too large");
  CHECK(Verify(std::string(1 << 20, '.')) == "token too large");
}

TEST_CASE("an empty secret is a server error, not a key anyone can use") {
  const std::string token = auth::SignHs256(Json{{"exp", kNowSeconds + 60}}, "");
  const auto result = auth::VerifyHs256(token, "", kNow, kDefaults);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == core::ErrorCode::kInternal);
  CHECK(Verify(token) == "bad signature");
}
