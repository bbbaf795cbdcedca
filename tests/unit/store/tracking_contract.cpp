// The tracking area (store/tracking_store.h) of the store contract: records, the first open,
// status callbacks through the injected composer, provider ids and events, and suppressions.
#include <doctest/doctest.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {
namespace {

using ChangeKind = store::TrackedEmailChange::Kind;

constexpr char kHook[] = "http://127.0.0.1:9/hook";

store::NewEmail TrackedEmail(const std::string& id, std::string callback_url = kHook) {
  store::NewEmail email = MakeEmail(id);
  email.tracking =
      store::EmailTracking{"welcome", R"({"name":"Ada"})", 1, "tok_" + id, std::move(callback_url)};
  return email;
}

// What the composer was shown of one change, copied out of the store's write.
struct SeenChange {
  ChangeKind kind;
  std::string email_id;
  store::EmailStatus status;
  bool opened;
  std::string reply;
  std::string provider_event;  // its event name; "" for other kinds
};

// A composer that records each change and answers "<KIND>:<email id>" as the event and a small
// payload, so cases can check what the store enqueued. Thread-safe: the store may call it on
// its own thread.
class RecordingComposer {
 public:
  store::StatusCallbackComposer Function() {
    return [this](const store::TrackedEmailChange& change) -> std::optional<store::StatusCallback> {
      std::lock_guard lock(mutex_);
      seen_.push_back({change.kind, change.email.id, change.email.status, change.opened,
                       change.reply,
                       change.provider_event ? change.provider_event->event : std::string()});
      if (change.kind == silent_) return std::nullopt;
      const std::string event =
          std::to_string(static_cast<int>(change.kind)) + ":" + change.email.id;
      return store::StatusCallback{event,
                                   R"({"template":")" + change.tracking.template_name + R"("})"};
    };
  }
  std::vector<SeenChange> Seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }
  // Changes of this kind get no callback (the composer answers nullopt).
  void Silence(ChangeKind kind) { silent_ = kind; }

 private:
  std::mutex mutex_;
  std::vector<SeenChange> seen_;
  std::optional<ChangeKind> silent_;
};

// The status callbacks enqueued so far (leased, so each is returned once).
std::vector<store::Callback> LeaseCallbacks(store::Store& store, TimeMs now) {
  core::Result<std::vector<store::Lease>> leases =
      store.LeaseJobs(store::JobKind::kCallback, 100, now, kLeaseMs);
  REQUIRE_MESSAGE(leases.ok(), leases.error().message);
  std::vector<store::Callback> callbacks;
  for (const store::Lease& lease : *leases) {
    core::Result<store::Callback> callback = store.GetCallback(lease.ref_id);
    REQUIRE_MESSAGE(callback.ok(), callback.error().message);
    callbacks.push_back(std::move(callback).value());
  }
  return callbacks;
}

std::vector<std::string> RecordIds(const std::vector<store::EmailRecord>& records) {
  std::vector<std::string> ids;
  for (const store::EmailRecord& record : records) ids.push_back(record.email.id);
  return ids;
}

std::vector<std::string> Addresses(const std::vector<store::Suppression>& suppressions) {
  std::vector<std::string> addresses;
  for (const store::Suppression& suppression : suppressions) {
    addresses.push_back(suppression.address);
  }
  return addresses;
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

void RunTrackingContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;
  RecordingComposer composer;
  store.SetStatusCallbackComposer(composer.Function());

  SUBCASE("records show the owner's tracked emails only, in the order asked") {
    store::ApiKey key{"key-1", "sender", "hash-1", "sender", kT0, std::nullopt, kHook, "f00d"};
    CheckOk(store.CreateApiKey(key));
    Create(store, TrackedEmail("em_1"), kT0);
    Create(store, TrackedEmail("em_2"), kT0 + 1);
    Create(store, MakeEmail("em_untracked"), kT0 + 2);
    store::NewEmail other = TrackedEmail("em_other");
    other.owner = "key-2";
    Create(store, other, kT0 + 3);

    core::Result<std::vector<store::EmailRecord>> records =
        store.GetEmailRecords("key-1", {"em_2", "em_untracked", "em_other", "em_unknown", "em_1"});
    REQUIRE_MESSAGE(records.ok(), records.error().message);
    CHECK(RecordIds(*records) == std::vector<std::string>{"em_2", "em_1"});
    const store::EmailRecord& record = records->back();
    CHECK(record.email.subject == "Subject of em_1");
    CHECK(record.tracking.template_name == "welcome");
    CHECK(record.tracking.data == R"({"name":"Ada"})");
    CHECK(record.tracking.attachments == 1);
    CHECK(record.tracking.open_token == "tok_em_1");
    CHECK(record.tracking.callback_url == kHook);
    CHECK_FALSE(record.opened_at.has_value());
    CHECK(record.key_hint == "f00d");

    core::Result<std::vector<store::EmailRecord>> page = store.ListEmailRecords("key-1", 0, 10);
    REQUIRE(page.ok());
    CHECK(RecordIds(*page) == std::vector<std::string>{"em_2", "em_1"});
    CHECK(RecordIds(*store.ListEmailRecords("key-1", 1, 10)) == std::vector<std::string>{"em_1"});
    CHECK(RecordIds(*store.ListEmailRecords("key-1", 0, 1)) == std::vector<std::string>{"em_2"});
    CHECK(store.ListEmailRecords("key-3", 0, 10)->empty());
  }

  SUBCASE("the first open marks the email opened, once, with its callback") {
    Create(store, TrackedEmail("em_1"));
    core::Result<bool> first = store.MarkOpened("tok_em_1", kT0 + 5);
    REQUIRE_MESSAGE(first.ok(), first.error().message);
    CHECK(*first);
    core::Result<bool> again = store.MarkOpened("tok_em_1", kT0 + 6);
    REQUIRE(again.ok());
    CHECK_FALSE(*again);
    for (const char* token : {"tok_unknown", ""}) {
      core::Result<bool> unknown = store.MarkOpened(token, kT0);
      REQUIRE_FALSE(unknown.ok());
      CHECK(unknown.error().code == ErrorCode::kNotFound);
    }

    core::Result<std::vector<store::EmailRecord>> records =
        store.GetEmailRecords("key-1", {"em_1"});
    REQUIRE(records.ok());
    REQUIRE(records->size() == 1);
    CHECK(records->front().opened_at == kT0 + 5);
    CHECK(Contains(EventTypes(store, "em_1"), "opened"));

    const std::vector<SeenChange> seen = composer.Seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].kind == ChangeKind::kOpened);
    CHECK(seen[0].email_id == "em_1");
    CHECK(seen[0].opened);
    const std::vector<store::Callback> callbacks = LeaseCallbacks(store, kT0 + 10);
    REQUIRE(callbacks.size() == 1);
    CHECK(callbacks[0].event == std::to_string(static_cast<int>(ChangeKind::kOpened)) + ":em_1");
    CHECK(callbacks[0].payload == R"({"template":"welcome"})");
    CHECK(callbacks[0].owner == "key-1");
    CHECK(callbacks[0].url == kHook);
    CHECK(callbacks[0].subject_id == "em_1");
  }

  SUBCASE("delivery transitions of a tracked email with a callback URL reach the composer") {
    store::NewEmail retried = TrackedEmail("em_sent");
    retried.max_attempts = 3;
    Create(store, retried, kT0);
    Create(store, TrackedEmail("em_failed"), kT0 + 1);
    Create(store, TrackedEmail("em_no_url", ""), kT0 + 2);
    Create(store, MakeEmail("em_untracked"), kT0 + 3);
    std::vector<store::Lease> leases = Lease(store, 10, kT0 + 10);
    REQUIRE(leases.size() == 4);
    std::vector<SeenChange> seen = composer.Seen();
    REQUIRE(seen.size() == 2);
    CHECK(seen[0].kind == ChangeKind::kFirstAttempt);
    CHECK(seen[0].email_id == "em_sent");
    CHECK(seen[0].status == EmailStatus::kSending);
    CHECK_FALSE(seen[0].opened);
    CHECK(seen[1].email_id == "em_failed");

    // A retry says nothing; neither does its second attempt's lease.
    for (const store::Lease& lease : leases) {
      DeliveryOutcome outcome = Outcome(DeliveryOutcome::Kind::kRetry, "451 later", kT0 + 20);
      if (lease.ref_id == "em_failed") outcome = Outcome(DeliveryOutcome::Kind::kFailed, "550 no");
      CheckOk(store.FinishDelivery(lease.job_id, lease.token, outcome, kT0 + 11));
    }
    seen = composer.Seen();
    REQUIRE(seen.size() == 3);
    CHECK(seen[2].kind == ChangeKind::kFailed);
    CHECK(seen[2].email_id == "em_failed");
    CHECK(seen[2].status == EmailStatus::kFailed);
    CHECK(seen[2].reply == "550 no");

    leases = Lease(store, 10, kT0 + 20);
    REQUIRE(leases.size() == 3);
    CHECK(composer.Seen().size() == 3);
    for (const store::Lease& lease : leases) {
      DeliveryOutcome sent = Outcome(DeliveryOutcome::Kind::kSent, "250 Ok relay-1");
      sent.provider_id = "relay-" + lease.ref_id;
      CheckOk(store.FinishDelivery(lease.job_id, lease.token, sent, kT0 + 21));
    }
    seen = composer.Seen();
    REQUIRE(seen.size() == 4);
    CHECK(seen[3].kind == ChangeKind::kSent);
    CHECK(seen[3].email_id == "em_sent");
    CHECK(seen[3].status == EmailStatus::kSent);
    CHECK(seen[3].reply == "250 Ok relay-1");

    std::vector<std::string> events;
    for (const store::Callback& callback : LeaseCallbacks(store, kT0 + 30)) {
      events.push_back(callback.event);
    }
    std::sort(events.begin(), events.end());
    const auto name = [](ChangeKind kind, const std::string& id) {
      return std::to_string(static_cast<int>(kind)) + ":" + id;
    };
    std::vector<std::string> expected = {
        name(ChangeKind::kFirstAttempt, "em_sent"), name(ChangeKind::kFirstAttempt, "em_failed"),
        name(ChangeKind::kFailed, "em_failed"), name(ChangeKind::kSent, "em_sent")};
    std::sort(expected.begin(), expected.end());
    CHECK(events == expected);
  }

  SUBCASE("a composer's nullopt, or no composer, enqueues no callback") {
    composer.Silence(ChangeKind::kFirstAttempt);
    Create(store, TrackedEmail("em_1"));
    REQUIRE(Lease(store, 1, kT0).size() == 1);
    CHECK(composer.Seen().size() == 1);
    CHECK(LeaseCallbacks(store, kT0 + 1).empty());

    store.SetStatusCallbackComposer(nullptr);
    core::Result<bool> opened_now = store.MarkOpened("tok_em_1", kT0 + 2);
    REQUIRE(opened_now.ok());
    CHECK(*opened_now);
    CHECK(composer.Seen().size() == 1);
    CHECK(LeaseCallbacks(store, kT0 + 3).empty());
  }
}

void RunSuppressionContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("an address is kept lower-cased, once, with its first reason") {
    CheckOk(store.Suppress({"Ada@Example.org", "manual", "by hand", kT0}));
    core::Result<std::optional<store::Suppression>> found =
        store.FindSuppression("ADA@example.ORG");
    REQUIRE_MESSAGE(found.ok(), found.error().message);
    REQUIRE(found->has_value());
    CHECK((*found)->address == "ada@example.org");
    CHECK((*found)->reason == "manual");
    CHECK((*found)->detail == "by hand");
    CHECK((*found)->created_at == kT0);

    CheckOk(store.Suppress({"ada@example.org", "bounce", "BOUNCE", kT0 + 1}));
    found = store.FindSuppression("ada@example.org");
    REQUIRE(found.ok());
    REQUIRE(found->has_value());
    CHECK((*found)->reason == "manual");
    CHECK((*found)->created_at == kT0);

    CheckCode(store.Suppress({"", "manual", "", kT0}), ErrorCode::kInvalidArgument);
    REQUIRE(store.FindSuppression("bob@example.org").ok());
    CHECK_FALSE(store.FindSuppression("bob@example.org")->has_value());
  }

  SUBCASE("an address is removed case-insensitively, once") {
    CheckOk(store.Suppress({"ada@example.org", "manual", "", kT0}));
    CheckOk(store.Unsuppress("ADA@Example.org"));
    REQUIRE(store.FindSuppression("ada@example.org").ok());
    CHECK_FALSE(store.FindSuppression("ada@example.org")->has_value());
    CheckCode(store.Unsuppress("ada@example.org"), ErrorCode::kNotFound);
  }

  SUBCASE("the list goes by address, a page at a time after the cursor") {
    for (const char* address :
         {"c@example.org", "A@example.org", "d@example.org", "b@example.org"}) {
      CheckOk(store.Suppress({address, "manual", "", kT0}));
    }
    core::Result<std::vector<store::Suppression>> page = store.ListSuppressions("", "", 2);
    REQUIRE_MESSAGE(page.ok(), page.error().message);
    CHECK(Addresses(*page) == std::vector<std::string>{"a@example.org", "b@example.org"});
    page = store.ListSuppressions("", page->back().address, 2);
    REQUIRE(page.ok());
    CHECK(Addresses(*page) == std::vector<std::string>{"c@example.org", "d@example.org"});
    page = store.ListSuppressions("", page->back().address, 2);
    REQUIRE(page.ok());
    CHECK(page->empty());
  }

  SUBCASE("a prefix narrows the list to the addresses starting with it, still paged") {
    for (const char* address : {"ab@example.org", "abc@example.org", "abd@example.org",
                                "ac@example.org", "b@example.org"}) {
      CheckOk(store.Suppress({address, "manual", "", kT0}));
    }
    core::Result<std::vector<store::Suppression>> page = store.ListSuppressions("ab", "", 2);
    REQUIRE_MESSAGE(page.ok(), page.error().message);
    CHECK(Addresses(*page) == std::vector<std::string>{"ab@example.org", "abc@example.org"});
    page = store.ListSuppressions("ab", page->back().address, 2);
    REQUIRE(page.ok());
    CHECK(Addresses(*page) == std::vector<std::string>{"abd@example.org"});
    page = store.ListSuppressions("abc@example.org", "", 10);
    REQUIRE(page.ok());
    CHECK(Addresses(*page) == std::vector<std::string>{"abc@example.org"});
    page = store.ListSuppressions("z", "", 10);
    REQUIRE(page.ok());
    CHECK(page->empty());
    // A last byte of 0xFF has nothing above it: the range is open-ended past the byte before.
    page = store.ListSuppressions("b\xff", "", 10);
    REQUIRE(page.ok());
    CHECK(page->empty());
  }
}

void RunProviderEventContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;
  RecordingComposer composer;
  store.SetStatusCallbackComposer(composer.Function());

  SUBCASE("an event naming our id is recorded on the email, suppresses and calls back") {
    Create(store, TrackedEmail("em_1"));
    store::ProviderEvent event;
    event.email_id = "em_1";
    event.event = "BOUNCE";
    event.aws_data = R"({"bounce":{}})";
    event.suppress = {"Ada@Example.org"};
    event.reason = "bounce";
    core::Result<std::optional<std::string>> recorded = store.RecordProviderEvent(event, kT0 + 5);
    REQUIRE_MESSAGE(recorded.ok(), recorded.error().message);
    CHECK(*recorded == std::optional<std::string>("em_1"));
    CHECK(Contains(EventTypes(store, "em_1"), "bounce"));
    core::Result<std::optional<store::Suppression>> suppression =
        store.FindSuppression("ada@example.org");
    REQUIRE(suppression.ok());
    REQUIRE(suppression->has_value());
    CHECK((*suppression)->reason == "bounce");
    CHECK((*suppression)->detail == "BOUNCE");
    CHECK((*suppression)->created_at == kT0 + 5);

    const std::vector<SeenChange> seen = composer.Seen();
    REQUIRE(seen.size() == 1);
    CHECK(seen[0].kind == ChangeKind::kProviderEvent);
    CHECK(seen[0].email_id == "em_1");
    CHECK(seen[0].provider_event == "BOUNCE");
    CHECK(LeaseCallbacks(store, kT0 + 10).size() == 1);
  }

  SUBCASE("an event naming the provider id of a sent email finds it") {
    Create(store, TrackedEmail("em_1"));
    Create(store, TrackedEmail("em_2"));
    for (const store::Lease& lease : Lease(store, 2, kT0)) {
      DeliveryOutcome sent = Outcome(DeliveryOutcome::Kind::kSent, "250 Ok");
      sent.provider_id = "relay-" + lease.ref_id;
      CheckOk(store.FinishDelivery(lease.job_id, lease.token, sent, kT0 + 1));
    }
    store::ProviderEvent event;
    event.provider_id = "relay-em_2";
    event.event = "DELIVERED";
    core::Result<std::optional<std::string>> recorded = store.RecordProviderEvent(event, kT0 + 2);
    REQUIRE_MESSAGE(recorded.ok(), recorded.error().message);
    CHECK(*recorded == std::optional<std::string>("em_2"));
    CHECK(Contains(EventTypes(store, "em_2"), "delivered"));
    CHECK_FALSE(Contains(EventTypes(store, "em_1"), "delivered"));

    // An id that names no tracked email falls back to the provider id.
    event.email_id = "em_unknown";
    event.provider_id = "relay-em_1";
    recorded = store.RecordProviderEvent(event, kT0 + 3);
    REQUIRE(recorded.ok());
    CHECK(*recorded == std::optional<std::string>("em_1"));
  }

  SUBCASE("an event about mail outbox does not track still suppresses") {
    Create(store, MakeEmail("em_untracked"));
    for (const std::string& id : {std::string("em_untracked"), std::string("em_unknown")}) {
      store::ProviderEvent event;
      event.email_id = id;
      event.provider_id = "relay-unknown";
      event.event = "COMPLAINT";
      event.suppress = {"angry@example.org"};
      event.reason = "complaint";
      core::Result<std::optional<std::string>> recorded = store.RecordProviderEvent(event, kT0);
      REQUIRE_MESSAGE(recorded.ok(), recorded.error().message);
      CHECK_FALSE(recorded->has_value());
    }
    core::Result<std::optional<store::Suppression>> suppression =
        store.FindSuppression("angry@example.org");
    REQUIRE(suppression.ok());
    REQUIRE(suppression->has_value());
    CHECK((*suppression)->reason == "complaint");
    CHECK_FALSE(Contains(EventTypes(store, "em_untracked"), "complaint"));
    CHECK(composer.Seen().empty());
  }
}

}  // namespace store_contract
