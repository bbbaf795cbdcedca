#include "store_contract.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/random.h"

namespace store_contract {
namespace {

using std::string_literals::operator""s;
using core::ErrorCode;
using core::TimeMs;
using store::DeliveryOutcome;
using store::EmailStatus;

constexpr TimeMs kT0 = 1'700'000'000'000;
constexpr TimeMs kLeaseMs = 30'000;

store::NewEmail MakeEmail(const std::string& id, int priority = store::kPriorityTransactional,
                          TimeMs send_at = 0) {
  store::NewEmail email;
  email.id = id;
  email.from = "Sender <sender@example.org>";
  email.to = {"Ada Lovelace <Ada@Example.org>"};
  email.envelope_from = "sender@example.org";
  email.envelope_recipients = {"ada@example.org"};
  email.subject = "Subject of " + id;
  email.raw_message = "Subject: Subject of " + id + "\r\n\r\nBody\r\n";
  email.send_at = send_at;
  email.priority = priority;
  email.max_attempts = 3;
  email.owner = "key-1";
  return email;
}

std::unique_ptr<store::Store> OpenStore(Backend& backend) {
  core::Result<std::unique_ptr<store::Store>> opened = backend.Open();
  REQUIRE_MESSAGE(opened.ok(), opened.error().message);
  return std::move(opened).value();
}

void Create(store::Store& store, const store::NewEmail& email, TimeMs now = kT0) {
  core::Result<store::CreateEmailResult> created = store.CreateEmail(email, std::nullopt, now);
  REQUIRE_MESSAGE(created.ok(), created.error().message);
  REQUIRE_FALSE(created->replayed.has_value());
}

store::Email Get(store::Store& store, const std::string& id) {
  core::Result<store::Email> email = store.GetEmail(id);
  REQUIRE_MESSAGE(email.ok(), email.error().message);
  return std::move(email).value();
}

std::vector<store::Lease> Lease(store::Store& store, int max, TimeMs now,
                                TimeMs lease_ms = kLeaseMs) {
  core::Result<std::vector<store::Lease>> leases =
      store.LeaseJobs(store::JobKind::kEmail, max, now, lease_ms);
  REQUIRE_MESSAGE(leases.ok(), leases.error().message);
  return std::move(leases).value();
}

store::Lease LeaseOne(store::Store& store, TimeMs now, TimeMs lease_ms = kLeaseMs) {
  std::vector<store::Lease> leases = Lease(store, 1, now, lease_ms);
  REQUIRE(leases.size() == 1);
  return leases.front();
}

std::vector<std::string> EventTypes(store::Store& store, const std::string& id) {
  core::Result<std::vector<store::EmailEvent>> events = store.ListEmailEvents(id);
  REQUIRE_MESSAGE(events.ok(), events.error().message);
  std::vector<std::string> types;
  for (const store::EmailEvent& event : *events) {
    types.push_back(event.type);
  }
  return types;
}

std::vector<std::string> Ids(const store::EmailPage& page) {
  std::vector<std::string> ids;
  for (const store::Email& email : page.emails) {
    ids.push_back(email.id);
  }
  return ids;
}

store::EmailPage List(store::Store& store, const store::EmailFilter& filter) {
  core::Result<store::EmailPage> page = store.ListEmails(filter);
  REQUIRE_MESSAGE(page.ok(), page.error().message);
  return std::move(page).value();
}

store::QueueStats Stats(store::Store& store, TimeMs now) {
  core::Result<store::QueueStats> stats = store.Stats(now);
  REQUIRE_MESSAGE(stats.ok(), stats.error().message);
  return *stats;
}

DeliveryOutcome Outcome(DeliveryOutcome::Kind kind, std::string reply, TimeMs retry_at = 0) {
  DeliveryOutcome outcome;
  outcome.kind = kind;
  outcome.reply = std::move(reply);
  outcome.retry_at = retry_at;
  return outcome;
}

void CheckOk(const core::Status& status) { CHECK_MESSAGE(status.ok(), status.error().message); }

void CheckCode(const core::Status& status, ErrorCode code) {
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == code);
}

}  // namespace

void RunEmailContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("a created email reads back whole, queued, with one event") {
    store::NewEmail email = MakeEmail("e1");
    email.cc = {"cc@example.org"};
    email.bcc = {"Hidden <bcc@example.org>"};
    email.reply_to = "replies@example.org";
    email.tags = {"welcome", "onboarding"};
    email.metadata = {{"user", 42}};
    email.raw_message = "Subject: x\r\n\r\nbinary \0 byte\r\n"s;  // bytes kept exactly
    Create(store, email, kT0);

    const store::Email got = Get(store, "e1");
    CHECK(got.id == "e1");
    CHECK(got.status == EmailStatus::kQueued);
    CHECK(got.from == email.from);
    CHECK(got.to == email.to);
    CHECK(got.cc == email.cc);
    CHECK(got.bcc == email.bcc);
    CHECK(got.reply_to == "replies@example.org");
    CHECK(got.subject == email.subject);
    CHECK(got.tags == email.tags);
    CHECK(got.metadata == email.metadata);
    CHECK(got.attempts == 0);
    CHECK(got.max_attempts == 3);
    CHECK(got.last_reply.empty());
    CHECK(got.created_at == kT0);
    CHECK(got.updated_at == kT0);
    CHECK_FALSE(got.sent_at.has_value());
    CHECK(got.next_attempt_at == kT0);  // no send_at: due now
    CHECK(got.owner == "key-1");
    CHECK(EventTypes(store, "e1") == std::vector<std::string>{"queued"});

    core::Result<store::Store::RawMessage> raw = store.GetRawMessage("e1");
    REQUIRE(raw.ok());
    CHECK(raw->data == email.raw_message);
    CHECK(raw->envelope_from == "sender@example.org");
    CHECK(raw->envelope_recipients == email.envelope_recipients);
  }

  SUBCASE("send_at in the future is the next attempt time") {
    Create(store, MakeEmail("later", store::kPriorityTransactional, kT0 + 60'000), kT0);
    const store::Email got = Get(store, "later");
    CHECK(got.send_at == kT0 + 60'000);
    CHECK(got.next_attempt_at == kT0 + 60'000);
  }

  SUBCASE("unknown ids are kNotFound") {
    CHECK(store.GetEmail("nope").error().code == ErrorCode::kNotFound);
    CHECK(store.ListEmailEvents("nope").error().code == ErrorCode::kNotFound);
    CHECK(store.GetRawMessage("nope").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a duplicate id is kAlreadyExists and writes nothing") {
    Create(store, MakeEmail("dup"));
    store::NewEmail again = MakeEmail("dup");
    again.subject = "second";
    core::Result<store::CreateEmailResult> second = store.CreateEmail(again, std::nullopt, kT0);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == ErrorCode::kAlreadyExists);
    CHECK(Get(store, "dup").subject == "Subject of dup");
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.enqueued_total == 1);
    CHECK(stats.queued == 1);
    CHECK(List(store, {}).emails.size() == 1);
  }

  SUBCASE("invalid input is kInvalidArgument") {
    store::NewEmail email = MakeEmail("");
    CHECK(store.CreateEmail(email, std::nullopt, kT0).error().code == ErrorCode::kInvalidArgument);
    email = MakeEmail("zero-attempts");
    email.max_attempts = 0;
    CHECK(store.CreateEmail(email, std::nullopt, kT0).error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("list is newest first and pages by cursor") {
    for (int i = 1; i <= 5; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0 + i);
    }
    store::EmailFilter filter;
    filter.limit = 2;
    store::EmailPage page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"e5", "e4"});
    REQUIRE(page.next_cursor.has_value());

    filter.cursor = page.next_cursor;
    page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"e3", "e2"});
    REQUIRE(page.next_cursor.has_value());

    filter.cursor = page.next_cursor;
    page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"e1"});
    CHECK_FALSE(page.next_cursor.has_value());

    filter = {};
    filter.limit = 5;  // exactly everything: no further page
    page = List(store, filter);
    CHECK(page.emails.size() == 5);
    CHECK_FALSE(page.next_cursor.has_value());
  }

  SUBCASE("list clamps the limit to 1..200") {
    for (int i = 1; i <= 3; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)));
    }
    store::EmailFilter filter;
    filter.limit = 0;
    store::EmailPage page = List(store, filter);
    CHECK(page.emails.size() == 1);
    CHECK(page.next_cursor.has_value());
    filter.limit = 100'000;
    CHECK(List(store, filter).emails.size() == 3);
  }

  SUBCASE("list filters by status") {
    Create(store, MakeEmail("a"));
    Create(store, MakeEmail("b"));
    Create(store, MakeEmail("c"));
    CheckOk(store.CancelEmail("b", kT0 + 1));
    store::EmailFilter filter;
    filter.status = EmailStatus::kCancelled;
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"b"});
    filter.status = EmailStatus::kQueued;
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"c", "a"});
    filter.status = EmailStatus::kSent;
    CHECK(List(store, filter).emails.empty());
  }

  SUBCASE("list filters by recipient in to, cc or bcc, ignoring case and display names") {
    store::NewEmail to = MakeEmail("to");
    to.to = {"Bob <Bob@Example.org>"};
    store::NewEmail cc = MakeEmail("cc");
    cc.to = {"someone@example.org"};
    cc.cc = {"bob@example.org"};
    store::NewEmail bcc = MakeEmail("bcc");
    bcc.to = {"someone@example.org"};
    bcc.bcc = {"BOB@EXAMPLE.ORG"};
    store::NewEmail other = MakeEmail("other");
    other.to = {"bobby@example.org"};
    for (const store::NewEmail& email : {to, cc, bcc, other}) {
      Create(store, email);
    }
    store::EmailFilter filter;
    filter.recipient = "bob@example.org";
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"bcc", "cc", "to"});
    filter.recipient = "Robert <BOB@example.org>";
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"bcc", "cc", "to"});

    filter.limit = 2;
    store::EmailPage page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"bcc", "cc"});
    REQUIRE(page.next_cursor.has_value());
    filter.cursor = page.next_cursor;
    page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"to"});
    CHECK_FALSE(page.next_cursor.has_value());

    filter = {};
    filter.recipient = "nobody@example.org";
    CHECK(List(store, filter).emails.empty());
  }

  SUBCASE("list filters by created_at: since inclusive, until exclusive") {
    for (int i = 0; i < 5; ++i) {
      Create(store, MakeEmail("t" + std::to_string(i)), kT0 + i * TimeMs{1000});
    }
    store::EmailFilter filter;
    filter.since = kT0 + 1000;
    filter.until = kT0 + 3000;
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"t2", "t1"});
    filter.until.reset();
    CHECK(List(store, filter).emails.size() == 4);
  }

  SUBCASE("idempotency: the same request replays, nothing is written twice") {
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, R"({"id":"first"})"};
    core::Result<store::CreateEmailResult> first =
        store.CreateEmail(MakeEmail("first"), claim, kT0);
    REQUIRE(first.ok());
    CHECK_FALSE(first->replayed.has_value());

    // A retry carries a fresh id (the caller generates one per request) and the same hash.
    core::Result<store::CreateEmailResult> again =
        store.CreateEmail(MakeEmail("second"), claim, kT0 + 5);
    REQUIRE(again.ok());
    REQUIRE(again->replayed.has_value());
    CHECK(again->replayed->status == 202);
    CHECK(again->replayed->body == R"({"id":"first"})");

    CHECK(store.GetEmail("second").error().code == ErrorCode::kNotFound);
    CHECK(List(store, {}).emails.size() == 1);
    CHECK(Stats(store, kT0).enqueued_total == 1);
  }

  SUBCASE("idempotency: a different request under the same key is kAlreadyExists") {
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, "{}"};
    REQUIRE(store.CreateEmail(MakeEmail("first"), claim, kT0).ok());
    claim.request_hash = "hash-b";
    core::Result<store::CreateEmailResult> conflict =
        store.CreateEmail(MakeEmail("second"), claim, kT0);
    REQUIRE_FALSE(conflict.ok());
    CHECK(conflict.error().code == ErrorCode::kAlreadyExists);
    CHECK(conflict.error().message.find("Idempotency-Key") != std::string::npos);
    CHECK(store.GetEmail("second").error().code == ErrorCode::kNotFound);
    CHECK(Stats(store, kT0).enqueued_total == 1);
  }

  SUBCASE("idempotency keys are per owner") {
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, "{}"};
    REQUIRE(store.CreateEmail(MakeEmail("first"), claim, kT0).ok());
    claim.owner = "key-2";
    claim.request_hash = "hash-b";
    core::Result<store::CreateEmailResult> other =
        store.CreateEmail(MakeEmail("second"), claim, kT0);
    REQUIRE(other.ok());
    CHECK_FALSE(other->replayed.has_value());
    CHECK(Get(store, "second").status == EmailStatus::kQueued);
  }

  SUBCASE("a failed create leaves its idempotency key unclaimed") {
    Create(store, MakeEmail("taken"));
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, "{}"};
    CHECK(store.CreateEmail(MakeEmail("taken"), claim, kT0).error().code ==
          ErrorCode::kAlreadyExists);
    core::Result<store::CreateEmailResult> retry =
        store.CreateEmail(MakeEmail("fresh"), claim, kT0);
    REQUIRE(retry.ok());
    CHECK_FALSE(retry->replayed.has_value());
  }
}

void RunJobContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("leasing marks the job and the email") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease lease = LeaseOne(store, kT0 + 10);
    CHECK(lease.kind == "email");
    CHECK(lease.ref_id == "e1");
    CHECK(lease.attempt == 1);
    CHECK(lease.max_attempts == 3);
    CHECK(lease.expires_at == kT0 + 10 + kLeaseMs);
    CHECK(lease.created_at == kT0);
    CHECK(lease.token > 0);

    const store::Email email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kSending);
    CHECK(email.attempts == 1);
    CHECK_FALSE(email.next_attempt_at.has_value());
    core::Result<std::vector<store::EmailEvent>> events = store.ListEmailEvents("e1");
    REQUIRE(events.ok());
    REQUIRE(events->size() == 2);
    CHECK(events->at(1).type == "sending");
    CHECK(events->at(1).detail == "attempt 1");
    CHECK(events->at(1).at == kT0 + 10);

    CHECK(Lease(store, 10, kT0 + 20).empty());  // held, not expired
    const store::QueueStats stats = Stats(store, kT0 + 20);
    CHECK(stats.leased == 1);
    CHECK(stats.queued == 0);
  }

  SUBCASE("leases go by priority, then run_at, then creation") {
    Create(store, MakeEmail("bulk-early", store::kPriorityBulk, kT0 - 100), kT0);
    Create(store, MakeEmail("tx-late", store::kPriorityTransactional, kT0 + 50), kT0);
    Create(store, MakeEmail("tx-early", store::kPriorityTransactional, 0), kT0);
    Create(store, MakeEmail("tx-early-2", store::kPriorityTransactional, 0), kT0);
    Create(store, MakeEmail("bulk-late", store::kPriorityBulk, kT0 + 10), kT0);

    std::vector<std::string> order;
    for (const store::Lease& lease : Lease(store, 10, kT0 + 100)) {
      order.push_back(lease.ref_id);
    }
    CHECK(order ==
          std::vector<std::string>{"tx-early", "tx-early-2", "tx-late", "bulk-early", "bulk-late"});
  }

  SUBCASE("max bounds a lease call, and the rest follow in order") {
    for (int i = 0; i < 5; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0 + i);
    }
    std::vector<store::Lease> first = Lease(store, 2, kT0 + 10);
    REQUIRE(first.size() == 2);
    CHECK(first[0].ref_id == "e0");
    CHECK(first[1].ref_id == "e1");
    CHECK(Lease(store, 0, kT0 + 10).empty());
    CHECK(Lease(store, 10, kT0 + 10).size() == 3);
  }

  SUBCASE("a job whose run_at is in the future is not leased until then") {
    Create(store, MakeEmail("later", store::kPriorityTransactional, kT0 + 60'000), kT0);
    Create(store, MakeEmail("bulk-later", store::kPriorityBulk, kT0 + 90'000), kT0);
    CHECK(Lease(store, 10, kT0).empty());
    CHECK(Lease(store, 10, kT0 + 59'999).empty());
    core::Result<std::optional<TimeMs>> next = store.NextRunAt(store::JobKind::kEmail);
    REQUIRE(next.ok());
    CHECK(*next == std::optional<TimeMs>(kT0 + 60'000));
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.queued == 2);
    CHECK(stats.scheduled == 2);
    CHECK(Stats(store, kT0 + 60'000).scheduled == 1);

    const store::Lease lease = LeaseOne(store, kT0 + 60'000);
    CHECK(lease.ref_id == "later");
    next = store.NextRunAt(store::JobKind::kEmail);
    REQUIRE(next.ok());
    CHECK(*next == std::optional<TimeMs>(kT0 + 60'000 + kLeaseMs));  // that lease's expiry
  }

  SUBCASE("NextRunAt is empty when nothing waits") {
    core::Result<std::optional<TimeMs>> next = store.NextRunAt(store::JobKind::kEmail);
    REQUIRE(next.ok());
    CHECK_FALSE(next->has_value());
  }

  SUBCASE("an expired lease is re-leased with a new token; the old token is fenced off") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease first = LeaseOne(store, kT0, 1000);
    CHECK(Lease(store, 10, kT0 + 999).empty());

    const store::Lease second = LeaseOne(store, kT0 + 1000, 1000);
    CHECK(second.job_id == first.job_id);
    CHECK(second.token > first.token);
    CHECK(second.attempt == 2);  // the expired attempt counts as spent

    CheckCode(store.Heartbeat(first.job_id, first.token, kT0 + 5000),
              ErrorCode::kFailedPrecondition);
    CheckCode(store.FinishDelivery(first.job_id, first.token,
                                   Outcome(DeliveryOutcome::Kind::kSent, "250 ok"), kT0 + 1100),
              ErrorCode::kFailedPrecondition);
    CheckCode(store.ReleaseLease(first.job_id, first.token, kT0 + 1100, kT0 + 1100),
              ErrorCode::kFailedPrecondition);

    // The stale calls changed nothing: the current holder still owns the job.
    CHECK(Get(store, "e1").status == EmailStatus::kSending);
    CheckOk(store.Heartbeat(second.job_id, second.token, kT0 + 9000));
    CheckOk(store.FinishDelivery(second.job_id, second.token,
                                 Outcome(DeliveryOutcome::Kind::kSent, "250 ok"), kT0 + 1200));
    CHECK(Get(store, "e1").status == EmailStatus::kSent);
  }

  SUBCASE("tokens strictly increase across calls and jobs") {
    for (int i = 0; i < 4; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0);
    }
    std::vector<std::int64_t> tokens;
    for (const store::Lease& lease : Lease(store, 2, kT0)) {
      tokens.push_back(lease.token);
    }
    for (const store::Lease& lease : Lease(store, 2, kT0)) {
      tokens.push_back(lease.token);
    }
    REQUIRE(tokens.size() == 4);
    CHECK(std::is_sorted(tokens.begin(), tokens.end()));
    CHECK(std::adjacent_find(tokens.begin(), tokens.end()) == tokens.end());
  }

  SUBCASE("a heartbeat keeps the lease") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease lease = LeaseOne(store, kT0, 1000);
    CheckOk(store.Heartbeat(lease.job_id, lease.token, kT0 + 5000));
    CHECK(Lease(store, 10, kT0 + 4999).empty());
    CHECK(LeaseOne(store, kT0 + 5000).token > lease.token);
  }

  SUBCASE("unknown jobs and tokens are kFailedPrecondition") {
    CheckCode(store.Heartbeat(12345, 1, kT0), ErrorCode::kFailedPrecondition);
    CheckCode(store.FinishDelivery(12345, 1, Outcome(DeliveryOutcome::Kind::kSent, ""), kT0),
              ErrorCode::kFailedPrecondition);
    CheckCode(store.ReleaseLease(12345, 1, kT0, kT0), ErrorCode::kFailedPrecondition);
  }

  SUBCASE("sent: the job is done, the email sent, once") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease lease = LeaseOne(store, kT0);
    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kSent, "250 2.0.0 queued as X"),
                                 kT0 + 100));
    const store::Email email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kSent);
    CHECK(email.sent_at == std::optional<TimeMs>(kT0 + 100));
    CHECK(email.last_reply == "250 2.0.0 queued as X");
    CHECK(email.updated_at == kT0 + 100);
    CHECK_FALSE(email.next_attempt_at.has_value());
    CHECK(EventTypes(store, "e1") == std::vector<std::string>{"queued", "sending", "sent"});

    CheckCode(store.FinishDelivery(lease.job_id, lease.token,
                                   Outcome(DeliveryOutcome::Kind::kSent, "again"), kT0 + 200),
              ErrorCode::kFailedPrecondition);
    CHECK(Lease(store, 10, kT0 + 10'000'000).empty());
    const store::QueueStats stats = Stats(store, kT0 + 200);
    CHECK(stats.done == 1);
    CHECK(stats.sent_total == 1);
    CHECK(stats.enqueued_total == 1);
  }

  SUBCASE("retry: deferred until retry_at, then leased again") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease first = LeaseOne(store, kT0);
    CheckOk(store.FinishDelivery(
        first.job_id, first.token,
        Outcome(DeliveryOutcome::Kind::kRetry, "451 try later", kT0 + 60'000), kT0 + 100));

    store::Email email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kDeferred);
    CHECK(email.next_attempt_at == std::optional<TimeMs>(kT0 + 60'000));
    CHECK(email.last_reply == "451 try later");
    CHECK(email.attempts == 1);
    core::Result<std::vector<store::EmailEvent>> events = store.ListEmailEvents("e1");
    REQUIRE(events.ok());
    CHECK(events->back().type == "deferred");
    CHECK(events->back().detail == "451 try later");
    CHECK(Stats(store, kT0 + 100).retried_total == 1);
    CHECK(Stats(store, kT0 + 100).scheduled == 1);

    CHECK(Lease(store, 10, kT0 + 59'999).empty());
    const store::Lease second = LeaseOne(store, kT0 + 60'000);
    CHECK(second.attempt == 2);
    CHECK(second.token > first.token);
    email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kSending);
    CHECK(email.attempts == 2);
  }

  SUBCASE("failed: dead-lettered, then RetryEmail queues it with a fresh budget") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease lease = LeaseOne(store, kT0);
    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kFailed, "550 no such user"),
                                 kT0 + 100));
    store::Email email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kFailed);
    CHECK(email.last_reply == "550 no such user");
    CHECK_FALSE(email.next_attempt_at.has_value());
    store::QueueStats stats = Stats(store, kT0 + 100);
    CHECK(stats.dead == 1);
    CHECK(stats.failed_total == 1);
    CHECK(Lease(store, 10, kT0 + 10'000'000).empty());

    CheckOk(store.RetryEmail("e1", kT0 + 1000));
    email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kQueued);
    CHECK(email.attempts == 0);
    CHECK(email.next_attempt_at == std::optional<TimeMs>(kT0 + 1000));
    CHECK(EventTypes(store, "e1") ==
          std::vector<std::string>{"queued", "sending", "failed", "retried"});
    stats = Stats(store, kT0 + 1000);
    CHECK(stats.dead == 0);
    CHECK(stats.queued == 1);
    CHECK(LeaseOne(store, kT0 + 1000).attempt == 1);
  }

  SUBCASE("RetryEmail only from failed") {
    Create(store, MakeEmail("e1"), kT0);
    CheckCode(store.RetryEmail("e1", kT0), ErrorCode::kFailedPrecondition);
    CheckCode(store.RetryEmail("missing", kT0), ErrorCode::kNotFound);
    const store::Lease lease = LeaseOne(store, kT0);
    CheckCode(store.RetryEmail("e1", kT0), ErrorCode::kFailedPrecondition);
    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kSent, "250"), kT0));
    CheckCode(store.RetryEmail("e1", kT0), ErrorCode::kFailedPrecondition);
  }

  SUBCASE("cancel: queued and deferred only, naming the status otherwise") {
    Create(store, MakeEmail("q1"), kT0);
    CheckOk(store.CancelEmail("q1", kT0 + 1));
    store::Email email = Get(store, "q1");
    CHECK(email.status == EmailStatus::kCancelled);
    CHECK_FALSE(email.next_attempt_at.has_value());
    CHECK(EventTypes(store, "q1") == std::vector<std::string>{"queued", "cancelled"});
    CHECK(Lease(store, 10, kT0 + 10).empty());
    core::Status again = store.CancelEmail("q1", kT0 + 2);
    CheckCode(again, ErrorCode::kFailedPrecondition);
    CHECK(again.error().message.find("is cancelled") != std::string::npos);

    Create(store, MakeEmail("d1"), kT0);
    store::Lease lease = LeaseOne(store, kT0);
    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kRetry, "421", kT0 + 500), kT0));
    CheckOk(store.CancelEmail("d1", kT0 + 1));
    CHECK(Get(store, "d1").status == EmailStatus::kCancelled);
    CHECK(Lease(store, 10, kT0 + 1000).empty());

    Create(store, MakeEmail("s1"), kT0);
    lease = LeaseOne(store, kT0);
    core::Status sending = store.CancelEmail("s1", kT0);
    CheckCode(sending, ErrorCode::kFailedPrecondition);
    CHECK(sending.error().message.find("is sending") != std::string::npos);

    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kSent, "250"), kT0));
    core::Status sent = store.CancelEmail("s1", kT0);
    CheckCode(sent, ErrorCode::kFailedPrecondition);
    CHECK(sent.error().message.find("is sent") != std::string::npos);

    Create(store, MakeEmail("f1"), kT0);
    lease = LeaseOne(store, kT0);
    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kFailed, "550"), kT0));
    core::Status failed = store.CancelEmail("f1", kT0);
    CheckCode(failed, ErrorCode::kFailedPrecondition);
    CHECK(failed.error().message.find("is failed") != std::string::npos);

    CheckCode(store.CancelEmail("missing", kT0), ErrorCode::kNotFound);
    CHECK(Stats(store, kT0).cancelled == 2);
  }

  SUBCASE("ReleaseLease gives the attempt back") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease lease = LeaseOne(store, kT0);
    CheckCode(store.ReleaseLease(lease.job_id, lease.token + 1, kT0 + 1, kT0 + 1),
              ErrorCode::kFailedPrecondition);
    CheckOk(store.ReleaseLease(lease.job_id, lease.token, kT0 + 1, kT0 + 1));
    const store::Email email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kQueued);
    CHECK(email.attempts == 0);
    CHECK(email.next_attempt_at.has_value());
    CHECK(EventTypes(store, "e1") == std::vector<std::string>{"queued", "sending", "released"});
    CheckCode(store.FinishDelivery(lease.job_id, lease.token,
                                   Outcome(DeliveryOutcome::Kind::kSent, "250"), kT0 + 2),
              ErrorCode::kFailedPrecondition);

    const store::Lease again = LeaseOne(store, kT0 + 2);
    CHECK(again.attempt == 1);
    CHECK(again.token > lease.token);
  }

  SUBCASE("ReleaseLease with a later run_at defers the job without spending an attempt") {
    Create(store, MakeEmail("e1"), kT0);
    const store::Lease lease = LeaseOne(store, kT0);
    CheckOk(store.ReleaseLease(lease.job_id, lease.token, kT0 + 5000, kT0 + 1));
    CHECK(Get(store, "e1").next_attempt_at == std::optional<TimeMs>(kT0 + 5000));
    CHECK(store.LeaseJobs(store::JobKind::kEmail, 5, kT0 + 4999, kLeaseMs)->empty());
    CHECK(LeaseOne(store, kT0 + 5000).attempt == 1);
  }

  SUBCASE("ReleaseLease after an earlier attempt leaves the email deferred") {
    Create(store, MakeEmail("e1"), kT0);
    store::Lease lease = LeaseOne(store, kT0);
    CheckOk(store.FinishDelivery(lease.job_id, lease.token,
                                 Outcome(DeliveryOutcome::Kind::kRetry, "421", kT0), kT0));
    lease = LeaseOne(store, kT0 + 1);
    CHECK(lease.attempt == 2);
    CheckOk(store.ReleaseLease(lease.job_id, lease.token, kT0 + 2, kT0 + 2));
    const store::Email email = Get(store, "e1");
    CHECK(email.status == EmailStatus::kDeferred);
    CHECK(email.attempts == 1);
  }

  SUBCASE("RecoverLeases returns every leased job to the queue") {
    for (int i = 0; i < 3; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0);
    }
    std::vector<store::Lease> leases = Lease(store, 2, kT0);
    REQUIRE(leases.size() == 2);

    core::Result<int> recovered = store.RecoverLeases(kT0 + 500);
    REQUIRE(recovered.ok());
    CHECK(*recovered == 2);
    const store::Email email = Get(store, leases[0].ref_id);
    CHECK(email.status == EmailStatus::kDeferred);  // its attempt may have reached the server
    CHECK(email.attempts == 1);
    CHECK(email.next_attempt_at == std::optional<TimeMs>(kT0 + 500));
    CHECK(EventTypes(store, leases[0].ref_id).back() == "recovered");
    CheckCode(store.FinishDelivery(leases[0].job_id, leases[0].token,
                                   Outcome(DeliveryOutcome::Kind::kSent, "250"), kT0 + 600),
              ErrorCode::kFailedPrecondition);

    const store::QueueStats stats = Stats(store, kT0 + 500);
    CHECK(stats.leased == 0);
    CHECK(stats.queued == 3);
    CHECK(Lease(store, 10, kT0 + 500).size() == 3);

    recovered = store.RecoverLeases(kT0 + 600);
    REQUIRE(recovered.ok());
    CHECK(*recovered == 3);
    recovered = store.RecoverLeases(kT0 + 700);
    REQUIRE(recovered.ok());
    CHECK(*recovered == 0);
  }
}

void RunAdminContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("API keys: create, find by hash, count by role") {
    store::ApiKey admin{"k1", "bootstrap", "hash-1", "admin", kT0, std::nullopt};
    store::ApiKey app{"k2", "app", "hash-2", "sender", kT0, kT0 + 86'400'000};
    CheckOk(store.CreateApiKey(admin));
    CheckOk(store.CreateApiKey(app));

    core::Result<store::ApiKey> found = store.FindApiKeyByHash("hash-2");
    REQUIRE(found.ok());
    CHECK(found->id == "k2");
    CHECK(found->name == "app");
    CHECK(found->role == "sender");
    CHECK(found->created_at == kT0);
    CHECK(found->expires_at == std::optional<TimeMs>(kT0 + 86'400'000));
    found = store.FindApiKeyByHash("hash-1");
    REQUIRE(found.ok());
    CHECK_FALSE(found->expires_at.has_value());
    CHECK(store.FindApiKeyByHash("hash-3").error().code == ErrorCode::kNotFound);

    core::Result<int> admins = store.CountApiKeys("admin");
    REQUIRE(admins.ok());
    CHECK(*admins == 1);
    core::Result<int> viewers = store.CountApiKeys("viewer");
    REQUIRE(viewers.ok());
    CHECK(*viewers == 0);
  }

  SUBCASE("API keys: listed oldest first; deleted one by id") {
    CheckOk(store.CreateApiKey({"k2", "second", "hash-2", "client", kT0 + 1, std::nullopt}));
    CheckOk(store.CreateApiKey({"k1", "first", "hash-1", "admin", kT0, kT0 + 5}));
    core::Result<std::vector<store::ApiKey>> keys = store.ListApiKeys();
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 2);
    CHECK(keys->at(0).id == "k1");
    CHECK(keys->at(0).expires_at == std::optional<TimeMs>(kT0 + 5));
    CHECK(keys->at(1).name == "second");

    core::Result<store::ApiKey> deleted = store.DeleteApiKey("k2");
    REQUIRE(deleted.ok());
    CHECK(deleted->key_hash == "hash-2");
    CHECK(store.DeleteApiKey("k2").error().code == ErrorCode::kNotFound);
    CHECK(store.FindApiKeyByHash("hash-2").error().code == ErrorCode::kNotFound);
    CHECK(store.ListApiKeys()->size() == 1);
  }

  SUBCASE("API keys: a duplicate id or hash is kAlreadyExists") {
    CheckOk(store.CreateApiKey({"k1", "one", "hash-1", "admin", kT0, std::nullopt}));
    CheckCode(store.CreateApiKey({"k1", "two", "hash-2", "admin", kT0, std::nullopt}),
              ErrorCode::kAlreadyExists);
    CheckCode(store.CreateApiKey({"k2", "two", "hash-1", "admin", kT0, std::nullopt}),
              ErrorCode::kAlreadyExists);
    core::Result<int> admins = store.CountApiKeys("admin");
    REQUIRE(admins.ok());
    CHECK(*admins == 1);
  }

  SUBCASE("stats on an empty store are zero") {
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.queued == 0);
    CHECK(stats.leased == 0);
    CHECK(stats.done == 0);
    CHECK(stats.dead == 0);
    CHECK(stats.cancelled == 0);
    CHECK(stats.scheduled == 0);
    CHECK(stats.enqueued_total == 0);
    CHECK(stats.sent_total == 0);
    CHECK(stats.failed_total == 0);
    CHECK(stats.retried_total == 0);
  }

  SUBCASE("ping answers") { CheckOk(store.Ping()); }
}

void RunGoMailContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("API keys: find by id; delete by name and role returns the deleted keys") {
    CheckOk(store.CreateApiKey({"k1", "ada@example.org", "hash-1", "client", kT0, std::nullopt}));
    CheckOk(store.CreateApiKey({"k2", "admin", "hash-2", "admin", kT0, std::nullopt}));
    core::Result<store::ApiKey> found = store.FindApiKeyById("k1");
    REQUIRE(found.ok());
    CHECK(found->name == "ada@example.org");
    CHECK(found->key_hash == "hash-1");
    CHECK(store.FindApiKeyById("k9").error().code == ErrorCode::kNotFound);

    core::Result<std::vector<store::ApiKey>> none = store.DeleteApiKeysByName("admin", "client");
    REQUIRE(none.ok());
    CHECK(none->empty());
    core::Result<std::vector<store::ApiKey>> deleted =
        store.DeleteApiKeysByName("ada@example.org", "client");
    REQUIRE(deleted.ok());
    REQUIRE(deleted->size() == 1);
    CHECK((*deleted)[0].key_hash == "hash-1");
    CHECK(store.FindApiKeyById("k1").error().code == ErrorCode::kNotFound);
    CHECK(store.FindApiKeyByHash("hash-2").ok());
  }

  SUBCASE("API keys: one client key per name, until it is deleted") {
    CheckOk(store.CreateApiKey({"k1", "ada@example.org", "hash-1", "client", kT0, std::nullopt}));
    CheckCode(store.CreateApiKey({"k2", "ada@example.org", "hash-2", "client", kT0, std::nullopt}),
              ErrorCode::kAlreadyExists);
    // Other roles may share a name.
    CheckOk(store.CreateApiKey({"k3", "ada@example.org", "hash-3", "admin", kT0, std::nullopt}));
    REQUIRE(store.DeleteApiKeysByName("ada@example.org", "client").ok());
    CheckOk(store.CreateApiKey({"k2", "ada@example.org", "hash-2", "client", kT0, std::nullopt}));
  }

  SUBCASE("settings: the first value sticks") {
    core::Result<std::string> first = store.GetOrCreateSetting("jwt_secret", "one");
    REQUIRE(first.ok());
    CHECK(*first == "one");
    core::Result<std::string> second = store.GetOrCreateSetting("jwt_secret", "two");
    REQUIRE(second.ok());
    CHECK(*second == "one");
  }

  SUBCASE("settings: concurrent creators agree") {
    std::vector<std::string> values(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < values.size(); ++i) {
      threads.emplace_back([&, i] {
        core::Result<std::string> value = store.GetOrCreateSetting("k", std::to_string(i));
        if (value.ok()) values[i] = *value;
      });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& value : values) CHECK(value == values[0]);
    CHECK_FALSE(values[0].empty());
  }

  const auto record = [](TimeMs at, const std::string& hash) {
    store::OtpRecord otp;
    otp.recipient = "ada@example.org";
    otp.code_hash = hash;
    otp.expires_at = at + 600'000;
    otp.created_at = at;
    otp.last_sent_at = at;
    return otp;
  };

  SUBCASE("codes: a resend within the interval is kResourceExhausted; later it replaces") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    CheckCode(store.PutOtp(record(kT0 + 29'999, "h2"), 30'000), ErrorCode::kResourceExhausted);
    CheckOk(store.PutOtp(record(kT0 + 30'000, "h3"), 30'000));
    std::string seen;
    CheckOk(store.VerifyOtp("ada@example.org", [&](const store::OtpRecord* otp) {
      seen = otp == nullptr ? "none" : otp->code_hash;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen == "h3");
  }

  SUBCASE("codes: an unknown recipient is decided with no record") {
    bool called_with_null = false;
    CheckOk(store.VerifyOtp("bob@example.org", [&](const store::OtpRecord* otp) {
      called_with_null = otp == nullptr;
      return store::OtpWrite::kCountFailure;
    }));
    CHECK(called_with_null);
  }

  SUBCASE("codes: failures count and used sticks; a new code starts afresh") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    for (int i = 0; i < 3; ++i) {
      CheckOk(store.VerifyOtp("ada@example.org", [](const store::OtpRecord*) {
        return store::OtpWrite::kCountFailure;
      }));
    }
    CheckOk(store.VerifyOtp("ada@example.org",
                            [](const store::OtpRecord*) { return store::OtpWrite::kMarkUsed; }));
    store::OtpRecord seen;
    CheckOk(store.VerifyOtp("ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) seen = *otp;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen.failed_attempts == 3);
    CHECK(seen.used);
    CHECK(seen.expires_at == kT0 + 600'000);
    CheckOk(store.PutOtp(record(kT0 + 60'000, "h2"), 30'000));
    CheckOk(store.VerifyOtp("ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) seen = *otp;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen.failed_attempts == 0);
    CHECK_FALSE(seen.used);
    CHECK(seen.code_hash == "h2");
  }

  SUBCASE("codes: parallel attempts are serialized, none lost") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
      threads.emplace_back([&] {
        static_cast<void>(store.VerifyOtp("ada@example.org", [](const store::OtpRecord* otp) {
          return otp != nullptr && otp->failed_attempts < 5 ? store::OtpWrite::kCountFailure
                                                            : store::OtpWrite::kNothing;
        }));
      });
    }
    for (auto& thread : threads) thread.join();
    int failed = -1;
    CheckOk(store.VerifyOtp("ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) failed = otp->failed_attempts;
      return store::OtpWrite::kNothing;
    }));
    CHECK(failed == 5);
  }
}

// A new subscription with a fresh unsubscribe token.
store::NewSubscription Subscription(std::string content_type, std::string user_id,
                                    std::string frequency, std::string subject,
                                    std::string content) {
  store::NewSubscription subscription;
  subscription.content_type = std::move(content_type);
  subscription.user_id = std::move(user_id);
  subscription.frequency = std::move(frequency);
  subscription.subject = std::move(subject);
  subscription.content = std::move(content);
  subscription.unsubscribe_token = core::RandomHex(16);
  return subscription;
}

void RunSubscriptionContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto get_type = [&](const std::string& name) {
    core::Result<store::ContentType> type = store.GetContentType(name);
    REQUIRE_MESSAGE(type.ok(), type.error().message);
    return std::move(type).value();
  };
  const auto subscribers = [&](const std::string& name) {
    core::Result<std::int64_t> count = store.CountSubscribers(name);
    REQUIRE_MESSAGE(count.ok(), count.error().message);
    return *count;
  };

  SUBCASE("content types: create once, update, get; missing ones are kNotFound") {
    CheckOk(store.CreateContentType({"Weekly_Newsletter", "s1", "c1", 0, 0}, kT0));
    CheckCode(store.CreateContentType({"Weekly_Newsletter", "s2", "c2", 0, 0}, kT0 + 1),
              ErrorCode::kAlreadyExists);
    store::ContentType type = get_type("Weekly_Newsletter");
    CHECK(type.subject == "s1");
    CHECK(type.content == "c1");
    CHECK(type.created_at == kT0);
    CHECK(type.updated_at == kT0);
    // Names are case-sensitive.
    CHECK(store.GetContentType("weekly_newsletter").error().code == ErrorCode::kNotFound);

    CheckOk(store.UpdateContentType({"Weekly_Newsletter", "s3", "c3", 0, 0}, kT0 + 5));
    type = get_type("Weekly_Newsletter");
    CHECK(type.subject == "s3");
    CHECK(type.content == "c3");
    CHECK(type.created_at == kT0);
    CHECK(type.updated_at == kT0 + 5);
    CheckCode(store.UpdateContentType({"missing", "s", "c", 0, 0}, kT0), ErrorCode::kNotFound);
    CheckCode(store.CreateContentType({"", "s", "c", 0, 0}, kT0), ErrorCode::kInvalidArgument);
  }

  SUBCASE("subscribe creates a missing content type; an existing one keeps its content") {
    core::Result<store::SubscribeResult> first = store.Subscribe(
        Subscription("daily", "Ada@Example.org", "@daily", "Subject", "<p>Body</p>"), kT0);
    REQUIRE_MESSAGE(first.ok(), first.error().message);
    CHECK(first->content_type_created);
    CHECK_FALSE(first->already_subscribed);
    CHECK(first->content_type.subject == "Subject");
    CHECK(get_type("daily").content == "<p>Body</p>");

    core::Result<store::SubscribeResult> second = store.Subscribe(
        Subscription("daily", "bob@example.org", "@weekly", "Other", "other"), kT0 + 1);
    REQUIRE_MESSAGE(second.ok(), second.error().message);
    CHECK_FALSE(second->content_type_created);
    CHECK(second->content_type.subject == "Subject");
    CHECK(second->content_type.content == "<p>Body</p>");
    CHECK(get_type("daily").subject == "Subject");

    // Without subject and content, an existing type is enough.
    core::Result<store::SubscribeResult> third =
        store.Subscribe(Subscription("daily", "carol@example.org", "@hourly", "", ""), kT0 + 2);
    REQUIRE_MESSAGE(third.ok(), third.error().message);
    CHECK(subscribers("daily") == 3);
    CHECK(subscribers("weekly") == 0);
  }

  SUBCASE("subscribe to a missing type without subject or content is kNotFound, writes nothing") {
    CHECK(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "", "c"), kT0)
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", ""), kT0)
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store.GetContentType("t").error().code == ErrorCode::kNotFound);
    CHECK(subscribers("t") == 0);
  }

  SUBCASE("subscribe needs a frequency, a user id and a token for a new subscription") {
    CHECK(store.Subscribe(Subscription("t", "ada@example.org", "", "s", "c"), kT0).error().code ==
          ErrorCode::kInvalidArgument);
    CHECK(store.Subscribe(Subscription("t", "", "@daily", "s", "c"), kT0).error().code ==
          ErrorCode::kInvalidArgument);
    store::NewSubscription untokened = Subscription("t", "ada@example.org", "@daily", "s", "c");
    untokened.unsubscribe_token.clear();
    CHECK(store.Subscribe(untokened, kT0).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.GetContentType("t").error().code == ErrorCode::kNotFound);
    REQUIRE(
        store.Subscribe(Subscription("t", "ada@example.org", "0 9 * * MON", "s", "c"), kT0).ok());
  }

  SUBCASE("re-subscribing sets the frequency; one row per user, compared lower-cased") {
    REQUIRE(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", "c"), kT0).ok());
    core::Result<store::SubscribeResult> again =
        store.Subscribe(Subscription("t", "ADA@example.org", "@monthly", "", ""), kT0 + 1);
    REQUIRE_MESSAGE(again.ok(), again.error().message);
    CHECK(again->already_subscribed);
    CHECK_FALSE(again->content_type_created);
    CHECK(subscribers("t") == 1);
  }

  SUBCASE("unsubscribe removes the user once; then kNotFound") {
    REQUIRE(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", "c"), kT0).ok());
    REQUIRE(store.Subscribe(Subscription("t", "bob@example.org", "@daily", "", ""), kT0).ok());
    core::Result<store::Subscriber> removed = store.Unsubscribe("t", "Ada@Example.org");
    REQUIRE_MESSAGE(removed.ok(), removed.error().message);
    CHECK(removed->user_id == "ada@example.org");
    CHECK(removed->frequency == "@daily");
    CHECK(subscribers("t") == 1);
    CHECK(store.Unsubscribe("t", "ada@example.org").error().code == ErrorCode::kNotFound);
    CHECK(store.Unsubscribe("missing", "bob@example.org").error().code == ErrorCode::kNotFound);
    // The content type stays.
    CHECK(get_type("t").subject == "s");
  }

  SUBCASE("content types and subscriptions survive reopening") {
    REQUIRE(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", "c"), kT0).ok());
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<std::int64_t> count = reopened->CountSubscribers("t");
    REQUIRE(count.ok());
    CHECK(*count == 1);
    core::Result<store::ContentType> type = reopened->GetContentType("t");
    REQUIRE(type.ok());
    CHECK(type->content == "c");
  }
}

void RunNewsletterContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto schedules = [&] {
    core::Result<std::vector<store::Schedule>> listed = store.ListSchedules();
    REQUIRE_MESSAGE(listed.ok(), listed.error().message);
    std::vector<std::string> groups;
    for (const auto& group : *listed) {
      groups.push_back(group.content_type + "|" + group.frequency + "|" + group.timezone);
    }
    std::sort(groups.begin(), groups.end());
    return groups;
  };
  // Builds each recipient's email as the newsletter service does: own headers only.
  const store::FireRecipient recipient = [](const store::Fire& fire,
                                            const store::Subscriber& subscriber) {
    store::NewEmail email;
    email.id = "em_" + fire.key + "_" + subscriber.user_id;
    email.from = fire.sender;
    email.envelope_from = fire.sender;
    email.to = {subscriber.user_id};
    email.envelope_recipients = {subscriber.user_id};
    email.subject = fire.subject;
    email.raw_message = "To: " + subscriber.user_id + "\r\nList-Unsubscribe: <https://x/" +
                        subscriber.unsubscribe_token + ">\r\n";
    return email;
  };
  const auto fire_of = [](std::string key, std::optional<store::Schedule> group) {
    return store::Fire{std::move(key),
                       "news",
                       std::move(group),
                       kT0,
                       "news@example.org",
                       "Issue 1",
                       "Subject: Issue 1\r\n\r\nHello\r\n"};
  };
  const auto group_of = [](const std::string& frequency) {
    store::Schedule group;
    group.content_type = "news";
    group.frequency = frequency;
    return group;
  };
  const auto subscribe = [&](const std::string& user, const std::string& frequency) {
    core::Result<store::SubscribeResult> subscribed =
        store.Subscribe(Subscription("news", user, frequency, "s", "c"), kT0);
    REQUIRE_MESSAGE(subscribed.ok(), subscribed.error().message);
  };

  SUBCASE("unsubscribe tokens find and remove one subscription; renewing keeps the token") {
    store::NewSubscription ada = Subscription("news", "ada@example.org", "@daily", "s", "c");
    REQUIRE(store.Subscribe(ada, kT0).ok());
    store::NewSubscription renewed = Subscription("news", "ada@example.org", "@weekly", "", "");
    REQUIRE(store.Subscribe(renewed, kT0 + 1).ok());
    core::Result<store::Subscriber> found = store.FindSubscriberByToken(ada.unsubscribe_token);
    REQUIRE_MESSAGE(found.ok(), found.error().message);
    CHECK(found->frequency == "@weekly");
    CHECK(store.FindSubscriberByToken(renewed.unsubscribe_token).error().code ==
          ErrorCode::kNotFound);
    CHECK(store.FindSubscriberByToken("").error().code == ErrorCode::kNotFound);

    core::Result<store::Subscriber> removed = store.UnsubscribeByToken(ada.unsubscribe_token);
    REQUIRE_MESSAGE(removed.ok(), removed.error().message);
    CHECK(removed->user_id == "ada@example.org");
    CHECK(store.UnsubscribeByToken(ada.unsubscribe_token).error().code == ErrorCode::kNotFound);
    CHECK(*store.CountSubscribers("news") == 0);
  }

  SUBCASE("a group has one schedule row while it has subscribers") {
    subscribe("ada@example.org", "@daily");
    subscribe("bob@example.org", "@daily");
    store::NewSubscription zoned = Subscription("news", "carol@example.org", "0 9 * * 1", "", "");
    zoned.timezone = "Europe/Berlin";
    REQUIRE(store.Subscribe(zoned, kT0).ok());
    CHECK(schedules() == std::vector<std::string>{"news|0 9 * * 1|Europe/Berlin", "news|@daily|"});

    subscribe("ada@example.org", "@hourly");  // moves to another group; @daily keeps bob
    CHECK(schedules().size() == 3);
    subscribe("bob@example.org", "@hourly");  // @daily is empty now
    CHECK(schedules() == std::vector<std::string>{"news|0 9 * * 1|Europe/Berlin", "news|@hourly|"});
    REQUIRE(store.Unsubscribe("news", "carol@example.org").ok());
    CHECK(schedules() == std::vector<std::string>{"news|@hourly|"});
  }

  SUBCASE("next fire times are stored; unknown groups are kNotFound") {
    subscribe("ada@example.org", "@daily");
    const store::Schedule group = group_of("@daily");
    CheckOk(store.SetNextFire(group, kT0 + 86'400'000));
    core::Result<std::vector<store::Schedule>> listed = store.ListSchedules();
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().created_at == kT0);
    CHECK(listed->front().next_fire == kT0 + 86'400'000);
    CHECK_FALSE(listed->front().last_fire.has_value());
    CheckCode(store.SetNextFire(group_of("@weekly"), kT0), ErrorCode::kNotFound);
  }

  SUBCASE("a fire key is recorded once and sets its group's last fire") {
    subscribe("ada@example.org", "@daily");
    const store::Schedule group = group_of("@daily");
    CheckOk(store.StartFire(fire_of("news@1", group), kT0));
    CheckCode(store.StartFire(fire_of("news@1", group), kT0 + 1), ErrorCode::kAlreadyExists);
    core::Result<std::vector<store::Schedule>> listed = store.ListSchedules();
    REQUIRE(listed.ok());
    CHECK(listed->front().last_fire == kT0);
    core::Result<std::vector<std::string>> unfinished = store.ListUnfinishedFires();
    REQUIRE(unfinished.ok());
    CHECK(*unfinished == std::vector<std::string>{"news@1"});
  }

  SUBCASE("fan-out enqueues each subscriber of the group once, in batches") {
    for (const char* user :
         {"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}) {
      subscribe(user, "@daily");
    }
    subscribe("hourly@example.org", "@hourly");
    CheckOk(store.StartFire(fire_of("news@daily", group_of("@daily")), kT0));
    std::vector<std::int64_t> batches;
    for (;;) {
      core::Result<store::FanOutProgress> progress =
          store.FanOutFire("news@daily", 2, recipient, kT0);
      REQUIRE_MESSAGE(progress.ok(), progress.error().message);
      batches.push_back(progress->enqueued);
      if (progress->done) break;
    }
    CHECK(batches == std::vector<std::int64_t>{2, 2, 1});
    core::Result<store::FanOutProgress> again = store.FanOutFire("news@daily", 2, recipient, kT0);
    REQUIRE(again.ok());
    CHECK(again->enqueued == 0);
    CHECK(again->done);
    CHECK(store.ListUnfinishedFires()->empty());
    CHECK(store.Stats(kT0)->queued == 5);

    // The stored message is the recipient's headers followed by the fire's shared part.
    core::Result<store::Store::RawMessage> raw = store.GetRawMessage("em_news@daily_c@example.org");
    REQUIRE_MESSAGE(raw.ok(), raw.error().message);
    CHECK(raw->data.rfind("To: c@example.org\r\nList-Unsubscribe: <https://x/", 0) == 0);
    CHECK(raw->data.find("\r\nSubject: Issue 1\r\n\r\nHello\r\n") != std::string::npos);
    CHECK(raw->envelope_recipients == std::vector<std::string>{"c@example.org"});
    core::Result<std::vector<std::optional<store::Store::RawMessage>>> batch =
        store.GetRawMessages({"em_news@daily_a@example.org"});
    REQUIRE(batch.ok());
    CHECK(batch->front()->data.find("Hello") != std::string::npos);
    CHECK(store.GetEmail("em_news@daily_hourly@example.org").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a fire without a group reaches every subscriber of the list") {
    subscribe("a@example.org", "@daily");
    subscribe("b@example.org", "@hourly");
    CheckOk(store.StartFire(fire_of("news/now@1", std::nullopt), kT0));
    core::Result<store::FanOutProgress> progress =
        store.FanOutFire("news/now@1", 100, recipient, kT0);
    REQUIRE(progress.ok());
    CHECK(progress->enqueued == 2);
    CHECK(progress->done);
    CHECK(store.FanOutFire("missing", 100, recipient, kT0).error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a failing recipient rolls its whole batch back") {
    subscribe("a@example.org", "@daily");
    subscribe("b@example.org", "@daily");
    CheckOk(store.StartFire(fire_of("news@x", std::nullopt), kT0));
    const store::FireRecipient broken = [&](const store::Fire& fire,
                                            const store::Subscriber& subscriber) {
      store::NewEmail email = recipient(fire, subscriber);
      if (subscriber.user_id == "b@example.org") email.max_attempts = 0;  // invalid
      return email;
    };
    CHECK(store.FanOutFire("news@x", 100, broken, kT0).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.Stats(kT0)->queued == 0);
    CHECK(*store.ListUnfinishedFires() == std::vector<std::string>{"news@x"});
    // Retried, it starts over from the first subscriber.
    core::Result<store::FanOutProgress> retried = store.FanOutFire("news@x", 100, recipient, kT0);
    REQUIRE(retried.ok());
    CHECK(retried->enqueued == 2);
  }

  SUBCASE("an interrupted fan-out resumes after reopening where its last batch ended") {
    for (const char* user : {"a@example.org", "b@example.org", "c@example.org"}) {
      subscribe(user, "@daily");
    }
    CheckOk(store.StartFire(fire_of("news@r", std::nullopt), kT0));
    REQUIRE(store.FanOutFire("news@r", 2, recipient, kT0)->enqueued == 2);
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<std::vector<std::string>> unfinished = reopened->ListUnfinishedFires();
    REQUIRE(unfinished.ok());
    REQUIRE(*unfinished == std::vector<std::string>{"news@r"});
    core::Result<store::FanOutProgress> rest = reopened->FanOutFire("news@r", 2, recipient, kT0);
    REQUIRE(rest.ok());
    CHECK(rest->enqueued == 1);
    CHECK(rest->done);
    CHECK(reopened->Stats(kT0)->queued == 3);
    CheckCode(reopened->StartFire(fire_of("news@r", std::nullopt), kT0), ErrorCode::kAlreadyExists);
  }
}

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

    core::Result<store::CallbackAttemptPage> page = store.ListCallbackAttempts("", std::nullopt, 1);
    REQUIRE(page.ok());
    REQUIRE(page->attempts.size() == 1);
    CHECK(page->attempts[0].attempt == 2);
    CHECK(page->attempts[0].status_code == 204);
    CHECK(page->attempts[0].latency_ms == 7);
    CHECK(page->attempts[0].event == "ADD");
    REQUIRE(page->next_cursor.has_value());
    page = store.ListCallbackAttempts("", page->next_cursor, 10);
    REQUIRE(page->attempts.size() == 1);
    CHECK(page->attempts[0].status_code == 500);
    CHECK_FALSE(page->next_cursor.has_value());
    CHECK(store.ListCallbackAttempts("http://other/", std::nullopt, 10)->attempts.empty());

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
    CHECK(store.ListTasks("key_1", 10)->size() == 1);
    CHECK(store.ListTasks("key_2", 10)->empty());
    CHECK(store.ListTasks("", 10)->size() == 1);
  }

  SUBCASE("an expired task cannot be removed; its EXPIRED callback becomes due at the expiry") {
    store::Task task{"tsk_2", "key_1", "{}", kT0 + 1000, std::nullopt, kT0};
    CheckOk(store.AddTask(task, std::nullopt, callback("EXPIRED", task.expires_at), 5, kT0));
    CHECK(store.LeaseJobs(store::JobKind::kCallback, 10, kT0 + 999, kLeaseMs)->empty());
    CHECK(store.RemoveTask("tsk_2", "key_1", std::nullopt, 5, kT0 + 1000).error().code ==
          ErrorCode::kFailedPrecondition);
    CHECK(lease_one(kT0 + 1000).kind == "callback");
  }
}

void RunPersistenceContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();

  SUBCASE("emails, jobs, counters and keys survive reopening") {
    std::int64_t token = 0;
    {
      std::unique_ptr<store::Store> store = OpenStore(*backend);
      Create(*store, MakeEmail("sent"), kT0);
      Create(*store, MakeEmail("failed"), kT0);
      Create(*store, MakeEmail("waiting", store::kPriorityBulk, kT0 + 60'000), kT0);
      for (const store::Lease& lease : Lease(*store, 2, kT0)) {
        const bool sent = lease.ref_id == "sent";
        CheckOk(store->FinishDelivery(
            lease.job_id, lease.token,
            Outcome(sent ? DeliveryOutcome::Kind::kSent : DeliveryOutcome::Kind::kFailed,
                    sent ? "250" : "550"),
            kT0 + 1));
        token = std::max(token, lease.token);
      }
      CheckOk(store->CreateApiKey({"k1", "one", "hash-1", "admin", kT0, std::nullopt}));
    }
    std::unique_ptr<store::Store> store = OpenStore(*backend);
    const store::QueueStats stats = Stats(*store, kT0 + 2);
    CHECK(stats.enqueued_total == 3);
    CHECK(stats.sent_total == 1);
    CHECK(stats.failed_total == 1);
    CHECK(stats.done == 1);
    CHECK(stats.dead == 1);
    CHECK(stats.queued == 1);
    CHECK(stats.scheduled == 1);
    CHECK(Get(*store, "sent").status == EmailStatus::kSent);
    CHECK(Get(*store, "failed").status == EmailStatus::kFailed);
    CHECK(store->FindApiKeyByHash("hash-1").ok());
    // Fencing tokens keep increasing across restarts.
    CHECK(LeaseOne(*store, kT0 + 60'000).token > token);
  }

  SUBCASE("RecoverLeases after reopening frees what a dead process held") {
    {
      std::unique_ptr<store::Store> store = OpenStore(*backend);
      Create(*store, MakeEmail("e1"), kT0);
      LeaseOne(*store, kT0, 3'600'000);
    }
    std::unique_ptr<store::Store> store = OpenStore(*backend);
    CHECK(Lease(*store, 10, kT0 + 1).empty());  // still leased for an hour
    core::Result<int> recovered = store->RecoverLeases(kT0 + 1);
    REQUIRE(recovered.ok());
    CHECK(*recovered == 1);
    CHECK(LeaseOne(*store, kT0 + 1).attempt == 2);
  }
}

void RunConcurrencyContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("16 threads creating at once all succeed, each email once") {
    constexpr int kThreads = 16;
    constexpr int kPerThread = 25;
    std::vector<int> failures(kThreads, 0);
    {
      std::vector<std::jthread> threads;
      threads.reserve(kThreads);
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&store, &failures, t] {
          for (int i = 0; i < kPerThread; ++i) {
            const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
            if (!store.CreateEmail(MakeEmail(id), std::nullopt, kT0 + i).ok()) {
              ++failures[t];
            }
          }
        });
      }
    }
    for (int t = 0; t < kThreads; ++t) {
      CHECK(failures[t] == 0);
    }
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.enqueued_total == kThreads * kPerThread);
    CHECK(stats.queued == kThreads * kPerThread);
    CHECK(Get(store, "t15-24").status == EmailStatus::kQueued);

    int listed = 0;
    store::EmailFilter filter;
    filter.limit = 200;
    for (;;) {
      const store::EmailPage page = List(store, filter);
      listed += static_cast<int>(page.emails.size());
      if (!page.next_cursor) {
        break;
      }
      filter.cursor = page.next_cursor;
    }
    CHECK(listed == kThreads * kPerThread);
  }

  SUBCASE("concurrent leasers never share a job") {
    constexpr int kJobs = 200;
    for (int i = 0; i < kJobs; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0);
    }
    constexpr int kThreads = 8;
    std::vector<std::vector<std::int64_t>> leased(kThreads);
    {
      std::vector<std::jthread> threads;
      threads.reserve(kThreads);
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&store, &leased, t] {
          for (;;) {
            core::Result<std::vector<store::Lease>> leases =
                store.LeaseJobs(store::JobKind::kEmail, 7, kT0, kLeaseMs);
            if (!leases.ok() || leases->empty()) {
              return;
            }
            for (const store::Lease& lease : *leases) {
              leased[t].push_back(lease.job_id);
            }
          }
        });
      }
    }
    std::vector<std::int64_t> all;
    for (const std::vector<std::int64_t>& ids : leased) {
      all.insert(all.end(), ids.begin(), ids.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(all.size() == kJobs);
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  }
}

void RunTemplateContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto save = [&](const std::string& name, const std::string& html, TimeMs now,
                        int expected_version = 0) {
    store::Template tmpl;
    tmpl.name = name;
    tmpl.version = expected_version;
    tmpl.subject = "Subject of " + name;
    tmpl.html = html;
    tmpl.text = "text " + html;
    core::Result<store::Template> saved = store.SaveTemplate(tmpl, now);
    REQUIRE_MESSAGE(saved.ok(), saved.error().message);
    return std::move(saved).value();
  };
  const auto get = [&](const std::string& name, std::optional<int> version = std::nullopt) {
    core::Result<store::Template> tmpl = store.GetTemplate(name, version);
    REQUIRE_MESSAGE(tmpl.ok(), tmpl.error().message);
    return std::move(tmpl).value();
  };
  const auto page = [&](int offset, int limit) {
    core::Result<store::TemplatePage> listed = store.ListTemplates(offset, limit);
    REQUIRE_MESSAGE(listed.ok(), listed.error().message);
    std::vector<std::string> names;
    for (const store::Template& tmpl : listed->templates) {
      CHECK(tmpl.html.empty());
      CHECK(tmpl.text.empty());
      names.push_back(tmpl.name);
    }
    return std::make_pair(names, listed->total);
  };

  SUBCASE("the first save is version 1; each save adds one; the current one is read back") {
    store::Template first = save("welcome", "<p>one</p>", kT0);
    CHECK(first.version == 1);
    CHECK(first.created_at == kT0);
    CHECK(first.updated_at == kT0);
    store::Template second = save("welcome", "<p>two</p>", kT0 + 5);
    CHECK(second.version == 2);
    CHECK(second.created_at == kT0);
    CHECK(second.updated_at == kT0 + 5);

    store::Template current = get("welcome");
    CHECK(current.version == 2);
    CHECK(current.subject == "Subject of welcome");
    CHECK(current.html == "<p>two</p>");
    CHECK(current.text == "text <p>two</p>");
    CHECK(current.created_at == kT0);
    CHECK(current.updated_at == kT0 + 5);

    store::Template old = get("welcome", 1);
    CHECK(old.version == 1);
    CHECK(old.html == "<p>one</p>");
    CHECK(old.created_at == kT0);
    CHECK(old.updated_at == kT0);
    CHECK(get("welcome", 2).html == "<p>two</p>");
  }

  SUBCASE("missing templates and versions are kNotFound; names are case-sensitive") {
    save("welcome", "<p>one</p>", kT0);
    CHECK(store.GetTemplate("Welcome", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("welcome", 2).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("welcome", 0).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("missing", 1).error().code == ErrorCode::kNotFound);
    CHECK(store.ListTemplateVersions("missing").error().code == ErrorCode::kNotFound);
    CheckCode(store.DeleteTemplate("Welcome"), ErrorCode::kNotFound);
  }

  SUBCASE("the expected version: 1 only creates, n only follows n - 1; nothing written else") {
    save("t", "<p>one</p>", kT0, 1);
    store::Template again;
    again.name = "t";
    again.html = "<p>other</p>";
    again.version = 1;
    CHECK(store.SaveTemplate(again, kT0 + 1).error().code == ErrorCode::kAlreadyExists);
    again.version = 3;
    CHECK(store.SaveTemplate(again, kT0 + 1).error().code == ErrorCode::kFailedPrecondition);
    again.name = "missing";
    CHECK(store.SaveTemplate(again, kT0 + 1).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("missing", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(get("t").version == 1);
    CHECK(save("t", "<p>two</p>", kT0 + 2, 2).version == 2);
    CHECK(get("t").html == "<p>two</p>");

    again.name = "";
    again.version = 0;
    CHECK(store.SaveTemplate(again, kT0).error().code == ErrorCode::kInvalidArgument);
    again.name = "t";
    again.version = -1;
    CHECK(store.SaveTemplate(again, kT0).error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("versions are listed oldest first, without bodies") {
    save("t", "<p>one</p>", kT0);
    save("t", "<p>two</p>", kT0 + 1);
    save("t", "<p>three</p>", kT0 + 2);
    core::Result<std::vector<store::Template>> versions = store.ListTemplateVersions("t");
    REQUIRE_MESSAGE(versions.ok(), versions.error().message);
    REQUIRE(versions->size() == 3);
    for (int i = 0; i < 3; ++i) {
      const store::Template& version = (*versions)[static_cast<std::size_t>(i)];
      CHECK(version.name == "t");
      CHECK(version.version == i + 1);
      CHECK(version.subject == "Subject of t");
      CHECK(version.html.empty());
      CHECK(version.created_at == kT0);
      CHECK(version.updated_at == kT0 + i);
    }
  }

  SUBCASE("pages by name with the total") {
    for (const char* name : {"c", "a", "B", "b", "d"}) save(name, "<p>x</p>", kT0);
    save("a", "<p>y</p>", kT0 + 1);  // a new version is not a new template
    CHECK(page(0, 2) == std::make_pair(std::vector<std::string>{"B", "a"}, std::int64_t{5}));
    CHECK(page(2, 2) == std::make_pair(std::vector<std::string>{"b", "c"}, std::int64_t{5}));
    CHECK(page(4, 2) == std::make_pair(std::vector<std::string>{"d"}, std::int64_t{5}));
    CHECK(page(6, 2) == std::make_pair(std::vector<std::string>{}, std::int64_t{5}));
    CHECK(store.ListTemplates(-1, 2).error().code == ErrorCode::kInvalidArgument);
    core::Result<store::TemplatePage> listed = store.ListTemplates(0, 1);
    REQUIRE(listed.ok());
    CHECK(listed->templates.front().version == 1);
    CHECK(listed->templates.front().subject == "Subject of B");
  }

  SUBCASE("delete removes the template and its versions; a new save starts at version 1") {
    save("t", "<p>one</p>", kT0);
    save("t", "<p>two</p>", kT0 + 1);
    save("u", "<p>u</p>", kT0);
    CheckOk(store.DeleteTemplate("t"));
    CheckCode(store.DeleteTemplate("t"), ErrorCode::kNotFound);
    CHECK(store.GetTemplate("t", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("t", 1).error().code == ErrorCode::kNotFound);
    CHECK(store.ListTemplateVersions("t").error().code == ErrorCode::kNotFound);
    CHECK(page(0, 10) == std::make_pair(std::vector<std::string>{"u"}, std::int64_t{1}));
    store::Template fresh = save("t", "<p>new</p>", kT0 + 9);
    CHECK(fresh.version == 1);
    CHECK(fresh.created_at == kT0 + 9);
    CHECK(store.ListTemplateVersions("t")->size() == 1);
  }

  SUBCASE("templates survive reopening, large bodies byte for byte") {
    std::string html(std::size_t{500} * 1024, 'x');
    html += "\xC3\xA9 {{-NAME-}}";
    save("big", html, kT0);
    save("big", html + "!", kT0 + 1);
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<store::Template> current = reopened->GetTemplate("big", std::nullopt);
    REQUIRE(current.ok());
    CHECK(current->version == 2);
    CHECK(current->html == html + "!");
    core::Result<store::Template> first = reopened->GetTemplate("big", 1);
    REQUIRE(first.ok());
    CHECK(first->html == html);
  }
}

}  // namespace store_contract
