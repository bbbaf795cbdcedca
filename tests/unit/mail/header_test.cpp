#include <doctest/doctest.h>

#include <string>

#include "mail/message.h"

namespace {

void CheckRefused(std::string_view name, std::string_view value) {
  const core::Status status = mail::ValidateExtraHeader(name, value, "headers[0]");
  CHECK_MESSAGE(!status.ok(), "accepted: ", name, ": ", value);
  if (!status.ok()) {
    CHECK(status.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(status.error().field == "headers[0]");
  }
}

}  // namespace

TEST_CASE("ValidateExtraHeader accepts ordinary extra headers") {
  CHECK(mail::ValidateExtraHeader("X-Campaign", "spring-2026", "headers").ok());
  CHECK(mail::ValidateExtraHeader("List-Unsubscribe", "<mailto:u@example.com>", "headers").ok());
  CHECK(mail::ValidateExtraHeader("X-Empty", "", "headers").ok());
  CHECK(mail::ValidateExtraHeader("X-Unicode", "Grüße", "headers").ok());
  CHECK(mail::ValidateExtraHeader(std::string(76, 'X'), "v", "headers").ok());
  // Only Content-* is reserved as a prefix; similar names are fine.
  CHECK(mail::ValidateExtraHeader("X-Content-Type", "v", "headers").ok());
  CHECK(mail::ValidateExtraHeader("Contents", "v", "headers").ok());
}

TEST_CASE("ValidateExtraHeader refuses bad names") {
  CheckRefused("", "v");
  CheckRefused(std::string(77, 'X'), "v");
  CheckRefused("X:Evil", "v");
  CheckRefused("X Evil", "v");
  CheckRefused("X-Tab\t", "v");
  CheckRefused("X-Grüße", "v");
  CheckRefused("X-Evil\r\nBcc", "v");
  CheckRefused(std::string("X-\0", 3), "v");
}

TEST_CASE("ValidateExtraHeader refuses the headers outbox sets itself, in any case") {
  for (const char* name :
       {"From", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
        "bcc", "SUBJECT", "message-id", "mime-version", "Content-Type", "content-transfer-encoding",
        "CONTENT-DISPOSITION", "Content-"}) {
    CAPTURE(name);
    CheckRefused(name, "v");
  }
}

TEST_CASE("ValidateExtraHeader refuses CR, LF and NUL in the value") {
  CheckRefused("X-Evil", "a\r\nBcc: victim@example.com");
  CheckRefused("X-Evil", "a\rb");
  CheckRefused("X-Evil", "a\nb");
  CheckRefused("X-Evil", std::string("a\0b", 3));
}

TEST_CASE("FormatRfc5322Date renders UTC with +0000") {
  CHECK(mail::FormatRfc5322Date(0) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(mail::FormatRfc5322Date(1'700'000'000'000) == "Tue, 14 Nov 2023 22:13:20 +0000");
  CHECK(mail::FormatRfc5322Date(1'709'210'096'000) == "Thu, 29 Feb 2024 12:34:56 +0000");
  CHECK(mail::FormatRfc5322Date(951'782'400'000) == "Tue, 29 Feb 2000 00:00:00 +0000");
  CHECK(mail::FormatRfc5322Date(4'102'444'799'000) == "Thu, 31 Dec 2099 23:59:59 +0000");
}

TEST_CASE("FormatRfc5322Date truncates milliseconds and handles times before 1970") {
  CHECK(mail::FormatRfc5322Date(999) == "Thu, 01 Jan 1970 00:00:00 +0000");
  CHECK(mail::FormatRfc5322Date(1'700'000'000'999) == "Tue, 14 Nov 2023 22:13:20 +0000");
  CHECK(mail::FormatRfc5322Date(-1000) == "Wed, 31 Dec 1969 23:59:59 +0000");
  CHECK(mail::FormatRfc5322Date(-1) == "Wed, 31 Dec 1969 23:59:59 +0000");
}
