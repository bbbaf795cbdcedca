// The JSON and query helpers every route file uses.
#include <algorithm>
#include <charconv>

#include "core/json.h"
#include "http/routes.h"

namespace http {

using core::Result;
using nlohmann::json;

namespace {

Result<json> ParseObject(const std::string& body, core::JsonSyntax syntax) {
  if (body.empty()) return core::InvalidArgument("body", "request body is empty; send JSON");
  return core::ParseJsonObject(body, "body", syntax);
}

}  // namespace

Result<json> ParseJsonBody(const std::string& body) {
  return ParseObject(body, core::JsonSyntax::kStrict);
}

Result<json> ParseSesJsonBody(const std::string& body) {
  return ParseObject(body, core::JsonSyntax::kComments);
}

Result<std::int64_t> QueryInteger(const std::string& text, const char* name, std::int64_t min,
                                  std::int64_t max) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < min || value > max) {
    return core::InvalidArgument(name, std::string(name) + " must be an integer from " +
                                           std::to_string(min) + " to " + std::to_string(max));
  }
  return value;
}

Result<PageQuery> DecodePageQuery(const Request& request, int default_limit, int max_limit,
                                  std::initializer_list<const char*> extra) {
  PageQuery query{"", default_limit};
  for (const auto& param : request.params) {
    // Not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
    const std::string& name = param.first;
    const std::string& value = param.second;
    if (name == "cursor") {
      query.cursor = value;
    } else if (name == "limit") {
      auto parsed = QueryInteger(value, "limit", 1, max_limit);
      if (!parsed.ok()) return parsed.error();
      query.limit = static_cast<int>(*parsed);
    } else if (std::none_of(extra.begin(), extra.end(),
                            [&](const char* allowed) { return name == allowed; })) {
      return core::InvalidArgument(name, "unknown query parameter \"" + name + "\"");
    }
  }
  return query;
}

Result<std::int64_t> IntegerMember(const json& object, const char* name, std::int64_t min,
                                   std::int64_t max, std::int64_t fallback) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) return fallback;
  // nlohmann keeps a non-negative integer as unsigned 64-bit; compare it as that, never cut.
  bool in_range = false;
  if (found->is_number_unsigned()) {
    const auto value = found->get<std::uint64_t>();
    in_range = max >= 0 && value <= static_cast<std::uint64_t>(max) &&
               (min <= 0 || value >= static_cast<std::uint64_t>(min));
  } else if (found->is_number_integer()) {
    const auto value = found->get<std::int64_t>();
    in_range = value >= min && value <= max;
  }
  if (!in_range) {
    return core::InvalidArgument(name, std::string(name) + " must be an integer from " +
                                           std::to_string(min) + " to " + std::to_string(max));
  }
  return found->get<std::int64_t>();
}

core::Status OnlyMembers(const json& object, std::initializer_list<const char*> allowed) {
  for (const auto& item : object.items()) {
    // Not a structured binding: clang 14 (the fuzz preset) cannot capture one in a lambda.
    const std::string& key = item.key();
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* name) { return key == name; })) {
      return core::InvalidArgument(key, "unknown field \"" + key + "\"");
    }
  }
  return {};
}

Result<std::string> StringMember(const json& object, const char* name, bool required) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) {
    if (required) return core::InvalidArgument(name, std::string(name) + " is required");
    return std::string();
  }
  if (!found->is_string()) {
    return core::InvalidArgument(name, std::string(name) + " must be a string");
  }
  if (required && found->get_ref<const std::string&>().empty()) {
    return core::InvalidArgument(name, std::string(name) + " must not be empty");
  }
  return found->get<std::string>();
}

nlohmann::json TimeOrNull(const std::optional<core::TimeMs>& time) {
  return time ? nlohmann::json(core::FormatRfc3339(*time)) : nlohmann::json();
}

}  // namespace http
