// /v1/keys and /v1/otp: the native forms of GoMail's /auth/* and of its generateOtp task and
// /task/verify. Decode, call KeyService / GoMailService, encode.
#include <algorithm>

#include "http/routes.h"
#include "service/keys.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

constexpr int kDefaultOtpLength = 6;

json KeyToJson(const store::ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"role", key.role},
          {"created_at", core::FormatRfc3339(key.created_at)},
          {"expires_at", key.expires_at ? json(core::FormatRfc3339(*key.expires_at)) : json()}};
}

// Refuses members other than `allowed`, so a misspelt field is an error, not ignored.
core::Status OnlyMembers(const json& object, std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* name) { return key == name; })) {
      return core::InvalidArgument(key, "unknown field \"" + key + "\"");
    }
  }
  return {};
}

Result<std::string> StringField(const json& body, const char* name, bool required) {
  auto found = body.find(name);
  if (found == body.end() || found->is_null()) {
    if (required) return core::InvalidArgument(name, std::string(name) + " is required");
    return std::string();
  }
  if (!found->is_string()) {
    return core::InvalidArgument(name, std::string(name) + " must be a string");
  }
  return found->get<std::string>();
}

}  // namespace

void CreateKey(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"name", "role", "expires_at"}); !known.ok()) {
    return context.Problem(known.error());
  }
  service::NewKey request;
  auto name = StringField(*body, "name", true);
  if (!name.ok()) return context.Problem(name.error());
  request.name = std::move(*name);
  auto role = StringField(*body, "role", false);
  if (!role.ok()) return context.Problem(role.error());
  if (!role->empty()) request.role = std::move(*role);
  auto expires = StringField(*body, "expires_at", false);
  if (!expires.ok()) return context.Problem(expires.error());
  if (!expires->empty()) {
    core::TimeMs at = 0;
    if (!core::ParseRfc3339(*expires, &at)) {
      return context.Problem(
          core::InvalidArgument("expires_at", "expires_at must be an RFC 3339 time"));
    }
    request.expires_at = at;
  }
  auto issued = context.services.keys.Create(request);
  if (!issued.ok()) return context.Problem(issued.error());
  json answer = KeyToJson(issued->key);
  answer["key"] = issued->secret;
  context.Json(201, answer);
}

void ListKeys(Context& context) {
  auto keys = context.services.keys.List();
  if (!keys.ok()) return context.Problem(keys.error());
  json data = json::array();
  for (const auto& key : *keys) data.push_back(KeyToJson(key));
  context.Json(200, {{"data", std::move(data)}});
}

void DeleteKey(Context& context) {
  if (auto deleted = context.services.keys.Delete(context.request.matches[1]); !deleted.ok()) {
    return context.Problem(deleted.error());
  }
  context.response.status = 204;
}

void SendOtp(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"to", "length", "max_attempts"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto to = service::NormalizeUserId(body->value("to", json()), "to");
  if (!to.ok()) return context.Problem(to.error());
  int length = kDefaultOtpLength;
  if (auto found = body->find("length"); found != body->end()) {
    if (!found->is_number_integer() || *found < 4 || *found > 8) {
      return context.Problem(core::InvalidArgument("length", "length must be an integer 4 to 8"));
    }
    length = found->get<int>();
  }
  int max_attempts = 5;
  if (auto found = body->find("max_attempts"); found != body->end()) {
    if (!found->is_number_integer() || *found < 1 || *found > 50) {
      return context.Problem(
          core::InvalidArgument("max_attempts", "max_attempts must be an integer 1 to 50"));
    }
    max_attempts = found->get<int>();
  }
  auto sent =
      context.services.gomail.SendCode(*to, length, max_attempts, "otp", *context.principal);
  if (!sent.ok()) return context.Problem(sent.error());
  context.Json(202, {{"email_id", sent->email_id},
                     {"to", *to},
                     {"expires_at", core::FormatRfc3339(sent->expires_at)}});
}

void VerifyOtp(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"to", "code"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto to = service::NormalizeUserId(body->value("to", json()), "to");
  if (!to.ok()) return context.Problem(to.error());
  auto code = StringField(*body, "code", true);
  if (!code.ok()) return context.Problem(code.error());
  auto verified = context.services.gomail.VerifyCode(*to, *code);
  if (!verified.ok()) return context.Problem(verified.error());
  context.Json(200, {{"verified", *verified}});
}

}  // namespace http
