#include "core/random.h"

#include <doctest/doctest.h>

#include "core/log.h"

TEST_CASE("time-ordered ids sort by time and differ within one millisecond") {
  const auto a = core::TimeOrderedId("em_", 1'700'000'000'000);
  const auto b = core::TimeOrderedId("em_", 1'700'000'000'001);
  const auto c = core::TimeOrderedId("em_", 1'700'000'000'001);
  CHECK(a.size() == 3 + 12 + 16);
  CHECK(a.rfind("em_018bcfe56800", 0) == 0);
  CHECK(a < b);
  CHECK(b != c);
}

TEST_CASE("random tokens use only the alphanumeric alphabet") {
  const auto token = core::RandomToken(200);
  CHECK(token.size() == 200);
  CHECK(token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") ==
        std::string::npos);
  CHECK(core::RandomHex(4).size() == 8);
  CHECK(core::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("RFC 3339 round trip and rejection") {
  core::TimeMs parsed = 0;
  REQUIRE(core::ParseRfc3339("2026-11-23T01:52:30.123Z", &parsed));
  CHECK(core::FormatRfc3339(parsed) == "2026-11-23T01:52:30.123Z");
  REQUIRE(core::ParseRfc3339("2026-11-23T03:52:30+02:00", &parsed));
  CHECK(core::FormatRfc3339(parsed) == "2026-11-23T01:52:30.000Z");
  CHECK(core::ParseRfc3339("2024-02-29T00:00:00Z", &parsed));
  CHECK_FALSE(core::ParseRfc3339("2026-02-29T00:00:00Z", &parsed));
  CHECK_FALSE(core::ParseRfc3339("2026-11-23", &parsed));
  CHECK_FALSE(core::ParseRfc3339("2026-11-23T01:52:30", &parsed));
  CHECK_FALSE(core::ParseRfc3339("2026-13-01T00:00:00Z", &parsed));
}
