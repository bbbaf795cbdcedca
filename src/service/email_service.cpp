#include "service/email_service.h"

#include <future>

#include "core/json.h"
#include "core/log.h"
#include "core/random.h"
#include "mail/message.h"
#include "mail/mime_parts.h"
#include "mail/sniff.h"

namespace service {
namespace {

using core::Result;

constexpr std::size_t kMaxSubjectBytes = 998;
constexpr std::size_t kMaxTags = 20;
constexpr std::size_t kMaxTagBytes = 64;
constexpr std::size_t kMaxMetadataBytes = 4096;

bool HasLineBreak(const std::string& text) {
  return text.find_first_of(std::string("\r\n\0", 3)) != std::string::npos;
}

Result<std::vector<mail::Address>> ParseList(const std::vector<std::string>& values,
                                             const std::string& field) {
  std::vector<mail::Address> out;
  out.reserve(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    auto parsed = mail::ParseSendableAddress(values[i], field + "[" + std::to_string(i) + "]");
    if (!parsed.ok()) return parsed.error();
    out.push_back(std::move(*parsed));
  }
  return out;
}

std::string DomainOf(const std::string& address) {
  auto at = address.rfind('@');
  return at == std::string::npos ? "localhost" : address.substr(at + 1);
}

// Validates the request and builds the message; nothing is stored here. The attachments are
// moved from the request into the message.
Result<mail::Message> BuildMessage(SendEmailRequest& request, const ServiceOptions& options,
                                   const std::string& id, core::TimeMs now) {
  mail::Message message;
  const std::string& from_text = request.from.empty() ? options.default_from : request.from;
  if (from_text.empty()) {
    return core::InvalidArgument("from", "from is required (no default sender is configured)");
  }
  auto from = mail::ParseSendableAddress(from_text, "from");
  if (!from.ok()) return from.error();
  message.from = std::move(*from);

  auto to = ParseList(request.to, "to");
  if (!to.ok()) return to.error();
  auto cc = ParseList(request.cc, "cc");
  if (!cc.ok()) return cc.error();
  auto bcc = ParseList(request.bcc, "bcc");
  if (!bcc.ok()) return bcc.error();
  message.to = std::move(*to);
  message.cc = std::move(*cc);
  message.bcc = std::move(*bcc);
  const std::size_t recipients = message.to.size() + message.cc.size() + message.bcc.size();
  if (recipients == 0) {
    return core::InvalidArgument("to", "at least one recipient is required in to, cc or bcc");
  }
  if (recipients > options.max_recipients) {
    return core::InvalidArgument(
        "to", "at most " + std::to_string(options.max_recipients) + " recipients (to + cc + bcc)");
  }
  if (!request.reply_to.empty()) {
    auto reply_to = mail::ParseSendableAddress(request.reply_to, "reply_to");
    if (!reply_to.ok()) return reply_to.error();
    message.reply_to = std::move(*reply_to);
  }
  if (request.subject.empty()) return core::InvalidArgument("subject", "subject is required");
  if (HasLineBreak(request.subject)) {
    return core::InvalidArgument("subject", "subject must not contain CR, LF or NUL");
  }
  if (request.subject.size() > kMaxSubjectBytes) {
    return core::InvalidArgument("subject", "subject is longer than 998 bytes");
  }
  message.subject = request.subject;
  if (request.text.empty() && request.html.empty()) {
    return core::InvalidArgument("text", "text or html is required");
  }
  message.text = request.text;
  message.html = request.html;
  for (const auto& [name, value] : request.headers) {
    auto valid = mail::ValidateExtraHeader(name, value, "headers." + name);
    if (!valid.ok()) return valid.error();
  }
  message.headers = request.headers;
  if (request.tags.size() > kMaxTags) {
    return core::InvalidArgument("tags", "at most 20 tags");
  }
  for (std::size_t i = 0; i < request.tags.size(); ++i) {
    const auto& tag = request.tags[i];
    if (tag.empty() || tag.size() > kMaxTagBytes || HasLineBreak(tag)) {
      return core::InvalidArgument("tags[" + std::to_string(i) + "]",
                                   "tags are 1-64 bytes without line breaks");
    }
  }
  if (!request.metadata.is_object()) {
    return core::InvalidArgument("metadata", "metadata must be an object");
  }
  if (request.metadata.dump().size() > kMaxMetadataBytes) {
    return core::InvalidArgument("metadata", "metadata is larger than 4096 bytes");
  }
  std::size_t attachment_bytes = 0;
  for (std::size_t i = 0; i < request.attachments.size(); ++i) {
    mail::Attachment& attachment = request.attachments[i];
    const std::string field = "attachments[" + std::to_string(i) + "]";
    if (auto valid = mail::ValidateAttachment(attachment, field); !valid.ok()) return valid.error();
    if (auto allowed = mail::CheckAttachmentType(attachment.data, attachment.filename,
                                                 attachment.content_type, field);
        !allowed.ok()) {
      return allowed.error();
    }
    attachment_bytes += attachment.data.size();
    attachment.content_type = mail::SniffContentType(attachment.data, attachment.filename)
                                  .value_or(attachment.content_type);
    message.attachments.push_back(std::move(attachment));
  }
  if (attachment_bytes > options.max_attachment_bytes) {
    return core::Error{core::ErrorCode::kPayloadTooLarge,
                       "attachments are larger than " +
                           std::to_string(options.max_attachment_bytes / 1'000'000) +
                           " MB together",
                       "attachments"};
  }
  if (request.max_attempts.has_value() &&
      (*request.max_attempts < 1 || *request.max_attempts > 50)) {
    return core::InvalidArgument("max_attempts", "max_attempts must be between 1 and 50");
  }
  message.message_id = id + "@" + DomainOf(message.from.address);
  message.date = now;
  return message;
}

// An idempotency record keeps the first request's result as {"id", "status"}, which is also
// what rows written before results were domain values hold (the 202 body of that time). The
// status column is not read back; it keeps that time's 202 so that rows look the same to
// older binaries.
constexpr int kStoredResultStatus = 202;

std::string EncodeStoredResult(const SendResult& result) {
  return nlohmann::json{{"id", result.email_id}, {"status", store::EmailStatusName(result.status)}}
      .dump();
}

Result<SendResult> DecodeStoredResult(const std::string& stored) {
  auto parsed = core::ParseJson(stored, "result");
  const nlohmann::json json = parsed.ok() ? std::move(*parsed) : nlohmann::json();
  if (json.is_object() && json.value("id", nlohmann::json()).is_string() &&
      json.value("status", nlohmann::json()).is_string()) {
    auto status = store::ParseEmailStatus(json["status"].get<std::string>());
    if (status.has_value()) return SendResult{json["id"].get<std::string>(), *status, true};
  }
  return core::Internal("the stored result of this Idempotency-Key cannot be read");
}

}  // namespace

Result<store::NewEmail> EmailService::Prepare(SendEmailRequest request,
                                              const auth::Principal& principal) {
  if (!request.template_name.empty()) {
    auto rendered = templates_.Render(request.template_name, request.template_data);
    if (!rendered.ok()) return rendered.error();
    if (request.subject.empty()) request.subject = rendered->subject;
    request.html = std::move(rendered->html);
    request.text = std::move(rendered->text);
  }
  const int attachments = static_cast<int>(request.attachments.size());
  const core::TimeMs now = clock_.NowMs();
  const std::string id = core::TimeOrderedId("em_", now);
  auto message = BuildMessage(request, options_, id, now);
  if (!message.ok()) return message.error();

  store::NewEmail email;
  email.id = id;
  email.from = request.from.empty() ? options_.default_from : request.from;
  email.to = request.to;
  email.cc = request.cc;
  email.bcc = request.bcc;
  email.envelope_from = message->from.address;
  for (const auto* list : {&message->to, &message->cc, &message->bcc}) {
    for (const auto& address : *list) {
      auto suppressed = suppressions_.FindSuppression(address.address);
      if (!suppressed.ok()) return suppressed.error();
      if (!suppressed->has_value()) email.envelope_recipients.push_back(address.address);
    }
  }
  email.suppressed = email.envelope_recipients.empty();
  email.reply_to = request.reply_to;
  email.subject = request.subject;
  email.raw_message = mail::RenderMime(*message);
  email.tags = request.tags;
  email.metadata = request.metadata;
  email.redact_when_done = request.redact_when_done;
  email.send_at = request.send_at.value_or(now);
  email.priority = request.priority;
  email.max_attempts = request.max_attempts.value_or(options_.default_max_attempts);
  email.owner = principal.key_id;
  email.tracking = request.tracking;
  if (email.tracking) email.tracking->attachments = attachments;
  return email;
}

Result<SendResult> EmailService::Send(SendEmailRequest request, const auth::Principal& principal,
                                      const std::optional<Idempotency>& idempotency) {
  std::promise<Result<SendResult>> answer;
  std::future<Result<SendResult>> sent = answer.get_future();
  SendThen(std::move(request), principal, idempotency,
           [&answer](Result<SendResult> result) { answer.set_value(std::move(result)); });
  return sent.get();
}

void EmailService::SendThen(SendEmailRequest request, const auth::Principal& principal,
                            const std::optional<Idempotency>& idempotency,
                            std::function<void(Result<SendResult>)> done) {
  auto prepared = Prepare(std::move(request), principal);
  if (!prepared.ok()) return done(prepared.error());
  const core::TimeMs now = clock_.NowMs();
  SendResult result{prepared->id, prepared->suppressed ? store::EmailStatus::kSuppressed
                                                       : store::EmailStatus::kQueued};
  std::optional<store::IdempotencyClaim> claim;
  if (idempotency.has_value()) {
    claim = store::IdempotencyClaim{principal.key_id, idempotency->key, idempotency->request_hash,
                                    kStoredResultStatus, EncodeStoredResult(result)};
  }
  const bool wake = prepared->send_at <= now && !prepared->suppressed;
  store_.CreateEmailThen(std::move(*prepared), std::move(claim), now,
                         [this, wake, result = std::move(result), done = std::move(done)](
                             Result<store::CreateEmailResult> created) mutable {
                           if (!created.ok()) return done(created.error());
                           if (created->replayed.has_value())
                             return done(DecodeStoredResult(created->replayed->body));
                           if (wake) wake_();
                           done(std::move(result));
                         });
}

Result<EmailDetail> EmailService::Get(const std::string& id) {
  auto email = store_.GetEmail(id);
  if (!email.ok()) return email.error();
  auto events = store_.ListEmailEvents(id);
  if (!events.ok()) return events.error();
  return EmailDetail{std::move(*email), std::move(*events)};
}

Result<store::EmailPage> EmailService::List(const store::EmailFilter& filter) {
  return store_.ListEmails(filter);
}

Result<std::string> EmailService::Raw(const std::string& id) {
  auto raw = store_.GetRawMessage(id);
  if (!raw.ok()) return raw.error();
  return std::move(raw->data);
}

Result<mail::MessageParts> EmailService::Parts(const std::string& id) {
  auto raw = store_.GetRawMessage(id);
  if (!raw.ok()) return raw.error();
  return mail::ReadMessageParts(raw->data);
}

Result<SendResult> EmailService::Resend(const std::string& id, const auth::Principal& principal) {
  auto original = store_.GetEmail(id);
  if (!original.ok()) return original.error();
  auto raw = store_.GetRawMessage(id);
  if (!raw.ok()) return raw.error();
  if (raw->data == store::kRedactedMessage) {
    return core::FailedPrecondition("email '" + id +
                                    "' held a one-time code, removed once it was done; it "
                                    "cannot be resent");
  }
  const core::TimeMs now = clock_.NowMs();
  store::NewEmail copy;
  copy.id = core::TimeOrderedId("em_", now);
  copy.from = original->from;
  copy.to = original->to;
  copy.cc = original->cc;
  copy.bcc = original->bcc;
  copy.reply_to = original->reply_to;
  copy.subject = original->subject;
  copy.tags = original->tags;
  copy.metadata = original->metadata;
  copy.max_attempts = original->max_attempts;
  copy.envelope_from = raw->envelope_from;
  for (const std::string& address : raw->envelope_recipients) {
    auto suppressed = suppressions_.FindSuppression(address);
    if (!suppressed.ok()) return suppressed.error();
    if (!suppressed->has_value()) copy.envelope_recipients.push_back(address);
  }
  copy.suppressed = copy.envelope_recipients.empty();
  copy.raw_message = mail::ReplaceHeader(
      mail::ReplaceHeader(raw->data, "Message-ID",
                          "<" + copy.id + "@" + DomainOf(raw->envelope_from) + ">"),
      "Date", mail::FormatRfc5322Date(now));
  copy.send_at = now;
  copy.owner = principal.key_id;
  if (auto stored = store_.ResendEmail(id, copy, now); !stored.ok()) return stored.error();
  if (!copy.suppressed) wake_();
  return SendResult{
      copy.id, copy.suppressed ? store::EmailStatus::kSuppressed : store::EmailStatus::kQueued};
}

core::Status EmailService::Retry(const std::string& id) {
  auto retried = store_.RetryEmail(id, clock_.NowMs());
  if (retried.ok()) wake_();
  return retried;
}

core::Status EmailService::Cancel(const std::string& id) {
  return store_.CancelEmail(id, clock_.NowMs());
}

namespace {

nlohmann::json TimeOrNull(const std::optional<core::TimeMs>& time) {
  return time.has_value() ? nlohmann::json(core::FormatRfc3339(*time)) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json EmailToJson(const store::Email& email) {
  return {
      {"id", email.id},
      {"status", store::EmailStatusName(email.status)},
      {"from", email.from},
      {"to", email.to},
      {"cc", email.cc},
      {"bcc", email.bcc},
      {"reply_to",
       email.reply_to.empty() ? nlohmann::json(nullptr) : nlohmann::json(email.reply_to)},
      {"subject", email.subject},
      {"tags", email.tags},
      {"metadata", email.metadata},
      {"attempts", email.attempts},
      {"max_attempts", email.max_attempts},
      {"last_reply",
       email.last_reply.empty() ? nlohmann::json(nullptr) : nlohmann::json(email.last_reply)},
      {"created_at", core::FormatRfc3339(email.created_at)},
      {"send_at", core::FormatRfc3339(email.send_at)},
      {"updated_at", core::FormatRfc3339(email.updated_at)},
      {"sent_at", TimeOrNull(email.sent_at)},
      {"next_attempt_at", TimeOrNull(email.next_attempt_at)},
  };
}

nlohmann::json EventToJson(const store::EmailEvent& event) {
  return {{"at", core::FormatRfc3339(event.at)}, {"type", event.type}, {"detail", event.detail}};
}

core::Result<std::vector<TimelinePoint>> EmailService::EventTimeline(core::TimeMs window_ms,
                                                                     core::TimeMs step_ms) {
  const core::TimeMs until = (clock_.NowMs() / step_ms + 1) * step_ms;
  const core::TimeMs since = until - window_ms;
  auto counts = store_.CountEmailEvents(since, until, step_ms);
  if (!counts.ok()) return counts.error();
  std::vector<TimelinePoint> points(static_cast<std::size_t>(window_ms / step_ms));
  for (std::size_t i = 0; i < points.size(); ++i) {
    points[i].at = since + static_cast<core::TimeMs>(i) * step_ms;
  }
  for (const store::EventCount& count : *counts) {
    TimelinePoint& point = points[static_cast<std::size_t>((count.bucket_start - since) / step_ms)];
    if (count.type == "sent") point.sent = count.count;
    if (count.type == "failed") point.failed = count.count;
    if (count.type == "deferred") point.deferred = count.count;
  }
  return points;
}

}  // namespace service
