#pragma once
// Newsletters: content types (the GoMail API's newsletter templates), subscriptions grouped by
// schedule, and fires with their batched fan-out, each recorded once under its key.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

// A newsletter template of the GoMail API, by name (case-sensitive).
struct ContentType {
  std::string name;
  std::string subject;
  std::string content;  // HTML
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
};

// A request to receive a content type's newsletter. subject/content are only used to create
// the content type when it does not exist yet (empty: do not create it).
struct NewSubscription {
  std::string content_type;
  std::string user_id;    // bare address; stored lower-cased
  std::string frequency;  // a macro ("@daily") or 5-field cron expression, validated by the caller
  std::string timezone;   // IANA name, validated by the caller; "" = the server's time zone
  std::string subject, content;
  std::string unsubscribe_token;  // for a new subscription; a renewed one keeps its token
};

struct Subscriber {
  std::string content_type;
  std::string user_id;
  std::string frequency;
  std::string timezone;
  std::string unsubscribe_token;
  TimeMs created_at = 0;
};

struct SubscriberPage {
  std::vector<Subscriber> subscribers;  // by user id
  std::string next_cursor;              // "" when this was the last page
};

// A subscription group: the subscribers of one content type with one schedule in one time
// zone. The store keeps one row per group that has subscribers.
struct Schedule {
  std::string content_type;
  std::string frequency;
  std::string timezone;
  TimeMs created_at = 0;            // when its first subscriber subscribed
  std::optional<TimeMs> last_fire;  // scheduled time of the last fire started
  std::optional<TimeMs> next_fire;  // as last computed by the scheduler
};

// One newsletter send. A scheduled fire goes to one group; a run-now fire (no group) to every
// subscriber of the content type. Recorded once under `key`.
struct Fire {
  std::string key;  // sched::FireKey(...)
  std::string content_type;
  std::optional<Schedule> group;  // frequency and timezone filter; nullopt: every subscriber
  TimeMs scheduled_at = 0;
  std::string sender;   // the From address as given
  std::string subject;  // for the email records
  // The message part every recipient's email shares: its headers other than the recipient's own
  // (From, Subject, Date, MIME-Version, Content-Type...) and the MIME body, CRLF line ends.
  std::string body;
};

struct FanOutProgress {
  std::int64_t enqueued = 0;  // in this call
  bool done = false;          // no subscriber is left after this call
};

// Builds one recipient's email of a fire (given without its body). Runs inside the store's
// write, so it must be quick and must not call the store. The email's raw_message holds only the
// recipient's own headers; the fire's body is appended to it whenever the message is read.
using FireRecipient = std::function<NewEmail(const Fire& fire, const Subscriber& subscriber)>;

struct SubscribeResult {
  bool content_type_created = false;  // the subscription created its content type
  bool already_subscribed = false;    // the user was subscribed; only the frequency was set
  ContentType content_type;           // as stored (an existing type keeps its content)
};

class NewsletterStore {
 public:
  virtual ~NewsletterStore() = default;

  // Content types ------------------------------------------------------------------------
  // `type`'s timestamps are ignored (created_at/updated_at are set to `now`).
  // kAlreadyExists if the name is taken; kInvalidArgument for an empty name.
  virtual Status CreateContentType(const ContentType& type, TimeMs now) = 0;
  // Replaces subject and content (created_at kept). kNotFound if there is no such type.
  virtual Status UpdateContentType(const ContentType& type, TimeMs now) = 0;
  // kNotFound if there is no such type.
  virtual Result<ContentType> GetContentType(const std::string& name) = 0;
  // Every content type, by name.
  virtual Result<std::vector<ContentType>> ListContentTypes() = 0;

  // Subscriptions ------------------------------------------------------------------------
  // Subscribes the user, in one transaction: creates the content type from subject/content if
  // it does not exist (kNotFound if it does not and either is empty); an existing type keeps
  // its stored subject and content. Subscribing again only sets the frequency and time zone.
  // The subscription's group gets a schedule row if it had none; a group left empty loses its
  // row. kInvalidArgument for an empty user id, frequency or new unsubscribe token.
  virtual Result<SubscribeResult> Subscribe(const NewSubscription& subscription, TimeMs now) = 0;
  // Removes the subscription (and its group's schedule if it was the last one); returns it.
  // kNotFound if the user (compared lower-cased) is not subscribed to the content type.
  virtual Result<Subscriber> Unsubscribe(const std::string& content_type,
                                         const std::string& user_id) = 0;
  // As Unsubscribe, for the subscription with this unsubscribe token.
  virtual Result<Subscriber> UnsubscribeByToken(const std::string& token) = 0;
  // kNotFound if no subscription has this token.
  virtual Result<Subscriber> FindSubscriberByToken(const std::string& token) = 0;
  virtual Result<std::int64_t> CountSubscribers(const std::string& content_type) = 0;
  // Up to `limit` subscribers of the content type with user ids after `cursor` (a user id: ""
  // for the first page, then the previous page's next_cursor).
  virtual Result<SubscriberPage> ListSubscribers(const std::string& content_type,
                                                 const std::string& cursor, int limit) = 0;

  // Schedules and fires ------------------------------------------------------------------
  // Every group with subscribers.
  virtual Result<std::vector<Schedule>> ListSchedules() = 0;
  // Records when the group fires next (kNotFound if it has no schedule row any more).
  virtual Status SetNextFire(const Schedule& group, TimeMs next_fire) = 0;
  // Records the fire under its key and, for a scheduled fire, sets its group's last fire to
  // fire.scheduled_at, in one transaction. kAlreadyExists if the key was recorded before (the
  // fire happened, or is being fanned out: see ListUnfinishedFires). Of several callers starting
  // the same key, exactly one succeeds.
  virtual Status StartFire(const Fire& fire, TimeMs now) = 0;
  // Enqueues one email per subscriber for the next up to `limit` subscribers of a started fire
  // (by user id, after the last batch), in one transaction that also advances the fire's
  // cursor; marks the fire done when none are left. kNotFound for an unknown key.
  virtual Result<FanOutProgress> FanOutFire(const std::string& key, int limit,
                                            const FireRecipient& recipient, TimeMs now) = 0;
  // Keys of fires started but not fanned out to the end (a crash or error interrupted them).
  virtual Result<std::vector<std::string>> ListUnfinishedFires() = 0;
};

}  // namespace store
