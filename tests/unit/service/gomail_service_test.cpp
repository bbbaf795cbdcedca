#include "service/gomail_service.h"

#include <doctest/doctest.h>

#include <filesystem>

#include "auth/auth.h"
#include "auth/key_file.h"
#include "core/random.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;
using nlohmann::json;

json Task(const std::string& type, json payload, json retries = 0) {
  if (!payload.contains("userId")) payload["userId"] = "ada@example.org";
  return {{"task", "t"}, {"type", type}, {"retries", retries}, {"payload", payload}};
}

// The error field of ParseGoMailTask(body), or "" if it parsed.
std::string FieldAtFault(const json& body) {
  auto parsed = service::ParseGoMailTask(body);
  if (parsed.ok()) return "";
  CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
  CHECK_FALSE(parsed.error().message.empty());
  return parsed.error().field;
}

}  // namespace

TEST_CASE("gomail tasks: the seed's general example parses as generateOtp") {
  auto body = service::ParseGoMailJson(R"({
    "task": "User Login Verification",
    "type": "generateOtp",
    "retries": 3,
    "payload": {
       "userId":"example@gmail.com",
       "content_type": "weekly_newsletter",
        "length": 6,
        "frequency": "@weekly",
        "subject": "Your Weekly Engineering Update",
        "content": "<h1>Hello!</h1><p>Here is your weekly digest of backend updates.</p>",
    }
})");
  REQUIRE(body.ok());
  auto task = service::ParseGoMailTask(*body);
  REQUIRE(task.ok());
  CHECK(task->type == service::TaskType::kGenerateOtp);
  CHECK(task->retries == 3);
  CHECK(task->length == 6);
  CHECK(task->user_id == "example@gmail.com");
}

TEST_CASE("gomail tasks: each rule names its field") {
  CHECK(FieldAtFault(Task("message", {{"subject", "s"}, {"content", "c"}})).empty());
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 4}})).empty());
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 8}}, 49)).empty());
  CHECK(FieldAtFault(Task("subscribe", {{"frequency", "@daily"}, {"content_type", "x"}})).empty());
  CHECK(FieldAtFault(Task("unsubscribe", {{"content_type", "x"}})).empty());

  CHECK(FieldAtFault(json::array()) == "body");
  json no_task = Task("message", {{"subject", "s"}, {"content", "c"}});
  no_task.erase("task");
  CHECK(FieldAtFault(no_task) == "task");
  CHECK(FieldAtFault(Task("sms", json::object())) == "type");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}}, -1)) == "retries");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}}, 50)) == "retries");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}}, 1.5)) == "retries");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}}, "1")) == "retries");
  json no_payload = {{"task", "t"}, {"type", "message"}, {"retries", 0}};
  CHECK(FieldAtFault(no_payload) == "payload");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}, {"userId", "nope"}})) == "userId");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}, {"userId", "A <a@b.c>"}})) == "userId");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 6}, {"userId", 7}})) == "userId");
  CHECK(FieldAtFault(Task("generateOtp", json::object())) == "length");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 3}})) == "length");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", 9}})) == "length");
  CHECK(FieldAtFault(Task("generateOtp", {{"length", "6"}})) == "length");
  CHECK(FieldAtFault(Task("message", {{"content", "c"}})) == "subject");
  CHECK(FieldAtFault(Task("message", {{"subject", "s"}})) == "content");
  CHECK(FieldAtFault(Task("message", {{"subject", "s"}, {"content", ""}})) == "content");
  CHECK(FieldAtFault(Task("subscribe", {{"content_type", "x"}})) == "frequency");
  CHECK(FieldAtFault(Task("subscribe", {{"frequency", "@yearly"}, {"content_type", "x"}})) ==
        "frequency");
  CHECK(FieldAtFault(Task("subscribe", {{"frequency", "@daily"}})) == "content_type");
  CHECK(FieldAtFault(Task("unsubscribe", json::object())) == "content_type");
  CHECK(FieldAtFault(Task("unsubscribe", {{"content_type", "a b"}})) == "content_type");
  CHECK(FieldAtFault(Task("unsubscribe", {{"content_type", std::string(129, 'x')}})) ==
        "content_type");
  CHECK(FieldAtFault(
            Task("subscribe", {{"frequency", "@daily"}, {"content_type", "x"}, {"subject", 5}})) ==
        "subject");
  CHECK(FieldAtFault(Task("subscribe",
                          {{"frequency", "@daily"}, {"content_type", "x"}, {"content", false}})) ==
        "content");
}

TEST_CASE("gomail content types: names and bodies") {
  CHECK(service::ValidateContentTypeName("Weekly_Newsletter").ok());
  CHECK(service::ValidateContentTypeName("a.b-c_9").ok());
  CHECK(service::ValidateContentTypeName(std::string(128, 'x')).ok());
  CHECK_FALSE(service::ValidateContentTypeName("").ok());
  CHECK_FALSE(service::ValidateContentTypeName(std::string(129, 'x')).ok());
  CHECK_FALSE(service::ValidateContentTypeName("a/b").ok());
  CHECK_FALSE(service::ValidateContentTypeName("caf\xc3\xa9").ok());

  auto parsed = service::ParseContentTypeBody(
      {{"content_type", "Weekly_Newsletter"}, {"subject", "s"}, {"content", "c"}});
  REQUIRE(parsed.ok());
  CHECK(parsed->name == "Weekly_Newsletter");
  CHECK(parsed->subject == "s");
  CHECK(parsed->content == "c");
  const auto field = [](const json& body) {
    auto result = service::ParseContentTypeBody(body);
    REQUIRE_FALSE(result.ok());
    CHECK(result.error().code == ErrorCode::kInvalidArgument);
    return result.error().field;
  };
  CHECK(field({{"subject", "s"}, {"content", "c"}}) == "content_type");
  CHECK(field({{"content_type", "x"}, {"content", "c"}}) == "subject");
  CHECK(field({{"content_type", "x"}, {"subject", "s"}, {"content", ""}}) == "content");
  CHECK(field({{"content_type", 1}, {"subject", "s"}, {"content", "c"}}) == "content_type");
  CHECK(field(json::array()) == "body");
}

TEST_CASE("gomail user ids are bare addresses, lower-cased") {
  auto id = service::NormalizeUserId("Ada@Example.ORG", "id");
  REQUIRE(id.ok());
  CHECK(*id == "ada@example.org");
  CHECK_FALSE(service::NormalizeUserId(" ada@example.org", "id").ok());
  CHECK_FALSE(service::NormalizeUserId("ada", "id").ok());
  CHECK_FALSE(service::NormalizeUserId(nullptr, "id").ok());
}

TEST_CASE("trailing commas are dropped outside strings only") {
  CHECK(service::DropTrailingCommas(R"({"a": [1, 2,], "b": "x,}",})") ==
        R"({"a": [1, 2], "b": "x,}"})");
  CHECK(service::DropTrailingCommas(R"({"a": "q\",]"  ,  })") == R"({"a": "q\",]"    })");
  CHECK(service::DropTrailingCommas("[1,2]") == "[1,2]");
  CHECK_FALSE(service::ParseGoMailJson("").ok());
  CHECK_FALSE(service::ParseGoMailJson("[1]").ok());
  CHECK_FALSE(service::ParseGoMailJson("{").ok());
}

namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  std::unique_ptr<service::TemplateService> templates;
  std::unique_ptr<service::EmailService> emails;
  std::unique_ptr<auth::Authenticator> authenticator;
  std::unique_ptr<auth::UserKeys> user_keys;
  std::unique_ptr<core::Logger> logger = core::NewNullLogger();
  std::unique_ptr<service::NewsletterService> newsletters;
  std::unique_ptr<service::OtpService> otp;
  std::unique_ptr<service::GoMailService> gomail;
  auth::Principal client;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    templates = std::make_unique<service::TemplateService>(*store, clock);
    emails =
        std::make_unique<service::EmailService>(service::ServiceOptions{"noreply@example.com", 5},
                                                *store, *store, *templates, clock, [] {});
    authenticator = std::make_unique<auth::Authenticator>(*store, clock);
    auto secrets = auth::LoadServerSecrets(dir.File("secret.key"), *store);
    REQUIRE(secrets.ok());
    user_keys = auth::UserKeys::Create(*authenticator, clock, secrets->jwt, secrets->legacy_jwt);
    service::NewsletterOptions newsletter_options;
    newsletter_options.default_from = "noreply@example.com";
    newsletter_options.public_url = "https://mail.example.com";
    auto made =
        service::NewsletterService::Create(newsletter_options, *store, clock, *logger, [] {});
    REQUIRE(made.ok());
    newsletters = std::move(*made);
    otp = std::make_unique<service::OtpService>(
        service::OtpOptions{600'000, 30'000, "noreply@example.com"}, *store, *emails, clock,
        secrets->otp);
    gomail = std::make_unique<service::GoMailService>(service::GoMailOptions{"noreply@example.com"},
                                                      *store, *store, *emails, *newsletters, *otp,
                                                      *user_keys, *authenticator, clock);
    auto key = gomail->Signup({{"id", "app@example.com"}});
    REQUIRE(key.ok());
    auto principal = Authenticate(*key);
    REQUIRE(principal.ok());
    client = *principal;
  }
  // As the GoMail routes recognise a caller: user keys, then API keys.
  core::Result<auth::Principal> Authenticate(const std::string& authorization) const {
    const auth::Resolver* const resolvers[] = {user_keys.get(), authenticator.get()};
    return auth::ResolvePrincipal(resolvers, {authorization});
  }
  // Issues a code to `to` and returns it, read from the stored message.
  std::string IssueCode(const std::string& to) {
    auto task = service::ParseGoMailTask(Task("generateOtp", {{"userId", to}, {"length", 6}}));
    REQUIRE(task.ok());
    REQUIRE(gomail->Enqueue(*task, client).ok());
    auto page = store->ListEmails({});
    REQUIRE(page.ok());
    REQUIRE_FALSE(page->emails.empty());
    auto raw = store->GetRawMessage(page->emails.front().id);
    REQUIRE(raw.ok());
    const std::string marker = "code is ";
    const auto at = raw->data.find(marker);
    REQUIRE(at != std::string::npos);
    return raw->data.substr(at + marker.size(), 6);
  }

  bool Verify(const std::string& to, const std::string& code) { return VerifyAs(client, to, code); }
  bool VerifyAs(const auth::Principal& who, const std::string& to, const std::string& code) {
    auto verified = gomail->Verify({{"userEmail", to}, {"otp", code}}, who);
    REQUIRE(verified.ok());
    return *verified;
  }
};

}  // namespace

TEST_CASE("gomail otp: verifies once, within its lifetime") {
  Fixture f;
  const std::string code = f.IssueCode("bob@example.com");
  CHECK(f.Verify("BOB@example.com", code));
  CHECK_FALSE(f.Verify("bob@example.com", code));
}

TEST_CASE("gomail otp: another key's verify cannot consume or lock the code") {
  Fixture f;
  const std::string code = f.IssueCode("bob@example.com");
  const auth::Principal other{"key_other", auth::Role::kClient};
  for (int i = 0; i < 6; ++i) CHECK_FALSE(f.VerifyAs(other, "bob@example.com", "000000"));
  CHECK_FALSE(f.VerifyAs(other, "bob@example.com", code));
  CHECK(f.Verify("bob@example.com", code));
}

TEST_CASE("gomail otp: an expired code is refused") {
  Fixture f;
  const std::string code = f.IssueCode("bob@example.com");
  f.clock.Advance(std::chrono::milliseconds(600'000));
  CHECK_FALSE(f.Verify("bob@example.com", code));
}

TEST_CASE("gomail otp: the resend interval is per recipient and measured by the clock") {
  Fixture f;
  static_cast<void>(f.IssueCode("bob@example.com"));
  auto task =
      service::ParseGoMailTask(Task("generateOtp", {{"userId", "bob@example.com"}, {"length", 6}}));
  REQUIRE(task.ok());
  auto again = f.gomail->Enqueue(*task, f.client);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kResourceExhausted);
  f.clock.Advance(std::chrono::milliseconds(30'000));
  const std::string fresh = f.IssueCode("bob@example.com");
  CHECK(f.Verify("bob@example.com", fresh));
}

TEST_CASE("gomail keys: the admin role may not enqueue or manage content types") {
  Fixture f;
  auto task = service::ParseGoMailTask(Task("message", {{"subject", "s"}, {"content", "c"}}));
  REQUIRE(task.ok());
  auth::Principal admin{"key_admin", auth::Role::kAdmin};
  CHECK(f.gomail->Enqueue(*task, admin).error().code == ErrorCode::kPermissionDenied);
  const json body = {{"content_type", "x"}, {"subject", "s"}, {"content", "c"}};
  CHECK(f.gomail->CreateContentType(body, admin).error().code == ErrorCode::kPermissionDenied);
  CHECK(f.gomail->UpdateContentType(body, admin).error().code == ErrorCode::kPermissionDenied);
}

TEST_CASE("gomail subscriptions: subscribe needs subject and content only for a new type") {
  Fixture f;
  auto bare =
      service::ParseGoMailTask(Task("subscribe", {{"frequency", "@daily"}, {"content_type", "x"}}));
  REQUIRE(bare.ok());
  auto refused = f.gomail->Enqueue(*bare, f.client);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::kInvalidArgument);
  CHECK(refused.error().message.find("subject and content") != std::string::npos);
  auto no_content = service::ParseGoMailTask(
      Task("subscribe", {{"frequency", "@daily"}, {"content_type", "x"}, {"subject", "s"}}));
  REQUIRE(no_content.ok());
  CHECK(f.gomail->Enqueue(*no_content, f.client).error().field == "content");

  auto full = service::ParseGoMailTask(
      Task("subscribe",
           {{"frequency", "@daily"}, {"content_type", "x"}, {"subject", "s"}, {"content", "c"}}));
  REQUIRE(full.ok());
  REQUIRE(f.gomail->Enqueue(*full, f.client).ok());
  REQUIRE(f.gomail->Enqueue(*bare, f.client).ok());  // the type exists now
  CHECK(*f.store->CountSubscribers("x") == 1);

  auto unsubscribe = service::ParseGoMailTask(Task("unsubscribe", {{"content_type", "x"}}));
  REQUIRE(unsubscribe.ok());
  REQUIRE(f.gomail->Enqueue(*unsubscribe, f.client).ok());
  CHECK(*f.store->CountSubscribers("x") == 0);
  CHECK(f.gomail->Enqueue(*unsubscribe, f.client).ok());  // not subscribed: still a success
}

TEST_CASE("gomail content types: create once, update only what exists") {
  Fixture f;
  const json body = {{"content_type", "Weekly"}, {"subject", "s"}, {"content", "c"}};
  REQUIRE(f.gomail->CreateContentType(body, f.client).ok());
  CHECK(f.gomail->CreateContentType(body, f.client).error().code == ErrorCode::kAlreadyExists);
  REQUIRE(f.gomail
              ->UpdateContentType(
                  {{"content_type", "Weekly"}, {"subject", "s2"}, {"content", "c2"}}, f.client)
              .ok());
  CHECK(f.store->GetContentType("Weekly")->subject == "s2");
  CHECK(f.gomail
            ->UpdateContentType({{"content_type", "Monthly"}, {"subject", "s"}, {"content", "c"}},
                                f.client)
            .error()
            .code == ErrorCode::kNotFound);
}

TEST_CASE("gomail keys: a second signup is kAlreadyExists; deregistering revokes at once") {
  Fixture f;
  auto again = f.gomail->Signup({{"id", "App@Example.com"}});
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().code == ErrorCode::kAlreadyExists);
  auto key = f.gomail->Signup({{"id", "carol@example.com"}});
  REQUIRE(key.ok());
  auto carol = f.Authenticate("Bearer " + *key);
  REQUIRE(carol.ok());
  CHECK(carol->role == auth::Role::kClient);
  CHECK(f.gomail->Deregister({{"id", "app@example.com"}}, *carol).error().code ==
        ErrorCode::kPermissionDenied);
  REQUIRE(f.gomail->Deregister({{"id", "carol@example.com"}}, *carol).ok());
  CHECK(f.Authenticate(*key).error().code == ErrorCode::kUnauthenticated);
}
