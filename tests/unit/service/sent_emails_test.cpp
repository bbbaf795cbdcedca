#include "service/sent_emails.h"

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/fault_store.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;

constexpr core::TimeMs kStart = 1'700'000'000'000;

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> sqlite;
  std::unique_ptr<testing::FaultStore> store;
  testing::FakeClock clock{kStart};
  std::unique_ptr<service::TemplateService> templates;
  std::unique_ptr<service::EmailService> emails;
  std::unique_ptr<service::SentEmailService> sent;
  int wakes = 0;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    sqlite = std::move(*opened);
    store = std::make_unique<testing::FaultStore>(*sqlite);
    templates = std::make_unique<service::TemplateService>(*store, clock);
    emails = std::make_unique<service::EmailService>(service::ServiceOptions{"default@example.org"},
                                                     *store, *store, *templates, clock, [] {});
    sent = std::make_unique<service::SentEmailService>(*store, *store, *templates, *emails, clock,
                                                       "Outbox <outbox@example.org>",
                                                       [this] { ++wakes; });
  }

  auth::Principal Person(const std::string& email) {
    store::User user;
    user.email = email;
    user.role = "customer";
    user.password_hash = "x";
    user.created_at = kStart;
    auto created = store->CreateUser(user);
    REQUIRE_MESSAGE(created.ok(), created.error().message);
    return {"user:" + std::to_string(created->id), auth::Role::kCustomer, "", created->id, "s"};
  }

  std::int64_t Template(const std::string& subject, const std::string& text) {
    store::Template tmpl;
    tmpl.name = "Template " + subject;
    tmpl.subject = subject;
    tmpl.text = text;
    auto saved = templates->Save(tmpl, service::SaveMode::kCreate);
    REQUIRE_MESSAGE(saved.ok(), saved.error().message);
    return saved->id;
  }
};

}  // namespace

TEST_CASE("a send: one email per recipient, from the person, with the server as Sender") {
  Fixture f;
  const auth::Principal ann = f.Person("ann@example.org");
  const std::int64_t tmpl = f.Template("Hi {{recipient}}", "Sent by {{sender}} to {{recipient}}");
  auto record = f.sent->Send(
      ann, {tmpl, {" b@example.net", "C@example.net", "b@EXAMPLE.net", "c@example.net"}});
  REQUIRE_MESSAGE(record.ok(), record.error().message);
  CHECK(record->recipients == std::vector<std::string>{"b@example.net", "C@example.net"});
  CHECK(record->user_id == ann.user_id);
  CHECK(record->template_id == tmpl);
  CHECK(record->created_at == kStart);
  CHECK(f.wakes == 1);
  REQUIRE(record->email_ids.size() == 2);
  auto email = f.store->GetEmail(record->email_ids[1]);
  REQUIRE(email.ok());
  CHECK(email->from == "ann@example.org");
  CHECK(email->to == std::vector<std::string>{"C@example.net"});
  CHECK(email->subject == "Hi C@example.net");
  CHECK(email->owner == ann.key_id);
  auto raw = f.store->GetRawMessage(record->email_ids[1]);
  REQUIRE(raw.ok());
  CHECK(raw->envelope_recipients == std::vector<std::string>{"C@example.net"});
  CHECK(raw->data.find("Sender: Outbox <outbox@example.org>\r\n") != std::string::npos);
  CHECK_MESSAGE(raw->data.find("Sent by ann@example.org to C@example.net") != std::string::npos,
                raw->data);
  CHECK(raw->data.find("text/html") == std::string::npos);
}

TEST_CASE("a send's refusals name the field; nothing is stored") {
  Fixture f;
  const auth::Principal ann = f.Person("ann@example.org");
  const std::int64_t tmpl = f.Template("Hi", "Body");
  const auto error = [&](const service::SendTemplateRequest& request) {
    auto sent = f.sent->Send(ann, request);
    REQUIRE_FALSE(sent.ok());
    return sent.error();
  };
  CHECK(error({tmpl, {}}).field == "recipients");
  CHECK(error({tmpl, std::vector<std::string>(101, "a@example.net")}).field == "recipients");
  CHECK(error({tmpl, {"a@example.net", "not an address"}}).field == "recipients[1]");
  CHECK(error({tmpl, {"Ann <a@example.net>"}}).field == "recipients[0]");
  const core::Error missing = error({tmpl + 100, {"a@example.net"}});
  CHECK(missing.code == ErrorCode::kNotFound);
  CHECK(missing.field == "template");
  const std::int64_t needs_data = f.Template("Hi {{name}}", "Body");
  const core::Error unrendered = error({needs_data, {"a@example.net"}});
  CHECK(unrendered.code == ErrorCode::kInvalidArgument);
  CHECK(unrendered.field == "template");
  const auth::Principal key{"key-1", auth::Role::kAdmin};
  CHECK(f.sent->Send(key, {tmpl, {"a@example.net"}}).error().code == ErrorCode::kPermissionDenied);
  CHECK(f.sent->List(ann, {})->total == 0);
  CHECK(f.wakes == 0);
}

TEST_CASE("a failed write stores neither the record nor its emails") {
  Fixture f;
  const auth::Principal ann = f.Person("ann@example.org");
  const std::int64_t tmpl = f.Template("Hi", "Body");
  f.store->FailNthCall("CreateSentEmail", 1);
  auto sent = f.sent->Send(ann, {tmpl, {"a@example.net", "b@example.net"}});
  REQUIRE_FALSE(sent.ok());
  CHECK(f.wakes == 0);
  CHECK(f.sent->List(ann, {})->total == 0);
  CHECK(f.store->ListEmails({})->emails.empty());
}

TEST_CASE("records are their sender's: another person's is not found; pages and filters") {
  Fixture f;
  const auth::Principal ann = f.Person("ann@example.org");
  const auth::Principal bob = f.Person("bob@example.org");
  const std::int64_t tmpl = f.Template("Hi", "Body");
  auto first = f.sent->Send(ann, {tmpl, {"x@example.net"}});
  REQUIRE(first.ok());
  f.clock.Advance(std::chrono::seconds(10));
  REQUIRE(f.sent->Send(ann, {tmpl, {"y@example.net"}}).ok());
  CHECK(f.sent->Get(ann, first->id).ok());
  CHECK(f.sent->Get(bob, first->id).error().code == ErrorCode::kNotFound);
  CHECK(f.sent->List(bob, {})->total == 0);
  service::SentEmailFilter filter;
  filter.recipients = {"Y@example.net"};
  CHECK(f.sent->List(ann, filter)->total == 1);
  filter = {};
  filter.since = kStart + 5'000;
  CHECK(f.sent->List(ann, filter)->total == 1);
  filter = {};
  filter.page_size = 1;
  filter.page = 2;
  auto page = f.sent->List(ann, filter);
  REQUIRE(page.ok());
  CHECK(page->total == 2);
  REQUIRE(page->records.size() == 1);
  CHECK(page->records[0].recipients == std::vector<std::string>{"y@example.net"});
  filter.page = 0;
  CHECK(f.sent->List(ann, filter).error().field == "page");
}
