// /v1/keys and /v1/otp: the native forms of GoMail's /auth/* and of its generateOtp task and
// /task/verify, and the SES-compatible /server/api/*. Decode, call KeyService / OtpService,
// encode.
#include <algorithm>

#include "auth/duration.h"
#include "http/routes.h"
#include "service/keys.h"
#include "service/otp.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

constexpr int kDefaultOtpLength = 6;

// Never the secret or its hash: `hint` is the secret's last characters, to tell keys apart (null
// for keys older than hints).
json KeyToJson(const store::ApiKey& key) {
  return {{"id", key.id},
          {"name", key.name},
          {"role", key.role},
          {"hint", key.key_hint.empty() ? json() : json(key.key_hint)},
          {"callback_url", key.callback_url.empty() ? json() : json(key.callback_url)},
          {"created_at", core::FormatRfc3339(key.created_at)},
          {"expires_at", key.expires_at ? json(core::FormatRfc3339(*key.expires_at)) : json()}};
}

}  // namespace

void CreateKey(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"name", "role", "expires_at", "callback_url"});
      !known.ok()) {
    return context.Problem(known.error());
  }
  service::NewKey request;
  auto name = StringMember(*body, "name", true);
  if (!name.ok()) return context.Problem(name.error());
  request.name = std::move(*name);
  auto role = StringMember(*body, "role", false);
  if (!role.ok()) return context.Problem(role.error());
  if (!role->empty()) {
    // Keys act for applications, or read (a viewer key, for monitoring); managers and customers
    // are people only.
    const std::optional<auth::Role> parsed = auth::ParseRole(*role);
    if (!parsed.has_value() || *parsed == auth::Role::kManager ||
        *parsed == auth::Role::kCustomer) {
      return context.Problem(core::InvalidArgument(
          "role", "role must be \"admin\", \"client\", \"sender\" or \"viewer\""));
    }
    request.role = *parsed;
  }
  auto callback_url = StringMember(*body, "callback_url", false);
  if (!callback_url.ok()) return context.Problem(callback_url.error());
  request.callback_url = std::move(*callback_url);
  auto expires = StringMember(*body, "expires_at", false);
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
  auto sent = context.services.otp.Send(*to, length, max_attempts, "otp", *context.principal);
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
  auto code = StringMember(*body, "code", true);
  if (!code.ok()) return context.Problem(code.error());
  auto verified = context.services.otp.Verify(*context.principal, *to, *code);
  if (!verified.ok()) return context.Problem(verified.error());
  context.Json(200, {{"verified", *verified}});
}

void SesCreateKey(Context& context) {
  auto body = ParseSesJsonBody(context.request.body);
  if (!body.ok()) return context.SesError(body.error());
  service::NewKey request;
  request.role = auth::Role::kSender;
  auto name = StringMember(*body, "api_name", true);
  if (!name.ok()) return context.SesError(name.error());
  request.name = std::move(*name);
  auto url = StringMember(*body, "return_api", true);
  if (!url.ok()) return context.SesError(url.error());
  if (auto valid = service::ValidateCallbackUrl(*url, "return_api"); !valid.ok()) {
    return context.SesError(valid.error());
  }
  request.callback_url = std::move(*url);
  auto temporary = body->find("temporary");
  if (temporary != body->end() && !temporary->is_boolean()) {
    return context.SesError(core::InvalidArgument("temporary", "temporary must be true or false"));
  }
  if (temporary != body->end() && temporary->get<bool>()) {
    auto duration = StringMember(*body, "duration", true);
    if (!duration.ok()) return context.SesError(duration.error());
    auto length = auth::ParseKeyDuration(*duration);
    if (!length.ok()) return context.SesError(length.error());
    request.lifetime_ms = *length;
  }
  auto issued = context.services.keys.Create(request);
  if (!issued.ok()) return context.SesError(issued.error());
  const store::ApiKey& key = issued->key;
  context.Json(
      200, {{"api_name", key.name},
            {"api_key", issued->secret},
            {"return_api", key.callback_url},
            {"expire_date", key.expires_at ? json(core::FormatRfc3339(*key.expires_at)) : json()},
            {"valid", true}});
}

void SesDeleteKey(Context& context) {
  auto body = ParseSesJsonBody(context.request.body);
  if (!body.ok()) return context.SesError(body.error());
  auto name = StringMember(*body, "api_name", false);
  if (!name.ok()) return context.SesError(name.error());
  auto secret = StringMember(*body, "api_key", false);
  if (!secret.ok()) return context.SesError(secret.error());
  if (name->empty() == secret->empty()) {
    return context.SesError(core::InvalidArgument("api_name", "send either api_name or api_key"));
  }
  auto& keys = context.services.keys;
  auto deleted = name->empty() ? keys.DeleteBySecret(*secret) : keys.DeleteSenderByName(*name);
  if (!deleted.ok()) return context.SesError(deleted.error());
  context.Json(200, {{"valid", true}});
}

}  // namespace http
