#pragma once
// Emails as clients see them: create (with the delivery job and an idempotency claim), get, list,
// events, the rendered message, retry and cancel.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

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

// Cursors are positive integers the store hands out and takes back unchanged; callers never
// compute with them. A backend chooses them (see src/store/README.md, "Cursors").
// How many emails had a given event in one span of time (EmailStore::CountEmailEvents).
struct EventCount {
  TimeMs bucket_start = 0;
  std::string type;  // sent, failed, deferred
  std::int64_t count = 0;
};

// A failed or deferred delivery attempt (EmailStore::ListRecentFailures), with what identifies
// its email to a person.
struct FailureEvent {
  std::string email_id;
  TimeMs at = 0;
  std::string type;   // failed, deferred
  std::string reply;  // the SMTP reply or error text of the attempt
  std::vector<std::string> to;
  std::string subject;
};

struct EmailFilter {
  std::optional<EmailStatus> status;
  std::string recipient;               // bare address, matched against to/cc/bcc case-insensitively
  std::optional<TimeMs> since, until;  // created_at range, inclusive since, exclusive until
  std::string sender;                  // "" or a part of the From address, ASCII case-insensitive
  std::string subject;                 // "" or a part of the subject, ASCII case-insensitive
  std::string tag;                     // "" or one of the email's tags, exactly
  std::optional<std::int64_t> cursor;  // a previous page's next_cursor
  int limit = 50;
};

struct EmailPage {
  std::vector<Email> emails;  // newest first
  std::optional<std::int64_t> next_cursor;
};

class EmailStore {
 public:
  virtual ~EmailStore() = default;

  // Stores the email, its delivery job (state queued, run_at = send_at), a "queued" event and
  // the idempotency claim, all or nothing. With a claim that matches an earlier one, nothing
  // is written and the earlier response comes back; a claim whose hash differs is
  // kAlreadyExists. Also kAlreadyExists: an id already taken; kInvalidArgument: empty id or
  // max_attempts < 1; kPayloadTooLarge: raw_message over 1e9 bytes.
  virtual Result<CreateEmailResult> CreateEmail(const NewEmail& email,
                                                const std::optional<IdempotencyClaim>& claim,
                                                TimeMs now) = 0;
  // As CreateEmail, without holding the caller's thread while the write becomes durable: `done`
  // gets CreateEmail's result, on a thread of the store's once durable, or on the caller's (before
  // this returns) when the backend has no such thread. `done` must be quick and must not throw.
  virtual void CreateEmailThen(NewEmail email, std::optional<IdempotencyClaim> claim, TimeMs now,
                               std::function<void(Result<CreateEmailResult>)> done) {
    done(CreateEmail(email, claim, now));
  }
  // kNotFound for an unknown id.
  virtual Result<Email> GetEmail(const std::string& id) = 0;
  // In the order they happened (committed).
  virtual Result<std::vector<EmailEvent>> ListEmailEvents(const std::string& id) = 0;
  // The delivery events (sent, failed, deferred) at or after `since` and before `until`, counted
  // per type in buckets of `step` ms from `since` (bucket_start = since + k * step); buckets
  // without events are left out, the rest come by bucket_start. kInvalidArgument for a step
  // below 1000 ms or more than 10,000 buckets.
  virtual Result<std::vector<EventCount>> CountEmailEvents(TimeMs since, TimeMs until,
                                                           TimeMs step) = 0;
  virtual Result<EmailPage> ListEmails(const EmailFilter& filter) = 0;
  // For each of the latest `limit` emails whose "sent" event is at or after `since` and before
  // `until`: the ms from when it was due (created, or its send_at when that is later) to that
  // event, in no particular order. Cost: reads each such event (email_events_by_time) and its
  // email.
  virtual Result<std::vector<TimeMs>> ListSendLatencies(TimeMs since, TimeMs until, int limit) = 0;
  // The latest `limit` failed and deferred events at or after `since`, newest first. Cost: walks
  // the events since `since` backwards (email_events_by_time) until `limit` are found.
  virtual Result<std::vector<FailureEvent>> ListRecentFailures(TimeMs since, int limit) = 0;
  // The rendered message and its envelope.
  struct RawMessage {
    std::string envelope_from;
    std::vector<std::string> envelope_recipients;
    std::string data;
  };
  // kNotFound for an unknown id.
  virtual Result<RawMessage> GetRawMessage(const std::string& id) = 0;
  // Several messages in one read (delivery workers load a leased batch at once); nullopt
  // where an id is unknown. Stops early once the messages read hold `max_bytes` or more (the
  // first is always read): the result then covers only the first ids. The default asks
  // GetRawMessage for each.
  virtual Result<std::vector<std::optional<RawMessage>>> GetRawMessages(
      const std::vector<std::string>& ids, std::size_t max_bytes) {
    std::vector<std::optional<RawMessage>> messages;
    std::size_t bytes = 0;
    for (const auto& id : ids) {
      if (bytes >= max_bytes) break;
      auto message = GetRawMessage(id);
      if (message.ok()) bytes += message->data.size();
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
  // Stores `copy` as CreateEmail does (no idempotency claim) as a resend of `original_id`, with a
  // "resent" event on the original naming the copy's id and a "resend_of" event on the copy
  // naming the original's, all or nothing. The copy's message is redacted once done if the
  // original's was to be. kNotFound for an unknown original; CreateEmail's errors.
  // REQUIRES: copy.redact_when_done is false, copy.fire_key and copy.raw_tail are empty.
  virtual Status ResendEmail(const std::string& original_id, const NewEmail& copy, TimeMs now) = 0;
};

}  // namespace store
