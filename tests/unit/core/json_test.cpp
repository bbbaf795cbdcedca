#include "core/json.h"

#include <doctest/doctest.h>

#include <string>

namespace {

std::string Nested(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

}  // namespace

TEST_CASE("json_depth_50000_nested_arrays_refused_without_recursion") {
  auto parsed = core::ParseJson(Nested(50000), "data");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(parsed.error().field == "data");
}

TEST_CASE("json_depth_limit_is_exactly_kMaxJsonDepth") {
  CHECK(core::ParseJson(Nested(core::kMaxJsonDepth), "data").ok());
  CHECK_FALSE(core::ParseJson(Nested(core::kMaxJsonDepth + 1), "data").ok());
}

TEST_CASE("json_depth_in_body_member_names_the_member") {
  const std::string body = R"({"to":["a@example.com"],"metadata":{"x":)" + Nested(100) + "}}";
  auto parsed = core::ParseJson(body, "body");
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().field == "metadata");
  // Outside a request body the caller's own name is kept.
  CHECK(core::ParseJson(body, "Message").error().field == "Message");
}

TEST_CASE("json_trailing_nul_and_garbage_refused") {
  using namespace std::string_literals;
  CHECK_FALSE(core::ParseJson("{}\0garbage"s, "body").ok());
  CHECK_FALSE(core::ParseJson("{}\0"s, "body").ok());
  CHECK_FALSE(core::ParseJson("{} x", "body").ok());
  CHECK_FALSE(core::ParseJson("{}\0garbage"s, "body", core::JsonSyntax::kComments).ok());
  CHECK(core::ParseJson("{} \r\n\t", "body").ok());
}

TEST_CASE("json_comments_only_under_kComments") {
  const std::string text = "/* hi */ {\"a\": 1} // trailing\n";
  CHECK_FALSE(core::ParseJson(text, "body").ok());
  auto parsed = core::ParseJson(text, "body", core::JsonSyntax::kComments);
  REQUIRE(parsed.ok());
  CHECK((*parsed)["a"] == 1);
}

TEST_CASE("json_object_required_by_ParseJsonObject") {
  CHECK(core::ParseJsonObject("{}", "data").ok());
  auto array = core::ParseJsonObject("[]", "data");
  REQUIRE_FALSE(array.ok());
  CHECK(array.error().field == "data");
  CHECK_FALSE(core::ParseJsonObject("", "data").ok());
}

TEST_CASE("json_depth_limit_can_be_raised_for_signed_content") {
  CHECK(core::ParseJson(Nested(3000), "payload", core::JsonSyntax::kStrict, 8192).ok());
  CHECK_FALSE(core::ParseJson(Nested(3000), "payload").ok());
}
