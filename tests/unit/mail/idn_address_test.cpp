// Regression: an IDN address went out as raw UTF-8 in To: without SMTPUTF8 (issue 10).
#include <doctest/doctest.h>

#include <string>

#include "mail/message.h"

TEST_CASE("idn_domain_becomes_its_a_label") {
  auto parsed = mail::ParseSendableAddress("\"Grüße, Team\" <team@bücher.de>", "to[0]");
  REQUIRE(parsed.ok());
  CHECK(parsed->address == "team@xn--bcher-kva.de");
  CHECK(parsed->display_name == "Grüße, Team");  // the name stays UTF-8 (RFC 2047 in headers)
  auto chinese = mail::ParseSendableAddress("info@例子.广告", "to[0]");
  REQUIRE(chinese.ok());
  CHECK(chinese->address == "info@xn--fsqu00a.xn--4rr70v");
}

TEST_CASE("idn_ascii_address_is_unchanged") {
  auto parsed = mail::ParseSendableAddress("User <user@Example.COM>", "from");
  REQUIRE(parsed.ok());
  CHECK(parsed->address == "user@Example.COM");
  auto a_label = mail::ParseSendableAddress("team@xn--bcher-kva.de", "from");
  REQUIRE(a_label.ok());
  CHECK(a_label->address == "team@xn--bcher-kva.de");
}

TEST_CASE("idn_non_ascii_local_part_refused_naming_the_field") {
  for (const char* text : {"用户@例子.广告", "jörg@example.com"}) {
    CAPTURE(text);
    auto parsed = mail::ParseSendableAddress(text, "cc[2]");
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(parsed.error().field == "cc[2]");
    CHECK(parsed.error().message.find("SMTPUTF8") != std::string::npos);
  }
}

TEST_CASE("idn_domain_libidn2_refuses_is_refused") {
  // U+2665 (a symbol) is DISALLOWED in IDNA2008.
  auto parsed = mail::ParseSendableAddress("a@\xE2\x99\xA5.example", "to[0]");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().field == "to[0]");
}
