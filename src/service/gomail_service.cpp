#include "service/gomail_service.h"

#include "auth/otp.h"
#include "core/json.h"
#include "core/random.h"
#include "mail/html_text.h"

namespace service {
namespace {

using core::Result;
using nlohmann::json;

// GoMail's routes act for a signed-up user; the admin key manages, it does not send. The
// server refuses other keys before these routes run (auth::Permission::kGoMailTask); the check
// here keeps the service safe to call from elsewhere.
core::Status RequireUserKey(const auth::Principal& principal, const std::string& what) {
  if (auth::Allows(principal.role, auth::Permission::kGoMailTask)) return {};
  return core::Error{core::ErrorCode::kPermissionDenied,
                     what + " need a user key from /auth/signup; the admin key cannot use them",
                     "Authorization"};
}
constexpr std::size_t kMaxTaskNameBytes = 256;
// GoMail users' keys as stored.
std::string ClientRoleName() { return std::string(auth::RoleName(auth::Role::kClient)); }

core::Error Invalid(const std::string& field, const std::string& message) {
  return core::InvalidArgument(field, message);
}

// The member `name` of `object` if present and not null.
const json* Member(const json& object, const char* name) {
  auto found = object.find(name);
  if (found == object.end() || found->is_null()) return nullptr;
  return &*found;
}

Result<std::string> RequiredString(const json& object, const char* name, const std::string& what) {
  const json* value = Member(object, name);
  if (value == nullptr) return Invalid(name, what + " is required");
  if (!value->is_string()) return Invalid(name, what + " must be a string");
  std::string text = value->get<std::string>();
  if (text.empty()) return Invalid(name, what + " must not be empty");
  return text;
}

// The member `name` as a string, or "" if absent or null. kInvalidArgument if not a string.
Result<std::string> OptionalString(const json& object, const char* name) {
  const json* value = Member(object, name);
  if (value == nullptr) return std::string();
  if (!value->is_string()) return Invalid(name, std::string(name) + " must be a string");
  return value->get<std::string>();
}

Result<std::string> ContentTypeName(const json& object) {
  auto name = RequiredString(object, "content_type", "content_type");
  if (!name.ok()) return name.error();
  auto valid = ValidateContentTypeName(*name);
  if (!valid.ok()) return valid.error();
  return name;
}

Result<int> RequiredInteger(const json& object, const char* name, int min, int max) {
  const std::string range = std::string(name) + " must be an integer from " + std::to_string(min) +
                            " to " + std::to_string(max);
  const json* value = Member(object, name);
  if (value == nullptr) return Invalid(name, std::string(name) + " is required; " + range);
  if (!value->is_number_integer()) return Invalid(name, range);
  const auto number = value->get<std::int64_t>();
  if (number < min || number > max) return Invalid(name, range);
  return static_cast<int>(number);
}

const char* TaskTypeName(TaskType type) {
  switch (type) {
    case TaskType::kMessage: return "message";
    case TaskType::kGenerateOtp: return "generateOtp";
    case TaskType::kSubscribe: return "subscribe";
    case TaskType::kUnsubscribe: return "unsubscribe";
  }
  return "message";
}

}  // namespace

Result<store::ContentType> ParseContentTypeBody(const json& body) {
  if (!body.is_object()) return Invalid("body", "request body must be a JSON object");
  auto name = ContentTypeName(body);
  if (!name.ok()) return name.error();
  auto subject = RequiredString(body, "subject", "subject");
  if (!subject.ok()) return subject.error();
  auto content = RequiredString(body, "content", "content");
  if (!content.ok()) return content.error();
  store::ContentType type;
  type.name = std::move(*name);
  type.subject = std::move(*subject);
  type.content = std::move(*content);
  return type;
}

Result<GoMailTask> ParseGoMailTask(const json& body) {
  if (!body.is_object()) return Invalid("body", "request body must be a JSON object");
  GoMailTask task;
  auto name = RequiredString(body, "task", "task");
  if (!name.ok()) return name.error();
  if (name->size() > kMaxTaskNameBytes) {
    return Invalid("task", "task must be at most 256 characters");
  }
  task.task = std::move(*name);

  auto type = RequiredString(body, "type", "type");
  if (!type.ok()) return type.error();
  bool known = false;
  for (TaskType candidate :
       {TaskType::kMessage, TaskType::kGenerateOtp, TaskType::kSubscribe, TaskType::kUnsubscribe}) {
    if (*type == TaskTypeName(candidate)) {
      task.type = candidate;
      known = true;
    }
  }
  if (!known) {
    return Invalid("type", "type must be one of generateOtp, message, subscribe, unsubscribe");
  }

  auto retries = RequiredInteger(body, "retries", 0, kMaxGoMailRetries);
  if (!retries.ok()) return retries.error();
  task.retries = *retries;

  const json* payload = Member(body, "payload");
  if (payload == nullptr) return Invalid("payload", "payload is required");
  if (!payload->is_object()) return Invalid("payload", "payload must be an object");

  const json* user_id = Member(*payload, "userId");
  auto recipient = NormalizeUserId(user_id == nullptr ? json() : *user_id, "userId");
  if (!recipient.ok()) return recipient.error();
  task.user_id = std::move(*recipient);

  switch (task.type) {
    case TaskType::kGenerateOtp: {
      auto length = RequiredInteger(*payload, "length", auth::kMinOtpDigits, auth::kMaxOtpDigits);
      if (!length.ok()) return length.error();
      task.length = *length;
      break;
    }
    case TaskType::kMessage: {
      auto subject = RequiredString(*payload, "subject", "subject");
      if (!subject.ok()) return subject.error();
      auto content = RequiredString(*payload, "content", "content");
      if (!content.ok()) return content.error();
      task.subject = std::move(*subject);
      task.content = std::move(*content);
      break;
    }
    case TaskType::kSubscribe: {
      // Optional: they create the content type when it does not exist yet.
      auto subject = OptionalString(*payload, "subject");
      if (!subject.ok()) return subject.error();
      auto content = OptionalString(*payload, "content");
      if (!content.ok()) return content.error();
      task.subject = std::move(*subject);
      task.content = std::move(*content);
      auto frequency = RequiredString(*payload, "frequency", "frequency");
      if (!frequency.ok()) return frequency.error();
      if (*frequency != "@hourly" && *frequency != "@daily" && *frequency != "@weekly" &&
          *frequency != "@monthly") {
        return Invalid("frequency", "frequency must be one of @hourly, @daily, @weekly, @monthly");
      }
      task.frequency = std::move(*frequency);
      [[fallthrough]];
    }
    case TaskType::kUnsubscribe: {
      auto content_type = ContentTypeName(*payload);
      if (!content_type.ok()) return content_type.error();
      task.content_type = std::move(*content_type);
      break;
    }
  }
  return task;
}

std::string DropTrailingCommas(std::string_view json_text) {
  std::string out;
  out.reserve(json_text.size());
  bool in_string = false;
  bool escaped = false;
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const char c = json_text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ',') {
      std::size_t next = json_text.find_first_not_of(" \t\r\n", i + 1);
      if (next != std::string_view::npos && (json_text[next] == '}' || json_text[next] == ']')) {
        continue;
      }
    }
    out += c;
  }
  return out;
}

Result<json> ParseGoMailJson(std::string_view body) {
  if (body.empty()) return Invalid("body", "request body is empty; send JSON");
  return core::ParseJsonObject(DropTrailingCommas(body), "body");
}

Result<std::string> GoMailService::Signup(const json& body) {
  auto id = NormalizeUserId(body.is_object() && body.contains("id") ? body["id"] : json(), "id");
  if (!id.ok()) return id.error();
  const core::TimeMs now = clock_.NowMs();
  const std::string key_id = "key_" + core::RandomHex(8);
  std::string token = user_keys_.Sign(*id, key_id, now);
  store::ApiKey key{key_id, *id, auth::HashKey(token), ClientRoleName(), now, std::nullopt};
  auto created = store_.CreateApiKey(key);
  if (!created.ok()) {
    if (created.error().code == core::ErrorCode::kAlreadyExists) {
      return core::Error{core::ErrorCode::kAlreadyExists,
                         "user is already registered; deregister first to get a new key", "id"};
    }
    return created.error();
  }
  return token;
}

core::Status GoMailService::Deregister(const json& body, const auth::Principal& principal) {
  auto id = NormalizeUserId(body.is_object() && body.contains("id") ? body["id"] : json(), "id");
  if (!id.ok()) return id.error();
  // Administrators deregister anyone; a user key only its own user.
  if (!auth::Allows(principal.role, auth::Permission::kAdminister)) {
    auto own = store_.FindApiKeyById(principal.key_id);
    if (!own.ok() && own.error().code != core::ErrorCode::kNotFound) return own.error();
    if (!own.ok() || own->role != ClientRoleName() || own->name != *id) {
      return core::Error{core::ErrorCode::kPermissionDenied,
                         "a key may only deregister its own user", "id"};
    }
  }
  auto deleted = store_.DeleteApiKeysByName(*id, ClientRoleName());
  if (!deleted.ok()) return deleted.error();
  if (deleted->empty()) return core::NotFound("user is not registered");
  for (const auto& key : *deleted) api_keys_.Forget(key.key_hash);
  return {};
}

core::Status GoMailService::Enqueue(const GoMailTask& task, const auth::Principal& principal) {
  if (auto refused = RequireUserKey(principal, "tasks"); !refused.ok()) return refused;
  switch (task.type) {
    case TaskType::kMessage: return SendMessage(task, principal);
    case TaskType::kGenerateOtp: return SendOtp(task, principal);
    case TaskType::kSubscribe: return Subscribe(task);
    case TaskType::kUnsubscribe: return Unsubscribe(task);
  }
  return core::Internal("unknown task type");
}

core::Status GoMailService::Subscribe(const GoMailTask& task) {
  SubscriptionRequest subscription;
  subscription.list = task.content_type;
  subscription.email = task.user_id;
  subscription.frequency = task.frequency;
  subscription.subject = task.subject;
  subscription.content = task.content;
  auto subscribed = newsletters_.Subscribe(subscription);
  if (subscribed.ok()) return {};
  if (subscribed.error().code != core::ErrorCode::kNotFound) return subscribed.error();
  // The content type does not exist and cannot be created from this payload.
  std::string missing;
  if (task.subject.empty()) missing = "subject";
  if (task.content.empty()) missing += missing.empty() ? "content" : " and content";
  const std::string field = task.subject.empty() ? "subject" : "content";
  return Invalid(field, "content type '" + task.content_type +
                            "' does not exist; the payload needs subject and content to create it "
                            "(missing: " +
                            missing + ")");
}

core::Status GoMailService::Unsubscribe(const GoMailTask& task) {
  auto removed = newsletters_.Unsubscribe(task.content_type, task.user_id);
  // Not subscribed: still a success, as in GoMail, which answers before its worker looks.
  if (!removed.ok() && removed.error().code != core::ErrorCode::kNotFound) return removed.error();
  return {};
}

core::Status GoMailService::CreateContentType(const json& body, const auth::Principal& principal) {
  if (auto refused = RequireUserKey(principal, "content types"); !refused.ok()) return refused;
  auto type = ParseContentTypeBody(body);
  if (!type.ok()) return type.error();
  auto created = newsletters_.CreateList(*type);
  if (created.ok()) return {};
  if (created.error().code == core::ErrorCode::kAlreadyExists) {
    return core::Error{core::ErrorCode::kAlreadyExists,
                       "content type '" + type->name + "' already exists; use PUT to update it",
                       "content_type"};
  }
  return created.error();
}

core::Status GoMailService::UpdateContentType(const json& body, const auth::Principal& principal) {
  if (auto refused = RequireUserKey(principal, "content types"); !refused.ok()) return refused;
  auto type = ParseContentTypeBody(body);
  if (!type.ok()) return type.error();
  auto updated = newsletters_.UpdateList(*type);
  if (updated.ok()) return {};
  if (updated.error().code == core::ErrorCode::kNotFound) {
    return core::Error{core::ErrorCode::kNotFound,
                       "content type '" + type->name + "' does not exist; create it with POST",
                       "content_type"};
  }
  return updated.error();
}

core::Status GoMailService::SendMessage(const GoMailTask& task, const auth::Principal& principal) {
  if (options_.default_from.empty()) {
    return core::Unavailable(
        "no sender is configured: set --default-from (or an --smtp-user that is an address)");
  }
  SendEmailRequest request;
  request.to = {task.user_id};
  request.subject = task.subject;
  request.html = task.content;
  request.text = mail::HtmlToText(task.content);
  request.max_attempts = task.retries + 1;
  request.tags = {"gomail", TaskTypeName(task.type)};
  request.metadata = {{"task", task.task}};
  auto sent = emails_.Send(std::move(request), principal, std::nullopt);
  if (!sent.ok()) return sent.error();
  return {};
}

core::Status GoMailService::SendOtp(const GoMailTask& task, const auth::Principal& principal) {
  auto sent = otp_.Send(task.user_id, task.length, task.retries + 1, task.task, principal);
  if (!sent.ok()) return sent.error();
  return {};
}

Result<bool> GoMailService::Verify(const json& body, const auth::Principal& principal) {
  if (!body.is_object()) return Invalid("body", "request body must be a JSON object");
  auto recipient =
      NormalizeUserId(body.contains("userEmail") ? body["userEmail"] : json(), "userEmail");
  if (!recipient.ok()) return recipient.error();
  const json* otp = Member(body, "otp");
  if (otp == nullptr) return Invalid("otp", "otp is required");
  if (!otp->is_string()) return Invalid("otp", "otp must be a string of digits");
  return otp_.Verify(principal, *recipient, otp->get<std::string>());
}

Result<GoMailMetrics> GoMailService::Metrics() {
  auto stats = jobs_.Stats(clock_.NowMs());
  if (!stats.ok()) return stats.error();
  return GoMailMetrics{stats->sent_total + stats->failed_total, stats->sent_total,
                       stats->failed_total};
}

}  // namespace service
