#pragma once
// The email operations every API surface offers: send (validate, render, store durably),
// look up, list, retry, cancel. HTTP handlers decode a request into these types, call one
// function and encode the result; the GoMail and SES-compatible routes reuse the same calls.
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "mail/message.h"
#include "mail/mime_parts.h"
#include "service/templates.h"
#include "store/email_store.h"
#include "store/tracking_store.h"

namespace service {

struct SendEmailRequest {
  std::string from;  // empty: the configured default sender
  std::vector<std::string> to, cc, bcc;
  std::string reply_to;
  std::string subject;
  std::string text, html;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<core::TimeMs> send_at;
  std::vector<std::string> tags;
  nlohmann::json metadata = nlohmann::json::object();
  std::optional<int> max_attempts;
  int priority = store::kPriorityTransactional;
  std::vector<mail::Attachment> attachments;  // checked against the allow-list (mail/sniff.h)
  std::optional<store::EmailTracking> tracking;
  // When set, this stored template rendered with `template_data` gives the html and text parts
  // (replacing any given) and the subject, unless one is given.
  std::string template_name;
  nlohmann::json template_data = nlohmann::json::object();
  // The body holds a secret (a one-time code): the stored message is replaced by a redaction
  // notice once the mail is delivered or given up (store::NewEmail::redact_when_done).
  bool redact_when_done = false;
};

struct Idempotency {
  std::string key;
  std::string request_hash;  // SHA-256 of the request body
};

// What a send did. A replay (same Idempotency-Key and request) answers with the email the
// first request stored, as it was then.
struct SendResult {
  std::string email_id;
  store::EmailStatus status = store::EmailStatus::kQueued;  // kQueued or kSuppressed
  bool replayed = false;
};

// Delivery events per step of time (the dashboard's charts).
struct TimelinePoint {
  core::TimeMs at = 0;  // the step's start
  std::int64_t sent = 0, failed = 0, deferred = 0;
};

struct EmailDetail {
  store::Email email;
  std::vector<store::EmailEvent> events;
};

struct ServiceOptions {
  std::string default_from;
  int default_max_attempts = 5;
  std::size_t max_recipients = 100;
  std::size_t max_attachment_bytes = 25'000'000;  // all attachments of one email together
};

// Tells the delivery workers there is new work (so they need not wait for their next poll).
using WakeWorkers = std::function<void()>;

class EmailService {
 public:
  // `suppressions` is read to leave suppressed recipients out.
  EmailService(const ServiceOptions& options, store::EmailStore& store,
               store::TrackingStore& suppressions, TemplateService& templates,
               const core::Clock& clock, WakeWorkers wake)
      : options_(options),
        store_(store),
        suppressions_(suppressions),
        templates_(templates),
        clock_(clock),
        wake_(std::move(wake)) {}
  EmailService(const EmailService&) = delete;
  EmailService& operator=(const EmailService&) = delete;

  // Renders the named template if there is one (TemplateService::Render), validates (addresses,
  // header injection, limits, attachment types and sizes), renders the MIME message and stores
  // the email with its delivery job. Recipients on the suppression list are left out of the
  // envelope; when none is left the email is stored as "suppressed" and never attempted. Errors
  // are the template's (kNotFound, field "template"; kInvalidArgument naming data), else
  // kInvalidArgument naming the field (e.g. "to[1]"), kPayloadTooLarge for attachments over the
  // limit, or kAlreadyExists when the Idempotency-Key was used for a different request.
  // Taken by value: a caller done with its request moves it in, and its attachments (up to
  // 25 MB) are not copied on the way.
  core::Result<SendResult> Send(SendEmailRequest request, const auth::Principal& principal,
                                const std::optional<Idempotency>& idempotency);
  // Send without holding the caller's thread while the email becomes durable: `done` gets Send's
  // result once it is (on a thread of the store's; on the caller's before this returns when the
  // request is refused before storing, or the store has no such thread). `done` must be quick
  // and must not throw.
  void SendThen(SendEmailRequest request, const auth::Principal& principal,
                const std::optional<Idempotency>& idempotency,
                std::function<void(core::Result<SendResult>)> done);
  // Everything Send does but storing: the email as Send would store it (its id new, owned by
  // the principal), for a caller that stores several in one transaction with something else
  // (SentEmailService). The caller wakes the workers once they are stored. Send's errors.
  core::Result<store::NewEmail> Prepare(SendEmailRequest request, const auth::Principal& principal);
  core::Result<EmailDetail> Get(const std::string& id);
  core::Result<store::EmailPage> List(const store::EmailFilter& filter);
  core::Result<std::string> Raw(const std::string& id);
  // The stored message read into its headers, bodies and attachments (mail::ReadMessageParts).
  // kNotFound for an unknown id.
  core::Result<mail::MessageParts> Parts(const std::string& id);
  // Every step of the last `window_ms` (steps aligned to multiples of `step_ms`, the last one
  // holding now), zeros where nothing happened.
  core::Result<std::vector<TimelinePoint>> EventTimeline(core::TimeMs window_ms,
                                                         core::TimeMs step_ms);
  core::Status Retry(const std::string& id);
  core::Status Cancel(const std::string& id);
  // Queues a copy of the email now, owned by `principal`: the same sender, recipients (those
  // suppressed since then left out, as Send does), subject, tags and message, with a new id,
  // Message-ID and Date. The original's timeline gets "resent" naming the copy, the copy's
  // "resend_of" naming the original (EmailStore::ResendEmail). kNotFound for an unknown id;
  // kFailedPrecondition for a message already redacted (it held a one-time code).
  core::Result<SendResult> Resend(const std::string& id, const auth::Principal& principal);

 private:
  const ServiceOptions options_;
  store::EmailStore& store_;
  store::TrackingStore& suppressions_;
  TemplateService& templates_;
  const core::Clock& clock_;
  WakeWorkers wake_;
};

// JSON encodings shared by the native API.
nlohmann::json EmailToJson(const store::Email& email);
nlohmann::json EventToJson(const store::EmailEvent& event);

}  // namespace service
