// Expiring tasks (/server/queue/add|remove, /v1/tasks) and the status-callback log
// (/v1/webhooks/...): decode, call TaskService or WebhookService, encode.
#include "http/routes.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

// The seed's code for removing a task that does not exist.
constexpr const char* kSesNoSuchTaskCode = "QUE001_90012";
constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;

json TaskToJson(const service::TaskView& view) {
  const store::Task& task = view.task;
  return {{"id", task.id},
          {"state", view.state},
          {"data", service::StoredTaskData(task.data)},
          {"expires_at", core::FormatRfc3339(task.expires_at)},
          {"removed_at", task.removed_at ? json(core::FormatRfc3339(*task.removed_at)) : json()},
          {"created_at", core::FormatRfc3339(task.created_at)}};
}

// {"data": {...}, "<time_field>": RFC 3339} as the seed and the native API send it.
Result<std::pair<json, core::TimeMs>> DecodeTask(const json& body, const char* time_field) {
  auto data = body.find("data");
  if (data == body.end() || !data->is_object()) {
    return core::InvalidArgument("data", "data must be an object of key value pairs");
  }
  auto expiry = body.find(time_field);
  core::TimeMs at = 0;
  if (expiry == body.end() || !expiry->is_string() ||
      !core::ParseRfc3339(expiry->get<std::string>(), &at)) {
    return core::InvalidArgument(time_field,
                                 std::string(time_field) + " must be an RFC 3339 timestamp");
  }
  return std::pair{*data, at};
}

}  // namespace

void SesAddTask(Context& context) {
  auto body = ParseSesJsonBody(context.request.body);
  if (!body.ok()) return context.SesError(body.error());
  auto decoded = DecodeTask(*body, "expiryDate");
  if (!decoded.ok()) return context.SesError(decoded.error());
  auto task = context.services.tasks.Add(*context.principal, decoded->first, decoded->second);
  if (!task.ok()) return context.SesError(task.error());
  context.Json(200, {{"taskId", task->id}, {"valid", true}});
}

void SesRemoveTask(Context& context) {
  auto body = ParseSesJsonBody(context.request.body);
  if (!body.ok()) return context.SesError(body.error());
  auto id = body->find("queue_id");
  if (id == body->end() || !id->is_string()) {
    return context.SesError(core::InvalidArgument("queue_id", "queue_id must be a string"));
  }
  auto removed = context.services.tasks.Remove(*context.principal, id->get<std::string>());
  if (!removed.ok()) {
    json error =
        SesErrorBody(removed.error(),
                     removed.error().code == core::ErrorCode::kNotFound ? kSesNoSuchTaskCode : "");
    error["removed"] = false;
    return context.Json(HttpStatusFor(removed.error().code), error);
  }
  context.Json(200, {{"removed", true}, {"valid", true}});
}

void CreateTask(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  auto decoded = DecodeTask(*body, "expires_at");
  if (!decoded.ok()) return context.Problem(decoded.error());
  auto& tasks = context.services.tasks;
  auto task = tasks.Add(*context.principal, decoded->first, decoded->second);
  if (!task.ok()) return context.Problem(task.error());
  context.Json(201, TaskToJson({*task, "pending"}));
}

void GetTask(Context& context) {
  auto task = context.services.tasks.Get(*context.principal, context.request.matches[1]);
  if (!task.ok()) return context.Problem(task.error());
  context.Json(200, TaskToJson(*task));
}

void ListTasks(Context& context) {
  int limit = kDefaultPageSize;
  if (context.request.has_param("limit")) {
    auto parsed = QueryInteger(context.request.get_param_value("limit"), "limit", 1, kMaxPageSize);
    if (!parsed.ok()) return context.Problem(parsed.error());
    limit = static_cast<int>(*parsed);
  }
  auto tasks = context.services.tasks.List(*context.principal,
                                           context.request.get_param_value("state"), limit);
  if (!tasks.ok()) return context.Problem(tasks.error());
  json data = json::array();
  for (const auto& task : *tasks) data.push_back(TaskToJson(task));
  context.Json(200, {{"data", std::move(data)}});
}

void DeleteTask(Context& context) {
  auto removed = context.services.tasks.Delete(*context.principal, context.request.matches[1]);
  if (!removed.ok()) return context.Problem(removed.error());
  context.response.status = 204;
}

void ListWebhookDeliveries(Context& context) {
  auto query = DecodePageQuery(context.request, kDefaultPageSize, kMaxPageSize, {"url", "subject"});
  if (!query.ok()) return context.Problem(query.error());
  std::optional<std::int64_t> cursor;
  if (context.request.has_param("cursor")) {
    auto parsed = QueryInteger(query->cursor, "cursor", 1, INT64_MAX);
    if (!parsed.ok()) return context.Problem(parsed.error());
    cursor = *parsed;
  }
  const store::CallbackAttemptFilter filter{context.request.get_param_value("url"),
                                            context.request.get_param_value("subject")};
  auto page = context.services.webhooks.Deliveries(filter, cursor, query->limit);
  if (!page.ok()) return context.Problem(page.error());
  json data = json::array();
  for (const auto& attempt : page->attempts) {
    data.push_back({{"callback_id", attempt.callback_id},
                    {"url", attempt.url},
                    {"event", attempt.event},
                    {"attempt", attempt.attempt},
                    {"at", core::FormatRfc3339(attempt.at)},
                    {"status_code", attempt.status_code == 0 ? json() : json(attempt.status_code)},
                    {"latency_ms", attempt.latency_ms},
                    {"error", attempt.error.empty() ? json() : json(attempt.error)}});
  }
  context.Json(200, {{"data", std::move(data)},
                     {"next_cursor",
                      page->next_cursor ? json(std::to_string(*page->next_cursor)) : json()}});
}

void ListWebhookEndpoints(Context& context) {
  auto endpoints = context.services.webhooks.Endpoints();
  if (!endpoints.ok()) return context.Problem(endpoints.error());
  const auto time = [](const std::optional<core::TimeMs>& at) {
    return at ? json(core::FormatRfc3339(*at)) : json();
  };
  json data = json::array();
  for (const auto& endpoint : *endpoints) {
    data.push_back({{"url", endpoint.url},
                    {"disabled", endpoint.disabled_at.has_value()},
                    {"disabled_at", time(endpoint.disabled_at)},
                    {"consecutive_failures", endpoint.consecutive_failures},
                    {"last_failure_at", time(endpoint.last_failure_at)},
                    {"last_success_at", time(endpoint.last_success_at)}});
  }
  context.Json(200, {{"data", std::move(data)}});
}

void ReplayWebhookDelivery(Context& context) {
  auto replayed = context.services.webhooks.Replay(context.request.matches[1]);
  if (!replayed.ok()) return context.Problem(replayed.error());
  context.Json(202, {{"callback_id", *replayed}, {"replay_of", context.request.matches[1].str()}});
}

void EnableWebhookEndpoint(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) return context.Problem(body.error());
  auto url = body->find("url");
  if (url == body->end() || !url->is_string()) {
    return context.Problem(core::InvalidArgument("url", "url must be a string"));
  }
  if (auto enabled = context.services.webhooks.Enable(url->get<std::string>()); !enabled.ok()) {
    return context.Problem(enabled.error());
  }
  context.Json(200, {{"url", *url}, {"disabled", false}});
}

}  // namespace http
