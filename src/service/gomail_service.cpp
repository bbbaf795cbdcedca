#include "service/gomail_service.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "auth/jwt.h"
#include "auth/otp.h"
#include "core/random.h"
#include "mail/message.h"
#include "service/keys.h"

namespace service {
namespace {

using core::Result;
using nlohmann::json;

// GoMail's routes act for a signed-up user; the admin key manages, it does not send.
core::Status RequireUserKey(const auth::Principal& principal, const std::string& what) {
  if (principal.role == kClientRole) return {};
  return core::Error{core::ErrorCode::kPermissionDenied,
                     what + " need a user key from /auth/signup; the admin key cannot use them",
                     "Authorization"};
}
constexpr std::size_t kMaxTaskNameBytes = 256;
// 32 random bytes, hex-encoded: the HS256 key (RFC 7518 wants at least 256 bits).
constexpr std::size_t kSecretBytes = 32;

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

std::string Lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool LooksLikeJwt(std::string_view token) {
  return std::count(token.begin(), token.end(), '.') == 2;
}

// "10 minutes", "45 seconds": how long a code lives, for the mail.
std::string Duration(core::TimeMs ms) {
  if (ms >= 60'000 && ms % 60'000 == 0) {
    const auto minutes = ms / 60'000;
    return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
  }
  const auto seconds = std::max<core::TimeMs>(1, ms / 1000);
  return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

}  // namespace

core::Status ValidateContentTypeName(const std::string& name) {
  const bool allowed = std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
  if (name.empty() || name.size() > kMaxContentTypeName || !allowed) {
    return Invalid("content_type",
                   "content_type must be 1 to 128 characters of letters, digits, '_', '.' or '-'");
  }
  return {};
}

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

Result<std::string> NormalizeUserId(const json& value, const std::string& field) {
  if (value.is_null()) return Invalid(field, field + " is required (an email address)");
  if (!value.is_string()) return Invalid(field, field + " must be a string (an email address)");
  const std::string text = value.get<std::string>();
  auto parsed = mail::ParseAddress(text, field);
  if (!parsed.ok() || !parsed->display_name.empty() || parsed->address != text) {
    return Invalid(field, field + " must be a valid email address");
  }
  return Lower(parsed->address);
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

std::string HtmlToText(std::string_view html) {
  std::string text;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      const std::size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;  // an unterminated tag: drop the rest
      std::string tag;
      for (std::size_t j = i + 1; j < end; ++j) {
        const char t = html[j];
        if (t == '/' && tag.empty()) continue;
        if (!std::isalnum(static_cast<unsigned char>(t))) break;
        tag += static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      }
      static constexpr std::string_view kBlocks[] = {"br", "p",  "div", "h1", "h2", "h3", "h4",
                                                     "h5", "h6", "li",  "tr", "ul", "ol", "table"};
      for (std::string_view block : kBlocks) {
        if (tag == block) {
          text += '\n';
          break;
        }
      }
      i = end + 1;
      continue;
    }
    if (c == '&') {
      static constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
          {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},   {"&quot;", "\""},
          {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "},
      };
      bool decoded = false;
      for (const auto& [entity, replacement] : kEntities) {
        if (html.substr(i, entity.size()) == entity) {
          text += replacement;
          i += entity.size();
          decoded = true;
          break;
        }
      }
      if (decoded) continue;
    }
    text += c;
    ++i;
  }
  // Collapse blank space: one space inside a line, no blank lines at the ends, at most one
  // empty line in between.
  std::string out;
  std::string line;
  int pending_newlines = 0;
  auto flush = [&] {
    std::size_t start = line.find_first_not_of(' ');
    std::size_t stop = line.find_last_not_of(' ');
    if (start == std::string::npos) {
      if (!out.empty()) ++pending_newlines;
    } else {
      if (!out.empty()) out.append(pending_newlines > 1 ? "\n\n" : "\n");
      out += line.substr(start, stop - start + 1);
      pending_newlines = 1;
    }
    line.clear();
  };
  for (char c : text) {
    if (c == '\n') {
      flush();
    } else if (c == ' ' || c == '\t' || c == '\r') {
      if (!line.empty() && line.back() != ' ') line += ' ';
    } else {
      line += c;
    }
  }
  flush();
  return out;
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
  json parsed = json::parse(DropTrailingCommas(body), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Invalid("body", "request body is not valid JSON");
  if (!parsed.is_object()) return Invalid("body", "request body must be a JSON object");
  return parsed;
}

Result<std::unique_ptr<GoMailService>> GoMailService::Create(
    const GoMailOptions& options, store::AccessStore& store, store::JobQueue& jobs,
    EmailService& emails, NewsletterService& newsletters, const auth::Authenticator& authenticator,
    const core::Clock& clock) {
  auto jwt_secret = store.GetOrCreateSetting("jwt_secret", core::RandomHex(kSecretBytes));
  if (!jwt_secret.ok()) return jwt_secret.error();
  auto otp_secret = store.GetOrCreateSetting("otp_secret", core::RandomHex(kSecretBytes));
  if (!otp_secret.ok()) return otp_secret.error();
  return std::unique_ptr<GoMailService>(
      new GoMailService(options, store, jobs, emails, newsletters, authenticator, clock,
                        std::move(*jwt_secret), std::move(*otp_secret)));
}

Result<auth::Principal> GoMailService::Authenticate(std::string_view authorization) const {
  const std::string_view token = auth::StripBearer(authorization);
  std::optional<json> claims;
  if (LooksLikeJwt(token)) {
    auth::VerifyOptions verify;
    verify.require_exp = false;
    auto verified = auth::VerifyHs256(token, jwt_secret_, clock_.NowMs(), verify);
    if (!verified.ok()) return verified.error();
    claims = std::move(*verified);
  }
  auto principal = authenticator_.Authenticate(token);
  if (!principal.ok()) return principal.error();
  if (claims.has_value()) {
    const json* jti = claims->is_object() ? Member(*claims, "jti") : nullptr;
    if (jti == nullptr || !jti->is_string() || jti->get<std::string>() != principal->key_id) {
      return core::Error{core::ErrorCode::kUnauthenticated, "invalid API key", "Authorization"};
    }
  }
  return principal;
}

Result<std::string> GoMailService::Signup(const json& body) {
  auto id = NormalizeUserId(body.is_object() && body.contains("id") ? body["id"] : json(), "id");
  if (!id.ok()) return id.error();
  const core::TimeMs now = clock_.NowMs();
  const std::string key_id = "key_" + core::RandomHex(8);
  const json claims = {{"sub", *id}, {"jti", key_id}, {"iat", now / 1000}};
  std::string token = auth::SignHs256(claims, jwt_secret_);
  store::ApiKey key{key_id, *id, auth::HashKey(token), kClientRole, now, std::nullopt};
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
  if (principal.role != "admin") {
    auto own = store_.FindApiKeyById(principal.key_id);
    if (!own.ok() && own.error().code != core::ErrorCode::kNotFound) return own.error();
    if (!own.ok() || own->role != kClientRole || own->name != *id) {
      return core::Error{core::ErrorCode::kPermissionDenied,
                         "a key may only deregister its own user", "id"};
    }
  }
  auto deleted = store_.DeleteApiKeysByName(*id, kClientRole);
  if (!deleted.ok()) return deleted.error();
  if (deleted->empty()) return core::NotFound("user is not registered");
  for (const auto& key : *deleted) authenticator_.Forget(key.key_hash);
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
  if (!created.ok() && created.error().code == core::ErrorCode::kAlreadyExists) {
    return core::Error{core::ErrorCode::kAlreadyExists,
                       "content type '" + type->name + "' already exists; use PUT to update it",
                       "content_type"};
  }
  return created;
}

core::Status GoMailService::UpdateContentType(const json& body, const auth::Principal& principal) {
  if (auto refused = RequireUserKey(principal, "content types"); !refused.ok()) return refused;
  auto type = ParseContentTypeBody(body);
  if (!type.ok()) return type.error();
  auto updated = newsletters_.UpdateList(*type);
  if (!updated.ok() && updated.error().code == core::ErrorCode::kNotFound) {
    return core::Error{core::ErrorCode::kNotFound,
                       "content type '" + type->name + "' does not exist; create it with POST",
                       "content_type"};
  }
  return updated;
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
  request.text = HtmlToText(task.content);
  request.max_attempts = task.retries + 1;
  request.tags = {"gomail", TaskTypeName(task.type)};
  request.metadata = {{"task", task.task}};
  auto sent = emails_.Send(request, principal, std::nullopt);
  if (!sent.ok()) return sent.error();
  return {};
}

core::Status GoMailService::SendOtp(const GoMailTask& task, const auth::Principal& principal) {
  auto sent = SendCode(task.user_id, task.length, task.retries + 1, task.task, principal);
  if (!sent.ok()) return sent.error();
  return {};
}

Result<OtpSent> GoMailService::SendCode(const std::string& recipient, int length, int max_attempts,
                                        const std::string& task_name,
                                        const auth::Principal& principal) {
  if (options_.default_from.empty()) {
    return core::Unavailable(
        "no sender is configured: set --default-from (or an --smtp-user that is an address)");
  }
  const core::TimeMs now = clock_.NowMs();
  const std::string code = auth::GenerateOtp(length);
  store::OtpRecord record;
  record.recipient = recipient;
  record.code_hash = auth::HashOtp(code, recipient, otp_secret_);
  record.expires_at = now + options_.otp_ttl_ms;
  record.created_at = now;
  record.last_sent_at = now;
  auto stored = store_.PutOtp(record, options_.otp_resend_interval_ms);
  if (!stored.ok()) return stored.error();

  const std::string validity = Duration(options_.otp_ttl_ms);
  SendEmailRequest request;
  request.to = {recipient};
  request.subject = "Your verification code";
  request.text = "Your verification code is " + code + ".\n\nIt expires in " + validity +
                 ". If you did not ask for it, ignore this message.\n";
  request.html = "<p>Your verification code is <b>" + code + "</b>.</p><p>It expires in " +
                 validity + ". If you did not ask for it, ignore this message.</p>";
  request.max_attempts = max_attempts;
  request.tags = {"otp"};
  request.metadata = {{"task", task_name}};
  auto sent = emails_.Send(request, principal, std::nullopt);
  if (!sent.ok()) return sent.error();
  return OtpSent{json::parse(sent->body).value("id", ""), record.expires_at};
}

Result<bool> GoMailService::Verify(const json& body) {
  if (!body.is_object()) return Invalid("body", "request body must be a JSON object");
  auto recipient =
      NormalizeUserId(body.contains("userEmail") ? body["userEmail"] : json(), "userEmail");
  if (!recipient.ok()) return recipient.error();
  const json* otp = Member(body, "otp");
  if (otp == nullptr) return Invalid("otp", "otp is required");
  if (!otp->is_string()) return Invalid("otp", "otp must be a string of digits");
  return VerifyCode(*recipient, otp->get<std::string>());
}

Result<bool> GoMailService::VerifyCode(const std::string& recipient, const std::string& code) {
  const core::TimeMs now = clock_.NowMs();
  auth::OtpCheck check = auth::OtpCheck::kNone;
  auto verified = store_.VerifyOtp(recipient, [&](const store::OtpRecord* record) {
    if (record == nullptr) {
      check = auth::CheckOtp(nullptr, code, recipient, otp_secret_, now);
    } else {
      auth::OtpState state{record->code_hash, record->expires_at, record->failed_attempts,
                           record->used};
      check = auth::CheckOtp(&state, code, recipient, otp_secret_, now);
    }
    switch (check) {
      case auth::OtpCheck::kVerified: return store::OtpWrite::kMarkUsed;
      case auth::OtpCheck::kWrong: return store::OtpWrite::kCountFailure;
      default: return store::OtpWrite::kNothing;
    }
  });
  if (!verified.ok()) return verified.error();
  return check == auth::OtpCheck::kVerified;
}

Result<GoMailMetrics> GoMailService::Metrics() {
  auto stats = jobs_.Stats(clock_.NowMs());
  if (!stats.ok()) return stats.error();
  return GoMailMetrics{stats->sent_total + stats->failed_total, stats->sent_total,
                       stats->failed_total};
}

}  // namespace service
