// The job queue (store/job_queue.h) of the store contract.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "core/random.h"
#include "store_contract.h"

namespace store_contract {

void RunJobContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("a secret-holding message is redacted when delivered or given up, in that commit") {
    const auto raw = [&](const std::string& id) {
      auto message = store.GetRawMessage(id);
      REQUIRE(message.ok());
      return message->data;
    };
    store::NewEmail secret = MakeEmail("otp-sent");
    secret.raw_message = "Subject: code\r\n\r\nYour code is 123456.\r\n";
    secret.redact_when_done = true;
    Create(store, secret, kT0);
    secret.id = "otp-failed";
    Create(store, secret, kT0);
    store::NewEmail plain = MakeEmail("plain");
    Create(store, plain, kT0);

    const store::Lease first = LeaseOne(store, kT0 + 10);
    CheckOk(store.FinishDelivery(first.job_id, first.token,
                                 Outcome(DeliveryOutcome::Kind::kRetry, "451 later", kT0 + 20),
                                 kT0 + 10));
    CHECK(raw(first.ref_id).find("123456") != std::string::npos);  // a retry still needs it
    std::vector<store::Lease> leases = Lease(store, 10, kT0 + 30);
    REQUIRE(leases.size() == 3);
    for (const store::Lease& lease : leases) {
      const auto kind = lease.ref_id == "otp-failed" ? DeliveryOutcome::Kind::kFailed
                                                     : DeliveryOutcome::Kind::kSent;
      CheckOk(store.FinishDelivery(lease.job_id, lease.token, Outcome(kind, "done"), kT0 + 40));
    }
    for (const std::string id : {"otp-sent", "otp-failed"}) {
      CHECK(raw(id) == store::kRedactedMessage);
      CHECK(raw(id).find("123456") == std::string::npos);
    }
    CHECK(Get(store, "otp-sent").status == EmailStatus::kSent);
    CHECK(Get(store, "otp-failed").status == EmailStatus::kFailed);
    CHECK(raw("plain") == plain.raw_message);
  }

  SUBCASE("delivery events are counted per type in buckets of time") {
    for (const std::string id : {"a", "b", "c", "d"}) Create(store, MakeEmail(id), kT0);
    // a: deferred at +1 s, then sent at +61 s; b: sent at +2 s; c: failed at +62 s; d: queued.
    const auto finish = [&](TimeMs at, DeliveryOutcome::Kind kind, const std::string& want) {
      std::vector<store::Lease> leases = Lease(store, 10, at);
      for (const store::Lease& lease : leases) {
        if (lease.ref_id == want) {
          CheckOk(
              store.FinishDelivery(lease.job_id, lease.token, Outcome(kind, "r", at + 60'000), at));
        } else {
          CheckOk(store.ReleaseLease(lease.job_id, lease.token, at, at));
        }
      }
    };
    finish(kT0 + 1'000, DeliveryOutcome::Kind::kRetry, "a");
    finish(kT0 + 2'000, DeliveryOutcome::Kind::kSent, "b");
    finish(kT0 + 61'000, DeliveryOutcome::Kind::kSent, "a");
    finish(kT0 + 62'000, DeliveryOutcome::Kind::kFailed, "c");

    auto counts = store.CountEmailEvents(kT0, kT0 + 120'000, 60'000);
    REQUIRE(counts.ok());
    std::vector<std::tuple<TimeMs, std::string, std::int64_t>> got;
    for (const store::EventCount& count : *counts) {
      got.emplace_back(count.bucket_start, count.type, count.count);
    }
    CHECK(got ==
          std::vector<std::tuple<TimeMs, std::string, std::int64_t>>{{kT0, "deferred", 1},
                                                                     {kT0, "sent", 1},
                                                                     {kT0 + 60'000, "failed", 1},
                                                                     {kT0 + 60'000, "sent", 1}});
    // The end is exclusive; events before `since` are not counted.
    auto first_minute = store.CountEmailEvents(kT0 + 1'500, kT0 + 61'000, 1'000);
    REQUIRE(first_minute.ok());
    REQUIRE(first_minute->size() == 1);
    CHECK(first_minute->front().bucket_start == kT0 + 1'500);
    CHECK(first_minute->front().type == "sent");
    CHECK(store.CountEmailEvents(kT0, kT0 + 1, 999).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.CountEmailEvents(kT0, kT0 + 100'000'000, 1'000).error().code ==
          ErrorCode::kInvalidArgument);
  }

  SUBCASE("send latencies count from when an email was due; recent failures come newest first") {
    // a: created at kT0, sent at +5 s. b: due at +10 s (send_at), sent at +12 s. c: deferred at
    // +3 s ("451 greylisted"), failed at +20 s ("550 no such user").
    Create(store, MakeEmail("a"), kT0);
    Create(store, MakeEmail("b", store::kPriorityTransactional, kT0 + 10'000), kT0);
    Create(store, MakeEmail("c"), kT0);
    const auto finish = [&](TimeMs at, const std::string& want, DeliveryOutcome::Kind kind,
                            const std::string& reply) {
      for (const store::Lease& lease : Lease(store, 10, at)) {
        if (lease.ref_id == want) {
          CheckOk(
              store.FinishDelivery(lease.job_id, lease.token, Outcome(kind, reply, at + 1), at));
        } else {
          CheckOk(store.ReleaseLease(lease.job_id, lease.token, at, at));
        }
      }
    };
    finish(kT0 + 3'000, "c", DeliveryOutcome::Kind::kRetry, "451 greylisted");
    finish(kT0 + 5'000, "a", DeliveryOutcome::Kind::kSent, "250 ok");
    finish(kT0 + 12'000, "b", DeliveryOutcome::Kind::kSent, "250 ok");
    finish(kT0 + 20'000, "c", DeliveryOutcome::Kind::kFailed, "550 no such user");

    auto latencies = store.ListSendLatencies(kT0, kT0 + 60'000, 100);
    REQUIRE(latencies.ok());
    std::sort(latencies->begin(), latencies->end());
    CHECK(*latencies == std::vector<TimeMs>{2'000, 5'000});
    // The latest `limit`; the end is exclusive.
    CHECK(*store.ListSendLatencies(kT0, kT0 + 60'000, 1) == std::vector<TimeMs>{2'000});
    CHECK(*store.ListSendLatencies(kT0, kT0 + 12'000, 100) == std::vector<TimeMs>{5'000});

    auto failures = store.ListRecentFailures(kT0, 10);
    REQUIRE(failures.ok());
    REQUIRE(failures->size() == 2);
    CHECK((*failures)[0].email_id == "c");
    CHECK((*failures)[0].type == "failed");
    CHECK((*failures)[0].reply == "550 no such user");
    CHECK((*failures)[0].at == kT0 + 20'000);
    CHECK((*failures)[0].to == std::vector<std::string>{"Ada Lovelace <Ada@Example.org>"});
    CHECK((*failures)[0].subject == "Subject of c");
    CHECK((*failures)[1].type == "deferred");
    CHECK((*failures)[1].reply == "451 greylisted");
    CHECK(store.ListRecentFailures(kT0, 1)->size() == 1);
    CHECK(store.ListRecentFailures(kT0 + 4'000, 10)->size() == 1);
  }

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

}  // namespace store_contract
