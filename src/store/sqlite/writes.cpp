#include "store/sqlite/writes.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <limits>
#include <tuple>
#include <utility>

#include "store/sqlite/campaigns.h"
#include "store/sqlite/columns.h"
#include "store/sqlite/reads.h"
#include "store/sqlite/tracking.h"

namespace store::sqlite {

core::Error AlreadyExists(std::string message) {
  return core::Error{core::ErrorCode::kAlreadyExists, std::move(message), {}};
}

void AddEvent(Connection& connection, const std::string& email_id, TimeMs at, std::string_view type,
              const std::string& detail) {
  ScopedStatement insert(connection,
                         "INSERT INTO email_events (email_id, at, type, detail) "
                         "VALUES (?, ?, ?, ?)");
  insert->bind(1, email_id);
  insert->bind(2, at);
  insert->bind(3, std::string(type));
  insert->bind(4, detail);
  insert->exec();
}

void AddToCounter(Connection& connection, const char* name, std::int64_t amount) {
  ScopedStatement update(connection, "UPDATE counters SET value = value + ? WHERE name = ?");
  update->bind(1, amount);
  update->bind(2, name);
  update->exec();
}

namespace {

using core::Error;
using core::ErrorCode;

// SQLite refuses strings and blobs above its length limit (1e9 bytes by default).
constexpr std::size_t kMaxMessageBytes = 1'000'000'000;

TimeMs SaturatingAdd(TimeMs a, TimeMs b) {
  TimeMs sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) {
    return b > 0 ? std::numeric_limits<TimeMs>::max() : std::numeric_limits<TimeMs>::min();
  }
  return sum;
}

bool IsUniqueViolation(const SQLite::Exception& exception) {
  const int code = exception.getExtendedErrorCode();
  return code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
}

Error LeaseLost(std::int64_t job_id, std::int64_t token) {
  return core::FailedPrecondition("lease lost: job " + std::to_string(job_id) +
                                  " is no longer held by token " + std::to_string(token));
}

void BumpCounter(Connection& connection, const char* name) { AddToCounter(connection, name, 1); }

// What a job-transition UPDATE ... RETURNING kind, ref_id, attempts hands back.
struct TransitionedJob {
  std::string kind;
  std::string ref_id;
  int attempts = 0;
};

std::optional<TransitionedJob> ReadTransitionedJob(SQLite::Statement& statement) {
  if (!statement.executeStep()) {
    return std::nullopt;
  }
  return TransitionedJob{statement.getColumn(0).getString(), statement.getColumn(1).getString(),
                         statement.getColumn(2).getInt()};
}

// The campaign_id of the row an "UPDATE emails ... RETURNING campaign_id" changed, if any: read
// with the update itself, so an email outside a campaign costs nothing more.
std::optional<std::int64_t> ReturnedCampaignId(SQLite::Statement& update) {
  if (!update.executeStep() || update.isColumnNull(0)) {
    return std::nullopt;
  }
  return update.getColumn(0).getInt64();
}

// Puts an email whose job went back to the queue into queued (never tried) or deferred; a
// campaign's email is then held or cancelled if its campaign is paused or cancelled.
void RequeueEmail(Connection& connection, const TransitionedJob& job, TimeMs now, const char* event,
                  const std::string& detail) {
  std::optional<std::int64_t> campaign_id;
  std::int64_t job_id = 0;
  {
    ScopedStatement update(
        connection,
        "UPDATE emails SET status = ?, attempts = ?, updated_at = ? WHERE id = ? "
        "RETURNING campaign_id, job_id");
    update->bind(1, job.attempts > 0 ? "deferred" : "queued");
    update->bind(2, job.attempts);
    update->bind(3, now);
    update->bind(4, job.ref_id);
    campaign_id = ReturnedCampaignId(*update);
    if (campaign_id) {
      job_id = update->getColumn(1).getInt64();
    }
  }
  AddEvent(connection, job.ref_id, now, event, detail);
  if (campaign_id) {
    RequeuedCampaignEmail(connection, *campaign_id, job.ref_id, job_id, now);
  }
}

}  // namespace

core::Result<PreparedEmail> PrepareEmail(const NewEmail& email) {
  if (email.id.empty()) {
    return core::InvalidArgument("id", "email id is empty");
  }
  if (email.max_attempts < 1) {
    return core::InvalidArgument("max_attempts", "max_attempts must be at least 1");
  }
  if (email.raw_message.size() > kMaxMessageBytes) {
    return Error{ErrorCode::kPayloadTooLarge, "the rendered message is too large", "raw_message"};
  }
  PreparedEmail prepared;
  prepared.to = DumpJson(email.to);
  prepared.cc = DumpJson(email.cc);
  prepared.bcc = DumpJson(email.bcc);
  prepared.tags = DumpJson(email.tags);
  prepared.metadata = DumpJson(email.metadata);
  prepared.envelope_recipients = DumpJson(email.envelope_recipients);
  for (const std::vector<std::string>* list : {&email.to, &email.cc, &email.bcc}) {
    for (const std::string& address : *list) {
      std::string bare = BareAddress(address);
      if (!bare.empty()) {
        prepared.recipients.insert(std::move(bare));
      }
    }
  }
  return prepared;
}

core::Status InsertEmailInTransaction(Connection& connection, const NewEmail& email,
                                      const PreparedEmail& prepared, TimeMs now) {
  std::int64_t job_id = 0;
  {
    ScopedStatement insert(connection,
                           "INSERT INTO jobs (kind, ref_id, state, priority, run_at, attempts, "
                           "max_attempts, created_at, updated_at) "
                           "VALUES ('email', ?, ?, ?, ?, 0, ?, ?, ?)");
    insert->bind(1, email.id);
    insert->bind(2, email.suppressed ? "cancelled" : "queued");
    insert->bind(3, email.priority);
    insert->bind(4, std::max(email.send_at, now));
    insert->bind(5, email.max_attempts);
    insert->bind(6, now);
    insert->bind(7, now);
    insert->exec();
    job_id = connection.db.getLastInsertRowid();
  }

  std::int64_t seq = 0;
  try {
    ScopedStatement insert(
        connection,
        "INSERT INTO emails (id, job_id, status, from_address, to_addresses, cc_addresses, "
        "bcc_addresses, reply_to, subject, tags, metadata, attempts, max_attempts, last_reply, "
        "created_at, send_at, updated_at, owner, campaign_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '', ?, ?, ?, ?, ?)");
    insert->bind(1, email.id);
    insert->bind(2, job_id);
    insert->bind(3, email.suppressed ? "suppressed" : "queued");
    insert->bind(4, email.from);
    insert->bindNoCopy(5, prepared.to);
    insert->bindNoCopy(6, prepared.cc);
    insert->bindNoCopy(7, prepared.bcc);
    insert->bind(8, email.reply_to);
    insert->bind(9, email.subject);
    insert->bindNoCopy(10, prepared.tags);
    insert->bindNoCopy(11, prepared.metadata);
    insert->bind(12, email.max_attempts);
    insert->bind(13, now);
    insert->bind(14, email.send_at);
    insert->bind(15, now);
    insert->bind(16, email.owner);
    if (email.campaign_id != 0) {
      insert->bind(17, email.campaign_id);
    } else {
      insert->bind(17);  // NULL: outside emails_by_campaign
    }
    insert->exec();
    seq = connection.db.getLastInsertRowid();
  } catch (const SQLite::Exception& exception) {
    if (IsUniqueViolation(exception)) {
      return AlreadyExists("email '" + email.id + "' already exists");
    }
    throw;
  }

  {
    ScopedStatement insert(connection,
                           "INSERT INTO email_messages (email_seq, envelope_from, "
                           "envelope_recipients, data, fire_key, redact_when_done, tail) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?)");
    insert->bind(1, seq);
    insert->bind(2, email.envelope_from);
    insert->bindNoCopy(3, prepared.envelope_recipients);
    // The message outlives the statement's use, so SQLite need not copy it.
    insert->bindNoCopy(4, email.raw_message.data(), static_cast<int>(email.raw_message.size()));
    if (email.fire_key.empty()) {
      insert->bind(5);
    } else {
      insert->bind(5, email.fire_key);
    }
    insert->bind(6, email.redact_when_done ? 1 : 0);
    if (email.raw_tail.empty()) {
      insert->bind(7);
    } else {
      insert->bindNoCopy(7, email.raw_tail.data(), static_cast<int>(email.raw_tail.size()));
    }
    insert->exec();
  }

  for (const std::string& address : prepared.recipients) {
    ScopedStatement insert(connection,
                           "INSERT INTO email_recipients (address, email_seq) VALUES (?, ?)");
    insert->bind(1, address);
    insert->bind(2, seq);
    insert->exec();
  }

  AddEvent(connection, email.id, now, email.suppressed ? "suppressed" : "queued",
           email.suppressed ? "the address is on the suppression list" : "");
  if (email.tracking) {
    InsertTracking(connection, email.id, *email.tracking);
  }
  return {};
}

core::Status PrepareAndInsertEmailInTransaction(Connection& connection, const NewEmail& email,
                                                TimeMs now) {
  core::Result<PreparedEmail> prepared = PrepareEmail(email);
  if (!prepared.ok()) {
    return prepared.error();
  }
  return InsertEmailInTransaction(connection, email, *prepared, now);
}

core::Result<CreateEmailResult> CreateEmailInTransaction(
    Connection& connection, const NewEmail& email, const PreparedEmail& prepared,
    const std::optional<IdempotencyClaim>& claim, TimeMs now) {
  if (claim) {
    ScopedStatement find(connection,
                         "SELECT request_hash, response_status, response_body "
                         "FROM idempotency_keys WHERE owner = ? AND key = ?");
    find->bind(1, claim->owner);
    find->bind(2, claim->key);
    if (find->executeStep()) {
      if (find->getColumn(0).getString() != claim->request_hash) {
        return AlreadyExists("Idempotency-Key '" + claim->key +
                             "' was already used with a different request");
      }
      return CreateEmailResult{
          StoredResponse{find->getColumn(1).getInt(), find->getColumn(2).getString()}};
    }
  }

  if (core::Status inserted = InsertEmailInTransaction(connection, email, prepared, now);
      !inserted.ok()) {
    return inserted.error();
  }

  if (claim) {
    ScopedStatement insert(connection,
                           "INSERT INTO idempotency_keys (owner, key, request_hash, "
                           "response_status, response_body, created_at) "
                           "VALUES (?, ?, ?, ?, ?, ?)");
    insert->bind(1, claim->owner);
    insert->bind(2, claim->key);
    insert->bind(3, claim->request_hash);
    insert->bind(4, claim->response_status);
    insert->bind(5, claim->response_body);
    insert->bind(6, now);
    insert->exec();
  }

  BumpCounter(connection, "enqueued_total");
  return CreateEmailResult{};
}

namespace {

struct LeaseCandidate {
  std::int64_t job_id = 0;
  std::int64_t priority = 0;
  TimeMs run_at = 0;

  bool operator<(const LeaseCandidate& other) const {
    return std::tie(priority, run_at, job_id) <
           std::tie(other.priority, other.run_at, other.job_id);
  }
};

// Up to `max` runnable queued jobs in lease order. The index is (state, priority, run_at), so
// "run_at <= now" cannot bound one scan across priorities: jobs scheduled for later at a more
// urgent priority would be walked before due jobs at a less urgent one. Seeking once per distinct
// priority reads only the returned rows plus one index probe per priority.
std::vector<LeaseCandidate> DueQueuedJobs(Connection& connection, const char* kind, std::size_t max,
                                          TimeMs now) {
  std::vector<LeaseCandidate> due;
  std::int64_t after = kBeforeAnyPriority;
  while (due.size() < max) {
    std::int64_t priority = 0;
    {
      ScopedStatement next(connection,
                           "SELECT priority FROM jobs WHERE kind = ? AND state = 'queued' AND "
                           "priority > ? ORDER BY priority LIMIT 1");
      next->bind(1, kind);
      next->bind(2, after);
      if (!next->executeStep()) {
        break;
      }
      priority = next->getColumn(0).getInt64();
    }
    ScopedStatement select(connection,
                           "SELECT id, run_at FROM jobs "
                           "WHERE kind = ? AND state = 'queued' AND priority = ? AND run_at <= ? "
                           "ORDER BY run_at, id LIMIT ?");
    select->bind(1, kind);
    select->bind(2, priority);
    select->bind(3, now);
    select->bind(4, static_cast<std::int64_t>(max - due.size()));
    while (select->executeStep()) {
      due.push_back({select->getColumn(0).getInt64(), priority, select->getColumn(1).getInt64()});
    }
    after = priority;
  }
  return due;
}

// Leased jobs whose lease ran out. Walks the leased rows of the index, one per delivery in
// flight, so it stays cheap however long the queue is.
std::vector<LeaseCandidate> ExpiredLeases(Connection& connection, const char* kind, std::size_t max,
                                          TimeMs now) {
  std::vector<LeaseCandidate> expired;
  ScopedStatement select(connection,
                         "SELECT id, priority, run_at FROM jobs "
                         "WHERE kind = ? AND state = 'leased' AND lease_expires_at <= ? "
                         "ORDER BY priority, run_at, id LIMIT ?");
  select->bind(1, kind);
  select->bind(2, now);
  select->bind(3, static_cast<std::int64_t>(max));
  while (select->executeStep()) {
    expired.push_back({select->getColumn(0).getInt64(), select->getColumn(1).getInt64(),
                       select->getColumn(2).getInt64()});
  }
  return expired;
}

}  // namespace

core::Result<std::vector<Lease>> LeaseJobsInTransaction(Connection& connection, JobKind kind,
                                                        int max, TimeMs now, TimeMs lease_ms,
                                                        const StatusCallbackComposer& compose) {
  if (lease_ms <= 0) {
    return core::InvalidArgument("lease_ms", "lease duration must be positive");
  }
  std::vector<Lease> leases;
  if (max <= 0) {
    return leases;
  }
  const auto limit = static_cast<std::size_t>(max);
  const char* kind_name = JobKindName(kind);
  std::vector<LeaseCandidate> candidates = DueQueuedJobs(connection, kind_name, limit, now);
  std::vector<LeaseCandidate> expired = ExpiredLeases(connection, kind_name, limit, now);
  candidates.insert(candidates.end(), expired.begin(), expired.end());
  std::sort(candidates.begin(), candidates.end());
  if (candidates.size() > limit) {
    candidates.resize(limit);
  }
  if (candidates.empty()) {
    return leases;
  }

  // One bump reserves a contiguous block of tokens for the whole call.
  std::int64_t last_token = 0;
  {
    ScopedStatement reserve(connection,
                            "UPDATE lease_tokens SET last_token = last_token + ? WHERE id = 1 "
                            "RETURNING last_token");
    reserve->bind(1, static_cast<std::int64_t>(candidates.size()));
    if (!reserve->executeStep()) {
      return core::Internal("the lease token row is missing");
    }
    last_token = reserve->getColumn(0).getInt64();
  }
  std::int64_t token = last_token - static_cast<std::int64_t>(candidates.size());
  const TimeMs expires_at = SaturatingAdd(now, lease_ms);

  leases.reserve(candidates.size());
  for (const LeaseCandidate& candidate : candidates) {
    ++token;
    Lease lease;
    lease.job_id = candidate.job_id;
    lease.token = token;
    lease.expires_at = expires_at;
    {
      ScopedStatement update(connection,
                             "UPDATE jobs SET state = 'leased', attempts = attempts + 1, "
                             "lease_token = ?, lease_expires_at = ?, updated_at = ? WHERE id = ? "
                             "RETURNING kind, ref_id, attempts, max_attempts, created_at");
      update->bind(1, token);
      update->bind(2, expires_at);
      update->bind(3, now);
      update->bind(4, candidate.job_id);
      if (!update->executeStep()) {
        return core::Internal("job " + std::to_string(candidate.job_id) + " vanished");
      }
      lease.kind = update->getColumn(0).getString();
      lease.ref_id = update->getColumn(1).getString();
      lease.attempt = update->getColumn(2).getInt();
      lease.max_attempts = update->getColumn(3).getInt();
      lease.created_at = update->getColumn(4).getInt64();
    }
    if (lease.kind == "email") {
      ScopedStatement update(
          connection,
          "UPDATE emails SET status = 'sending', attempts = ?, updated_at = ? WHERE id = ?");
      update->bind(1, lease.attempt);
      update->bind(2, now);
      update->bind(3, lease.ref_id);
      update->exec();
      AddEvent(connection, lease.ref_id, now, "sending",
               "attempt " + std::to_string(lease.attempt));
      if (lease.attempt == 1) {
        EnqueueStatusCallback(connection, lease.ref_id, TrackedEmailChange::Kind::kFirstAttempt, "",
                              nullptr, compose, now);
      }
    }
    leases.push_back(std::move(lease));
  }
  return leases;
}

core::Status HeartbeatInTransaction(Connection& connection, std::int64_t job_id, std::int64_t token,
                                    TimeMs expires_at) {
  ScopedStatement update(connection,
                         "UPDATE jobs SET lease_expires_at = ? "
                         "WHERE id = ? AND state = 'leased' AND lease_token = ?");
  update->bind(1, expires_at);
  update->bind(2, job_id);
  update->bind(3, token);
  if (update->exec() == 0) {
    return LeaseLost(job_id, token);
  }
  return {};
}

namespace {

// Replaces the stored message of `email_id` by kRedactedMessage if it was created with
// redact_when_done; nothing otherwise.
void RedactIfSecret(Connection& connection, const std::string& email_id) {
  ScopedStatement update(connection,
                         "UPDATE email_messages SET data = ?, redact_when_done = 0 "
                         "WHERE redact_when_done = 1 "
                         "AND email_seq = (SELECT seq FROM emails WHERE id = ?)");
  update->bind(1, static_cast<const void*>(kRedactedMessage),
               static_cast<int>(sizeof(kRedactedMessage) - 1));
  update->bind(2, email_id);
  update->exec();
}

}  // namespace

core::Status FinishDeliveryInTransaction(Connection& connection, std::int64_t job_id,
                                         std::int64_t token, const DeliveryOutcome& outcome,
                                         const StatusCallbackComposer& compose, TimeMs now) {
  using Kind = DeliveryOutcome::Kind;
  std::optional<TransitionedJob> job;
  switch (outcome.kind) {
    case Kind::kSent: {
      ScopedStatement update(connection,
                             "UPDATE jobs SET state = 'done', lease_expires_at = NULL, "
                             "last_error = '', updated_at = ? "
                             "WHERE id = ? AND state = 'leased' AND lease_token = ? "
                             "RETURNING kind, ref_id, attempts");
      update->bind(1, now);
      update->bind(2, job_id);
      update->bind(3, token);
      job = ReadTransitionedJob(*update);
      break;
    }
    case Kind::kRetry: {
      ScopedStatement update(connection,
                             "UPDATE jobs SET state = 'queued', run_at = ?, "
                             "lease_expires_at = NULL, last_error = ?, updated_at = ? "
                             "WHERE id = ? AND state = 'leased' AND lease_token = ? "
                             "RETURNING kind, ref_id, attempts");
      update->bind(1, outcome.retry_at);
      update->bind(2, outcome.reply);
      update->bind(3, now);
      update->bind(4, job_id);
      update->bind(5, token);
      job = ReadTransitionedJob(*update);
      break;
    }
    case Kind::kFailed: {
      ScopedStatement update(connection,
                             "UPDATE jobs SET state = 'dead', lease_expires_at = NULL, "
                             "last_error = ?, updated_at = ? "
                             "WHERE id = ? AND state = 'leased' AND lease_token = ? "
                             "RETURNING kind, ref_id, attempts");
      update->bind(1, outcome.reply);
      update->bind(2, now);
      update->bind(3, job_id);
      update->bind(4, token);
      job = ReadTransitionedJob(*update);
      break;
    }
  }
  if (!job) {
    return LeaseLost(job_id, token);
  }
  if (job->kind != "email") {
    return {};
  }

  switch (outcome.kind) {
    case Kind::kSent: {
      std::optional<std::int64_t> campaign_id;
      {
        ScopedStatement update(connection,
                               "UPDATE emails SET status = 'sent', sent_at = ?, last_reply = ?, "
                               "updated_at = ? WHERE id = ? RETURNING campaign_id");
        update->bind(1, now);
        update->bind(2, outcome.reply);
        update->bind(3, now);
        update->bind(4, job->ref_id);
        campaign_id = ReturnedCampaignId(*update);
      }
      AddEvent(connection, job->ref_id, now, "sent", outcome.reply);
      BumpCounter(connection, "sent_total");
      if (campaign_id) {
        CountCampaignEmail(connection, *campaign_id, CampaignCount::kSent, 1, now);
      }
      StoreProviderId(connection, job->ref_id, outcome.provider_id);
      RedactIfSecret(connection, job->ref_id);
      EnqueueStatusCallback(connection, job->ref_id, TrackedEmailChange::Kind::kSent, outcome.reply,
                            nullptr, compose, now);
      break;
    }
    case Kind::kRetry:
    case Kind::kFailed: {
      const bool retry = outcome.kind == Kind::kRetry;
      std::optional<std::int64_t> campaign_id;
      {
        ScopedStatement update(connection,
                               "UPDATE emails SET status = ?, last_reply = ?, updated_at = ? "
                               "WHERE id = ? RETURNING campaign_id");
        update->bind(1, retry ? "deferred" : "failed");
        update->bind(2, outcome.reply);
        update->bind(3, now);
        update->bind(4, job->ref_id);
        campaign_id = ReturnedCampaignId(*update);
      }
      AddEvent(connection, job->ref_id, now, retry ? "deferred" : "failed", outcome.reply);
      BumpCounter(connection, retry ? "retried_total" : "failed_total");
      if (campaign_id && retry) {
        RequeuedCampaignEmail(connection, *campaign_id, job->ref_id, job_id, now);
      } else if (campaign_id) {
        CountCampaignEmail(connection, *campaign_id, CampaignCount::kFailed, 1, now);
      }
      if (!retry) {
        RedactIfSecret(connection, job->ref_id);
        EnqueueStatusCallback(connection, job->ref_id, TrackedEmailChange::Kind::kFailed,
                              outcome.reply, nullptr, compose, now);
      }
      break;
    }
  }
  return {};
}

core::Status ReleaseLeaseInTransaction(Connection& connection, std::int64_t job_id,
                                       std::int64_t token, TimeMs run_at, TimeMs now) {
  ScopedStatement update(connection,
                         "UPDATE jobs SET state = 'queued', attempts = max(attempts - 1, 0), "
                         "run_at = ?, lease_expires_at = NULL, updated_at = ? "
                         "WHERE id = ? AND state = 'leased' AND lease_token = ? "
                         "RETURNING kind, ref_id, attempts");
  update->bind(1, run_at);
  update->bind(2, now);
  update->bind(3, job_id);
  update->bind(4, token);
  const std::optional<TransitionedJob> job = ReadTransitionedJob(*update);
  if (!job) {
    return LeaseLost(job_id, token);
  }
  if (job->kind == "email") {
    RequeueEmail(connection, *job, now, "released", "");
  }
  return {};
}

core::Result<int> RecoverLeasesInTransaction(Connection& connection, TimeMs now) {
  std::vector<TransitionedJob> jobs;
  {
    ScopedStatement update(connection,
                           "UPDATE jobs SET state = 'queued', run_at = ?, "
                           "lease_expires_at = NULL, updated_at = ? WHERE state = 'leased' "
                           "RETURNING kind, ref_id, attempts");
    update->bind(1, now);
    update->bind(2, now);
    while (std::optional<TransitionedJob> job = ReadTransitionedJob(*update)) {
      jobs.push_back(std::move(*job));
    }
  }
  for (const TransitionedJob& job : jobs) {
    if (job.kind == "email") {
      RequeueEmail(connection, job, now, "recovered", "");
    }
  }
  return static_cast<int>(jobs.size());
}

namespace {

// The email's status and its job's id and state, for the transitions callers ask for by email.
struct EmailJob {
  std::string status;
  std::int64_t job_id = 0;
  std::string job_state;
};

std::optional<EmailJob> FindEmailJob(Connection& connection, const std::string& id) {
  ScopedStatement select(connection,
                         "SELECT e.status, e.job_id, j.state FROM emails e "
                         "JOIN jobs j ON j.id = e.job_id WHERE e.id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  return EmailJob{select->getColumn(0).getString(), select->getColumn(1).getInt64(),
                  select->getColumn(2).getString()};
}

}  // namespace

core::Status RetryEmailInTransaction(Connection& connection, const std::string& id, TimeMs now) {
  const std::optional<EmailJob> found = FindEmailJob(connection, id);
  if (!found) {
    return core::NotFound("email '" + id + "' not found");
  }
  if (found->job_state != "dead") {
    return core::FailedPrecondition("email '" + id + "' is " + found->status +
                                    "; only failed emails can be retried");
  }
  {
    ScopedStatement update(connection,
                           "UPDATE jobs SET state = 'queued', attempts = 0, run_at = ?, "
                           "lease_expires_at = NULL, last_error = '', updated_at = ? "
                           "WHERE id = ?");
    update->bind(1, now);
    update->bind(2, now);
    update->bind(3, found->job_id);
    update->exec();
  }
  std::optional<std::int64_t> campaign_id;
  {
    ScopedStatement update(connection,
                           "UPDATE emails SET status = 'queued', attempts = 0, updated_at = ? "
                           "WHERE id = ? RETURNING campaign_id");
    update->bind(1, now);
    update->bind(2, id);
    campaign_id = ReturnedCampaignId(*update);
  }
  AddEvent(connection, id, now, "retried", "");
  if (campaign_id) {
    // Failed -> queued again; the campaign's status stays as it is.
    CountCampaignEmail(connection, *campaign_id, CampaignCount::kFailed, -1, now);
    HoldIfCampaignPaused(connection, *campaign_id, found->job_id);
  }
  return {};
}

core::Status ResendEmailInTransaction(Connection& connection, const std::string& original_id,
                                      const NewEmail& copy, const PreparedEmail& prepared,
                                      TimeMs now) {
  bool redact = false;
  {
    ScopedStatement select(connection,
                           "SELECT m.redact_when_done FROM emails e "
                           "JOIN email_messages m ON m.email_seq = e.seq WHERE e.id = ?");
    select->bind(1, original_id);
    if (!select->executeStep()) {
      return core::NotFound("email '" + original_id + "' not found");
    }
    redact = select->getColumn(0).getInt() != 0;
  }
  if (core::Status inserted = InsertEmailInTransaction(connection, copy, prepared, now);
      !inserted.ok()) {
    return inserted;
  }
  if (redact) {
    ScopedStatement update(connection,
                           "UPDATE email_messages SET redact_when_done = 1 "
                           "WHERE email_seq = (SELECT seq FROM emails WHERE id = ?)");
    update->bind(1, copy.id);
    update->exec();
  }
  AddEvent(connection, original_id, now, "resent", copy.id);
  AddEvent(connection, copy.id, now, "resend_of", original_id);
  BumpCounter(connection, "enqueued_total");
  return {};
}

core::Status CancelEmailInTransaction(Connection& connection, const std::string& id, TimeMs now) {
  const std::optional<EmailJob> found = FindEmailJob(connection, id);
  if (!found) {
    return core::NotFound("email '" + id + "' not found");
  }
  if (found->job_state != "queued") {
    return core::FailedPrecondition("email '" + id + "' is " + found->status +
                                    " and can no longer be cancelled");
  }
  if (const std::optional<std::int64_t> campaign_id =
          CancelQueuedEmail(connection, id, found->job_id, now)) {
    CountCampaignEmail(connection, *campaign_id, CampaignCount::kCancelled, 1, now);
  }
  return {};
}

std::optional<std::int64_t> CancelQueuedEmail(Connection& connection, const std::string& id,
                                              std::int64_t job_id, TimeMs now) {
  {
    ScopedStatement update(connection,
                           "UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE id = ?");
    update->bind(1, now);
    update->bind(2, job_id);
    update->exec();
  }
  std::optional<std::int64_t> campaign_id;
  {
    ScopedStatement update(connection,
                           "UPDATE emails SET status = 'cancelled', updated_at = ? WHERE id = ? "
                           "RETURNING campaign_id");
    update->bind(1, now);
    update->bind(2, id);
    campaign_id = ReturnedCampaignId(*update);
  }
  AddEvent(connection, id, now, "cancelled", "");
  return campaign_id;
}

core::Status CreateApiKeyInTransaction(Connection& connection, const ApiKey& key) {
  try {
    ScopedStatement insert(connection,
                           "INSERT INTO api_keys (id, name, key_hash, role, created_at, "
                           "expires_at, callback_url, key_hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    insert->bind(1, key.id);
    insert->bind(2, key.name);
    insert->bind(3, key.key_hash);
    insert->bind(4, key.role);
    insert->bind(5, key.created_at);
    if (key.expires_at) {
      insert->bind(6, *key.expires_at);
    } else {
      insert->bind(6);
    }
    insert->bind(7, key.callback_url);
    insert->bind(8, key.key_hint);
    insert->exec();
  } catch (const SQLite::Exception& exception) {
    if (IsUniqueViolation(exception)) {
      return AlreadyExists("an API key with this name, id or secret exists");
    }
    throw;
  }
  return {};
}

core::Result<std::vector<ApiKey>> DeleteApiKeysByNameInTransaction(Connection& connection,
                                                                   const std::string& name,
                                                                   const std::string& role) {
  ScopedStatement remove(
      connection,
      "DELETE FROM api_keys WHERE name = ? AND role = ? "
      "RETURNING id, name, key_hash, role, created_at, expires_at, callback_url, key_hint");
  remove->bind(1, name);
  remove->bind(2, role);
  std::vector<ApiKey> deleted;
  while (remove->executeStep()) {
    deleted.push_back(ApiKeyFromRow(*remove));
  }
  return deleted;
}

core::Result<ApiKey> DeleteApiKeyInTransaction(Connection& connection, const std::string& id) {
  ScopedStatement remove(
      connection,
      "DELETE FROM api_keys WHERE id = ? "
      "RETURNING id, name, key_hash, role, created_at, expires_at, callback_url, key_hint");
  remove->bind(1, id);
  if (!remove->executeStep()) {
    return core::NotFound("no API key has this id");
  }
  return ApiKeyFromRow(*remove);
}

core::Result<std::string> GetOrCreateSettingInTransaction(Connection& connection,
                                                          const std::string& key,
                                                          const std::string& value_if_absent) {
  {
    ScopedStatement insert(connection,
                           "INSERT INTO settings (key, value) VALUES (?, ?) "
                           "ON CONFLICT (key) DO NOTHING");
    insert->bind(1, key);
    insert->bind(2, value_if_absent);
    insert->exec();
  }
  ScopedStatement select(connection, "SELECT value FROM settings WHERE key = ?");
  select->bind(1, key);
  if (!select->executeStep()) {
    return core::Internal("setting '" + key + "' vanished while it was written");
  }
  return select->getColumn(0).getString();
}

core::Result<std::optional<std::string>> GetSettingInTransaction(Connection& connection,
                                                                 const std::string& key) {
  ScopedStatement select(connection, "SELECT value FROM settings WHERE key = ?");
  select->bind(1, key);
  if (!select->executeStep()) return std::optional<std::string>();
  return std::optional<std::string>(select->getColumn(0).getString());
}

core::Status DeleteSettingInTransaction(Connection& connection, const std::string& key) {
  ScopedStatement remove(connection, "DELETE FROM settings WHERE key = ?");
  remove->bind(1, key);
  remove->exec();
  return {};
}

core::Status PutOtpInTransaction(Connection& connection, const OtpRecord& record,
                                 TimeMs resend_interval_ms) {
  {
    ScopedStatement select(connection,
                           "SELECT last_sent_at FROM otps WHERE owner = ? AND recipient = ?");
    select->bind(1, record.owner);
    select->bind(2, record.recipient);
    if (select->executeStep()) {
      const TimeMs last_sent_at = select->getColumn(0).getInt64();
      if (record.last_sent_at - last_sent_at < resend_interval_ms) {
        return core::Error{ErrorCode::kResourceExhausted,
                           "a code was sent to this address less than " +
                               std::to_string(resend_interval_ms / 1000) + " s ago; try later",
                           {}};
      }
    }
  }
  ScopedStatement replace(connection,
                          "INSERT OR REPLACE INTO otps (owner, recipient, code_hash, expires_at, "
                          "failed_attempts, used, created_at, last_sent_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  replace->bind(1, record.owner);
  replace->bind(2, record.recipient);
  replace->bind(3, record.code_hash);
  replace->bind(4, record.expires_at);
  replace->bind(5, record.failed_attempts);
  replace->bind(6, record.used ? 1 : 0);
  replace->bind(7, record.created_at);
  replace->bind(8, record.last_sent_at);
  replace->exec();
  return {};
}

core::Status VerifyOtpInTransaction(Connection& connection, const std::string& owner,
                                    const std::string& recipient, const OtpDecision& decide) {
  std::optional<OtpRecord> record;
  {
    ScopedStatement select(connection,
                           "SELECT code_hash, expires_at, failed_attempts, used, created_at, "
                           "last_sent_at FROM otps WHERE owner = ? AND recipient = ?");
    select->bind(1, owner);
    select->bind(2, recipient);
    if (select->executeStep()) {
      record.emplace();
      record->owner = owner;
      record->recipient = recipient;
      record->code_hash = select->getColumn(0).getString();
      record->expires_at = select->getColumn(1).getInt64();
      record->failed_attempts = select->getColumn(2).getInt();
      record->used = select->getColumn(3).getInt() != 0;
      record->created_at = select->getColumn(4).getInt64();
      record->last_sent_at = select->getColumn(5).getInt64();
    }
  }
  const OtpWrite write = decide(record ? &*record : nullptr);
  if (!record || write == OtpWrite::kNothing) {
    return {};
  }
  ScopedStatement update(connection, write == OtpWrite::kMarkUsed
                                         ? "UPDATE otps SET used = 1 "
                                           "WHERE owner = ? AND recipient = ?"
                                         : "UPDATE otps SET failed_attempts = failed_attempts + 1 "
                                           "WHERE owner = ? AND recipient = ?");
  update->bind(1, owner);
  update->bind(2, recipient);
  update->exec();
  return {};
}

}  // namespace store::sqlite
