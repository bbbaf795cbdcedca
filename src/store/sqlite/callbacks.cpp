#include "store/sqlite/callbacks.h"

#include <algorithm>
#include <utility>

#include "core/random.h"
#include "store/sqlite/writes.h"

namespace store::sqlite {
namespace {

// earlier_pending: an earlier callback about the same subject to the same URL is queued or being
// sent, unless it was never tried and is due after this one (a task's EXPIRED, scheduled at
// its expiry, does not hold back a replay of its ADD due now).
constexpr const char* kCallbackColumns =
    "c.id, c.owner, c.url, c.event, c.subject_id, c.payload, c.created_at, j.state, j.attempts, "
    "e.disabled_at IS NOT NULL, EXISTS (SELECT 1 FROM callbacks p JOIN jobs pj ON pj.id = "
    "p.job_id WHERE p.subject_id = c.subject_id AND p.url = c.url AND p.job_id < c.job_id AND "
    "pj.state IN ('queued', 'leased') AND NOT (pj.attempts = 0 AND pj.run_at > j.run_at))";
constexpr const char* kCallbackJoins =
    " FROM callbacks c JOIN jobs j ON j.id = c.job_id "
    "LEFT JOIN webhook_endpoints e ON e.url = c.url";

Callback ReadCallbackRow(SQLite::Statement& row) {
  Callback callback;
  callback.id = row.getColumn(0).getString();
  callback.owner = row.getColumn(1).getString();
  callback.url = row.getColumn(2).getString();
  callback.event = row.getColumn(3).getString();
  callback.subject_id = row.getColumn(4).getString();
  callback.payload = row.getColumn(5).getString();
  callback.created_at = row.getColumn(6).getInt64();
  callback.state = row.getColumn(7).getString();
  callback.attempts = row.getColumn(8).getInt();
  callback.endpoint_disabled = row.getColumn(9).getInt() != 0;
  callback.earlier_pending = row.getColumn(10).getInt() != 0;
  return callback;
}

// Stores the callback and its job; returns the job id.
std::int64_t InsertCallback(Connection& connection, const std::string& id,
                            const NewCallback& callback, int max_attempts, TimeMs now) {
  std::int64_t job_id = 0;
  {
    ScopedStatement insert(connection,
                           "INSERT INTO jobs (kind, ref_id, state, priority, run_at, attempts, "
                           "max_attempts, created_at, updated_at) "
                           "VALUES ('callback', ?, 'queued', ?, ?, 0, ?, ?, ?)");
    insert->bind(1, id);
    insert->bind(2, kPriorityTransactional);
    insert->bind(3, std::max(callback.run_at, now));
    insert->bind(4, max_attempts);
    insert->bind(5, now);
    insert->bind(6, now);
    insert->exec();
    job_id = connection.db.getLastInsertRowid();
  }
  ScopedStatement insert(connection,
                         "INSERT INTO callbacks (id, owner, url, event, subject_id, payload, "
                         "job_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  insert->bind(1, id);
  insert->bind(2, callback.owner);
  insert->bind(3, callback.url);
  insert->bind(4, callback.event);
  insert->bind(5, callback.subject_id);
  insert->bind(6, callback.payload);
  insert->bind(7, job_id);
  insert->bind(8, now);
  insert->exec();
  return job_id;
}

std::optional<std::int64_t> InsertOptionalCallback(Connection& connection,
                                                   const std::optional<NewCallback>& callback,
                                                   int max_attempts, TimeMs now) {
  if (!callback) {
    return std::nullopt;
  }
  return InsertCallback(connection, core::TimeOrderedId("cb_", now), *callback, max_attempts, now);
}

Task ReadTaskRow(SQLite::Statement& row) {
  Task task;
  task.id = row.getColumn(0).getString();
  task.owner = row.getColumn(1).getString();
  task.data = row.getColumn(2).getString();
  task.expires_at = row.getColumn(3).getInt64();
  if (!row.isColumnNull(4)) {
    task.removed_at = row.getColumn(4).getInt64();
  }
  task.created_at = row.getColumn(5).getInt64();
  return task;
}

constexpr const char* kTaskColumns = "id, owner, data, expires_at, removed_at, created_at";

}  // namespace

core::Result<std::string> EnqueueCallbackInTransaction(Connection& connection,
                                                       const NewCallback& callback,
                                                       int max_attempts, TimeMs now) {
  if (max_attempts < 1) {
    return core::InvalidArgument("max_attempts", "max_attempts must be at least 1");
  }
  std::string id = core::TimeOrderedId("cb_", now);
  InsertCallback(connection, id, callback, max_attempts, now);
  return id;
}

core::Status FinishCallbackInTransaction(Connection& connection, std::int64_t job_id,
                                         std::int64_t token, const CallbackOutcome& outcome,
                                         TimeMs now) {
  if (core::Status finished =
          FinishDeliveryInTransaction(connection, job_id, token, outcome.delivery, {}, now);
      !finished.ok()) {
    return finished;
  }
  std::string callback_id, url;
  int attempt = 0;
  {
    ScopedStatement select(connection,
                           "SELECT c.id, c.url, j.attempts FROM jobs j "
                           "JOIN callbacks c ON c.id = j.ref_id WHERE j.id = ?");
    select->bind(1, job_id);
    if (!select->executeStep()) {
      return core::Internal("job " + std::to_string(job_id) + " has no callback");
    }
    callback_id = select->getColumn(0).getString();
    url = select->getColumn(1).getString();
    attempt = select->getColumn(2).getInt();
  }
  {
    ScopedStatement insert(connection,
                           "INSERT INTO callback_attempts (callback_id, attempt, at, status_code, "
                           "latency_ms, error) VALUES (?, ?, ?, ?, ?, ?)");
    insert->bind(1, callback_id);
    insert->bind(2, attempt);
    insert->bind(3, outcome.attempt.at);
    insert->bind(4, outcome.attempt.status_code);
    insert->bind(5, outcome.attempt.latency_ms);
    insert->bind(6, outcome.attempt.error);
    insert->exec();
  }
  const bool delivered = outcome.delivery.kind == DeliveryOutcome::Kind::kSent;
  ScopedStatement upsert(
      connection,
      delivered
          ? "INSERT INTO webhook_endpoints (url, consecutive_failures, last_success_at) "
            "VALUES (?1, 0, ?2) ON CONFLICT (url) DO UPDATE SET consecutive_failures = 0, "
            "last_success_at = ?2"
          : "INSERT INTO webhook_endpoints (url, consecutive_failures, last_failure_at, "
            "disabled_at) VALUES (?1, 1, ?2, CASE WHEN ?3 = 1 THEN ?2 END) "
            "ON CONFLICT (url) DO UPDATE SET consecutive_failures = consecutive_failures + 1, "
            "last_failure_at = ?2, disabled_at = coalesce(disabled_at, CASE WHEN ?3 > 0 AND "
            "consecutive_failures + 1 >= ?3 THEN ?2 END)");
  upsert->bind(1, url);
  upsert->bind(2, now);
  if (!delivered) {
    upsert->bind(3, outcome.disable_after);
  }
  upsert->exec();
  return {};
}

core::Status EnableWebhookEndpointInTransaction(Connection& connection, const std::string& url) {
  ScopedStatement update(connection,
                         "UPDATE webhook_endpoints SET consecutive_failures = 0, "
                         "disabled_at = NULL WHERE url = ?");
  update->bind(1, url);
  if (update->exec() == 0) {
    return core::NotFound("no callback was ever sent to this endpoint");
  }
  return {};
}

core::Status AddTaskInTransaction(Connection& connection, const Task& task,
                                  const std::optional<NewCallback>& added,
                                  const std::optional<NewCallback>& expired, int max_attempts,
                                  TimeMs now) {
  if (task.id.empty()) {
    return core::InvalidArgument("id", "task id is empty");
  }
  if (max_attempts < 1) {
    return core::InvalidArgument("max_attempts", "max_attempts must be at least 1");
  }
  InsertOptionalCallback(connection, added, max_attempts, now);
  const std::optional<std::int64_t> expiry_job =
      InsertOptionalCallback(connection, expired, max_attempts, now);
  ScopedStatement insert(connection,
                         "INSERT INTO tasks (id, owner, data, expires_at, expiry_job_id, "
                         "created_at) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, task.id);
  insert->bind(2, task.owner);
  insert->bind(3, task.data);
  insert->bind(4, task.expires_at);
  if (expiry_job) {
    insert->bind(5, *expiry_job);
  } else {
    insert->bind(5);
  }
  insert->bind(6, now);
  insert->exec();
  return {};
}

core::Result<Task> RemoveTaskInTransaction(Connection& connection, const std::string& id,
                                           const std::string& owner,
                                           const std::optional<NewCallback>& removed,
                                           int max_attempts, TimeMs now) {
  core::Result<Task> task = ReadTask(connection, id);
  if (!task.ok() || task->owner != owner) {
    return core::NotFound("'taskId' does not exist.");
  }
  if (task->removed_at) {
    return core::FailedPrecondition("the task was removed already");
  }
  if (task->expires_at <= now) {
    return core::FailedPrecondition("the task has expired");
  }
  {
    ScopedStatement update(connection, "UPDATE tasks SET removed_at = ? WHERE id = ?");
    update->bind(1, now);
    update->bind(2, id);
    update->exec();
  }
  {
    // Its EXPIRED callback is due only at the expiry, so it is still queued.
    ScopedStatement cancel(connection,
                           "UPDATE jobs SET state = 'cancelled', updated_at = ? WHERE id = "
                           "(SELECT expiry_job_id FROM tasks WHERE id = ?) AND state = 'queued'");
    cancel->bind(1, now);
    cancel->bind(2, id);
    cancel->exec();
  }
  InsertOptionalCallback(connection, removed, max_attempts, now);
  task->removed_at = now;
  return task;
}

core::Result<Callback> ReadCallback(Connection& connection, const std::string& id) {
  ScopedStatement select(
      connection, std::string("SELECT ") + kCallbackColumns + kCallbackJoins + " WHERE c.id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("callback '" + id + "' not found");
  }
  return ReadCallbackRow(*select);
}

core::Result<CallbackAttemptPage> ReadCallbackAttempts(Connection& connection,
                                                       const CallbackAttemptFilter& filter,
                                                       std::optional<std::int64_t> cursor,
                                                       int limit) {
  limit = std::clamp(limit, 1, 200);
  ScopedStatement select(connection,
                         "SELECT a.id, a.callback_id, c.url, c.event, a.attempt, a.at, "
                         "a.status_code, a.latency_ms, a.error FROM callback_attempts a "
                         "JOIN callbacks c ON c.id = a.callback_id "
                         "WHERE (?1 = '' OR c.url = ?1) AND (?4 = '' OR c.subject_id = ?4) "
                         "AND a.id < ?2 ORDER BY a.id DESC LIMIT ?3");
  select->bind(1, filter.url);
  select->bind(2, cursor.value_or(INT64_MAX));
  select->bind(3, limit + 1);
  select->bind(4, filter.subject_id);
  CallbackAttemptPage page;
  std::int64_t last_id = 0;
  while (select->executeStep()) {
    if (static_cast<int>(page.attempts.size()) == limit) {
      page.next_cursor = last_id;
      break;
    }
    last_id = select->getColumn(0).getInt64();
    CallbackAttempt attempt;
    attempt.callback_id = select->getColumn(1).getString();
    attempt.url = select->getColumn(2).getString();
    attempt.event = select->getColumn(3).getString();
    attempt.attempt = select->getColumn(4).getInt();
    attempt.at = select->getColumn(5).getInt64();
    attempt.status_code = select->getColumn(6).getInt();
    attempt.latency_ms = select->getColumn(7).getInt64();
    attempt.error = select->getColumn(8).getString();
    page.attempts.push_back(std::move(attempt));
  }
  return page;
}

core::Result<std::vector<WebhookEndpoint>> ReadWebhookEndpoints(Connection& connection) {
  ScopedStatement select(connection,
                         "SELECT url, consecutive_failures, disabled_at, last_failure_at, "
                         "last_success_at FROM webhook_endpoints ORDER BY url");
  std::vector<WebhookEndpoint> endpoints;
  const auto optional_time = [&](int column) -> std::optional<TimeMs> {
    if (select->isColumnNull(column)) return std::nullopt;
    return select->getColumn(column).getInt64();
  };
  while (select->executeStep()) {
    WebhookEndpoint endpoint;
    endpoint.url = select->getColumn(0).getString();
    endpoint.consecutive_failures = select->getColumn(1).getInt();
    endpoint.disabled_at = optional_time(2);
    endpoint.last_failure_at = optional_time(3);
    endpoint.last_success_at = optional_time(4);
    endpoints.push_back(std::move(endpoint));
  }
  return endpoints;
}

core::Result<Task> ReadTask(Connection& connection, const std::string& id) {
  ScopedStatement select(connection,
                         std::string("SELECT ") + kTaskColumns + " FROM tasks WHERE id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("'taskId' does not exist.");
  }
  return ReadTaskRow(*select);
}

core::Result<std::vector<Task>> ReadTasks(Connection& connection, const std::string& owner,
                                          TaskState state, TimeMs now, int limit) {
  ScopedStatement select(connection, std::string("SELECT ") + kTaskColumns +
                                         " FROM tasks WHERE (?1 = '' OR owner = ?1) AND (?2 = 0"
                                         " OR (?2 = 1 AND removed_at IS NULL AND expires_at > ?3)"
                                         " OR (?2 = 2 AND removed_at IS NOT NULL)"
                                         " OR (?2 = 3 AND removed_at IS NULL AND expires_at <= ?3))"
                                         " ORDER BY created_at DESC, id DESC LIMIT ?4");
  select->bind(1, owner);
  select->bind(2, static_cast<int>(state));
  select->bind(3, static_cast<std::int64_t>(now));
  select->bind(4, std::clamp(limit, 1, 1000));
  std::vector<Task> tasks;
  while (select->executeStep()) {
    tasks.push_back(ReadTaskRow(*select));
  }
  return tasks;
}

}  // namespace store::sqlite
