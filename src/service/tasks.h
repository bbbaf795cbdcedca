#pragma once
// Expiring tasks (the SES-compatible API's task queue): a task holds a JSON object until its
// expiry. Its owner's callback URL is told when it is added (ADD), removed (REMOVE) or expires
// (EXPIRED); each notification is a durable callback written in the same transaction as the
// change, and EXPIRED is a callback job due at the expiry, so it fires once, also when the
// server was down at that moment (it then fires at the next start).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "store/access_store.h"
#include "store/callback_store.h"

namespace service {

// Tells the callback workers that callbacks were enqueued.
using WakeCallbacks = std::function<void()>;

struct TaskView {
  store::Task task;
  std::string state;  // pending, removed, expired
};

// A task's stored data (written by TaskService as a JSON object) decoded; null if unreadable.
nlohmann::json StoredTaskData(const std::string& data);

// The seed's notification body: {"queue_id", "expire_data", "event", "data"}.
nlohmann::json TaskEventPayload(const store::Task& task, const std::string& event);

class TaskService {
 public:
  // `keys` finds a task owner's callback URL when an administrator removes the task.
  TaskService(store::CallbackStore& store, store::AccessStore& keys, const core::Clock& clock,
              WakeCallbacks wake, int callback_attempts)
      : store_(store),
        keys_(keys),
        clock_(clock),
        wake_(std::move(wake)),
        callback_attempts_(callback_attempts) {}
  TaskService(const TaskService&) = delete;
  TaskService& operator=(const TaskService&) = delete;

  // `data` must be a JSON object (field "data"); `expires_at` in the future (field
  // "expiryDate"). At most 64 KB of data.
  core::Result<store::Task> Add(const auth::Principal& owner, const nlohmann::json& data,
                                core::TimeMs expires_at);
  // kNotFound for an unknown id or another key's task; kFailedPrecondition when it was removed
  // or has expired.
  core::Result<store::Task> Remove(const auth::Principal& owner, const std::string& id);
  // Removes a task as its owner would (its owner's callback URL, if the key still exists, is
  // told REMOVE); a key removes its own, an administrator any task. Errors as Remove.
  core::Result<store::Task> Delete(const auth::Principal& caller, const std::string& id);
  // A key sees its own tasks; whoever may view (admin, manager, viewer) sees every task.
  core::Result<TaskView> Get(const auth::Principal& caller, const std::string& id);
  // Newest first; `state` is "" (any) or "pending", "removed" or "expired", else kInvalidArgument
  // ("state").
  core::Result<std::vector<TaskView>> List(const auth::Principal& caller, const std::string& state,
                                           int limit);

 private:
  std::optional<store::NewCallback> Callback(const auth::Principal& owner, const store::Task& task,
                                             const std::string& event, core::TimeMs run_at) const;
  TaskView View(store::Task task) const;

  store::CallbackStore& store_;
  store::AccessStore& keys_;
  const core::Clock& clock_;
  WakeCallbacks wake_;
  const int callback_attempts_;
};

}  // namespace service
