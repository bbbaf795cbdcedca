#include "service/email_service.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "core/random.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

// A fresh SQLite store in a temp directory, removed afterwards.
struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  int wakeups = 0;
  std::unique_ptr<service::TemplateService> templates;
  std::unique_ptr<service::EmailService> service;
  auth::Principal principal{"key_test", auth::Role::kAdmin};

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    templates = std::make_unique<service::TemplateService>(*store, clock);
    service = std::make_unique<service::EmailService>(
        service::ServiceOptions{"Default <default@example.com>", 5}, *store, *store, *templates,
        clock, [this] { ++wakeups; });
  }
  service::SendEmailRequest Valid() const {
    service::SendEmailRequest request;
    request.from = "App <app@example.com>";
    request.to = {"ana@example.com"};
    request.subject = "Hello";
    request.text = "Hi";
    return request;
  }

  std::int64_t Enqueued() {
    auto stats = store->Stats(clock.NowMs());
    REQUIRE(stats.ok());
    return stats->enqueued_total;
  }
};

}  // namespace

TEST_CASE("a valid send is stored, rendered and wakes the workers") {
  Fixture f;
  auto request = f.Valid();
  request.bcc = {"hidden@example.com"};
  auto accepted = f.service->Send(request, f.principal, std::nullopt);
  REQUIRE(accepted.ok());
  CHECK_FALSE(accepted->replayed);
  const std::string id = accepted->email_id;
  CHECK(accepted->status == store::EmailStatus::kQueued);
  CHECK(f.wakeups == 1);

  auto detail = f.service->Get(id);
  REQUIRE(detail.ok());
  CHECK(detail->email.status == store::EmailStatus::kQueued);
  CHECK(detail->email.owner == "key_test");
  REQUIRE_FALSE(detail->events.empty());
  CHECK(detail->events.front().type == "queued");

  auto raw = f.store->GetRawMessage(id);
  REQUIRE(raw.ok());
  CHECK(raw->envelope_from == "app@example.com");
  CHECK(raw->envelope_recipients ==
        std::vector<std::string>{"ana@example.com", "hidden@example.com"});
  CHECK(raw->data.find("Subject: Hello\r\n") != std::string::npos);
  CHECK(raw->data.find("hidden@example.com") == std::string::npos);  // Bcc stays off the message
  CHECK(raw->data.find("Message-ID: <" + id + "@example.com>") != std::string::npos);
}

TEST_CASE("a scheduled send does not wake the workers") {
  Fixture f;
  auto request = f.Valid();
  request.send_at = f.clock.NowMs() + 60'000;
  REQUIRE(f.service->Send(request, f.principal, std::nullopt).ok());
  CHECK(f.wakeups == 0);
}

TEST_CASE("the default sender fills in a missing from") {
  Fixture f;
  auto request = f.Valid();
  request.from.clear();
  auto accepted = f.service->Send(request, f.principal, std::nullopt);
  REQUIRE(accepted.ok());
  auto raw = f.store->GetRawMessage(accepted->email_id);
  REQUIRE(raw.ok());
  CHECK(raw->envelope_from == "default@example.com");
}

TEST_CASE("invalid requests name the field and store nothing") {
  Fixture f;
  struct Case {
    const char* name;
    std::function<void(service::SendEmailRequest&)> mutate;
    const char* field;
  };
  const Case cases[] = {
      {"no recipients", [](auto& r) { r.to.clear(); }, "to"},
      {"bad address",
       [](auto& r) {
         r.to = {"ana@example.com", "not-an-address"};
       },
       "to[1]"},
      {"injected address", [](auto& r) { r.to = {"a@example.com\r\nBcc: victim@example.com"}; },
       "to[0]"},
      {"bad cc", [](auto& r) { r.cc = {"x y@example.com"}; }, "cc[0]"},
      {"bad bcc", [](auto& r) { r.bcc = {"@example.com"}; }, "bcc[0]"},
      {"bad from", [](auto& r) { r.from = "nobody"; }, "from"},
      {"bad reply_to", [](auto& r) { r.reply_to = "a@b.com\nX: y"; }, "reply_to"},
      {"missing subject", [](auto& r) { r.subject.clear(); }, "subject"},
      {"injected subject", [](auto& r) { r.subject = "Hi\r\nBcc: x@example.com"; }, "subject"},
      {"no body", [](auto& r) { r.text.clear(); }, "text"},
      {"injected header",
       [](auto& r) {
         r.headers = {{"X-Tag", "a\r\nBcc: x@y.z"}};
       },
       "headers.X-Tag"},
      {"reserved header",
       [](auto& r) {
         r.headers = {{"Content-Type", "text/evil"}};
       },
       "headers.Content-Type"},
      {"too many recipients", [](auto& r) { r.to.assign(101, "a@example.com"); }, "to"},
      {"bad tag", [](auto& r) { r.tags = {""}; }, "tags[0]"},
      {"attempts", [](auto& r) { r.max_attempts = 0; }, "max_attempts"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    auto request = f.Valid();
    c.mutate(request);
    auto accepted = f.service->Send(request, f.principal, std::nullopt);
    REQUIRE_FALSE(accepted.ok());
    CHECK(accepted.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(accepted.error().field == c.field);
  }
  CHECK(f.Enqueued() == 0);
}

TEST_CASE("idempotency: same key and body replays, a different body conflicts") {
  Fixture f;
  service::Idempotency key{"order-42", core::Sha256Hex("body-1")};
  auto first = f.service->Send(f.Valid(), f.principal, key);
  REQUIRE(first.ok());
  auto again = f.service->Send(f.Valid(), f.principal, key);
  REQUIRE(again.ok());
  CHECK(again->email_id == first->email_id);
  CHECK(again->status == first->status);
  CHECK(again->replayed);
  CHECK(f.Enqueued() == 1);

  service::Idempotency other_body{"order-42", core::Sha256Hex("body-2")};
  auto conflict = f.service->Send(f.Valid(), f.principal, other_body);
  REQUIRE_FALSE(conflict.ok());
  CHECK(conflict.error().code == core::ErrorCode::kAlreadyExists);
  CHECK(f.Enqueued() == 1);
}

TEST_CASE("cancel and retry follow the state machine") {
  Fixture f;
  auto accepted = f.service->Send(f.Valid(), f.principal, std::nullopt);
  REQUIRE(accepted.ok());
  const std::string id = accepted->email_id;
  CHECK(f.service->Retry(id).error().code == core::ErrorCode::kFailedPrecondition);
  REQUIRE(f.service->Cancel(id).ok());
  CHECK(f.service->Cancel(id).error().code == core::ErrorCode::kFailedPrecondition);
  CHECK(f.service->Cancel("em_missing").error().code == core::ErrorCode::kNotFound);
  auto detail = f.service->Get(id);
  REQUIRE(detail.ok());
  CHECK(detail->email.status == store::EmailStatus::kCancelled);
}

TEST_CASE("resend queues a copy with a new id, Message-ID and Date, linked both ways") {
  Fixture f;
  auto request = f.Valid();
  request.to = {"ana@example.com", "gone@example.com"};
  request.tags = {"welcome"};
  auto accepted = f.service->Send(request, f.principal, std::nullopt);
  REQUIRE(accepted.ok());
  const std::string id = accepted->email_id;
  REQUIRE(f.store->Suppress({"gone@example.com", "bounce", "", f.clock.NowMs()}).ok());
  f.clock.Advance(std::chrono::hours(24));

  const auth::Principal other{"key_other", auth::Role::kAdmin};
  auto resent = f.service->Resend(id, other);
  REQUIRE(resent.ok());
  CHECK(resent->email_id != id);
  CHECK(resent->status == store::EmailStatus::kQueued);
  CHECK(f.wakeups == 2);
  CHECK(f.Enqueued() == 2);

  auto copy = f.service->Get(resent->email_id);
  REQUIRE(copy.ok());
  CHECK(copy->email.to == request.to);
  CHECK(copy->email.subject == "Hello");
  CHECK(copy->email.tags == nlohmann::json{"welcome"});
  CHECK(copy->email.owner == "key_other");
  CHECK(copy->email.created_at == f.clock.NowMs());
  CHECK(copy->events.back().type == "resend_of");
  CHECK(copy->events.back().detail == id);
  auto original = f.service->Get(id);
  REQUIRE(original.ok());
  CHECK(original->events.back().type == "resent");
  CHECK(original->events.back().detail == resent->email_id);

  auto raw = f.store->GetRawMessage(resent->email_id);
  REQUIRE(raw.ok());
  // Suppressed since the first send: left out of the envelope, kept in the header.
  CHECK(raw->envelope_recipients == std::vector<std::string>{"ana@example.com"});
  CHECK(raw->data.find("Message-ID: <" + resent->email_id + "@example.com>\r\n") !=
        std::string::npos);
  CHECK(raw->data.find(id) == std::string::npos);
  CHECK(raw->data.find("Date: " + mail::FormatRfc5322Date(f.clock.NowMs()) + "\r\n") !=
        std::string::npos);
  auto parts = f.service->Parts(resent->email_id);
  REQUIRE(parts.ok());
  REQUIRE(parts->text.has_value());
  CHECK(parts->text->content == "Hi\r\n");

  auto missing = f.service->Resend("em_missing", other);
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == core::ErrorCode::kNotFound);
  CHECK(f.service->Parts("em_missing").error().code == core::ErrorCode::kNotFound);
}
