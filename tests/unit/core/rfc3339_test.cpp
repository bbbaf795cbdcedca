#include <doctest/doctest.h>

#include "core/log.h"

// Found by fuzz_rfc3339: these were accepted but formatted as years FormatRfc3339 cannot write
// back in four digits ("10000-01-01T00:00:00.000Z"), or parsed signs and spaces as digits.
TEST_CASE("ParseRfc3339 refuses times outside years 0000-9999 and non-digit fields") {
  core::TimeMs at = 0;
  CHECK_FALSE(core::ParseRfc3339("9999-12-31T23:59:60Z", &at));
  CHECK_FALSE(core::ParseRfc3339("9999-12-31T23:30:00-01:00", &at));
  CHECK_FALSE(core::ParseRfc3339("0000-01-01T00:00:00+01:00", &at));
  CHECK_FALSE(core::ParseRfc3339("-001-01-01T00:00:00Z", &at));
  CHECK_FALSE(core::ParseRfc3339(" 202-01-01T00:00:00Z", &at));
  CHECK_FALSE(core::ParseRfc3339("2026-+1-01T00:00:00Z", &at));
}

TEST_CASE("ParseRfc3339 keeps the edges of years 0000-9999 and round-trips them") {
  core::TimeMs at = 0;
  REQUIRE(core::ParseRfc3339("9999-12-31T23:59:59.999Z", &at));
  CHECK(core::FormatRfc3339(at) == "9999-12-31T23:59:59.999Z");
  REQUIRE(core::ParseRfc3339("0000-01-01T00:00:00Z", &at));
  CHECK(core::FormatRfc3339(at) == "0000-01-01T00:00:00.000Z");
  REQUIRE(core::ParseRfc3339("2026-11-23T09:00:00+01:00", &at));
  CHECK(core::FormatRfc3339(at) == "2026-11-23T08:00:00.000Z");
}
