// The retention area (store/retention_store.h: PurgeBefore) of the store contract: what is
// purged, what is kept, batches bounded, counters unchanged.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {
namespace {

constexpr TimeMs kDay = 86'400'000;

int Purge(store::Store& store, store::PurgeKind kind, TimeMs cutoff, int limit = 1000) {
  core::Result<int> purged = store.PurgeBefore(kind, cutoff, limit);
  REQUIRE_MESSAGE(purged.ok(), purged.error().message);
  return *purged;
}

bool EmailExists(store::Store& store, const std::string& id) {
  core::Result<store::Email> email = store.GetEmail(id);
  if (!email.ok()) REQUIRE(email.error().code == ErrorCode::kNotFound);
  return email.ok();
}

// Leases the next email job at `now` and records `kind` for it.
void Finish(store::Store& store, DeliveryOutcome::Kind kind, TimeMs now) {
  store::Lease lease = LeaseOne(store, now);
  CheckOk(store.FinishDelivery(lease.job_id, lease.token, Outcome(kind, "250 ok"), now));
}

}  // namespace

void RunRetentionContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;
  using Kind = DeliveryOutcome::Kind;
  using store::PurgeKind;

  const auto callback = [](std::string event, std::string subject, TimeMs run_at = 0) {
    return store::NewCallback{"key_1",
                              "http://127.0.0.1:9/hook",
                              std::move(event),
                              std::move(subject),
                              R"({"event":"x"})",
                              run_at};
  };

  SUBCASE("finished emails before the cutoff are purged; queued and newer ones are kept") {
    Create(store, MakeEmail("sent"));
    Finish(store, Kind::kSent, kT0);
    Create(store, MakeEmail("failed"));
    Finish(store, Kind::kFailed, kT0);
    Create(store, MakeEmail("cancelled"));
    CheckOk(store.CancelEmail("cancelled", kT0));
    store::NewEmail suppressed = MakeEmail("suppressed");
    suppressed.suppressed = true;
    Create(store, suppressed);
    Create(store, MakeEmail("sent_later"));
    Create(store, MakeEmail("queued"), kT0 + kDay);  // due a day later
    Finish(store, Kind::kSent, kT0 + kDay);          // leases "sent_later", the earliest due
    Create(store, MakeEmail("deferred"));
    Finish(store, Kind::kRetry, kT0);  // "deferred": "queued" is not due at kT0

    const store::QueueStats before = Stats(store, kT0 + kDay);
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + 1) == 4);
    for (const char* gone : {"sent", "failed", "cancelled", "suppressed"}) {
      CAPTURE(gone);
      CHECK_FALSE(EmailExists(store, gone));
      CHECK(store.GetRawMessage(gone).error().code == ErrorCode::kNotFound);
      core::Result<std::vector<store::EmailEvent>> events = store.ListEmailEvents(gone);
      CHECK((!events.ok() || events->empty()));
    }
    for (const char* kept : {"sent_later", "queued", "deferred"}) {
      CAPTURE(kept);
      CHECK(EmailExists(store, kept));
    }
    // The persistent counters survive; only the purged jobs leave the per-state gauges.
    const store::QueueStats after = Stats(store, kT0 + kDay);
    CHECK(after.enqueued_total == before.enqueued_total);
    CHECK(after.sent_total == before.sent_total);
    CHECK(after.failed_total == before.failed_total);
    CHECK(after.retried_total == before.retried_total);
    CHECK(after.queued == before.queued);
    CHECK(after.leased == before.leased);
    // Nothing more is due at that cutoff; "sent_later" (sent a day later) goes at a later one.
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + 1) == 0);
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + kDay + 1) == 1);
    CHECK_FALSE(EmailExists(store, "sent_later"));
  }

  SUBCASE("emails go in batches of at most the limit") {
    for (int i = 0; i < 5; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)));
      CheckOk(store.CancelEmail("e" + std::to_string(i), kT0));
    }
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + 1, 2) == 2);
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + 1, 2) == 2);
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + 1, 2) == 1);
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + 1, 2) == 0);
    CHECK(store.PurgeBefore(PurgeKind::kEmails, kT0 + 1, 0).error().code ==
          ErrorCode::kInvalidArgument);
  }

  SUBCASE("an email stays while a status callback about it is pending") {
    Create(store, MakeEmail("em_1"));
    CheckOk(store.CancelEmail("em_1", kT0));
    core::Result<std::string> pending = store.EnqueueCallback(callback("SENT", "em_1"), 5, kT0);
    REQUIRE(pending.ok());
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + kDay) == 0);
    CHECK(EmailExists(store, "em_1"));
    // Delivered: the email can go, and later the callback too.
    core::Result<std::vector<store::Lease>> leases =
        store.LeaseJobs(store::JobKind::kCallback, 1, kT0, kLeaseMs);
    REQUIRE(leases.ok());
    REQUIRE(leases->size() == 1);
    store::CallbackOutcome delivered;
    delivered.delivery = {Kind::kSent, "HTTP 200", 0};
    CheckOk(store.FinishCallback(leases->front().job_id, leases->front().token, delivered, kT0));
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + kDay) == 1);
    CHECK(Purge(store, PurgeKind::kCallbacks, kT0) == 0);  // finished at kT0, not before it
    CHECK(Purge(store, PurgeKind::kCallbacks, kT0 + kDay) == 1);
    CHECK(store.GetCallback(*pending).error().code == ErrorCode::kNotFound);
    core::Result<store::CallbackAttemptPage> attempts =
        store.ListCallbackAttempts({}, std::nullopt, 10);
    REQUIRE(attempts.ok());
    CHECK(attempts->attempts.empty());
  }

  SUBCASE("callbacks still queued are kept") {
    core::Result<std::string> queued = store.EnqueueCallback(callback("ADD", "tsk_1"), 5, kT0);
    REQUIRE(queued.ok());
    CHECK(Purge(store, PurgeKind::kCallbacks, kT0 + kDay) == 0);
    CHECK(store.GetCallback(*queued).ok());
  }

  SUBCASE("tasks go once removed or expired before the cutoff, not while EXPIRED is pending") {
    const store::Task removed{"tsk_removed", "key_1", "{}", kT0 + kDay, std::nullopt, kT0};
    CheckOk(store.AddTask(removed, std::nullopt, callback("EXPIRED", "tsk_removed", kT0 + kDay), 5,
                          kT0));
    REQUIRE(store.RemoveTask("tsk_removed", "key_1", std::nullopt, 5, kT0 + 1).ok());
    const store::Task expiring{"tsk_expiring", "key_1", "{}", kT0 + 10, std::nullopt, kT0};
    CheckOk(store.AddTask(expiring, std::nullopt, callback("EXPIRED", "tsk_expiring", kT0 + 10), 5,
                          kT0));
    const store::Task plain{"tsk_plain", "key_1", "{}", kT0 + 10, std::nullopt, kT0};
    CheckOk(store.AddTask(plain, std::nullopt, std::nullopt, 5, kT0));
    const store::Task live{"tsk_live", "key_1", "{}", kT0 + 2 * kDay, std::nullopt, kT0};
    CheckOk(store.AddTask(live, std::nullopt, std::nullopt, 5, kT0));

    // tsk_expiring's EXPIRED callback is still queued: it stays.
    CHECK(Purge(store, PurgeKind::kTasks, kT0 + kDay) == 2);
    CHECK(store.GetTask("tsk_removed").error().code == ErrorCode::kNotFound);
    CHECK(store.GetTask("tsk_plain").error().code == ErrorCode::kNotFound);
    CHECK(store.GetTask("tsk_expiring").ok());
    CHECK(store.GetTask("tsk_live").ok());
  }

  SUBCASE("a fire's body goes after its emails; an unfinished fire stays") {
    store::NewSubscription subscription;
    subscription.content_type = "news";
    subscription.user_id = "ada@example.org";
    subscription.frequency = "@daily";
    subscription.subject = "Issue";
    subscription.content = "<p>x</p>";
    subscription.unsubscribe_token = "token-1";
    REQUIRE(store.Subscribe(subscription, kT0).ok());
    const auto fire_of = [](std::string key) {
      return store::Fire{std::move(key),
                         "news",
                         std::nullopt,
                         kT0,
                         "news@example.org",
                         "Issue",
                         "Subject: Issue\r\n\r\nHello\r\n"};
    };
    const store::FireRecipient recipient = [](const store::Fire& fire,
                                              const store::Subscriber& subscriber) {
      store::NewEmail email = MakeEmail("em_" + fire.key);
      email.to = {subscriber.user_id};
      email.envelope_recipients = {subscriber.user_id};
      email.raw_message = "To: " + subscriber.user_id + "\r\n";
      return email;
    };
    CheckOk(store.StartFire(fire_of("fire_done"), kT0));
    REQUIRE(store.FanOutFire("fire_done", 10, recipient, kT0)->done);
    CheckOk(store.StartFire(fire_of("fire_open"), kT0));

    CHECK(Purge(store, PurgeKind::kFires, kT0 + kDay) == 0);  // its email still needs the body
    CheckOk(store.CancelEmail("em_fire_done", kT0));
    CHECK(Purge(store, PurgeKind::kEmails, kT0 + kDay) == 1);
    CHECK(Purge(store, PurgeKind::kFires, kT0 + kDay) == 1);
    core::Result<std::vector<std::string>> unfinished = store.ListUnfinishedFires();
    REQUIRE(unfinished.ok());
    CHECK(*unfinished == std::vector<std::string>{"fire_open"});
  }

  SUBCASE("idempotency records go after the cutoff: the same key then creates a new email") {
    const store::IdempotencyClaim claim{"key-1", "idem-1", "hash-1", 202, R"({"id":"a"})"};
    REQUIRE(store.CreateEmail(MakeEmail("a"), claim, kT0).ok());
    CHECK(Purge(store, PurgeKind::kIdempotencyKeys, kT0) == 0);
    CHECK(store.CreateEmail(MakeEmail("b"), claim, kT0 + 1)->replayed.has_value());
    CHECK(Purge(store, PurgeKind::kIdempotencyKeys, kT0 + 1) == 1);
    core::Result<store::CreateEmailResult> again = store.CreateEmail(MakeEmail("c"), claim, kT0);
    REQUIRE_MESSAGE(again.ok(), again.error().message);
    CHECK_FALSE(again->replayed.has_value());
    CHECK(EmailExists(store, "a"));  // the email itself is not the record
  }

  SUBCASE("one-time codes go once expired before the cutoff") {
    store::OtpRecord code;
    code.owner = "key_a";
    code.recipient = "ada@example.org";
    code.code_hash = "h1";
    code.expires_at = kT0 + 600'000;
    code.created_at = kT0;
    code.last_sent_at = kT0;
    CheckOk(store.PutOtp(code, 0));
    CHECK(Purge(store, PurgeKind::kOneTimeCodes, kT0 + 600'000) == 0);
    CHECK(Purge(store, PurgeKind::kOneTimeCodes, kT0 + 600'001) == 1);
    bool found = true;
    CheckOk(store.VerifyOtp("key_a", "ada@example.org", [&](const store::OtpRecord* record) {
      found = record != nullptr;
      return store::OtpWrite::kNothing;
    }));
    CHECK_FALSE(found);
  }

  SUBCASE("sessions go with their refresh tokens once revoked or expired before the cutoff") {
    const std::int64_t user = AddUser(store, "ada@example.org").id;
    store::Session expired = MakeSession("expired", user);
    expired.expires_at = kT0 + 10;
    AddSession(store, expired, "r_expired");
    AddSession(store, MakeSession("revoked", user), "r_revoked");
    CheckOk(store.RevokeSession("revoked", kT0 + 10, "logout"));
    AddSession(store, MakeSession("live", user), "r_live");
    AddSession(store, MakeSession("revoked_later", user), "r_later");
    CheckOk(store.RevokeSession("revoked_later", kT0 + kDay / 2, "logout"));

    CHECK(Purge(store, PurgeKind::kSessions, kT0 + 10) == 0);  // ended at, not before, the cutoff
    CHECK(Purge(store, PurgeKind::kSessions, kT0 + 11, 1) == 1);
    CHECK(Purge(store, PurgeKind::kSessions, kT0 + 11) == 1);
    for (const char* gone : {"expired", "revoked"}) {
      CAPTURE(gone);
      CHECK(store.GetSession(gone).error().code == ErrorCode::kNotFound);
    }
    // The tokens went with them: once unknown, a token is no longer reuse.
    CHECK(store.RotateRefreshToken("r_revoked", "x", kT0 + 12)->outcome ==
          store::RefreshOutcome::kUnknown);
    CHECK(store.RotateRefreshToken("r_live", "r_live2", kT0 + 12)->outcome ==
          store::RefreshOutcome::kRotated);
    CHECK(GetSession(store, "revoked_later").revoked_reason == "logout");
    CHECK(Purge(store, PurgeKind::kSessions, kT0 + kDay / 2 + 1) == 1);
    CHECK(store.GetSession("live").ok());
    CHECK(store.GetUser(user).ok());
  }

  SUBCASE("verifications go once confirmed or expired before the cutoff; pending ones stay") {
    const auto link = [&](const std::string& id) {
      store::Verification verification;
      verification.id = id;
      verification.purpose = "app";
      verification.email = "ada@example.org";
      verification.token_hash = "hash-" + id;
      verification.created_at = kT0;
      verification.expires_at = kT0 + kDay;
      CheckOk(store.CreateVerification(verification));
    };
    link("confirmed");
    link("pending");
    REQUIRE(store.ConfirmVerification("hash-confirmed", kT0 + 5, std::nullopt, 1).ok());
    CHECK(Purge(store, PurgeKind::kVerifications, kT0 + 5) == 0);
    CHECK(Purge(store, PurgeKind::kVerifications, kT0 + 6) == 1);
    CHECK(store.GetVerification("confirmed").error().code == ErrorCode::kNotFound);
    CHECK(store.GetVerification("pending").ok());
    CHECK(Purge(store, PurgeKind::kVerifications, kT0 + kDay) == 0);
    CHECK(Purge(store, PurgeKind::kVerifications, kT0 + kDay + 1) == 1);
    CHECK(store.GetVerification("pending").error().code == ErrorCode::kNotFound);
  }
}

}  // namespace store_contract
