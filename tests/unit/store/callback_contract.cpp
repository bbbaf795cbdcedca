// The callback area (store/callback_store.h: callbacks, attempts, endpoints, tasks) of the store
// contract.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "core/random.h"
#include "store_contract.h"

namespace store_contract {

void RunCallbackContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;
  using Kind = store::DeliveryOutcome::Kind;

  const auto callback = [](std::string event, TimeMs run_at = 0) {
    return store::NewCallback{"key_1", "http://127.0.0.1:9/hook", std::move(event),
                              "tsk_1", R"({"event":"x"})",        run_at};
  };
  const auto lease_one = [&](TimeMs now) {
    core::Result<std::vector<store::Lease>> leases =
        store.LeaseJobs(store::JobKind::kCallback, 1, now, kLeaseMs);
    REQUIRE_MESSAGE(leases.ok(), leases.error().message);
    REQUIRE(leases->size() == 1);
    return leases->front();
  };
  const auto failure = [](int status, TimeMs retry_at, int disable_after = 0) {
    store::CallbackOutcome outcome;
    outcome.attempt.at = kT0;
    outcome.attempt.status_code = status;
    outcome.attempt.error = "HTTP " + std::to_string(status);
    outcome.delivery = {retry_at > 0 ? Kind::kRetry : Kind::kFailed, "HTTP 500", retry_at};
    outcome.disable_after = disable_after;
    return outcome;
  };

  SUBCASE("callback jobs are leased apart from email jobs") {
    Create(store, MakeEmail("em_1"));
    core::Result<std::string> id = store.EnqueueCallback(callback("ADD"), 5, kT0);
    REQUIRE_MESSAGE(id.ok(), id.error().message);
    store::Lease lease = lease_one(kT0);
    CHECK(lease.kind == "callback");
    CHECK(lease.ref_id == *id);
    CHECK(store.LeaseJobs(store::JobKind::kCallback, 5, kT0, kLeaseMs)->empty());
    core::Result<std::vector<store::Lease>> emails =
        store.LeaseJobs(store::JobKind::kEmail, 5, kT0, kLeaseMs);
    REQUIRE(emails.ok());
    REQUIRE(emails->size() == 1);
    CHECK(emails->front().ref_id == "em_1");
    // Email statistics do not count callbacks.
    CHECK(store.Stats(kT0)->leased == 1);
  }

  SUBCASE("a subject's later callback waits while an earlier one is pending") {
    core::Result<std::string> first = store.EnqueueCallback(callback("PROCESSING"), 5, kT0);
    core::Result<std::string> second = store.EnqueueCallback(callback("SENT"), 5, kT0);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    CHECK_FALSE(store.GetCallback(*first)->earlier_pending);
    CHECK(store.GetCallback(*second)->earlier_pending);
    store::Lease lease = lease_one(kT0);
    REQUIRE(lease.ref_id == *first);
    store::CallbackOutcome delivered;
    delivered.delivery = {Kind::kSent, "HTTP 200", 0};
    CheckOk(store.FinishCallback(lease.job_id, lease.token, delivered, kT0));
    CHECK_FALSE(store.GetCallback(*second)->earlier_pending);
  }

  SUBCASE("an earlier callback due later, never tried, holds back nothing due before it") {
    core::Result<std::string> expired =
        store.EnqueueCallback(callback("EXPIRED", kT0 + 60'000), 5, kT0);
    core::Result<std::string> now = store.EnqueueCallback(callback("ADD"), 5, kT0 + 1);
    REQUIRE(expired.ok());
    REQUIRE(now.ok());
    CHECK_FALSE(store.GetCallback(*now)->earlier_pending);
    store::Lease lease = lease_one(kT0 + 1);
    REQUIRE(lease.ref_id == *now);
    store::CallbackOutcome delivered;
    delivered.delivery = {Kind::kSent, "HTTP 200", 0};
    CheckOk(store.FinishCallback(lease.job_id, lease.token, delivered, kT0 + 1));
    // One that was tried and waits for its retry, due later, still holds later ones back.
    core::Result<std::string> retried = store.EnqueueCallback(callback("SENT"), 5, kT0 + 2);
    REQUIRE(retried.ok());
    lease = lease_one(kT0 + 2);
    REQUIRE(lease.ref_id == *retried);
    CheckOk(store.FinishCallback(lease.job_id, lease.token, failure(500, kT0 + 30'000), kT0 + 2));
    core::Result<std::string> after = store.EnqueueCallback(callback("OPEN"), 5, kT0 + 3);
    REQUIRE(after.ok());
    CHECK(store.GetCallback(*after)->earlier_pending);
  }

  SUBCASE("a callback due later waits; NextRunAt is per kind") {
    REQUIRE(store.EnqueueCallback(callback("EXPIRED", kT0 + 5000), 5, kT0).ok());
    CHECK(store.LeaseJobs(store::JobKind::kCallback, 5, kT0, kLeaseMs)->empty());
    CHECK(*store.NextRunAt(store::JobKind::kCallback) == std::optional<TimeMs>(kT0 + 5000));
    CHECK_FALSE(store.NextRunAt(store::JobKind::kEmail)->has_value());
    CHECK(lease_one(kT0 + 5000).kind == "callback");
  }

  SUBCASE("attempts are recorded newest first; delivery resets the endpoint's streak") {
    core::Result<std::string> id = store.EnqueueCallback(callback("ADD"), 5, kT0);
    REQUIRE(id.ok());
    store::Lease first = lease_one(kT0);
    CheckOk(store.FinishCallback(first.job_id, first.token, failure(500, kT0 + 10), kT0));
    CheckCode(store.FinishCallback(first.job_id, first.token, failure(500, kT0 + 10), kT0),
              ErrorCode::kFailedPrecondition);
    CHECK(store.ListWebhookEndpoints()->front().consecutive_failures == 1);
    store::Lease second = lease_one(kT0 + 10);
    CHECK(second.attempt == 2);
    store::CallbackOutcome delivered;
    delivered.attempt.at = kT0 + 10;
    delivered.attempt.status_code = 204;
    delivered.attempt.latency_ms = 7;
    delivered.delivery = {Kind::kSent, "HTTP 204", 0};
    CheckOk(store.FinishCallback(second.job_id, second.token, delivered, kT0 + 11));

    core::Result<store::CallbackAttemptPage> page = store.ListCallbackAttempts({}, std::nullopt, 1);
    REQUIRE(page.ok());
    REQUIRE(page->attempts.size() == 1);
    CHECK(page->attempts[0].attempt == 2);
    CHECK(page->attempts[0].status_code == 204);
    CHECK(page->attempts[0].latency_ms == 7);
    CHECK(page->attempts[0].event == "ADD");
    REQUIRE(page->next_cursor.has_value());
    page = store.ListCallbackAttempts({}, page->next_cursor, 10);
    REQUIRE(page->attempts.size() == 1);
    CHECK(page->attempts[0].status_code == 500);
    CHECK_FALSE(page->next_cursor.has_value());
    CHECK(store.ListCallbackAttempts({"http://other/", ""}, std::nullopt, 10)->attempts.empty());
    // By subject: the task's two attempts, none of another's.
    CHECK(store.ListCallbackAttempts({"", "tsk_1"}, std::nullopt, 10)->attempts.size() == 2);
    CHECK(store.ListCallbackAttempts({"", "tsk_2"}, std::nullopt, 10)->attempts.empty());
    CHECK(store.ListCallbackAttempts({"http://127.0.0.1:9/hook", "tsk_1"}, std::nullopt, 10)
              ->attempts.size() == 2);

    core::Result<store::Callback> stored = store.GetCallback(*id);
    REQUIRE(stored.ok());
    CHECK(stored->state == "done");
    CHECK(stored->attempts == 2);
    const store::WebhookEndpoint endpoint = store.ListWebhookEndpoints()->front();
    CHECK(endpoint.consecutive_failures == 0);
    CHECK(endpoint.last_success_at == std::optional<TimeMs>(kT0 + 11));
    CHECK(store.GetCallback("cb_missing").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("an endpoint is disabled after disable_after failures in a row, and re-enabled") {
    for (int i = 0; i < 3; ++i) {
      REQUIRE(store.EnqueueCallback(callback("ADD"), 1, kT0).ok());
      store::Lease lease = lease_one(kT0);
      CheckOk(store.FinishCallback(lease.job_id, lease.token, failure(500, 0, 3), kT0));
      const bool disabled = store.ListWebhookEndpoints()->front().disabled_at.has_value();
      CHECK(disabled == (i == 2));
    }
    core::Result<std::string> id = store.EnqueueCallback(callback("ADD"), 1, kT0);
    CHECK(store.GetCallback(*id)->endpoint_disabled);
    CheckOk(store.EnableWebhookEndpoint("http://127.0.0.1:9/hook"));
    CHECK_FALSE(store.GetCallback(*id)->endpoint_disabled);
    CHECK(store.ListWebhookEndpoints()->front().consecutive_failures == 0);
    CheckCode(store.EnableWebhookEndpoint("http://nowhere/"), ErrorCode::kNotFound);
  }

  SUBCASE("tasks: added with their callbacks; removal cancels EXPIRED and adds REMOVE") {
    store::Task task{"tsk_1", "key_1", R"({"a":1})", kT0 + 60'000, std::nullopt, kT0};
    CheckOk(store.AddTask(task, callback("ADD"), callback("EXPIRED", task.expires_at), 5, kT0));
    CHECK(store.GetTask("tsk_1")->data == R"({"a":1})");
    CHECK(*store.NextRunAt(store::JobKind::kCallback) == std::optional<TimeMs>(kT0));

    CHECK(store.RemoveTask("tsk_1", "key_2", callback("REMOVE"), 5, kT0).error().code ==
          ErrorCode::kNotFound);
    core::Result<store::Task> removed =
        store.RemoveTask("tsk_1", "key_1", callback("REMOVE"), 5, kT0 + 1);
    REQUIRE_MESSAGE(removed.ok(), removed.error().message);
    CHECK(removed->removed_at == std::optional<TimeMs>(kT0 + 1));
    CHECK(store.RemoveTask("tsk_1", "key_1", callback("REMOVE"), 5, kT0 + 2).error().code ==
          ErrorCode::kFailedPrecondition);
    // ADD and REMOVE are due; EXPIRED is cancelled and never leased, even after the expiry.
    core::Result<std::vector<store::Lease>> leases =
        store.LeaseJobs(store::JobKind::kCallback, 10, kT0 + 120'000, kLeaseMs);
    REQUIRE(leases.ok());
    std::vector<std::string> events;
    for (const auto& lease : *leases) events.push_back(store.GetCallback(lease.ref_id)->event);
    std::sort(events.begin(), events.end());
    CHECK(events == std::vector<std::string>{"ADD", "REMOVE"});
    CHECK(store.ListTasks("key_1", store::TaskState::kAny, kT0 + 2, 10)->size() == 1);
    CHECK(store.ListTasks("key_2", store::TaskState::kAny, kT0 + 2, 10)->empty());
    CHECK(store.ListTasks("", store::TaskState::kAny, kT0 + 2, 10)->size() == 1);
    CHECK(store.ListTasks("", store::TaskState::kRemoved, kT0 + 2, 10)->size() == 1);
    CHECK(store.ListTasks("", store::TaskState::kPending, kT0 + 2, 10)->empty());
  }

  SUBCASE("an expired task cannot be removed; its EXPIRED callback becomes due at the expiry") {
    store::Task task{"tsk_2", "key_1", "{}", kT0 + 1000, std::nullopt, kT0};
    CheckOk(store.AddTask(task, std::nullopt, callback("EXPIRED", task.expires_at), 5, kT0));
    CHECK(store.LeaseJobs(store::JobKind::kCallback, 10, kT0 + 999, kLeaseMs)->empty());
    CHECK(store.RemoveTask("tsk_2", "key_1", std::nullopt, 5, kT0 + 1000).error().code ==
          ErrorCode::kFailedPrecondition);
    CHECK(lease_one(kT0 + 1000).kind == "callback");
  }

  SUBCASE("tasks are listed by their state as of a time") {
    CheckOk(store.AddTask({"tsk_3", "key_1", "{}", kT0 + 1000, std::nullopt, kT0}, std::nullopt,
                          std::nullopt, 5, kT0));
    const auto ids = [&](store::TaskState state, TimeMs now) {
      core::Result<std::vector<store::Task>> tasks = store.ListTasks("", state, now, 10);
      REQUIRE(tasks.ok());
      std::vector<std::string> found;
      for (const store::Task& task : *tasks) found.push_back(task.id);
      return found;
    };
    CHECK(ids(store::TaskState::kPending, kT0 + 999) == std::vector<std::string>{"tsk_3"});
    CHECK(ids(store::TaskState::kExpired, kT0 + 999).empty());
    CHECK(ids(store::TaskState::kExpired, kT0 + 1000) == std::vector<std::string>{"tsk_3"});
    CHECK(ids(store::TaskState::kPending, kT0 + 1000).empty());
    CHECK(ids(store::TaskState::kRemoved, kT0 + 1000).empty());
  }
}

}  // namespace store_contract
