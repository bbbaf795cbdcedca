#pragma once
// The value types more than one area of the store shares: job kinds and states, an email's
// status, a new email (stored by EmailStore, enqueued by a newsletter fire), the email as a client
// sees it, its tracking row, and what one delivery attempt came to.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace store {

using core::Result;
using core::Status;
using core::TimeMs;

enum class JobState { kQueued, kLeased, kDone, kDead, kCancelled };
// What a job does; each kind has its own workers. kEmail: deliver an email (ref_id = email id);
// kCallback: POST a status callback (ref_id = callback id); kCampaign: fan a campaign out to its
// audience (ref_id = the campaign's id).
enum class JobKind { kEmail, kCallback, kCampaign };
// "email", "callback", "campaign": stored and shown, never renamed
const char* JobKindName(JobKind kind);
const char* JobStateName(JobState state);

// What a client sees of an email. Derived from the job's state and attempts.
// kSuppressed: sent to a suppressed address, so never attempted.
enum class EmailStatus { kQueued, kSending, kSent, kDeferred, kFailed, kCancelled, kSuppressed };
const char* EmailStatusName(EmailStatus status);
std::optional<EmailStatus> ParseEmailStatus(const std::string& name);

// Priorities: lower runs first. Transactional mail (one-off sends, OTPs) goes before bulk.
inline constexpr int kPriorityTransactional = 0;
inline constexpr int kPriorityBulk = 10;

// What is kept of a tracked email (the SES-compatible sends) besides the email itself.
struct EmailTracking {
  std::string template_name;
  std::string data = "{}";  // the template data as sent (JSON object)
  int attachments = 0;
  std::string open_token;    // in the open-tracking pixel's URL; "" for none
  std::string callback_url;  // where its status callbacks go; "" for none
};

struct NewEmail {
  std::string id;  // chosen by the caller (random, unguessable)
  std::string from;
  std::vector<std::string> to, cc, bcc;          // addresses as given (may include display names)
  std::vector<std::string> envelope_recipients;  // bare addresses for RCPT TO
  std::string envelope_from;                     // bare address for MAIL FROM
  std::string reply_to;
  std::string subject;
  std::string raw_message;  // the rendered RFC 5322 message, CRLF line ends
  nlohmann::json tags = nlohmann::json::array();
  nlohmann::json metadata = nlohmann::json::object();
  TimeMs send_at = 0;  // earliest delivery time; the job's run_at (now if 0 or past)
  int priority = kPriorityTransactional;
  int max_attempts = 5;
  std::string owner;  // principal (API key id) that created it
  // A newsletter's recipient email: raw_message holds only its own headers, the rest of the
  // message is this fire's body (see NewsletterStore::FanOutFire). Empty for every other email.
  std::string fire_key;
  // A campaign's recipient email (CampaignStore::FanOutCampaign): its campaign's id, and what
  // follows the fire's body in the message (the end of the HTML part). 0 and "" otherwise.
  std::int64_t campaign_id = 0;
  std::string raw_tail = {};
  std::optional<EmailTracking> tracking = {};
  // Addressed to a suppressed address: stored as kSuppressed with its job cancelled.
  bool suppressed = false;
  // The message holds a secret: in the transaction that records its delivery or its final
  // failure, the stored message is replaced by kRedactedMessage (the email's record stays).
  bool redact_when_done = false;
};

// What a redact_when_done email's stored message becomes once it is delivered or given up.
inline constexpr char kRedactedMessage[] =
    "X-Outbox-Redacted: yes\r\n"
    "Subject: (redacted)\r\n"
    "\r\n"
    "[redacted: this message held a one-time code; outbox removed it once the mail was "
    "delivered or given up]\r\n";

struct Email {
  std::string id;
  EmailStatus status = EmailStatus::kQueued;
  std::string from;
  std::vector<std::string> to, cc, bcc;
  std::string reply_to;
  std::string subject;
  nlohmann::json tags = nlohmann::json::array();
  nlohmann::json metadata = nlohmann::json::object();
  int attempts = 0;
  int max_attempts = 0;
  std::string last_reply;  // the last SMTP reply or error text
  TimeMs created_at = 0;
  TimeMs send_at = 0;  // as requested; 0 if none was
  TimeMs updated_at = 0;
  std::optional<TimeMs> sent_at;
  std::optional<TimeMs> next_attempt_at;  // set while queued or deferred
  std::string owner;
};

// What one delivery attempt (of an email or a callback) came to. The queue decides retry vs. dead
// from its error table; the store only applies it.
struct DeliveryOutcome {
  enum class Kind { kSent, kRetry, kFailed } kind = Kind::kSent;
  std::string reply;    // server reply or error text, kept on the email
  TimeMs retry_at = 0;  // for kRetry
  // For kSent: the relay's id of the message (mail::ProviderMessageId), kept on a tracked email
  // so the provider's later events find it; "" for none.
  std::string provider_id = {};
};

}  // namespace store
