#include "http/problem.h"

#include <doctest/doctest.h>

TEST_CASE("error codes map to HTTP statuses") {
  using core::ErrorCode;
  const std::pair<ErrorCode, int> rows[] = {
      {ErrorCode::kInvalidArgument, 400},  {ErrorCode::kUnauthenticated, 401},
      {ErrorCode::kPermissionDenied, 403}, {ErrorCode::kNotFound, 404},
      {ErrorCode::kAlreadyExists, 409},    {ErrorCode::kFailedPrecondition, 409},
      {ErrorCode::kPayloadTooLarge, 413},  {ErrorCode::kResourceExhausted, 429},
      {ErrorCode::kInternal, 500},         {ErrorCode::kUnavailable, 503},
      {ErrorCode::kDeadlineExceeded, 504},
  };
  for (const auto& [code, status] : rows) CHECK(http::HttpStatusFor(code) == status);
}

TEST_CASE("problem bodies follow RFC 9457 and name the field") {
  auto body = http::ProblemBody(core::InvalidArgument("to[1]", "bad address"));
  CHECK(body["status"] == 400);
  CHECK(body["code"] == "invalid_argument");
  CHECK(body["field"] == "to[1]");
  CHECK(body["detail"] == "bad address");
  CHECK(body.contains("type"));
  CHECK(body.contains("title"));
  CHECK_FALSE(http::ProblemBody(core::NotFound("x")).contains("field"));
}

TEST_CASE("seed 002's error bodies are {\"error\"} and name the field") {
  CHECK(http::GinErrorBody(core::InvalidArgument("email", "email is required")) ==
        nlohmann::json{{"error", "email is required"}, {"field", "email"}});
  CHECK(http::GinErrorBody(core::NotFound("no such route")) ==
        nlohmann::json{{"error", "no such route"}});
  CHECK(http::GinErrorBody(core::InvalidArgument("email", "the address has no '@'")) ==
        nlohmann::json{{"error", "email: the address has no '@'"}, {"field", "email"}});
  core::Error throttled{core::ErrorCode::kResourceExhausted, "try again later", "email"};
  CHECK(http::GinErrorBody(throttled)["error"] == "try again later");
}
