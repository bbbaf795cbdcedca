#include "auth/password.h"

#include <doctest/doctest.h>

#include <string>

namespace {

// Cheap parameters, so the tests hash quickly; the defaults are checked separately.
const auth::PasswordParams kFast{1, 64, 1};

}  // namespace

TEST_CASE("password rules: 8 code points to 1024 bytes of UTF-8 without NUL") {
  CHECK(auth::CheckPasswordRules("12345678").ok());
  CHECK(auth::CheckPasswordRules(std::string(1024, 'a')).ok());
  const auto short_one = auth::CheckPasswordRules("1234567");
  REQUIRE_FALSE(short_one.ok());
  CHECK(short_one.error().field == "password");
  CHECK_FALSE(auth::CheckPasswordRules(std::string(1025, 'a')).ok());
  CHECK_FALSE(auth::CheckPasswordRules(std::string("abcd\0efgh", 9)).ok());
  CHECK_FALSE(auth::CheckPasswordRules("abcdefg\xff").ok());          // not UTF-8
  CHECK_FALSE(auth::CheckPasswordRules("abcdefg\xc0\xaf").ok());      // overlong '/'
  CHECK_FALSE(auth::CheckPasswordRules("abcdefg\xed\xa0\x80").ok());  // a surrogate
  // Eight characters of two bytes each count as eight, seven do not.
  CHECK(auth::CheckPasswordRules("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9")
            .ok());
  CHECK_FALSE(
      auth::CheckPasswordRules("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9").ok());
}

TEST_CASE("password hashes: argon2id PHC strings that verify only the right password") {
  const std::string hash = auth::HashPassword("correct horse", kFast);
  CHECK(hash.rfind("$argon2id$v=19$m=64,t=1,p=1$", 0) == 0);
  CHECK(auth::VerifyPassword("correct horse", hash));
  CHECK_FALSE(auth::VerifyPassword("correct horsf", hash));
  CHECK_FALSE(auth::VerifyPassword("", hash));
  // A fresh salt each time.
  CHECK(auth::HashPassword("correct horse", kFast) != hash);
  // Not argon2id, malformed, or a password over the limit: false, never a crash.
  CHECK_FALSE(auth::VerifyPassword("correct horse", ""));
  CHECK_FALSE(auth::VerifyPassword("correct horse", "$argon2i$v=19$m=64,t=1,p=1$AAAA$AAAA"));
  CHECK_FALSE(auth::VerifyPassword("correct horse", "$argon2id$garbage"));
  CHECK_FALSE(auth::VerifyPassword(std::string(1025, 'a'), hash));
}

TEST_CASE("password hashes: the default parameters are OWASP's argon2id minimum") {
  const auth::PasswordParams defaults;
  CHECK(defaults.memory_kib == 19 * 1024);
  CHECK(defaults.time_cost == 2);
  CHECK(defaults.parallelism == 1);
  const std::string hash = auth::HashPassword("correct horse");
  CHECK(hash.rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0) == 0);
  CHECK(auth::VerifyPassword("correct horse", hash));
}

TEST_CASE("generated passwords are long, random and pass the rules") {
  const std::string a = auth::GeneratePassword();
  CHECK(a.size() == 24);
  CHECK(auth::CheckPasswordRules(a).ok());
  CHECK(a != auth::GeneratePassword());
}
