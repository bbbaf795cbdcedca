// /v1/emails: decode the JSON request, call the EmailService, encode the answer.
#include <algorithm>
#include <cctype>

#include "auth/jwt.h"
#include "core/log.h"
#include "core/random.h"
#include "http/routes.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

Result<std::string> GetString(const json& value, const std::string& field) {
  if (!value.is_string()) return core::InvalidArgument(field, field + " must be a string");
  return value.get<std::string>();
}

// The string, moved out of `value` (the parsed body is not read again): no copy per field.
Result<std::string> TakeString(json& value, const std::string& field) {
  if (!value.is_string()) return core::InvalidArgument(field, field + " must be a string");
  return std::move(value.get_ref<std::string&>());
}

// A list of strings; a single string counts as a list of one. Moved out of `value`.
Result<std::vector<std::string>> TakeStringList(json& value, const std::string& field) {
  if (value.is_string()) return std::vector<std::string>{std::move(value.get_ref<std::string&>())};
  if (!value.is_array()) {
    return core::InvalidArgument(field, field + " must be a string or an array of strings");
  }
  std::vector<std::string> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      const std::string item = field + "[" + std::to_string(i) + "]";
      return core::InvalidArgument(item, item + " must be a string");
    }
    out.push_back(std::move(value[i].get_ref<std::string&>()));
  }
  return out;
}

// [{"filename", "content_type"?, "content": base64}, ...]
Result<std::vector<mail::Attachment>> DecodeAttachments(const json& value) {
  if (!value.is_array()) {
    return core::InvalidArgument("attachments", "attachments must be an array of objects");
  }
  std::vector<mail::Attachment> attachments;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string field = "attachments[" + std::to_string(i) + "]";
    const json& item = value[i];
    if (!item.is_object()) return core::InvalidArgument(field, field + " must be an object");
    mail::Attachment attachment;
    for (const auto& [key, member] : item.items()) {
      auto text = GetString(member, field + "." + key);
      if (!text.ok()) return text.error();
      if (key == "filename") {
        attachment.filename = std::move(*text);
      } else if (key == "content_type") {
        attachment.content_type = std::move(*text);
      } else if (key == "content") {
        auto bytes = auth::Base64Decode(*text);
        if (!bytes.ok()) {
          return core::InvalidArgument(field + ".content", "content must be standard base64");
        }
        attachment.data = std::move(*bytes);
      } else {
        return core::InvalidArgument(field + "." + key, "unknown field \"" + key + "\"");
      }
    }
    attachments.push_back(std::move(attachment));
  }
  return attachments;
}

// Takes the strings and objects out of `body` as it goes (moves, not copies).
Result<service::SendEmailRequest> DecodeSendEmail(json& body) {
  service::SendEmailRequest request;
  for (auto& [key, value] : body.items()) {
    if (value.is_null()) continue;  // explicit null = absent
    core::Status status;
    if (key == "from" || key == "reply_to" || key == "subject" || key == "text" || key == "html") {
      auto text = TakeString(value, key);
      if (!text.ok()) return text.error();
      std::string* target = key == "from"       ? &request.from
                            : key == "reply_to" ? &request.reply_to
                            : key == "subject"  ? &request.subject
                            : key == "text"     ? &request.text
                                                : &request.html;
      *target = std::move(*text);
    } else if (key == "to" || key == "cc" || key == "bcc" || key == "tags") {
      if (key == "tags" && !value.is_array()) {
        return core::InvalidArgument(key, "tags must be an array of strings");
      }
      auto list = TakeStringList(value, key);
      if (!list.ok()) return list.error();
      auto* target = key == "to"    ? &request.to
                     : key == "cc"  ? &request.cc
                     : key == "bcc" ? &request.bcc
                                    : &request.tags;
      *target = std::move(*list);
    } else if (key == "headers") {
      if (!value.is_object()) return core::InvalidArgument(key, "headers must be an object");
      for (const auto& [name, header_value] : value.items()) {
        auto text = GetString(header_value, "headers." + name);
        if (!text.ok()) return text.error();
        request.headers.emplace_back(name, std::move(*text));
      }
    } else if (key == "send_at") {
      auto text = GetString(value, key);
      if (!text.ok()) return text.error();
      core::TimeMs at = 0;
      if (!core::ParseRfc3339(*text, &at)) {
        return core::InvalidArgument(key,
                                     "send_at must be an RFC 3339 time, e.g. "
                                     "2026-11-23T09:00:00Z");
      }
      request.send_at = at;
    } else if (key == "metadata") {
      if (!value.is_object()) return core::InvalidArgument(key, "metadata must be an object");
      request.metadata = std::move(value);
    } else if (key == "max_attempts") {
      if (!value.is_number_integer()) {
        return core::InvalidArgument(key, "max_attempts must be an integer");
      }
      const auto attempts = value.get<std::int64_t>();
      if (attempts < 1 || attempts > 50) {
        return core::InvalidArgument(key, "max_attempts must be between 1 and 50");
      }
      request.max_attempts = static_cast<int>(attempts);
    } else if (key == "priority") {
      auto text = GetString(value, key);
      if (!text.ok()) return text.error();
      if (*text == "transactional") {
        request.priority = store::kPriorityTransactional;
      } else if (*text == "bulk") {
        request.priority = store::kPriorityBulk;
      } else {
        return core::InvalidArgument(key, "priority must be \"transactional\" or \"bulk\"");
      }
    } else if (key == "template") {
      auto name = TakeString(value, key);
      if (!name.ok()) return name.error();
      request.template_name = std::move(*name);
    } else if (key == "data") {
      if (!value.is_object()) return core::InvalidArgument(key, "data must be an object");
      request.template_data = std::move(value);
    } else if (key == "attachments") {
      auto attachments = DecodeAttachments(value);
      if (!attachments.ok()) return attachments.error();
      request.attachments = std::move(*attachments);
    } else {
      return core::InvalidArgument(key, "unknown field \"" + key + "\"");
    }
  }
  if (!request.template_name.empty() && (!request.html.empty() || !request.text.empty())) {
    return core::InvalidArgument("template", "send either a template or html/text, not both");
  }
  return request;
}

Result<std::optional<service::Idempotency>> DecodeIdempotency(const Request& request) {
  if (!request.has_header("Idempotency-Key")) return std::optional<service::Idempotency>();
  std::string key = request.get_header_value("Idempotency-Key");
  if (key.empty() || key.size() > 255) {
    return core::InvalidArgument("Idempotency-Key", "Idempotency-Key must be 1-255 characters");
  }
  for (unsigned char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return core::InvalidArgument("Idempotency-Key",
                                   "Idempotency-Key must be printable ASCII without spaces");
    }
  }
  return std::optional<service::Idempotency>(
      service::Idempotency{std::move(key), core::Sha256Hex(request.body)});
}

// Refuses query parameters other than `allowed`: a typo is an error, not ignored.
core::Status OnlyParams(const Request& request, std::initializer_list<const char*> allowed) {
  for (const auto& param : request.params) {
    const std::string& name = param.first;
    if (std::none_of(allowed.begin(), allowed.end(),
                     [&](const char* known) { return name == known; })) {
      return core::InvalidArgument(name, "unknown query parameter \"" + name + "\"");
    }
  }
  return {};
}

Result<std::optional<core::TimeMs>> QueryTime(const Request& request, const char* name) {
  if (!request.has_param(name)) return std::optional<core::TimeMs>();
  core::TimeMs at = 0;
  if (!core::ParseRfc3339(request.get_param_value(name), &at)) {
    return core::InvalidArgument(name, std::string(name) + " must be an RFC 3339 time");
  }
  return std::optional<core::TimeMs>(at);
}

Result<store::EmailFilter> DecodeFilter(const Request& request) {
  store::EmailFilter filter;
  if (auto known = OnlyParams(request, {"status", "recipient", "since", "until", "cursor", "limit",
                                        "sender", "subject", "tag"});
      !known.ok()) {
    return known.error();
  }
  if (request.has_param("status")) {
    auto status = store::ParseEmailStatus(request.get_param_value("status"));
    if (!status.has_value()) {
      return core::InvalidArgument("status",
                                   "status must be one of queued, sending, sent, "
                                   "deferred, failed, cancelled");
    }
    filter.status = status;
  }
  filter.recipient = request.get_param_value("recipient");
  for (auto [member, name] :
       {std::pair{&filter.sender, "sender"}, std::pair{&filter.subject, "subject"},
        std::pair{&filter.tag, "tag"}}) {
    *member = request.get_param_value(name);
    if (member->size() > 998) {
      return core::InvalidArgument(name, std::string(name) + " must be at most 998 bytes");
    }
  }
  auto since = QueryTime(request, "since");
  if (!since.ok()) return since.error();
  filter.since = *since;
  auto until = QueryTime(request, "until");
  if (!until.ok()) return until.error();
  filter.until = *until;
  if (request.has_param("cursor")) {
    auto cursor = QueryInteger(request.get_param_value("cursor"), "cursor", 1, INT64_MAX);
    if (!cursor.ok()) return cursor.error();
    filter.cursor = *cursor;
  }
  if (request.has_param("limit")) {
    auto limit = QueryInteger(request.get_param_value("limit"), "limit", 1, 200);
    if (!limit.ok()) return limit.error();
    filter.limit = static_cast<int>(*limit);
  }
  return filter;
}

// 202 with the email's id and status. A replay answers exactly as the first request was
// answered. Written out directly, not through a json object, when nothing needs escaping: ids
// are [a-z0-9_] and the status a fixed word.
void AnswerAccepted(Context& context, const service::SendResult& sent) {
  const std::string_view status = store::EmailStatusName(sent.status);
  if (!std::all_of(sent.email_id.begin(), sent.email_id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
      })) {
    return context.Json(202, {{"id", sent.email_id}, {"status", status}});
  }
  std::string answer;
  answer.reserve(sent.email_id.size() + status.size() + 24);
  answer.append(R"({"id":")").append(sent.email_id).append(R"(","status":")");
  answer.append(status).append(R"("})");
  context.response.status = 202;
  context.response.set_content(answer, "application/json");
}

}  // namespace

void PostEmail(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  auto request = DecodeSendEmail(*body);
  if (!request.ok()) return context.Problem(request.error());
  auto idempotency = DecodeIdempotency(context.request);
  if (!idempotency.ok()) return context.Problem(idempotency.error());
  // Answered once the email is durable, without holding this thread meanwhile.
  context.services.emails.SendThen(
      std::move(*request), *context.principal, *idempotency,
      [finish = context.Later(), context](core::Result<service::SendResult> sent) mutable {
        finish([context, sent = std::move(sent)]() mutable {
          if (!sent.ok()) return context.Problem(sent.error());
          AnswerAccepted(context, *sent);
        });
      });
}

void GetEmail(Context& context) {
  auto detail = context.services.emails.Get(context.request.matches[1]);
  if (!detail.ok()) return context.Problem(detail.error());
  json body = service::EmailToJson(detail->email);
  body["events"] = json::array();
  for (const auto& event : detail->events) body["events"].push_back(service::EventToJson(event));
  context.Json(200, body);
}

void ListEmails(Context& context) {
  auto filter = DecodeFilter(context.request);
  if (!filter.ok()) return context.Problem(filter.error());
  auto page = context.services.emails.List(*filter);
  if (!page.ok()) return context.Problem(page.error());
  json body = {{"data", json::array()}, {"next_cursor", nullptr}};
  for (const auto& email : page->emails) body["data"].push_back(service::EmailToJson(email));
  if (page->next_cursor.has_value()) body["next_cursor"] = std::to_string(*page->next_cursor);
  context.Json(200, body);
}

void GetEmailRaw(Context& context) {
  auto raw = context.services.emails.Raw(context.request.matches[1]);
  if (!raw.ok()) return context.Problem(raw.error());
  context.response.status = 200;
  context.response.set_content(*raw, "message/rfc822");
}

namespace {

// What a download may be served as; anything else goes out as application/octet-stream.
bool HarmlessType(std::string_view type) {
  constexpr std::string_view kHarmless[] = {"image/png",  "image/jpeg",      "image/gif",
                                            "image/webp", "application/pdf", "text/plain",
                                            "text/csv"};
  return std::find(std::begin(kHarmless), std::end(kHarmless), type) != std::end(kHarmless);
}

// A charset label as it may go into a Content-Type header; utf-8 for none or a strange one.
std::string CharsetLabel(const std::string& label) {
  const bool token =
      !label.empty() && label.size() <= 40 && std::all_of(label.begin(), label.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
               c == ':';
      });
  return token ? label : "utf-8";
}

}  // namespace

void GetEmailParts(Context& context) {
  if (auto known = OnlyParams(context.request, {}); !known.ok())
    return context.Problem(known.error());
  auto parts = context.services.emails.Parts(context.request.matches[1]);
  if (!parts.ok()) return context.Problem(parts.error());
  json headers = json::array();
  for (const auto& [name, value] : parts->headers) headers.push_back({name, value});
  json attachments = json::array();
  for (std::size_t i = 0; i < parts->attachments.size(); ++i) {
    const mail::ReadAttachment& attachment = parts->attachments[i];
    json item = {{"index", i},
                 {"filename", attachment.filename},
                 {"content_type", attachment.content_type},
                 {"size", attachment.data.size()}};
    if (!attachment.content_id.empty()) item["content_id"] = attachment.content_id;
    attachments.push_back(std::move(item));
  }
  context.Json(200, {{"html", parts->html.has_value()},
                     {"text", parts->text ? json(parts->text->content) : json(nullptr)},
                     {"charset", parts->text ? json(parts->text->charset) : json(nullptr)},
                     {"headers", std::move(headers)},
                     {"attachments", std::move(attachments)},
                     {"truncated", parts->truncated}});
}

void GetEmailAttachment(Context& context) {
  if (auto known = OnlyParams(context.request, {}); !known.ok())
    return context.Problem(known.error());
  const std::string id = context.request.matches[1];
  auto parts = context.services.emails.Parts(id);
  if (!parts.ok()) return context.Problem(parts.error());
  const std::size_t index = std::stoul(context.request.matches[2]);
  if (index >= parts->attachments.size()) {
    return context.Problem(core::NotFound("email '" + id + "' has no attachment " +
                                          std::to_string(index) + " (it has " +
                                          std::to_string(parts->attachments.size()) + ")"));
  }
  mail::ReadAttachment& attachment = parts->attachments[index];
  context.response.status = 200;
  context.response.set_header("Content-Disposition",
                              mail::AttachmentDisposition(attachment.filename));
  context.response.set_header("X-Content-Type-Options", "nosniff");
  context.response.set_header("Cache-Control", "private, no-store");
  context.response.set_header("Content-Security-Policy", "sandbox; default-src 'none'");
  context.response.set_content(std::move(attachment.data),
                               HarmlessType(attachment.content_type)
                                   ? attachment.content_type
                                   : std::string("application/octet-stream"));
}

void GetEmailPreview(Context& context) {
  if (auto known = OnlyParams(context.request, {"images"}); !known.ok()) {
    return context.Problem(known.error());
  }
  const std::string images =
      context.request.has_param("images") ? context.request.get_param_value("images") : "0";
  if (images != "0" && images != "1") {
    return context.Problem(core::InvalidArgument("images", "images must be 0 or 1"));
  }
  const std::string id = context.request.matches[1];
  auto parts = context.services.emails.Parts(id);
  if (!parts.ok()) return context.Problem(parts.error());
  if (!parts->html.has_value()) {
    return context.Problem(core::NotFound("email '" + id + "' has no HTML part"));
  }
  // The document runs nothing and loads nothing but inline styles and the message's own images
  // (remote ones only when asked); only the dashboard may frame it.
  context.response.status = 200;
  context.response.set_header(
      "Content-Security-Policy",
      std::string("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:") +
          (images == "1" ? " https: http:" : "") + "; frame-ancestors 'self'");
  context.response.set_header("X-Frame-Options", "SAMEORIGIN");
  context.response.set_header("X-Content-Type-Options", "nosniff");
  context.response.set_header("Cache-Control", "no-store");
  context.response.set_header("Referrer-Policy", "no-referrer");
  context.response.set_content(
      mail::InlineContentIdImages(parts->html->content, parts->attachments),
      "text/html; charset=" + CharsetLabel(parts->html->charset));
}

void ResendEmail(Context& context) {
  if (!context.request.body.empty()) {
    auto body = ParseJsonBody(context.request.body);
    if (!body.ok()) return context.Problem(body.error());
    if (!body->is_object()) {
      return context.Problem(core::InvalidArgument("body", "send no body, or {}"));
    }
    if (auto known = OnlyMembers(*body, {}); !known.ok()) return context.Problem(known.error());
  }
  auto resent = context.services.emails.Resend(context.request.matches[1], *context.principal);
  if (!resent.ok()) return context.Problem(resent.error());
  context.response.set_header("Location", "/v1/emails/" + resent->email_id);
  context.Json(201, {{"id", resent->email_id}, {"status", store::EmailStatusName(resent->status)}});
}

void RetryEmail(Context& context) {
  const std::string id = context.request.matches[1];
  auto retried = context.services.emails.Retry(id);
  if (!retried.ok()) return context.Problem(retried.error());
  context.Json(200, {{"id", id}, {"status", "queued"}});
}

void CancelEmail(Context& context) {
  const std::string id = context.request.matches[1];
  auto cancelled = context.services.emails.Cancel(id);
  if (!cancelled.ok()) return context.Problem(cancelled.error());
  context.Json(200, {{"id", id}, {"status", "cancelled"}});
}

namespace {

// POST /v1/emails/retry and /v1/emails/cancel: {"ids": [1 to 500 ids]} → one result per id, in
// order: {"id", "status"} where it was done, {"id", "error": {"code", "detail"}} where not.
void ForEachId(Context& context, const char* done_status,
               core::Status (service::EmailService::*act)(const std::string&)) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  if (auto known = OnlyMembers(*body, {"ids"}); !known.ok()) return context.Problem(known.error());
  const auto ids = body->find("ids");
  if (ids == body->end() || !ids->is_array() || ids->empty() || ids->size() > 500 ||
      !std::all_of(ids->begin(), ids->end(), [](const json& id) { return id.is_string(); })) {
    return context.Problem(
        core::InvalidArgument("ids", "ids must be an array of 1 to 500 email ids"));
  }
  json results = json::array();
  for (const json& id : *ids) {
    const std::string email_id = id.get<std::string>();
    const core::Status outcome = (context.services.emails.*act)(email_id);
    if (outcome.ok()) {
      results.push_back({{"id", email_id}, {"status", done_status}});
    } else {
      results.push_back({{"id", email_id},
                         {"error",
                          {{"code", core::ErrorCodeName(outcome.error().code)},
                           {"detail", outcome.error().message}}}});
    }
  }
  context.Json(200, {{"results", std::move(results)}});
}

}  // namespace

void RetryEmails(Context& context) { ForEachId(context, "queued", &service::EmailService::Retry); }

void CancelEmails(Context& context) {
  ForEachId(context, "cancelled", &service::EmailService::Cancel);
}

}  // namespace http
