#pragma once
// Status callbacks (their delivery is a JobKind::kCallback job, leased through JobQueue), every
// delivery attempt, the endpoints' failure streaks, and the expiring tasks whose callbacks they
// are.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

// Attempts a status callback gets (30 s, 1 min, ... capped at 1 h: about 5 hours in all).
inline constexpr int kCallbackAttempts = 10;

// A status callback to POST to a key's callback URL.
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
  // sent: this one waits, so one subject's callbacks arrive in order. (Not one never tried and
  // due after this one: a task's EXPIRED, due at the expiry, holds back nothing due before.)
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

// Cursors are positive integers the store hands out and takes back unchanged (see
// src/store/README.md, "Cursors").
// Which attempts a listing shows: all, or those to one endpoint, or those about one email or
// task (a callback's subject); empty members do not filter.
struct CallbackAttemptFilter {
  std::string url;
  std::string subject_id;
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

// A task is removed once removed_at is set; otherwise expired from its expires_at on, and
// pending before.
enum class TaskState { kAny, kPending, kRemoved, kExpired };

class CallbackStore {
 public:
  virtual ~CallbackStore() = default;

  // Callbacks ----------------------------------------------------------------------------
  // Stores the callback with its kCallback job (max_attempts attempts); returns its id.
  virtual Result<std::string> EnqueueCallback(const NewCallback& callback, int max_attempts,
                                              TimeMs now) = 0;
  // kNotFound for an unknown id.
  virtual Result<Callback> GetCallback(const std::string& id) = 0;
  // Records an attempt of a leased callback job and applies its outcome (as
  // JobQueue::FinishDelivery does for the job), in one transaction. A delivered callback resets
  // its endpoint's failure streak; a failed attempt extends it, and the endpoint is disabled
  // when the streak reaches disable_after. kFailedPrecondition if the lease no longer holds
  // (nothing recorded).
  virtual Status FinishCallback(std::int64_t job_id, std::int64_t token,
                                const CallbackOutcome& outcome, TimeMs now) = 0;
  // Attempts that `filter` lets through, newest first, after `cursor` (a previous page's
  // next_cursor).
  virtual Result<CallbackAttemptPage> ListCallbackAttempts(const CallbackAttemptFilter& filter,
                                                           std::optional<std::int64_t> cursor,
                                                           int limit) = 0;
  virtual Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints() = 0;
  // Clears the failure streak and the disabled mark. kNotFound for an unknown endpoint.
  virtual Status EnableWebhookEndpoint(const std::string& url) = 0;

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
  // The owner's tasks (every task for an empty owner) in `state` as of `now`, newest first.
  virtual Result<std::vector<Task>> ListTasks(const std::string& owner, TaskState state, TimeMs now,
                                              int limit) = 0;
};

}  // namespace store
