#include "service/provider_events.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/json.h"
#include "mail/message.h"

namespace service {
namespace {

using nlohmann::json;

// Suppressions listed per page at most (the store's own bound).
constexpr int kMaxSuppressionPage = 1000;

// The SES event types recorded, with the event name the store and the callbacks use, and the
// suppression reason (nullptr: the event suppresses nobody).
struct SesEventKind {
  const char* ses_type;
  const char* event;
  const char* reason;
};
constexpr SesEventKind kSesEvents[] = {
    {"Delivery", "DELIVERED", nullptr},
    {"Bounce", "BOUNCE", "bounce"},
    {"Complaint", "COMPLAINT", "complaint"},
};

// `object[name]` if it is a string, else "".
std::string StringOrEmpty(const json& object, const char* name) {
  if (!object.is_object()) {
    return {};
  }
  const auto found = object.find(name);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// The bare addresses of `recipients` (an array of {"emailAddress": ...}). SES sends bare
// addresses; a "Name <address>" form is reduced to its address. Entries that hold no address
// are an error, since a recipient that should be suppressed would otherwise be missed silently.
core::Result<std::vector<std::string>> RecipientAddresses(const json& section,
                                                          const std::string& section_name,
                                                          const char* member) {
  const std::string field = section_name + "." + member;
  const auto recipients = section.find(member);
  if (recipients == section.end() || !recipients->is_array()) {
    return core::InvalidArgument(field, field + " must be an array");
  }
  std::vector<std::string> addresses;
  for (std::size_t i = 0; i < recipients->size(); ++i) {
    const std::string entry_field = field + "[" + std::to_string(i) + "].emailAddress";
    const std::string text = StringOrEmpty((*recipients)[i], "emailAddress");
    auto address = mail::ParseAddress(text, entry_field);
    if (!address.ok()) {
      return core::InvalidArgument(entry_field, entry_field + " is not an email address");
    }
    addresses.push_back(std::move(address->address));
  }
  return addresses;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  });
  return out;
}

// "<em_...@example.com>" -> "em_...": EmailService::Send sets each email's Message-ID to
// "<id@sender domain>", and SES events quote that header. A value without '@' is kept as it is.
std::string EmailIdOfMessageId(std::string message_id) {
  const auto at = message_id.find('@');
  if (at == std::string::npos) return message_id;
  message_id.erase(at);
  if (!message_id.empty() && message_id.front() == '<') message_id.erase(0, 1);
  return message_id;
}

}  // namespace

core::Result<std::optional<store::ProviderEvent>> ParseSesEvent(std::string_view message) {
  auto parsed = core::ParseJson(message, "Message");
  if (!parsed.ok()) return parsed.error();
  const json object = std::move(*parsed);
  if (!object.is_object()) {
    return core::InvalidArgument("Message", "Message is not an SES event (a JSON object)");
  }
  std::string type = StringOrEmpty(object, "notificationType");
  if (type.empty()) {
    type = StringOrEmpty(object, "eventType");
  }
  if (type.empty()) {
    return core::InvalidArgument("Message",
                                 "Message names no notificationType or eventType: not an SES "
                                 "event");
  }
  const auto kind = std::find_if(std::begin(kSesEvents), std::end(kSesEvents),
                                 [&type](const SesEventKind& k) { return type == k.ses_type; });
  if (kind == std::end(kSesEvents)) {
    return std::optional<store::ProviderEvent>();
  }

  store::ProviderEvent event;
  event.event = kind->event;
  event.aws_data = std::string(message);
  if (const auto mail = object.find("mail"); mail != object.end() && mail->is_object()) {
    event.provider_id = StringOrEmpty(*mail, "messageId");
    if (const auto headers = mail->find("commonHeaders");
        headers != mail->end() && headers->is_object()) {
      event.email_id = StringOrEmpty(*headers, "messageId");
    }
  }
  if (kind->reason == nullptr) {
    return std::optional<store::ProviderEvent>(std::move(event));
  }

  event.reason = kind->reason;
  const std::string section_name = event.reason;  // "bounce" / "complaint"
  const auto section = object.find(section_name);
  if (section == object.end() || !section->is_object()) {
    return core::InvalidArgument(section_name,
                                 "a " + type + " event needs its \"" + section_name + "\" object");
  }
  // Only a permanent bounce means the address is gone; transient ones (mailbox full, message
  // too large) and "Undetermined" are worth sending to again.
  if (event.reason == "bounce" && StringOrEmpty(*section, "bounceType") != "Permanent") {
    return std::optional<store::ProviderEvent>(std::move(event));
  }
  auto addresses =
      RecipientAddresses(*section, section_name,
                         event.reason == "bounce" ? "bouncedRecipients" : "complainedRecipients");
  if (!addresses.ok()) {
    return addresses.error();
  }
  event.suppress = std::move(*addresses);
  return std::optional<store::ProviderEvent>(std::move(event));
}

ProviderEventService::ProviderEventService(ProviderEventOptions options,
                                           store::TrackingStore& store, const core::Clock& clock,
                                           core::Logger& logger, hooks::UrlFetcher fetcher,
                                           std::function<void()> wake_callbacks)
    : options_(std::move(options)),
      store_(store),
      clock_(clock),
      logger_(logger),
      fetcher_(fetcher ? std::move(fetcher)
                       : hooks::NewCurlFetcher({options_.http_timeout_ms, kMaxFetchedBytes, ""})),
      wake_callbacks_(std::move(wake_callbacks)) {}

core::Error ProviderEventService::Refuse(core::Error error, const hooks::SnsMessage* message) {
  json fields = {{"code", core::ErrorCodeName(error.code)}, {"error", error.message}};
  if (!error.field.empty()) {
    fields["field"] = error.field;
  }
  if (message != nullptr) {
    fields["type"] = hooks::SnsMessageTypeName(message->type);
    fields["message_id"] = message->message_id;
    fields["topic_arn"] = message->topic_arn;
  }
  logger_.Warn("SNS message refused", fields);
  return error;
}

core::Result<std::string> ProviderEventService::Certificate(const std::string& url) {
  {
    const std::lock_guard lock(certificates_mutex_);
    if (const auto cached = certificates_.find(url); cached != certificates_.end()) {
      return cached->second;
    }
  }
  // Fetched without the lock: a slow certificate host must not hold up every other message.
  // Two messages racing for the same new URL both fetch it, which is harmless.
  auto fetched = fetcher_(url);
  if (!fetched.ok()) {
    return core::Error{core::ErrorCode::kUnavailable,
                       "cannot fetch the signing certificate: " + fetched.error().message,
                       "SigningCertURL"};
  }
  const std::lock_guard lock(certificates_mutex_);
  if (certificates_.emplace(url, *fetched).second) {
    certificate_order_.push_back(url);
    if (certificate_order_.size() > kMaxCachedCertificates) {
      certificates_.erase(certificate_order_.front());
      certificate_order_.pop_front();
    }
  }
  return fetched;
}

void ProviderEventService::ForgetCertificate(const std::string& url) {
  const std::lock_guard lock(certificates_mutex_);
  if (certificates_.erase(url) > 0) {
    certificate_order_.erase(std::find(certificate_order_.begin(), certificate_order_.end(), url));
  }
}

core::Result<SnsHandled> ProviderEventService::Handle(std::string_view body) {
  auto message = hooks::ParseSnsMessage(body);
  if (!message.ok()) {
    return Refuse(message.error(), nullptr);
  }
  if (!options_.topic_arns.empty() &&
      std::find(options_.topic_arns.begin(), options_.topic_arns.end(), message->topic_arn) ==
          options_.topic_arns.end()) {
    return Refuse(
        {core::ErrorCode::kPermissionDenied, "messages of this topic are not accepted", "TopicArn"},
        &*message);
  }
  if (auto allowed =
          hooks::CheckSigningCertUrl(message->signing_cert_url, options_.cert_host_pattern);
      !allowed.ok()) {
    return Refuse(allowed.error(), &*message);
  }
  auto certificate = Certificate(message->signing_cert_url);
  if (!certificate.ok()) {
    return Refuse(certificate.error(), &*message);
  }
  if (auto verified = hooks::VerifySnsSignature(*message, *certificate); !verified.ok()) {
    core::Error error = verified.error();
    if (error.code == core::ErrorCode::kInvalidArgument) {
      // What the allowed host served is no certificate (an error page?): fetch it again next
      // time, and treat the message as unsigned.
      ForgetCertificate(message->signing_cert_url);
      error.code = core::ErrorCode::kUnauthenticated;
    }
    return Refuse(std::move(error), &*message);
  }
  switch (message->type) {
    case hooks::SnsMessageType::kSubscriptionConfirmation: return Confirm(*message);
    case hooks::SnsMessageType::kUnsubscribeConfirmation:
      logger_.Info("SNS subscription ended", {{"topic_arn", message->topic_arn}});
      return SnsHandled{message->type, "", "", {}};
    case hooks::SnsMessageType::kNotification: return Notify(*message);
  }
  return Refuse(core::Internal("unknown SNS message type"), &*message);
}

core::Result<SnsHandled> ProviderEventService::Confirm(const hooks::SnsMessage& message) {
  // The SubscribeURL is as signed as the rest, but outbox visits it: it must point at SNS too.
  if (auto allowed = hooks::CheckSigningCertUrl(message.subscribe_url, options_.cert_host_pattern);
      !allowed.ok()) {
    core::Error error = allowed.error();
    if (error.field == "SigningCertURL") {
      error.field = "SubscribeURL";
      error.message = "SubscribeURL: " + error.message;
    }
    return Refuse(std::move(error), &message);
  }
  if (auto visited = fetcher_(message.subscribe_url); !visited.ok()) {
    return Refuse({core::ErrorCode::kUnavailable,
                   "cannot confirm the subscription: " + visited.error().message, "SubscribeURL"},
                  &message);
  }
  logger_.Info("SNS subscription confirmed", {{"topic_arn", message.topic_arn}});
  return SnsHandled{message.type, "", "", {}};
}

core::Result<SnsHandled> ProviderEventService::Notify(const hooks::SnsMessage& message) {
  auto event = ParseSesEvent(message.message);
  if (!event.ok()) {
    return Refuse(event.error(), &message);
  }
  SnsHandled handled{message.type, "", "", {}};
  if (!event->has_value()) {
    logger_.Debug("SNS notification ignored: not a delivery, bounce or complaint",
                  {{"message_id", message.message_id}, {"topic_arn", message.topic_arn}});
    return handled;
  }
  store::ProviderEvent provider_event = std::move(**event);
  provider_event.email_id = EmailIdOfMessageId(std::move(provider_event.email_id));
  auto recorded = store_.RecordProviderEvent(provider_event, clock_.NowMs());
  if (!recorded.ok()) {
    return Refuse(recorded.error(), &message);
  }
  handled.event = provider_event.event;
  handled.suppressed = provider_event.suppress;
  json fields = {{"event", provider_event.event},
                 {"message_id", message.message_id},
                 {"provider_id", provider_event.provider_id},
                 {"suppressed", provider_event.suppress.size()}};
  if (recorded->has_value()) {
    handled.email_id = **recorded;
    fields["email_id"] = handled.email_id;
    if (wake_callbacks_) {
      wake_callbacks_();
    }
    logger_.Info("SES event recorded", fields);
  } else {
    // Mail sent by something else through the same SES identity, or already deleted here.
    logger_.Info("SES event for an email outbox does not track", fields);
  }
  return handled;
}

core::Result<SuppressionPage> ProviderEventService::ListSuppressions(const std::string& prefix,
                                                                     const std::string& cursor,
                                                                     int limit) {
  limit = std::clamp(limit, 1, kMaxSuppressionPage);
  auto suppressions = store_.ListSuppressions(Lower(prefix), Lower(cursor), limit);
  if (!suppressions.ok()) {
    return suppressions.error();
  }
  SuppressionPage page;
  if (static_cast<int>(suppressions->size()) == limit) {
    page.next_cursor = suppressions->back().address;
  }
  page.suppressions = std::move(*suppressions);
  return page;
}

core::Result<SuppressResult> ProviderEventService::Suppress(std::string_view address,
                                                            std::string_view reason) {
  auto parsed = mail::ParseAddress(address, "address");
  if (!parsed.ok()) {
    return parsed.error();
  }
  if (parsed->address != address) {
    return core::InvalidArgument("address",
                                 "address must be a bare address (user@example.com), without a "
                                 "display name or angle brackets");
  }
  const std::string chosen = reason.empty() ? "manual" : std::string(reason);
  if (std::none_of(std::begin(kSuppressionReasons), std::end(kSuppressionReasons),
                   [&chosen](const char* known) { return chosen == known; })) {
    return core::InvalidArgument("reason", "reason must be bounce, complaint or manual");
  }
  auto existing = store_.FindSuppression(parsed->address);
  if (!existing.ok()) {
    return existing.error();
  }
  if (existing->has_value()) {
    return SuppressResult{**existing, false};
  }
  store::Suppression suppression{Lower(parsed->address), chosen, "", clock_.NowMs()};
  if (auto stored = store_.Suppress(suppression); !stored.ok()) {
    return stored.error();
  }
  return SuppressResult{std::move(suppression), true};
}

core::Status ProviderEventService::Unsuppress(std::string_view address) {
  if (address.empty()) {
    return core::InvalidArgument("address", "address is required");
  }
  return store_.Unsuppress(std::string(address));
}

}  // namespace service
