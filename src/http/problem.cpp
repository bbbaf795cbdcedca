#include "http/problem.h"

namespace http {
namespace {

struct Row {
  core::ErrorCode code;
  int status;
  const char* title;
};

constexpr Row kTable[] = {
    {core::ErrorCode::kInvalidArgument, 400, "Invalid request"},
    {core::ErrorCode::kNotFound, 404, "Not found"},
    {core::ErrorCode::kAlreadyExists, 409, "Conflict"},
    {core::ErrorCode::kFailedPrecondition, 409, "Conflict with the current state"},
    {core::ErrorCode::kUnauthenticated, 401, "Unauthenticated"},
    {core::ErrorCode::kPermissionDenied, 403, "Forbidden"},
    {core::ErrorCode::kResourceExhausted, 429, "Too many requests"},
    {core::ErrorCode::kPayloadTooLarge, 413, "Payload too large"},
    {core::ErrorCode::kUnavailable, 503, "Service unavailable"},
    {core::ErrorCode::kDeadlineExceeded, 504, "Deadline exceeded"},
    {core::ErrorCode::kInternal, 500, "Internal error"},
};

const Row& Lookup(core::ErrorCode code) {
  for (const auto& row : kTable) {
    if (row.code == code) return row;
  }
  return kTable[sizeof kTable / sizeof kTable[0] - 1];
}

}  // namespace

int HttpStatusFor(core::ErrorCode code) { return Lookup(code).status; }

nlohmann::json ProblemBody(const core::Error& error) {
  const Row& row = Lookup(error.code);
  const std::string code(core::ErrorCodeName(error.code));
  nlohmann::json body = {{"type", "urn:outbox:problem:" + code},
                         {"title", row.title},
                         {"status", row.status},
                         {"detail", error.message},
                         {"code", code}};
  if (!error.field.empty()) body["field"] = error.field;
  return body;
}

nlohmann::json GoMailErrorBody(const core::Error& error) {
  return {{"status", false}, {"msg", error.message}};
}

nlohmann::json SesErrorBody(const core::Error& error, std::string_view seed_code) {
  nlohmann::json body = {{"valid", false},
                         {"msg", error.message},
                         {"code", seed_code.empty() ? core::ErrorCodeName(error.code) : seed_code}};
  if (!error.field.empty()) body["field"] = error.field;
  return body;
}

nlohmann::json GinErrorBody(const core::Error& error) {
  // Clients of this shape read "error" alone: bad input names its field there too.
  const bool name_field = error.code == core::ErrorCode::kInvalidArgument && !error.field.empty() &&
                          error.message.find(error.field) == std::string::npos;
  nlohmann::json body = {
      {"error", name_field ? error.field + ": " + error.message : error.message}};
  if (!error.field.empty()) body["field"] = error.field;
  return body;
}

}  // namespace http
