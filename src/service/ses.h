#pragma once
// The SES-compatible email API over EmailService: a send renders a stored template with the
// caller's data, adds an open-tracking pixel, attaches the uploaded files and stores the email
// as tracked (its template data, attachments count, the key's callback URL), so the delivery
// transitions, the pixel and provider events send the key its status callbacks. Records show a
// key its own tracked emails.
#include <climits>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "mail/message.h"
#include "service/email_service.h"
#include "service/templates.h"
#include "store/tracking_store.h"

namespace service {

// The form fields of /server/email/add.
struct SesSendRequest {
  std::string short_name;  // shortName: the sender's display name
  std::string email;       // the recipient
  std::string send_email;  // sendEmail: the sender's address
  std::string reply_email;
  std::string subject;
  std::string data;  // JSON object text: the template's values
  std::string text;  // the plain-text part (may use the same variables)
  std::string template_name;
  std::vector<mail::Attachment> files;
};

inline constexpr std::size_t kMaxRecordIds = 20;
inline constexpr int kMaxRecordPage = 50;
// The last page RecordPage serves: its offset, (page - 1) * kMaxRecordPage, still fits an int.
inline constexpr std::int64_t kMaxRecordPageNumber = INT32_MAX / kMaxRecordPage;

// The seed's record: {email_id, email, send_email, subject, data (JSON text), open, created_at,
// updated_at, attachments, api_key (masked)}.
nlohmann::json RecordToJson(const store::EmailRecord& record);

// The seed's status callback of a tracked email: event PROCESSING (first attempt), SENT, ERROR,
// OPEN or the provider's event name, and the body {"status", "email_id", "data": {"email_data":
// {email, send_email, subject, data, open}, <"aws_data" (SENT: {"reply"}; provider events: the
// event as SES sent it, null if it is not JSON) or "error" (ERROR: {"message"})>}}. App installs
// it with store::TrackingStore::SetStatusCallbackComposer. Pure.
std::optional<store::StatusCallback> SesStatusCallback(const store::TrackedEmailChange& change);

class SesService {
 public:
  SesService(EmailService& emails, TemplateService& templates, store::TrackingStore& store,
             const core::Clock& clock)
      : emails_(emails), templates_(templates), store_(store), clock_(clock) {}
  SesService(const SesService&) = delete;
  SesService& operator=(const SesService&) = delete;

  // For the pixel's URL. Call before requests are served.
  void SetPublicUrl(std::string url) { public_url_ = std::move(url); }

  // Queues the email; returns its id. kInvalidArgument naming the seed's field (shortName,
  // email, sendEmail, replyEmail, subject, data, text, template, files), kNotFound (field
  // "template") for an unknown template, kPayloadTooLarge for files over the limit.
  core::Result<std::string> Send(const auth::Principal& sender, SesSendRequest request);
  // The sender's records among `ids` (at most kMaxRecordIds).
  core::Result<std::vector<store::EmailRecord>> Records(const auth::Principal& sender,
                                                        const std::vector<std::string>& ids);
  // Page `page` (1 to kMaxRecordPageNumber) of `amount` (1 to kMaxRecordPage) records, newest
  // first.
  core::Result<std::vector<store::EmailRecord>> RecordPage(const auth::Principal& sender, int page,
                                                           int amount);
  // The pixel was fetched: the first time marks the email opened (OPEN callback). false when
  // no tracked email has this token.
  bool Opened(const std::string& token);

 private:
  EmailService& emails_;
  TemplateService& templates_;
  store::TrackingStore& store_;
  const core::Clock& clock_;
  std::string public_url_;
};

}  // namespace service
