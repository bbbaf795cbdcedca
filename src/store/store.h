#pragma once
// The storage seam. Everything durable goes through this interface, in domain words: emails,
// their delivery jobs and events, idempotency records, API keys, counters. The job state
// machine (queued -> leased -> done | queued (retry) | dead, and cancelled) lives behind it so
// that the SQLite store and, later, a Redis store implement the same transitions atomically.
//
// Every mutating call is durable when it returns ok (group-committed; fsync'd with
// durability=full). Lease-holding calls take the fencing token handed out by LeaseJobs and
// fail with kFailedPrecondition when the lease has moved on (expired and re-leased, cancelled).
#include <cstdint>
#include <functional>
#include <memory>
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
// kCallback: POST a status callback (ref_id = callback id).
enum class JobKind { kEmail, kCallback };
const char* JobKindName(JobKind kind);  // "email", "callback": the jobs.kind column
const char* JobStateName(JobState state);

// What a client sees of an email. Derived from the job's state and attempts.
// kSuppressed: sent to a suppressed address, so never attempted.
enum class EmailStatus { kQueued, kSending, kSent, kDeferred, kFailed, kCancelled, kSuppressed };
const char* EmailStatusName(EmailStatus status);
std::optional<EmailStatus> ParseEmailStatus(const std::string& name);

// Priorities: lower runs first. Transactional mail (one-off sends, OTPs) goes before bulk.
inline constexpr int kPriorityTransactional = 0;
inline constexpr int kPriorityBulk = 10;

// Attempts a status callback gets (30 s, 1 min, ... capped at 1 h: about 5 hours in all).
inline constexpr int kCallbackAttempts = 10;

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
  // message is this fire's body (see Store::FanOutFire). Empty for every other email.
  std::string fire_key;
  std::optional<EmailTracking> tracking = {};
  // Addressed to a suppressed address: stored as kSuppressed with its job cancelled.
  bool suppressed = false;
};

// A claim for an Idempotency-Key: same (owner, key) + same request hash returns the stored
// response; a different hash is kAlreadyExists.
struct IdempotencyClaim {
  std::string owner;
  std::string key;
  std::string request_hash;
  int response_status = 0;
  std::string response_body;
};

struct StoredResponse {
  int status = 0;
  std::string body;
};

// Either the new email was stored (replayed == nullopt) or an earlier identical request
// already was and its response is replayed.
struct CreateEmailResult {
  std::optional<StoredResponse> replayed;
};

struct EmailEvent {
  TimeMs at = 0;
  std::string type;  // queued, sending, sent, deferred, failed, cancelled, retried, released
  std::string detail;
};

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

struct EmailFilter {
  std::optional<EmailStatus> status;
  std::string recipient;               // bare address, matched against to/cc/bcc case-insensitively
  std::optional<TimeMs> since, until;  // created_at range, inclusive since, exclusive until
  std::optional<std::int64_t> cursor;  // opaque position from a previous page's next_cursor
  int limit = 50;
};

struct EmailPage {
  std::vector<Email> emails;  // newest first
  std::optional<std::int64_t> next_cursor;
};

// A leased job and what its handler needs to run it.
struct Lease {
  std::int64_t job_id = 0;
  std::int64_t token = 0;  // fencing token; strictly increasing across all leases
  std::string kind;        // "email"
  std::string ref_id;      // the email id for kind "email"
  int attempt = 0;         // 1 for the first attempt
  int max_attempts = 0;
  TimeMs expires_at = 0;
  TimeMs created_at = 0;  // when the job was enqueued (for latency)
};

// What one delivery attempt came to. The queue decides retry vs. dead from the error table;
// the store only applies it.
struct DeliveryOutcome {
  enum class Kind { kSent, kRetry, kFailed } kind = Kind::kSent;
  std::string reply;    // server reply or error text, kept on the email
  TimeMs retry_at = 0;  // for kRetry
};

struct FinishedAttempt {
  std::int64_t job_id = 0;
  std::int64_t token = 0;
  DeliveryOutcome outcome;
};

struct QueueStats {
  std::int64_t queued = 0, leased = 0, done = 0, dead = 0, cancelled = 0;
  std::int64_t scheduled = 0;  // queued with run_at in the future (included in queued)
  // Persistent counters: survive restarts.
  std::int64_t enqueued_total = 0, sent_total = 0, failed_total = 0, retried_total = 0;
};

struct ApiKey {
  std::string id;
  std::string name;      // unique for roles "client" and "sender"
  std::string key_hash;  // SHA-256 hex of the secret
  // "admin"; "client" for GoMail users (name = the user id); "sender" for the SES-compatible API
  std::string role;
  TimeMs created_at = 0;
  std::optional<TimeMs> expires_at;
  std::string callback_url = {};  // where status callbacks go ("return_api"); "" for none
  std::string key_hint = {};      // the secret's last characters, for display
};

// A tracked email as the SES-compatible records show it.
struct EmailRecord {
  Email email;
  EmailTracking tracking;
  std::optional<TimeMs> opened_at;
  std::string key_hint;  // the last characters of the sending key
};

// A delivery event reported by the provider (SES through SNS) about a tracked email.
struct ProviderEvent {
  std::string email_id;               // ours, when the event names it (the Message-ID we set)
  std::string provider_id;            // else the provider's message id
  std::string event;                  // DELIVERED, BOUNCE, COMPLAINT
  std::string aws_data;               // the provider's event (JSON), passed on in the callback
  std::vector<std::string> suppress;  // addresses to add to the suppression list
  std::string reason;                 // "bounce" or "complaint"
};

struct Suppression {
  std::string address;
  std::string reason;  // bounce, complaint, manual
  std::string detail;
  TimeMs created_at = 0;
};

// A status callback to POST to a key's callback URL (its delivery is a kCallback job).
struct NewCallback {
  std::string owner;  // API key id
  std::string url;
  std::string event;       // PROCESSING, SENT, ..., ADD, REMOVE, EXPIRED
  std::string subject_id;  // the email or task it is about
  std::string payload;     // JSON body
  TimeMs run_at = 0;       // when to send it first (0: now)
};

struct Callback {
  std::string id;
  std::string owner, url, event, subject_id, payload;
  TimeMs created_at = 0;
  std::string state;  // the job's: queued, leased, done (delivered), dead, cancelled
  int attempts = 0;
  bool endpoint_disabled = false;
  // An earlier callback about the same email or task to the same URL is still queued or being
  // sent: this one waits, so one subject's callbacks arrive in order.
  bool earlier_pending = false;
};

// One try at delivering a callback, as recorded.
struct CallbackAttempt {
  std::string callback_id;
  std::string url, event;
  int attempt = 0;
  TimeMs at = 0;
  int status_code = 0;  // 0: no HTTP answer
  TimeMs latency_ms = 0;
  std::string error;  // "" on success
};

struct CallbackAttemptPage {
  std::vector<CallbackAttempt> attempts;  // newest first
  std::optional<std::int64_t> next_cursor;
};

struct WebhookEndpoint {
  std::string url;
  int consecutive_failures = 0;
  std::optional<TimeMs> disabled_at, last_failure_at, last_success_at;
};

// What FinishCallback records: the attempt and what becomes of the callback.
struct CallbackOutcome {
  CallbackAttempt attempt;   // callback_id/url/event/attempt are filled in by the store
  DeliveryOutcome delivery;  // kSent: delivered; kRetry at retry_at; kFailed: given up
  int disable_after = 0;     // consecutive failures that disable the endpoint; 0: never
};

// An expiring task of the SES-compatible API.
struct Task {
  std::string id;
  std::string owner;
  std::string data;  // JSON object
  TimeMs expires_at = 0;
  std::optional<TimeMs> removed_at;
  TimeMs created_at = 0;
};

// The current one-time code of a recipient (see auth/otp.h for the policy around it).
struct OtpRecord {
  std::string recipient;  // bare address, lower-cased
  std::string code_hash;
  TimeMs expires_at = 0;
  int failed_attempts = 0;
  bool used = false;
  TimeMs created_at = 0;
  TimeMs last_sent_at = 0;
};

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

// Builds one recipient's email of a fire (given without its body). Runs on the store's writer, so
// it must be quick and must not call the store. The email's raw_message holds only the
// recipient's own headers; the fire's body is appended to it whenever the message is read.
using FireRecipient = std::function<NewEmail(const Fire& fire, const Subscriber& subscriber)>;

struct SubscribeResult {
  bool content_type_created = false;  // the subscription created its content type
  bool already_subscribed = false;    // the user was subscribed; only the frequency was set
  ContentType content_type;           // as stored (an existing type keeps its content)
};

// An email template (the SES-compatible API's uploaded HTML files and /v1/templates), by name:
// 1-128 of [A-Za-z0-9_.-], case-sensitive. Every save adds a version; the current one is what
// senders render.
struct Template {
  std::string name;
  int version = 0;        // 1 for the first save
  std::string subject;    // template text; may be empty
  std::string html;       // template text
  std::string text;       // template text; empty: senders derive the text part from the HTML
  TimeMs created_at = 0;  // the first version's save
  TimeMs updated_at = 0;  // this version's save
};

struct TemplatePage {
  std::vector<Template> templates;  // by name, without html and text
  std::int64_t total = 0;           // templates in the store
};

// What a verification attempt writes back to the code it read.
enum class OtpWrite { kNothing, kMarkUsed, kCountFailure };
// Decides a verification attempt from the stored code (nullptr: none was issued). Runs inside
// the store's write serialization, so it must be quick and must not call the store.
using OtpDecision = std::function<OtpWrite(const OtpRecord* record)>;

class Store {
 public:
  virtual ~Store() = default;

  // Emails -------------------------------------------------------------------------------
  // Stores the email, its delivery job (state queued, run_at = send_at), a "queued" event and
  // the idempotency claim, all or nothing. With a claim that matches an earlier one, nothing
  // is written and the earlier response comes back; a claim whose hash differs is
  // kAlreadyExists. Also kAlreadyExists: an id already taken; kInvalidArgument: empty id or
  // max_attempts < 1; kPayloadTooLarge: raw_message over 1e9 bytes.
  virtual Result<CreateEmailResult> CreateEmail(const NewEmail& email,
                                                const std::optional<IdempotencyClaim>& claim,
                                                TimeMs now) = 0;
  virtual Result<Email> GetEmail(const std::string& id) = 0;
  // In the order they happened (committed).
  virtual Result<std::vector<EmailEvent>> ListEmailEvents(const std::string& id) = 0;
  virtual Result<EmailPage> ListEmails(const EmailFilter& filter) = 0;
  // The rendered message and its envelope.
  struct RawMessage {
    std::string envelope_from;
    std::vector<std::string> envelope_recipients;
    std::string data;
  };
  virtual Result<RawMessage> GetRawMessage(const std::string& id) = 0;
  // Several messages in one read (delivery workers load a leased batch at once); nullopt
  // where an id is unknown. The default asks GetRawMessage for each.
  virtual Result<std::vector<std::optional<RawMessage>>> GetRawMessages(
      const std::vector<std::string>& ids) {
    std::vector<std::optional<RawMessage>> messages;
    for (const auto& id : ids) {
      auto message = GetRawMessage(id);
      if (message.ok()) {
        messages.emplace_back(std::move(*message));
      } else if (message.error().code == core::ErrorCode::kNotFound) {
        messages.emplace_back();
      } else {
        return message.error();
      }
    }
    return messages;
  }
  // failed -> queued with a fresh attempt budget. kFailedPrecondition in any other status.
  virtual Status RetryEmail(const std::string& id, TimeMs now) = 0;
  // queued/deferred -> cancelled. kFailedPrecondition if sending, sent, failed or cancelled.
  virtual Status CancelEmail(const std::string& id, TimeMs now) = 0;

  // Jobs ---------------------------------------------------------------------------------
  // Leases up to `max` runnable jobs: queued with run_at <= now, and leased ones whose lease
  // expired (their attempt counts as spent), by priority then run_at. Each gets a new fencing
  // token and expires at now + lease_ms; the email turns "sending". Since expired and recovered
  // leases count as spent attempts, Lease::attempt can exceed max_attempts (a message that keeps
  // killing its worker): the caller should dead-letter such a lease instead of delivering it.
  virtual Result<std::vector<Lease>> LeaseJobs(JobKind kind, int max, TimeMs now,
                                               TimeMs lease_ms) = 0;
  // Extends a lease. kFailedPrecondition if the token no longer holds.
  virtual Status Heartbeat(std::int64_t job_id, std::int64_t token, TimeMs expires_at) = 0;
  // Applies a delivery outcome if the token still holds (else kFailedPrecondition): sent ->
  // done; retry -> queued at retry_at (email deferred); failed -> dead (email failed). Bumps
  // sent_total, retried_total or failed_total in the same transaction.
  // Applies several outcomes in one commit, each as FinishDelivery would. One status per
  // attempt, in order: ok, or kFailedPrecondition where the lease no longer holds. A storage
  // failure fails the whole call and applies nothing.
  virtual Result<std::vector<Status>> FinishDeliveries(const std::vector<FinishedAttempt>& attempts,
                                                       TimeMs now) = 0;
  Status FinishDelivery(std::int64_t job_id, std::int64_t token, const DeliveryOutcome& outcome,
                        TimeMs now) {
    auto statuses = FinishDeliveries({{job_id, token, outcome}}, now);
    if (!statuses.ok()) return statuses.error();
    return statuses->front();
  }
  // Gives a lease back unused: queued again at run_at (now at shutdown; later when a rate limit
  // defers it), the attempt not counted.
  virtual Status ReleaseLease(std::int64_t job_id, std::int64_t token, TimeMs run_at,
                              TimeMs now) = 0;
  // Returns every leased job to the queue. Called at start: with the store's single-process
  // lock held, no lease can belong to a live worker.
  virtual Result<int> RecoverLeases(TimeMs now) = 0;
  // The earliest time LeaseJobs could return something, to sleep until it: the earliest run_at
  // of a queued job or lease expiry of a leased one (already past if something is due now).
  virtual Result<std::optional<TimeMs>> NextRunAt(JobKind kind) = 0;
  virtual Result<QueueStats> Stats(TimeMs now) = 0;

  // API keys -----------------------------------------------------------------------------
  virtual Status CreateApiKey(const ApiKey& key) = 0;
  // kNotFound if no key has this hash.
  virtual Result<ApiKey> FindApiKeyByHash(const std::string& key_hash) = 0;
  virtual Result<int> CountApiKeys(const std::string& role) = 0;
  // kNotFound if no key has this id.
  virtual Result<ApiKey> FindApiKeyById(const std::string& id) = 0;
  // Deletes every key with this name and role; returns the deleted keys (so callers can drop
  // them from caches). An empty list when there were none.
  virtual Result<std::vector<ApiKey>> DeleteApiKeysByName(const std::string& name,
                                                          const std::string& role) = 0;
  // A key with the unique index on (name) for role "client" is kAlreadyExists in CreateApiKey.
  // Every key, oldest first (hashes included; callers must not show them).
  virtual Result<std::vector<ApiKey>> ListApiKeys() = 0;
  // Deletes one key and returns it; kNotFound if no key has this id.
  virtual Result<ApiKey> DeleteApiKey(const std::string& id) = 0;

  // Settings -----------------------------------------------------------------------------
  // The value stored under `key`; if there is none, stores `value_if_absent` and returns it.
  // Atomic: concurrent callers all get the same value.
  virtual Result<std::string> GetOrCreateSetting(const std::string& key,
                                                 const std::string& value_if_absent) = 0;

  // One-time codes -----------------------------------------------------------------------
  // Replaces the recipient's code with `record` (record.last_sent_at is the send time), unless
  // the previous code was sent less than `resend_interval_ms` before it: kResourceExhausted.
  virtual Status PutOtp(const OtpRecord& record, TimeMs resend_interval_ms) = 0;
  // Reads the recipient's code, lets `decide` judge the attempt and applies its answer, as one
  // serialized write: parallel attempts on one code see each other's failures.
  virtual Status VerifyOtp(const std::string& recipient, const OtpDecision& decide) = 0;

  // Subscriptions ------------------------------------------------------------------------
  // Content types: `type`'s timestamps are ignored (created_at/updated_at are set to `now`).
  // kAlreadyExists if the name is taken; kInvalidArgument for an empty name.
  virtual Status CreateContentType(const ContentType& type, TimeMs now) = 0;
  // Replaces subject and content (created_at kept). kNotFound if there is no such type.
  virtual Status UpdateContentType(const ContentType& type, TimeMs now) = 0;
  // kNotFound if there is no such type.
  virtual Result<ContentType> GetContentType(const std::string& name) = 0;
  // Every content type, by name.
  virtual Result<std::vector<ContentType>> ListContentTypes() = 0;
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
  // Up to `limit` subscribers of the content type with user ids after `cursor`.
  virtual Result<SubscriberPage> ListSubscribers(const std::string& content_type,
                                                 const std::string& cursor, int limit) = 0;

  // Newsletter fires ---------------------------------------------------------------------
  // Every group with subscribers.
  virtual Result<std::vector<Schedule>> ListSchedules() = 0;
  // Records when the group fires next (kNotFound if it has no schedule row any more).
  virtual Status SetNextFire(const Schedule& group, TimeMs next_fire) = 0;
  // Records the fire under its key and, for a scheduled fire, sets its group's last fire to
  // fire.scheduled_at, in one transaction. kAlreadyExists if the key was recorded before (the
  // fire happened, or is being fanned out: see ListUnfinishedFires).
  virtual Status StartFire(const Fire& fire, TimeMs now) = 0;
  // Enqueues one email per subscriber for the next up to `limit` subscribers of a started fire
  // (by user id, after the last batch), in one transaction that also advances the fire's
  // cursor; marks the fire done when none are left. kNotFound for an unknown key.
  virtual Result<FanOutProgress> FanOutFire(const std::string& key, int limit,
                                            const FireRecipient& recipient, TimeMs now) = 0;
  // Keys of fires started but not fanned out to the end (a crash or error interrupted them).
  virtual Result<std::vector<std::string>> ListUnfinishedFires() = 0;

  // Callbacks ----------------------------------------------------------------------------
  // Stores the callback with its kCallback job (max_attempts attempts); returns its id.
  virtual Result<std::string> EnqueueCallback(const NewCallback& callback, int max_attempts,
                                              TimeMs now) = 0;
  // kNotFound for an unknown id.
  virtual Result<Callback> GetCallback(const std::string& id) = 0;
  // Records an attempt of a leased callback job and applies its outcome (as FinishDelivery
  // does for the job), in one transaction. A delivered callback resets its endpoint's failure
  // streak; a failed attempt extends it, and the endpoint is disabled when the streak reaches
  // disable_after. kFailedPrecondition if the lease no longer holds (nothing recorded).
  virtual Status FinishCallback(std::int64_t job_id, std::int64_t token,
                                const CallbackOutcome& outcome, TimeMs now) = 0;
  // Attempts, newest first; `url` filters by endpoint when not empty.
  virtual Result<CallbackAttemptPage> ListCallbackAttempts(const std::string& url,
                                                           std::optional<std::int64_t> cursor,
                                                           int limit) = 0;
  virtual Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints() = 0;
  // Clears the failure streak and the disabled mark. kNotFound for an unknown endpoint.
  virtual Status EnableWebhookEndpoint(const std::string& url) = 0;

  // Tracked email ------------------------------------------------------------------------
  // The owner's tracked emails among `ids` (others and unknown ids are left out), in that order.
  virtual Result<std::vector<EmailRecord>> GetEmailRecords(const std::string& owner,
                                                           const std::vector<std::string>& ids) = 0;
  // The owner's tracked emails, newest first.
  virtual Result<std::vector<EmailRecord>> ListEmailRecords(const std::string& owner, int offset,
                                                            int limit) = 0;
  // The first fetch of an email's pixel: marks it opened and enqueues its OPEN callback, in one
  // transaction. Returns false when it was opened before. kNotFound for an unknown token.
  virtual Result<bool> MarkOpened(const std::string& open_token, TimeMs now) = 0;
  // Suppresses the given addresses and, when one of the ids names a tracked email, records the
  // event on it and enqueues its callback, in one transaction. Returns that email's id, or
  // nullopt when the event is about mail outbox does not track (the suppressions still hold).
  virtual Result<std::optional<std::string>> RecordProviderEvent(const ProviderEvent& event,
                                                                 TimeMs now) = 0;

  // Suppression list ---------------------------------------------------------------------
  // Adds (or keeps) the address, compared lower-cased.
  virtual Status Suppress(const Suppression& suppression) = 0;
  // kNotFound if the address is not suppressed.
  virtual Status Unsuppress(const std::string& address) = 0;
  virtual Result<std::optional<Suppression>> FindSuppression(const std::string& address) = 0;
  // By address, after `cursor`.
  virtual Result<std::vector<Suppression>> ListSuppressions(const std::string& cursor,
                                                            int limit) = 0;

  // Tasks --------------------------------------------------------------------------------
  // Stores the task and, in the same transaction, its callbacks: `added` now, `expired` at
  // the task's expiry (either may be nullopt when the key has no callback URL).
  virtual Status AddTask(const Task& task, const std::optional<NewCallback>& added,
                         const std::optional<NewCallback>& expired, int max_attempts,
                         TimeMs now) = 0;
  // Marks the owner's task removed, cancels its pending EXPIRED callback and enqueues
  // `removed`, in one transaction. kNotFound for an unknown id or another owner's task;
  // kFailedPrecondition when it was removed already or has expired.
  virtual Result<Task> RemoveTask(const std::string& id, const std::string& owner,
                                  const std::optional<NewCallback>& removed, int max_attempts,
                                  TimeMs now) = 0;
  // kNotFound for an unknown id.
  virtual Result<Task> GetTask(const std::string& id) = 0;
  // The owner's tasks (every task for an empty owner), newest first.
  virtual Result<std::vector<Task>> ListTasks(const std::string& owner, int limit) = 0;

  // Templates ----------------------------------------------------------------------------
  // Saves `tmpl` (its timestamps are ignored) as the next version of its name, creating the
  // template if needed, and returns it as stored. `tmpl.version` is a precondition: 0 saves
  // whatever is there; 1 only creates (kAlreadyExists if the name exists); n > 1 only follows
  // version n - 1 (kNotFound if there is no template, kFailedPrecondition if another version is
  // current). kInvalidArgument for an empty name or a negative version. Names are checked by
  // the caller.
  virtual Result<Template> SaveTemplate(const Template& tmpl, TimeMs now) = 0;
  // The current version, or the given one. kNotFound if the template or version does not exist.
  virtual Result<Template> GetTemplate(const std::string& name, std::optional<int> version) = 0;
  // Up to `limit` templates by name after skipping `offset`, without html and text, and the total.
  virtual Result<TemplatePage> ListTemplates(int offset, int limit) = 0;
  // Every version, oldest first, without html and text. kNotFound if the template does not exist.
  virtual Result<std::vector<Template>> ListTemplateVersions(const std::string& name) = 0;
  // Deletes the template and all its versions. kNotFound if it does not exist.
  virtual Status DeleteTemplate(const std::string& name) = 0;

  // Health: a cheap read that proves the store answers.
  virtual Status Ping() = 0;
};

enum class Durability { kFull, kNormal };

struct SqliteOptions {
  std::string path;  // database file; its directory must exist
  Durability durability = Durability::kFull;
  int busy_timeout_ms = 5000;
  int max_batch = 512;  // most writes one group commit takes
};

// Opens (creating if needed) the database, applies the embedded migrations and takes an
// exclusive lock file (path + ".lock") so no second process uses the same file.
Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace store
