#include "auth/duration.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace {

// The milliseconds, or "<message>" of a well-formed rejection, or what is wrong with it.
std::string Parse(std::string_view text) {
  const auto result = auth::ParseKeyDuration(text);
  if (result.ok()) {
    return std::to_string(*result);
  }
  if (result.error().code != core::ErrorCode::kInvalidArgument) {
    return "<wrong code>";
  }
  if (result.error().field != "duration") {
    return "<wrong field>";
  }
  return "<" + result.error().message + ">";
}

bool Rejected(std::string_view text) { return Parse(text).front() == '<'; }

}  // namespace

TEST_CASE("ParseKeyDuration reads the seed's units") {
  CHECK(*auth::ParseKeyDuration("4d") == core::TimeMs{4} * 24 * 3'600'000);
  CHECK(*auth::ParseKeyDuration("1m") == 60'000);
  CHECK(*auth::ParseKeyDuration("90m") == 90 * 60'000);
  CHECK(*auth::ParseKeyDuration("3h") == 3 * 3'600'000LL);
  CHECK(*auth::ParseKeyDuration("1M") == 30 * auth::kDayMs);
  CHECK(*auth::ParseKeyDuration("2y") == 730 * auth::kDayMs);
  CHECK(*auth::ParseKeyDuration("007d") == 7 * auth::kDayMs);
}

TEST_CASE("ParseKeyDuration: m is minutes and M is months") {
  CHECK(*auth::ParseKeyDuration("1m") != *auth::ParseKeyDuration("1M"));
  CHECK(Rejected("1H"));
  CHECK(Rejected("1D"));
  CHECK(Rejected("1Y"));
  CHECK(Rejected("10s"));
  CHECK(Rejected("1w"));
}

TEST_CASE("ParseKeyDuration allows exactly ten years") {
  CHECK(*auth::ParseKeyDuration("10y") == auth::kMaxKeyDurationMs);
  CHECK(*auth::ParseKeyDuration("3650d") == auth::kMaxKeyDurationMs);
  CHECK(*auth::ParseKeyDuration("121M") == core::TimeMs{121} * 30 * auth::kDayMs);
  CHECK(*auth::ParseKeyDuration("87600h") == auth::kMaxKeyDurationMs);
  CHECK(*auth::ParseKeyDuration("5256000m") == auth::kMaxKeyDurationMs);
  CHECK(Parse("11y") == "<duration is longer than the maximum of 10 years>");
  CHECK(Rejected("3651d"));
  CHECK(Rejected("122M"));
  CHECK(Rejected("5256001m"));
}

TEST_CASE("ParseKeyDuration refuses huge counts without overflowing") {
  CHECK(Rejected("99999999999999999999999999999999999999d"));
  CHECK(Rejected("9223372036854775807m"));
  CHECK(Rejected("18446744073709551617y"));
}

TEST_CASE("ParseKeyDuration refuses anything but <digits><unit>") {
  CHECK(Parse("0d") == "<duration must be positive>");
  CHECK(Rejected("000m"));
  for (const std::string_view text : {"", "d", "4", "-4d", "+4d", " 4d", "4d ", "4 d", "4.5d",
                                      "1d12h", "4dd", "d4", "0x10d", "４d"}) {
    CAPTURE(text);
    CHECK(Rejected(text));
  }
  CHECK(Rejected(std::string_view("4d\0", 3)));
}
