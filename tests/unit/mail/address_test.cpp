#include <doctest/doctest.h>

#include <string>

#include "mail/message.h"

namespace {

mail::Address MustParse(std::string_view text) {
  const auto result = mail::ParseAddress(text, "to");
  REQUIRE_MESSAGE(result.ok(), text, ": ", (result.ok() ? "" : result.error().message));
  return *result;
}

void CheckRefused(std::string_view text, std::string_view field = "to") {
  const auto result = mail::ParseAddress(text, field);
  CHECK_MESSAGE(!result.ok(), "accepted: ", text);
  if (!result.ok()) {
    CHECK(result.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(result.error().field == field);
    CHECK(!result.error().message.empty());
  }
}

}  // namespace

TEST_CASE("ParseAddress accepts a bare address") {
  const mail::Address address = MustParse("user@example.com");
  CHECK(address.address == "user@example.com");
  CHECK(address.display_name.empty());
}

TEST_CASE("ParseAddress accepts a display name with angle brackets") {
  const mail::Address address = MustParse("Jane Doe <jane@example.com>");
  CHECK(address.display_name == "Jane Doe");
  CHECK(address.address == "jane@example.com");
}

TEST_CASE("ParseAddress accepts a quoted display name with specials and escapes") {
  mail::Address address = MustParse("\"Doe, Jane\" <j@x.org>");
  CHECK(address.display_name == "Doe, Jane");
  CHECK(address.address == "j@x.org");

  address = MustParse(R"("Say \"hi\" \\ there" <j@x.org>)");
  CHECK(address.display_name == R"(Say "hi" \ there)");
}

TEST_CASE("ParseAddress accepts bare angle brackets and surrounding whitespace") {
  mail::Address address = MustParse("<user@example.com>");
  CHECK(address.display_name.empty());
  CHECK(address.address == "user@example.com");

  address = MustParse("  \tJane   <jane@example.com>  ");
  CHECK(address.display_name == "Jane");
  CHECK(address.address == "jane@example.com");
}

TEST_CASE("ParseAddress accepts UTF-8 display names, local parts and domains") {
  mail::Address address = MustParse("Zoë Ünal 🎉 <zoe@example.com>");
  CHECK(address.display_name == "Zoë Ünal 🎉");

  address = MustParse("\"Grüße, Team\" <team@bücher.de>");
  CHECK(address.display_name == "Grüße, Team");
  CHECK(address.address == "team@bücher.de");

  CHECK(MustParse("用户@例子.广告").address == "用户@例子.广告");
}

TEST_CASE("ParseAddress accepts the atext specials, dots and single-label domains") {
  CHECK(MustParse("first.last+tag@example.com").address == "first.last+tag@example.com");
  CHECK(MustParse("!#$%&'*+-/=?^_`{|}~@example.com").address == "!#$%&'*+-/=?^_`{|}~@example.com");
  CHECK(MustParse("a@sub-domain.example-1.co.uk").address == "a@sub-domain.example-1.co.uk");
  // Documented choice: dotless domains are the relay's business (intranets, edge boxes).
  CHECK(MustParse("root@localhost").address == "root@localhost");
}

TEST_CASE("ParseAddress accepts the length limits exactly") {
  const std::string local(64, 'a');
  CHECK(MustParse(local + "@example.com").address == local + "@example.com");

  // 254 octets: 64 + '@' + three 59-octet labels and a 9-octet one, dot-separated.
  const std::string domain = std::string(59, 'b') + "." + std::string(59, 'c') + "." +
                             std::string(59, 'd') + "." + std::string(9, 'e');
  const std::string longest = local + "@" + domain;
  REQUIRE(longest.size() == 254);
  CHECK(MustParse(longest).address == longest);

  CHECK(MustParse("x@" + std::string(63, 'l') + ".com").address.size() == 69);
}

TEST_CASE("ParseAddress refuses header injection") {
  CheckRefused("user@example.com\r\nBcc: victim@example.com");
  CheckRefused("Jane\r\n <jane@example.com>");
  CheckRefused("\"Jane\nBcc: x@y.z\" <jane@example.com>");
  CheckRefused("user@example.com\r");
  CheckRefused("user@example.com\n");
  CheckRefused(std::string("user@exa\0mple.com", 17));
}

TEST_CASE("ParseAddress refuses a missing or extra '@' and empty parts") {
  CheckRefused("");
  CheckRefused("   ");
  CheckRefused("user.example.com");
  CheckRefused("user@@example.com");
  CheckRefused("a@b@example.com");
  CheckRefused("@example.com");
  CheckRefused("user@");
  CheckRefused("Jane <>");
  CheckRefused("Jane <@>");
}

TEST_CASE("ParseAddress refuses whitespace and control characters in the address") {
  CheckRefused("us er@example.com");
  CheckRefused("Jane <us er@example.com>");
  CheckRefused("Jane < user@example.com>");
  CheckRefused("user@exam\tple.com");
  CheckRefused("user\x01@example.com");
  CheckRefused("user\x7f@example.com");
  CheckRefused("Ja\x01ne <user@example.com>");  // controls in the display name too
}

TEST_CASE("ParseAddress refuses unbalanced angle brackets and trailing text") {
  CheckRefused("Jane <jane@example.com");
  CheckRefused("jane@example.com>");
  CheckRefused("Jane <jane@example.com> extra");
  CheckRefused("Jane <a <jane@example.com>>");
  CheckRefused("\"Jane <jane@example.com>");  // unterminated quote
  CheckRefused("\"Jane\" jane@example.com");  // quoted name without <address>
}

TEST_CASE("ParseAddress refuses over-long addresses and local parts") {
  CheckRefused(std::string(65, 'a') + "@example.com");
  const std::string local(64, 'a');
  const std::string domain = std::string(59, 'b') + "." + std::string(59, 'c') + "." +
                             std::string(59, 'd') + "." + std::string(10, 'e');
  CheckRefused(local + "@" + domain);  // 255 octets
  CheckRefused("x@" + std::string(64, 'l') + ".com");
}

TEST_CASE("ParseAddress refuses malformed local parts and domains") {
  CheckRefused(".user@example.com");
  CheckRefused("user.@example.com");
  CheckRefused("us..er@example.com");
  CheckRefused("\"quoted local\"@example.com");
  CheckRefused("user(comment)@example.com");
  CheckRefused("us,er@example.com");
  CheckRefused("user@example..com");
  CheckRefused("user@.example.com");
  CheckRefused("user@example.com.");
  CheckRefused("user@-example.com");
  CheckRefused("user@example-.com");
  CheckRefused("user@exa_mple.com");
  CheckRefused("user@[127.0.0.1]");  // domain literals are not supported
}

TEST_CASE("ParseAddress refuses malformed UTF-8") {
  CheckRefused("user@ex\xC3.com");
  CheckRefused("\xC0\xAF <user@example.com>");      // overlong '/'
  CheckRefused("\xED\xA0\x80 <user@example.com>");  // a UTF-16 surrogate
}

TEST_CASE("ParseAddress names the given field in its errors") {
  const auto result = mail::ParseAddress("nope", "reply_to");
  REQUIRE(!result.ok());
  CHECK(result.error().field == "reply_to");
  CheckRefused("a\r\n@b.c", "cc[3]");
}
