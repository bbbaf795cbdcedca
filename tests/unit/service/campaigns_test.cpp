// The pure parts of campaigns and the customers' import: draft validation and the CSV reader.
#include <doctest/doctest.h>

#include "service/campaigns.h"
#include "service/customer_import.h"

namespace {

store::CampaignContent Draft() {
  store::CampaignContent content;
  content.name = "Spring sale";
  content.subject = "20% off";
  content.html = "<p>Hi</p>";
  return content;
}

std::string FieldOf(const core::Status& status) {
  return status.ok() ? "" : status.error().field;
}

std::vector<std::vector<std::string>> Fields(std::string_view csv) {
  auto records = service::ParseCsv(csv);
  REQUIRE(records.ok());
  std::vector<std::vector<std::string>> out;
  for (const auto& record : *records) out.push_back(record.fields);
  return out;
}

}  // namespace

TEST_CASE("ValidateCampaignContent: a usable draft passes, each bad field is named") {
  CHECK(service::ValidateCampaignContent(Draft()).ok());
  store::CampaignContent list = Draft();
  list.audience = "list:news_letter-1.x";
  CHECK(service::ValidateCampaignContent(list).ok());

  const auto field_of = [](auto change) {
    store::CampaignContent content = Draft();
    change(content);
    return FieldOf(service::ValidateCampaignContent(content));
  };
  CHECK(field_of([](auto& c) { c.name = ""; }) == "name");
  CHECK(field_of([](auto& c) { c.name = std::string(201, 'n'); }) == "name");
  CHECK(field_of([](auto& c) { c.name = "a\nb"; }) == "name");
  CHECK(field_of([](auto& c) { c.subject = "a\r\nBcc: x@y.z"; }) == "subject");
  CHECK(field_of([](auto& c) { c.html = std::string(service::kMaxCampaignBody + 1, 'h'); }) ==
        "html");
  CHECK(field_of([](auto& c) { c.text = std::string(service::kMaxCampaignBody + 1, 't'); }) ==
        "text");
  CHECK(field_of([](auto& c) { c.from = "not an address"; }) == "from");
  CHECK(field_of([](auto& c) { c.audience = "everyone"; }) == "audience");
  CHECK(field_of([](auto& c) { c.audience = "list:"; }) == "audience");
  CHECK(field_of([](auto& c) { c.audience = "list:bad name"; }) == "audience");
  CHECK(field_of([](auto& c) { c.rate_per_minute = 0; }) == "rate_per_minute");
  CHECK(field_of([](auto& c) { c.rate_per_minute = service::kMaxRatePerMinute + 1; }) ==
        "rate_per_minute");
  CHECK(field_of([](auto& c) { c.data = "[1]"; }) == "data");
  CHECK(field_of([](auto& c) {
          c.starts_at = 2000;
          c.ends_at = 1000;
        }) == "end_time");
  // A draft may be incomplete: subject and body are required at submission, not before.
  CHECK(field_of([](auto& c) {
          c.subject = "";
          c.html = "";
        }) == "");
}

TEST_CASE("ParseCsv reads RFC 4180: quotes, doubled quotes, line breaks in fields, CRLF") {
  CHECK(Fields("email,name\r\na@x.org,Ann\r\n") ==
        std::vector<std::vector<std::string>>{{"email", "name"}, {"a@x.org", "Ann"}});
  CHECK(Fields("\"a@x.org\",\"Doe, \"\"Jo\"\"\"\n") ==
        std::vector<std::vector<std::string>>{{"a@x.org", "Doe, \"Jo\""}});
  CHECK(Fields("a@x.org,\"two\nlines\"\nb@x.org,\n") ==
        std::vector<std::vector<std::string>>{{"a@x.org", "two\nlines"}, {"b@x.org", ""}});
  // A byte order mark, blank lines and a missing last line end.
  CHECK(Fields("\xEF\xBB\xBF" "a@x.org\n\n\r\nb@x.org") ==
        std::vector<std::vector<std::string>>{{"a@x.org"}, {"b@x.org"}});
  CHECK(Fields("").empty());

  auto lines = service::ParseCsv("a\n\"b\nc\"\nd\n");
  REQUIRE(lines.ok());
  REQUIRE(lines->size() == 3);
  CHECK((*lines)[1].line == 2);
  CHECK((*lines)[2].line == 4);
}

TEST_CASE("ParseCsv refuses what is not CSV, naming the line") {
  auto unclosed = service::ParseCsv("a@x.org\n\"b@x.org,Bo\n");
  REQUIRE_FALSE(unclosed.ok());
  CHECK(unclosed.error().field == "body");
  CHECK(unclosed.error().message.find("line 2") != std::string::npos);

  auto trailing = service::ParseCsv("\"a@x.org\"x,Ann\n");
  REQUIRE_FALSE(trailing.ok());
  CHECK(trailing.error().message.find("line 1") != std::string::npos);

  CHECK_FALSE(service::ParseCsv(std::string("a@x.org\0,Ann\n", 13)).ok());
}
