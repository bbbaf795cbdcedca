#pragma once
// The store's callback and task tables: status callbacks as kCallback jobs with every delivery
// attempt recorded, per-endpoint failure streaks, and expiring tasks whose ADD / REMOVE /
// EXPIRED callbacks are written in the same transaction as the task. Writes run on the writer
// thread as writes.h describes; reads on a pooled read connection as reads.h describes.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

core::Result<std::string> EnqueueCallbackInTransaction(Connection& connection,
                                                       const NewCallback& callback,
                                                       int max_attempts, TimeMs now);
core::Status FinishCallbackInTransaction(Connection& connection, std::int64_t job_id,
                                         std::int64_t token, const CallbackOutcome& outcome,
                                         TimeMs now);
core::Status EnableWebhookEndpointInTransaction(Connection& connection, const std::string& url);
core::Status AddTaskInTransaction(Connection& connection, const Task& task,
                                  const std::optional<NewCallback>& added,
                                  const std::optional<NewCallback>& expired, int max_attempts,
                                  TimeMs now);
core::Result<Task> RemoveTaskInTransaction(Connection& connection, const std::string& id,
                                           const std::string& owner,
                                           const std::optional<NewCallback>& removed,
                                           int max_attempts, TimeMs now);

core::Result<Callback> ReadCallback(Connection& connection, const std::string& id);
core::Result<CallbackAttemptPage> ReadCallbackAttempts(Connection& connection,
                                                       const CallbackAttemptFilter& filter,
                                                       std::optional<std::int64_t> cursor,
                                                       int limit);
core::Result<std::vector<WebhookEndpoint>> ReadWebhookEndpoints(Connection& connection);
core::Result<Task> ReadTask(Connection& connection, const std::string& id);
core::Result<std::vector<Task>> ReadTasks(Connection& connection, const std::string& owner,
                                          TaskState state, TimeMs now, int limit);

}  // namespace store::sqlite
