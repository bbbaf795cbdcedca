// ProviderEventService against a real SQLite store, with SNS messages signed in the test by a
// key generated here and a fake fetcher serving its certificate (no network).
#include "service/provider_events.h"

#include <doctest/doctest.h>
#include <openssl/evp.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "hooks/sns.h"
#include "service/ses.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/rsa_signer.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;
using nlohmann::json;

constexpr core::TimeMs kStart = 1'700'000'000'000;
constexpr const char* kCertUrl =
    "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-0123456789abcdef.pem";
constexpr const char* kSubscribeUrl =
    "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:"
    "us-east-1:123456789012:ses-events&Token=2336412f37";
constexpr const char* kTopic = "arn:aws:sns:us-east-1:123456789012:ses-events";

const testing::RsaSigner& Sns() { return testing::RsaSigner::Get(0); }

// `body` signed (SignatureVersion 2) over its canonical string.
std::string Signed(json body) {
  body["SignatureVersion"] = "2";
  body["Signature"] = "AAAA";
  auto parsed = hooks::ParseSnsMessage(body.dump());
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  body["Signature"] = testing::Base64(Sns().Sign(EVP_sha256(), hooks::SnsStringToSign(*parsed)));
  return body.dump();
}

json Notification(const json& ses_event, const std::string& cert_url = kCertUrl) {
  return {{"Type", "Notification"},
          {"MessageId", "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"},
          {"TopicArn", kTopic},
          {"Message", ses_event.dump()},
          {"Timestamp", "2024-10-13T15:41:08.751Z"},
          {"SigningCertURL", cert_url},
          {"UnsubscribeURL", "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"}};
}

json Confirmation(const char* type, const std::string& subscribe_url = kSubscribeUrl) {
  return {{"Type", type},
          {"MessageId", "165545c9-2a5c-472c-8df2-7ff2be2b3b1b"},
          {"Token", "2336412f37"},
          {"TopicArn", kTopic},
          {"Message", "You have chosen to subscribe to the topic."},
          {"SubscribeURL", subscribe_url},
          {"Timestamp", "2024-10-13T15:40:00.000Z"},
          {"SigningCertURL", kCertUrl}};
}

// An SES event about the email `email_id` (our Message-ID) with SES's id "ses-0001".
json SesEvent(const char* type, const std::string& email_id) {
  return {{"eventType", type},
          {"mail",
           {{"timestamp", "2024-10-13T15:41:06.000Z"},
            {"source", "app@example.com"},
            {"messageId", "ses-0001"},
            {"destination", {"gone@example.org"}},
            {"commonHeaders", {{"messageId", "<" + email_id + "@example.com>"}}}}}};
}

json PermanentBounce(const std::string& email_id) {
  json event = SesEvent("Bounce", email_id);
  event["bounce"] = {{"bounceType", "Permanent"},
                     {"bounceSubType", "General"},
                     {"bouncedRecipients",
                      {{{"emailAddress", "Gone@Example.org"}, {"status", "5.1.1"}},
                       {{"emailAddress", "also-gone@example.org"}}}}};
  return event;
}

// Serves URLs from a map and records every GET.
struct FakeFetcher {
  std::mutex mutex;
  std::map<std::string, std::string> bodies;
  std::vector<std::string> requested;

  hooks::UrlFetcher Function() {
    return [this](const std::string& url) -> core::Result<std::string> {
      const std::lock_guard lock(mutex);
      requested.push_back(url);
      const auto found = bodies.find(url);
      if (found == bodies.end()) {
        return core::Unavailable("GET " + url + ": HTTP 404");
      }
      return found->second;
    };
  }
  int Count(const std::string& url) {
    const std::lock_guard lock(mutex);
    return static_cast<int>(std::count(requested.begin(), requested.end(), url));
  }
};

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock{kStart};
  std::unique_ptr<core::Logger> logger = core::NewNullLogger();
  FakeFetcher fetcher;
  int wakes = 0;
  std::unique_ptr<service::ProviderEventService> events;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    store->SetStatusCallbackComposer(service::SesStatusCallback);  // as App does
    fetcher.bodies[kCertUrl] = Sns().certificate_pem;
    fetcher.bodies[kSubscribeUrl] = "<ConfirmSubscriptionResponse/>";
    events = std::make_unique<service::ProviderEventService>(
        service::ProviderEventOptions{}, *store, clock, *logger, fetcher.Function(),
        [this] { ++wakes; });
  }

  // A tracked email (as the SES-compatible send stores it) whose callbacks go to a receiver.
  void CreateTrackedEmail(const std::string& id) {
    store::NewEmail email;
    email.id = id;
    email.from = "app@example.com";
    email.to = {"gone@example.org"};
    email.envelope_from = "app@example.com";
    email.envelope_recipients = {"gone@example.org"};
    email.subject = "Hello";
    email.raw_message = "Subject: Hello\r\n\r\nBody\r\n";
    email.owner = "key-1";
    email.tracking = store::EmailTracking{"welcome", "{}", 0, "", "http://127.0.0.1:9/hook"};
    auto created = store->CreateEmail(email, std::nullopt, kStart);
    REQUIRE_MESSAGE(created.ok(), created.error().message);
  }

  service::SnsHandled Handle(const std::string& body) {
    auto handled = events->Handle(body);
    REQUIRE_MESSAGE(handled.ok(), handled.error().message);
    return std::move(*handled);
  }

  core::Error HandleError(const std::string& body) {
    auto handled = events->Handle(body);
    REQUIRE_FALSE(handled.ok());
    return handled.error();
  }

  bool Suppressed(const std::string& address) {
    auto found = store->FindSuppression(address);
    REQUIRE(found.ok());
    return found->has_value();
  }

  std::vector<std::string> EventTypes(const std::string& email_id) {
    auto events_of = store->ListEmailEvents(email_id);
    REQUIRE(events_of.ok());
    std::vector<std::string> types;
    for (const auto& event : *events_of) {
      types.push_back(event.type);
    }
    return types;
  }

  // The payloads of the status callbacks enqueued so far.
  std::vector<json> Callbacks() {
    auto leases = store->LeaseJobs(store::JobKind::kCallback, 100, kStart + 60'000, 60'000);
    REQUIRE(leases.ok());
    std::vector<json> payloads;
    for (const auto& lease : *leases) {
      auto callback = store->GetCallback(lease.ref_id);
      REQUIRE(callback.ok());
      payloads.push_back(json::parse(callback->payload));
    }
    return payloads;
  }
};

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

}  // namespace

TEST_CASE("a signed permanent bounce is recorded on its email and suppresses its recipients") {
  Fixture f;
  f.CreateTrackedEmail("em_bounced");
  const service::SnsHandled handled = f.Handle(Signed(Notification(PermanentBounce("em_bounced"))));
  CHECK(handled.type == hooks::SnsMessageType::kNotification);
  CHECK(handled.event == "BOUNCE");
  CHECK(handled.email_id == "em_bounced");
  CHECK(handled.suppressed ==
        std::vector<std::string>{"Gone@Example.org", "also-gone@example.org"});
  CHECK(f.Suppressed("gone@example.org"));
  CHECK(f.Suppressed("also-gone@example.org"));
  auto suppression = f.store->FindSuppression("GONE@example.org");
  REQUIRE(suppression.ok());
  REQUIRE(suppression->has_value());
  CHECK((*suppression)->reason == "bounce");
  CHECK(Contains(f.EventTypes("em_bounced"), "bounce"));
  CHECK(f.wakes == 1);

  const std::vector<json> callbacks = f.Callbacks();
  REQUIRE(callbacks.size() == 1);
  CHECK(callbacks[0]["status"] == "BOUNCE");
  CHECK(callbacks[0]["email_id"] == "em_bounced");
  CHECK(callbacks[0]["data"]["aws_data"]["bounce"]["bounceType"] == "Permanent");
}

TEST_CASE("a transient bounce and a delivery are recorded but suppress nobody") {
  Fixture f;
  f.CreateTrackedEmail("em_soft");
  json soft = PermanentBounce("em_soft");
  soft["bounce"]["bounceType"] = "Transient";
  soft["bounce"]["bounceSubType"] = "MailboxFull";
  service::SnsHandled handled = f.Handle(Signed(Notification(soft)));
  CHECK(handled.event == "BOUNCE");
  CHECK(handled.suppressed.empty());
  CHECK_FALSE(f.Suppressed("gone@example.org"));

  json undetermined = PermanentBounce("em_soft");
  undetermined["bounce"]["bounceType"] = "Undetermined";
  CHECK(f.Handle(Signed(Notification(undetermined))).suppressed.empty());

  json delivery = SesEvent("Delivery", "em_soft");
  delivery["delivery"] = {{"recipients", {"gone@example.org"}}, {"smtpResponse", "250 ok"}};
  handled = f.Handle(Signed(Notification(delivery)));
  CHECK(handled.event == "DELIVERED");
  CHECK(handled.email_id == "em_soft");
  CHECK(handled.suppressed.empty());
  CHECK_FALSE(f.Suppressed("gone@example.org"));
  CHECK(Contains(f.EventTypes("em_soft"), "delivered"));
}

TEST_CASE("a complaint suppresses the complaining recipients") {
  Fixture f;
  f.CreateTrackedEmail("em_complained");
  json complaint = SesEvent("Complaint", "em_complained");
  complaint["complaint"] = {{"complaintFeedbackType", "abuse"},
                            {"complainedRecipients", {{{"emailAddress", "angry@example.org"}}}}};
  const service::SnsHandled handled = f.Handle(Signed(Notification(complaint)));
  CHECK(handled.event == "COMPLAINT");
  CHECK(f.Suppressed("angry@example.org"));
  auto suppression = f.store->FindSuppression("angry@example.org");
  REQUIRE(suppression.ok());
  CHECK((*suppression)->reason == "complaint");
}

TEST_CASE("an event about an email outbox does not track is acknowledged; suppressions count") {
  Fixture f;
  const service::SnsHandled handled = f.Handle(Signed(Notification(PermanentBounce("em_unknown"))));
  CHECK(handled.event == "BOUNCE");
  CHECK(handled.email_id.empty());
  CHECK(f.Suppressed("gone@example.org"));
  CHECK(f.wakes == 0);
}

TEST_CASE("a tampered message is refused and changes nothing") {
  Fixture f;
  f.CreateTrackedEmail("em_t");
  json body = json::parse(Signed(Notification(SesEvent("Delivery", "em_t"))));
  body["Message"] = PermanentBounce("em_t").dump();
  const core::Error error = f.HandleError(body.dump());
  CHECK(error.code == ErrorCode::kUnauthenticated);
  CHECK(error.field == "Signature");
  CHECK_FALSE(f.Suppressed("gone@example.org"));
  CHECK_FALSE(Contains(f.EventTypes("em_t"), "bounce"));
  CHECK(f.Callbacks().empty());
}

TEST_CASE("a certificate URL outside the pattern is refused without fetching it") {
  Fixture f;
  for (const std::string url :
       {"https://evil.example/cert.pem", "http://sns.us-east-1.amazonaws.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com.evil.example/cert.pem",
        "https://bucket.s3.amazonaws.com/cert.pem"}) {
    CAPTURE(url);
    f.fetcher.bodies[url] = Sns().certificate_pem;
    const core::Error error = f.HandleError(Signed(Notification(PermanentBounce("em_x"), url)));
    CHECK(error.code == ErrorCode::kUnauthenticated);
    CHECK(error.field == "SigningCertURL");
    CHECK(f.fetcher.Count(url) == 0);
  }
  CHECK_FALSE(f.Suppressed("gone@example.org"));
}

TEST_CASE("the certificate is fetched once per URL; a failed fetch is retried later") {
  Fixture f;
  f.Handle(Signed(Notification(SesEvent("Delivery", "em_a"))));
  f.Handle(Signed(Notification(SesEvent("Delivery", "em_b"))));
  CHECK(f.fetcher.Count(kCertUrl) == 1);

  const std::string other = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem";
  core::Error error = f.HandleError(Signed(Notification(SesEvent("Delivery", "em_a"), other)));
  CHECK(error.code == ErrorCode::kUnavailable);
  f.fetcher.bodies[other] = "<html>Access Denied</html>";
  error = f.HandleError(Signed(Notification(SesEvent("Delivery", "em_a"), other)));
  CHECK(error.code == ErrorCode::kUnauthenticated);
  CHECK(error.field == "SigningCertURL");
  f.fetcher.bodies[other] = Sns().certificate_pem;
  f.Handle(Signed(Notification(SesEvent("Delivery", "em_a"), other)));
  CHECK(f.fetcher.Count(other) == 3);  // neither failure was cached
}

TEST_CASE("a subscription confirmation GETs its SubscribeURL; an unsubscription does not") {
  Fixture f;
  const service::SnsHandled handled = f.Handle(Signed(Confirmation("SubscriptionConfirmation")));
  CHECK(handled.type == hooks::SnsMessageType::kSubscriptionConfirmation);
  CHECK(f.fetcher.Count(kSubscribeUrl) == 1);

  // Visiting an unsubscription's SubscribeURL would subscribe again.
  CHECK(f.Handle(Signed(Confirmation("UnsubscribeConfirmation"))).type ==
        hooks::SnsMessageType::kUnsubscribeConfirmation);
  CHECK(f.fetcher.Count(kSubscribeUrl) == 1);

  const std::string elsewhere = "https://evil.example/?Action=ConfirmSubscription";
  core::Error error = f.HandleError(Signed(Confirmation("SubscriptionConfirmation", elsewhere)));
  CHECK(error.code == ErrorCode::kUnauthenticated);
  CHECK(error.field == "SubscribeURL");
  CHECK(f.fetcher.Count(elsewhere) == 0);

  const std::string failing = "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&x=1";
  error = f.HandleError(Signed(Confirmation("SubscriptionConfirmation", failing)));
  CHECK(error.code == ErrorCode::kUnavailable);
  CHECK(error.field == "SubscribeURL");
}

TEST_CASE("malformed bodies and messages are invalid; other SES event types are ignored") {
  Fixture f;
  CHECK(f.HandleError("not json").code == ErrorCode::kInvalidArgument);
  CHECK(f.HandleError("{}").code == ErrorCode::kInvalidArgument);

  json not_ses = Notification(SesEvent("Delivery", "em_a"));
  not_ses["Message"] = "hello from the SNS console";
  core::Error error = f.HandleError(Signed(not_ses));
  CHECK(error.code == ErrorCode::kInvalidArgument);
  CHECK(error.field == "Message");

  json no_recipients = PermanentBounce("em_a");
  no_recipients["bounce"].erase("bouncedRecipients");
  error = f.HandleError(Signed(Notification(no_recipients)));
  CHECK(error.code == ErrorCode::kInvalidArgument);
  CHECK(error.field == "bounce.bouncedRecipients");

  for (const char* type : {"Send", "Open", "Click", "DeliveryDelay"}) {
    CAPTURE(type);
    const service::SnsHandled handled = f.Handle(Signed(Notification(SesEvent(type, "em_a"))));
    CHECK(handled.event.empty());
  }
  CHECK(f.Handle(Signed(Notification({{"notificationType", "AmazonSnsSubscriptionSucceeded"}})))
            .event.empty());
}

TEST_CASE("ParseSesEvent reads both SES formats") {
  // SES's own notifications (identity notification topics) say notificationType.
  json legacy = PermanentBounce("em_1");
  legacy.erase("eventType");
  legacy["notificationType"] = "Bounce";
  auto parsed = service::ParseSesEvent(legacy.dump());
  REQUIRE(parsed.ok());
  REQUIRE(parsed->has_value());
  const store::ProviderEvent& event = **parsed;
  CHECK(event.event == "BOUNCE");
  CHECK(event.email_id == "<em_1@example.com>");
  CHECK(event.provider_id == "ses-0001");
  CHECK(event.reason == "bounce");
  CHECK(event.suppress == std::vector<std::string>{"Gone@Example.org", "also-gone@example.org"});
  CHECK(json::parse(event.aws_data) == legacy);

  json display_name = PermanentBounce("em_1");
  display_name["bounce"]["bouncedRecipients"] = {{{"emailAddress", "Ann <ann@example.org>"}}};
  parsed = service::ParseSesEvent(display_name.dump());
  REQUIRE(parsed.ok());
  CHECK((*parsed)->suppress == std::vector<std::string>{"ann@example.org"});

  json not_an_address = PermanentBounce("em_1");
  not_an_address["bounce"]["bouncedRecipients"] = {{{"emailAddress", "nobody"}}};
  parsed = service::ParseSesEvent(not_an_address.dump());
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().field == "bounce.bouncedRecipients[0].emailAddress");

  json no_mail = {{"eventType", "Delivery"}};
  parsed = service::ParseSesEvent(no_mail.dump());
  REQUIRE(parsed.ok());
  CHECK((*parsed)->email_id.empty());
  CHECK((*parsed)->provider_id.empty());
}

TEST_CASE("the suppression list: add, list by pages, remove") {
  Fixture f;
  auto added = f.events->Suppress("Someone@Example.org", "");
  REQUIRE(added.ok());
  CHECK(added->created);
  CHECK(added->suppression.address == "someone@example.org");
  CHECK(added->suppression.reason == "manual");
  CHECK(added->suppression.created_at == kStart);

  auto again = f.events->Suppress("someone@example.org", "complaint");
  REQUIRE(again.ok());
  CHECK_FALSE(again->created);
  CHECK(again->suppression.reason == "manual");

  REQUIRE(f.events->Suppress("a@example.org", "bounce").ok());
  REQUIRE(f.events->Suppress("b@example.org", "complaint").ok());

  for (const char* bad :
       {"", "nobody", "Ann <ann@example.org>", "<ann@example.org>", "a b@example.org"}) {
    CAPTURE(bad);
    auto refused = f.events->Suppress(bad, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == ErrorCode::kInvalidArgument);
    CHECK(refused.error().field == "address");
  }
  auto bad_reason = f.events->Suppress("c@example.org", "spam");
  REQUIRE_FALSE(bad_reason.ok());
  CHECK(bad_reason.error().field == "reason");

  auto first = f.events->ListSuppressions("", "", 2);
  REQUIRE(first.ok());
  REQUIRE(first->suppressions.size() == 2);
  CHECK(first->suppressions[0].address == "a@example.org");
  CHECK(first->suppressions[1].address == "b@example.org");
  CHECK(first->next_cursor == "b@example.org");
  auto second = f.events->ListSuppressions("", first->next_cursor, 2);
  REQUIRE(second.ok());
  REQUIRE(second->suppressions.size() == 1);
  CHECK(second->suppressions[0].address == "someone@example.org");
  CHECK(second->next_cursor.empty());

  CHECK(f.events->Unsuppress("SOMEONE@example.org").ok());
  const core::Status missing = f.events->Unsuppress("someone@example.org");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);
}

TEST_CASE("with a topic allow-list, signed messages of other topics are refused") {
  Fixture f;
  f.CreateTrackedEmail("em_t");
  service::ProviderEventOptions options;
  options.topic_arns = {"arn:aws:sns:us-east-1:123456789012:outbox-events"};
  f.events = std::make_unique<service::ProviderEventService>(options, *f.store, f.clock, *f.logger,
                                                             f.fetcher.Function());
  const core::Error error = f.HandleError(Signed(Notification(PermanentBounce("em_t"))));
  CHECK(error.code == ErrorCode::kPermissionDenied);
  CHECK(error.field == "TopicArn");
  CHECK_FALSE(f.Suppressed("gone@example.org"));

  options.topic_arns.push_back(kTopic);
  f.events = std::make_unique<service::ProviderEventService>(options, *f.store, f.clock, *f.logger,
                                                             f.fetcher.Function());
  CHECK(f.Handle(Signed(Notification(PermanentBounce("em_t")))).email_id == "em_t");
  CHECK(f.Suppressed("gone@example.org"));
}
