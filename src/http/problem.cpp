#include "http/problem.h"

#include <algorithm>

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

int DrfStatusFor(core::ErrorCode code) {
  return code == core::ErrorCode::kAlreadyExists ? 400 : HttpStatusFor(code);
}

nlohmann::json DrfErrorBody(const core::Error& error) {
  using nlohmann::json;
  switch (error.code) {
    case core::ErrorCode::kInvalidArgument:
    case core::ErrorCode::kAlreadyExists: {
      if (error.field.empty()) return {{"non_field_errors", {error.message}}};
      const std::size_t bracket = error.field.find('[');
      if (bracket != std::string::npos && error.field.back() == ']') {
        const std::string index = error.field.substr(bracket + 1, error.field.size() - bracket - 2);
        return {{error.field.substr(0, bracket), {{index, {error.message}}}}};
      }
      return {{error.field, {error.message}}};
    }
    case core::ErrorCode::kUnauthenticated:
      return {{"detail", error.message == "Invalid token."
                             ? error.message
                             : std::string("Authentication credentials were not provided.")}};
    case core::ErrorCode::kPermissionDenied:
      return {{"detail", "You do not have permission to perform this action."}};
    case core::ErrorCode::kNotFound: return {{"detail", "Not found."}};
    case core::ErrorCode::kResourceExhausted:
      return {{"detail", "Request was throttled. Expected available in " +
                             std::to_string(std::max(1LL, error.retry_after_seconds)) +
                             " seconds."}};
    case core::ErrorCode::kInternal: return {{"detail", "A server error occurred."}};
    case core::ErrorCode::kFailedPrecondition:
    case core::ErrorCode::kPayloadTooLarge:
    case core::ErrorCode::kUnavailable:
    case core::ErrorCode::kDeadlineExceeded: break;
  }
  return {{"detail", error.message}};
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
