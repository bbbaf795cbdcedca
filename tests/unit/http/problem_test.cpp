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

TEST_CASE("seed 001's DRF bodies: field errors, list items and DRF's details") {
  using core::ErrorCode;
  using nlohmann::json;
  CHECK(http::DrfErrorBody(core::InvalidArgument("name", "too long")) ==
        json{{"name", {"too long"}}});
  CHECK(
      http::DrfErrorBody(core::InvalidArgument("recipients[3]", "Enter a valid email address.")) ==
      json{{"recipients", {{"3", {"Enter a valid email address."}}}}});
  CHECK(http::DrfErrorBody(core::InvalidArgument("", "Unable to log in.")) ==
        json{{"non_field_errors", {"Unable to log in."}}});
  CHECK(http::DrfErrorBody(core::InvalidArgument("body", "never closed")) ==
        json{{"body", {"never closed"}}});
  CHECK(http::DrfErrorBody({ErrorCode::kAlreadyExists, "taken", "email"}) ==
        json{{"email", {"taken"}}});
  CHECK(http::DrfErrorBody({ErrorCode::kUnauthenticated, "Invalid token.", "Authorization"}) ==
        json{{"detail", "Invalid token."}});
  CHECK(http::DrfErrorBody({ErrorCode::kUnauthenticated, "missing API key", "Authorization"}) ==
        json{{"detail", "Authentication credentials were not provided."}});
  CHECK(http::DrfErrorBody({ErrorCode::kPermissionDenied, "admins only", ""}) ==
        json{{"detail", "You do not have permission to perform this action."}});
  CHECK(http::DrfErrorBody(core::NotFound("template 5 does not exist")) ==
        json{{"detail", "Not found."}});
  core::Error throttled{ErrorCode::kResourceExhausted, "slow down", "email"};
  throttled.retry_after_seconds = 7;
  CHECK(http::DrfErrorBody(throttled) ==
        json{{"detail", "Request was throttled. Expected available in 7 seconds."}});
  CHECK(http::DrfErrorBody(core::Internal("boom")) == json{{"detail", "A server error occurred."}});
  CHECK(http::DrfStatusFor(ErrorCode::kAlreadyExists) == 400);
  CHECK(http::DrfStatusFor(ErrorCode::kUnauthenticated) == 401);
  CHECK(http::DrfStatusFor(ErrorCode::kNotFound) == 404);
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
