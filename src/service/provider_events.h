#pragma once
// Delivery events from Amazon SES, which arrive as Amazon SNS messages at POST /email-status
// (SES -> SNS topic -> our HTTPS subscription), and the suppression list they feed.
//
// Nothing in an SNS body is trusted before its signature is checked against the certificate at
// its SigningCertURL, and that URL (like a SubscribeURL, which outbox visits) must name a host
// of the configured pattern (hooks::CheckSigningCertUrl). Then:
//   - SubscriptionConfirmation: outbox GETs the SubscribeURL, which confirms the subscription
//     (the seed's "automatically verified");
//   - UnsubscribeConfirmation: acknowledged only (its SubscribeURL would subscribe again);
//   - Notification: the SES event in Message is recorded on the email it names, its status
//     callback enqueued, and hard-bounced or complaining addresses suppressed.
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "hooks/fetch.h"
#include "hooks/sns.h"
#include "store/tracking_store.h"

namespace service {

struct ProviderEventOptions {
  // Hosts SigningCertURL and SubscribeURL may name, in hooks::CheckSigningCertUrl's syntax.
  std::string cert_host_pattern = std::string(hooks::kDefaultSnsCertHostPattern);
  // For the default fetcher (certificates and SubscribeURLs): the whole exchange.
  int http_timeout_ms = 5'000;
  // The SNS topics whose messages are accepted (ARNs); empty accepts any topic. Without it,
  // anyone may subscribe the endpoint to a topic of their own and send signed bounces.
  std::vector<std::string> topic_arns;
};

// The largest certificate or SubscribeURL answer read.
inline constexpr std::size_t kMaxFetchedBytes = std::size_t{64} * 1024;
// Certificates kept, by URL. SNS signs with one certificate per region and replaces it rarely
// (under a new URL), so a few suffice; when full, the oldest is dropped.
inline constexpr std::size_t kMaxCachedCertificates = 16;

// What one SNS message came to.
struct SnsHandled {
  hooks::SnsMessageType type = hooks::SnsMessageType::kNotification;
  std::string event;                    // DELIVERED, BOUNCE, COMPLAINT; "" when none was recorded
  std::string email_id;                 // ours, when the event named an email outbox tracks
  std::vector<std::string> suppressed;  // addresses the event put on the suppression list
};

// Pure: the SES event in an SNS notification's Message, either SES's notification format
// ("notificationType") or event publishing ("eventType"). Delivery, Bounce and Complaint become
// a ProviderEvent (event DELIVERED, BOUNCE, COMPLAINT; aws_data = `message` as is; email_id =
// mail.commonHeaders.messageId, our Message-ID as quoted, which Handle turns into the email id
// before recording; provider_id = mail.messageId, each "" when absent). A
// Permanent bounce suppresses bounce.bouncedRecipients[].emailAddress (reason "bounce"), a
// complaint complaint.complainedRecipients[].emailAddress (reason "complaint"); transient and
// undetermined bounces and deliveries suppress nothing. Other types (Send, Open,
// AmazonSnsSubscriptionSucceeded, ...) are nullopt: acknowledged and ignored. kInvalidArgument
// (field "Message" or the member at fault, e.g. "bounce.bouncedRecipients") when Message is not
// a JSON object naming its type, or a Bounce/Complaint lacks its recipients.
core::Result<std::optional<store::ProviderEvent>> ParseSesEvent(std::string_view message);

struct SuppressionPage {
  std::vector<store::Suppression> suppressions;  // by address
  std::string next_cursor;                       // "" when this was the last page
};

struct SuppressResult {
  store::Suppression suppression;  // as stored
  bool created = false;            // false: the address was suppressed already (kept as it was)
};

// The suppression reasons; an address added by hand defaults to "manual".
inline constexpr const char* kSuppressionReasons[] = {"bounce", "complaint", "manual"};

class ProviderEventService {
 public:
  // `fetcher` GETs certificates and SubscribeURLs; empty: hooks::NewCurlFetcher with
  // options.http_timeout_ms and kMaxFetchedBytes. `wake_callbacks` is called after an event
  // enqueued a status callback (may be empty). store, clock and logger must outlive the service.
  ProviderEventService(ProviderEventOptions options, store::TrackingStore& store,
                       const core::Clock& clock, core::Logger& logger,
                       hooks::UrlFetcher fetcher = {}, std::function<void()> wake_callbacks = {});
  ProviderEventService(const ProviderEventService&) = delete;
  ProviderEventService& operator=(const ProviderEventService&) = delete;

  // Verifies and acts on one SNS body (see the top of this file). An event about an email
  // outbox does not track is acknowledged (its suppressions are still recorded). Errors, each
  // logged: kInvalidArgument for a malformed body or Message; kUnauthenticated (field
  // "SigningCertURL", "SubscribeURL" or "Signature") for a URL outside the pattern, a
  // certificate that is not one, or a signature that does not verify; kUnavailable when the
  // certificate or SubscribeURL cannot be fetched (SNS retries); store errors as they come.
  // Safe to call from several threads.
  core::Result<SnsHandled> Handle(std::string_view body);

  // Up to `limit` (1-1000) suppressions by address after `cursor`, those starting with
  // `prefix` (compared lower-cased; "" for all).
  core::Result<SuppressionPage> ListSuppressions(const std::string& prefix,
                                                 const std::string& cursor, int limit);
  // Suppresses a bare address ("user@example.com"; kInvalidArgument field "address" otherwise)
  // for `reason` (one of kSuppressionReasons; "" means "manual"; else field "reason").
  core::Result<SuppressResult> Suppress(std::string_view address, std::string_view reason);
  // kNotFound if the address is not suppressed.
  core::Status Unsuppress(std::string_view address);

 private:
  core::Result<std::string> Certificate(const std::string& url);
  void ForgetCertificate(const std::string& url);
  core::Result<SnsHandled> Notify(const hooks::SnsMessage& message);
  core::Result<SnsHandled> Confirm(const hooks::SnsMessage& message);
  core::Error Refuse(core::Error error, const hooks::SnsMessage* message);

  const ProviderEventOptions options_;
  store::TrackingStore& store_;
  const core::Clock& clock_;
  core::Logger& logger_;
  const hooks::UrlFetcher fetcher_;
  const std::function<void()> wake_callbacks_;

  std::mutex certificates_mutex_;
  std::map<std::string, std::string> certificates_;  // URL -> PEM; guarded by the mutex
  std::deque<std::string> certificate_order_;        // oldest first; guarded by the mutex
};

}  // namespace service
