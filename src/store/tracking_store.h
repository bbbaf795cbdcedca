#pragma once
// Tracked mail (the SES-compatible sends): records, the open pixel, the provider's events and
// the suppression list. A tracked email with a callback URL sends its sender status callbacks
// when it changes; what a callback says is its protocol's business, so the store asks an
// injected StatusCallbackComposer for it (see SetStatusCallbackComposer).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

// A tracked email as the SES-compatible records show it.
struct EmailRecord {
  Email email;
  EmailTracking tracking;
  std::optional<TimeMs> opened_at;
  std::string key_hint;  // the last characters of the sending key
};

// A delivery event reported by the provider (SES through SNS) about an email.
struct ProviderEvent {
  std::string email_id;               // ours, when the event names it
  std::string provider_id;            // else the provider's message id (DeliveryOutcome)
  std::string event;                  // DELIVERED, BOUNCE, COMPLAINT; lower-cased in the timeline
  std::string aws_data;               // the provider's event as it came, for the callback
  std::vector<std::string> suppress;  // addresses to add to the suppression list
  std::string reason;                 // "bounce" or "complaint"
};

struct Suppression {
  std::string address;
  std::string reason;  // bounce, complaint, manual
  std::string detail;
  TimeMs created_at = 0;
};

// A change of a tracked email with a callback URL, handed to the StatusCallbackComposer.
struct TrackedEmailChange {
  enum class Kind {
    kFirstAttempt,   // its first delivery attempt began (LeaseJobs)
    kSent,           // the relay took it (FinishDeliveries)
    kFailed,         // delivery was given up (FinishDeliveries)
    kOpened,         // its pixel was fetched for the first time (MarkOpened)
    kProviderEvent,  // the provider reported on it (RecordProviderEvent)
  };
  Kind kind;
  const Email& email;                   // as stored, the change applied
  const EmailTracking& tracking;        // its tracking row
  bool opened;                          // its pixel has been fetched (now or before)
  const std::string& reply;             // kSent, kFailed: the relay's reply or the error; else ""
  const ProviderEvent* provider_event;  // kProviderEvent; else nullptr
};

// What the email's sender is told: the callback's event name and its JSON body.
struct StatusCallback {
  std::string event;
  std::string payload;
};

// Composes the status callback of a change; nullopt sends none. Runs inside the store's write
// (the change and its callback commit together), so it must be quick, must not call the store,
// and must be safe to call from any thread.
using StatusCallbackComposer =
    std::function<std::optional<StatusCallback>(const TrackedEmailChange& change)>;

class TrackingStore {
 public:
  virtual ~TrackingStore() = default;

  // Installs what composes tracked emails' status callbacks (App installs the SES shape,
  // service::SesStatusCallback). Without one, tracked emails send no status callbacks.
  // REQUIRES: called before the store is used from more than one thread.
  virtual void SetStatusCallbackComposer(StatusCallbackComposer compose) = 0;

  // Tracked email ------------------------------------------------------------------------
  // The owner's tracked emails among `ids` (others and unknown ids are left out), in that order.
  virtual Result<std::vector<EmailRecord>> GetEmailRecords(const std::string& owner,
                                                           const std::vector<std::string>& ids) = 0;
  // The owner's tracked emails, newest first.
  virtual Result<std::vector<EmailRecord>> ListEmailRecords(const std::string& owner, int offset,
                                                            int limit) = 0;
  // The first fetch of an email's pixel: marks it opened, adds an "opened" event and enqueues
  // its kOpened callback, in one transaction. Returns false when it was opened before.
  // kNotFound for an unknown token.
  virtual Result<bool> MarkOpened(const std::string& open_token, TimeMs now) = 0;
  // Suppresses the given addresses and, when the event names a tracked email (by email_id, else
  // by provider_id as recorded from its DeliveryOutcome), adds the event to its timeline and
  // enqueues its kProviderEvent callback, in one transaction. Returns that email's id, or
  // nullopt when the event is about mail outbox does not track (the suppressions still hold).
  virtual Result<std::optional<std::string>> RecordProviderEvent(const ProviderEvent& event,
                                                                 TimeMs now) = 0;

  // Suppression list ---------------------------------------------------------------------
  // Adds the address (compared lower-cased); one already suppressed keeps its first entry.
  // kInvalidArgument for an empty address.
  virtual Status Suppress(const Suppression& suppression) = 0;
  // kNotFound if the address is not suppressed.
  virtual Status Unsuppress(const std::string& address) = 0;
  virtual Result<std::optional<Suppression>> FindSuppression(const std::string& address) = 0;
  // Up to `limit` suppressions by address, after `cursor` (an address: "" for the first page,
  // then the last address of the previous page), only those starting with `prefix` (lower
  // case; "" for all).
  virtual Result<std::vector<Suppression>> ListSuppressions(const std::string& prefix,
                                                            const std::string& cursor,
                                                            int limit) = 0;
};

}  // namespace store
