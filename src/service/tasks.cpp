#include "service/tasks.h"

#include "core/json.h"
#include "core/log.h"
#include "core/random.h"

namespace service {

namespace {

constexpr std::size_t kMaxTaskDataBytes = 64 * 1024;

bool SeesEveryTask(const auth::Principal& caller) {
  return auth::Allows(caller.role, auth::Permission::kView);
}

}  // namespace

nlohmann::json StoredTaskData(const std::string& data) {
  auto parsed = core::ParseJson(data, "data");
  return parsed.ok() ? std::move(*parsed) : nlohmann::json();
}

nlohmann::json TaskEventPayload(const store::Task& task, const std::string& event) {
  return {{"queue_id", task.id},
          {"expire_data", core::FormatRfc3339(task.expires_at)},
          {"event", event},
          {"data", StoredTaskData(task.data)}};
}

std::optional<store::NewCallback> TaskService::Callback(const auth::Principal& owner,
                                                        const store::Task& task,
                                                        const std::string& event,
                                                        core::TimeMs run_at) const {
  if (owner.callback_url.empty()) return std::nullopt;
  return store::NewCallback{
      owner.key_id, owner.callback_url, event, task.id, TaskEventPayload(task, event).dump(),
      run_at};
}

core::Result<store::Task> TaskService::Add(const auth::Principal& owner, const nlohmann::json& data,
                                           core::TimeMs expires_at) {
  if (!data.is_object()) return core::InvalidArgument("data", "data must be a JSON object");
  const std::string text = data.dump();
  if (text.size() > kMaxTaskDataBytes) {
    return core::Error{core::ErrorCode::kPayloadTooLarge, "data is larger than 64 KB", "data"};
  }
  const core::TimeMs now = clock_.NowMs();
  if (expires_at <= now) {
    return core::InvalidArgument("expiryDate", "expiryDate must lie in the future");
  }
  store::Task task{
      core::TimeOrderedId("tsk_", now), owner.key_id, text, expires_at, std::nullopt, now};
  auto added =
      store_.AddTask(task, Callback(owner, task, "ADD", now),
                     Callback(owner, task, "EXPIRED", expires_at), callback_attempts_, now);
  if (!added.ok()) return added.error();
  wake_();
  return task;
}

core::Result<store::Task> TaskService::Remove(const auth::Principal& owner, const std::string& id) {
  const core::TimeMs now = clock_.NowMs();
  auto task = store_.GetTask(id);
  if (!task.ok()) return task.error();
  auto removed = store_.RemoveTask(id, owner.key_id, Callback(owner, *task, "REMOVE", now),
                                   callback_attempts_, now);
  if (!removed.ok()) return removed.error();
  wake_();
  return removed;
}

core::Result<store::Task> TaskService::Delete(const auth::Principal& caller,
                                              const std::string& id) {
  auto task = Get(caller, id);
  if (!task.ok()) return task.error();
  auth::Principal owner = caller;
  if (task->task.owner != caller.key_id) {
    // An administrator removes any task, as its owner would: the owner's URL is told.
    owner.key_id = task->task.owner;
    auto key = keys_.FindApiKeyById(task->task.owner);
    if (!key.ok() && key.error().code != core::ErrorCode::kNotFound) return key.error();
    owner.callback_url = key.ok() ? key->callback_url : "";
  }
  return Remove(owner, task->task.id);
}

TaskView TaskService::View(store::Task task) const {
  std::string state = task.removed_at                     ? "removed"
                      : task.expires_at <= clock_.NowMs() ? "expired"
                                                          : "pending";
  return TaskView{std::move(task), std::move(state)};
}

core::Result<TaskView> TaskService::Get(const auth::Principal& caller, const std::string& id) {
  auto task = store_.GetTask(id);
  if (!task.ok()) return task.error();
  if (!SeesEveryTask(caller) && task->owner != caller.key_id) {
    return core::NotFound("'taskId' does not exist.");
  }
  return View(std::move(task).value());
}

core::Result<std::vector<TaskView>> TaskService::List(const auth::Principal& caller,
                                                      const std::string& state, int limit) {
  store::TaskState filter = store::TaskState::kAny;
  if (state == "pending") {
    filter = store::TaskState::kPending;
  } else if (state == "removed") {
    filter = store::TaskState::kRemoved;
  } else if (state == "expired") {
    filter = store::TaskState::kExpired;
  } else if (!state.empty()) {
    return core::InvalidArgument("state", "state must be pending, removed or expired");
  }
  auto tasks =
      store_.ListTasks(SeesEveryTask(caller) ? "" : caller.key_id, filter, clock_.NowMs(), limit);
  if (!tasks.ok()) return tasks.error();
  std::vector<TaskView> views;
  for (auto& task : *tasks) views.push_back(View(std::move(task)));
  return views;
}

}  // namespace service
