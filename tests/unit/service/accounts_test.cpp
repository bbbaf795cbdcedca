#include "service/accounts.h"

#include <doctest/doctest.h>

#include <cctype>
#include <chrono>

#include "auth/sessions.h"
#include "service/templates.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/fault_store.h"
#include "testing/temp_dir.h"

namespace {

using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr char kPassword[] = "correct horse battery";

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  std::unique_ptr<service::TemplateService> templates;
  std::unique_ptr<service::EmailService> emails;
  std::unique_ptr<auth::SessionTokens> tokens;
  std::unique_ptr<service::AccountService> accounts;
  const service::Client client{"192.0.2.7", "doctest"};

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    templates = std::make_unique<service::TemplateService>(*store, clock);
    emails =
        std::make_unique<service::EmailService>(service::ServiceOptions{"outbox@example.test", 5},
                                                *store, *store, *templates, clock, [] {});
    tokens = std::make_unique<auth::SessionTokens>(*store, *store, clock, std::string(32, 's'));
    service::AccountOptions options;
    options.password = {1, 64, 1};  // cheap hashes for tests
    accounts = std::make_unique<service::AccountService>(*store, *store, *store, *store, *emails,
                                                         *tokens, clock, nullptr, options);
    accounts->SetPublicUrl("https://mail.example.test");
  }

  store::User Add(const std::string& email, auth::Role role, bool confirmed = true) {
    service::NewUser user;
    user.email = email;
    user.password = kPassword;
    user.role = role;
    user.confirmed = confirmed;
    auto created = accounts->CreateUser(user, "cli", client);
    REQUIRE(created.ok());
    return created->user;
  }

  core::Result<service::SignedIn> LoginAs(const std::string& email,
                                          const std::string& password = kPassword) {
    return accounts->Login(email, password, service::SessionKind::kRefreshable, client);
  }

  core::Result<auth::Principal> Resolve(const std::string& access_token) {
    const std::string header = "Bearer " + access_token;
    auto resolved = tokens->Resolve({header});
    if (!resolved.ok()) return resolved.error();
    REQUIRE(resolved->has_value());
    return **resolved;
  }
};

// The token of the confirmation link in a stored message (its body is quoted-printable).
std::string LinkToken(const std::string& raw) {
  std::string text;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '=' && raw.compare(i + 1, 2, "\r\n") == 0) {
      i += 2;
    } else if (raw[i] == '=' && i + 2 < raw.size() &&
               std::isxdigit(static_cast<unsigned char>(raw[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(raw[i + 2]))) {
      text += static_cast<char>(std::stoi(raw.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      text += raw[i];
    }
  }
  const std::string marker = "https://mail.example.test/api/v1/confirm?token=";
  const std::size_t at = text.find(marker);
  REQUIRE(at != std::string::npos);
  return text.substr(at + marker.size(), 43);
}

}  // namespace

TEST_CASE("throttle: free failures, then doubling waits, then a lock; the window forgets") {
  const service::LoginLimits limits;
  const core::TimeMs now = 1'000'000;
  store::LoginThrottle state;
  for (int i = 1; i <= 3; ++i) {
    state = service::AfterFailure(state, 3, 10, limits, now);
    CHECK(state.failures == i);
    CHECK(state.locked_until == 0);
  }
  state = service::AfterFailure(state, 3, 10, limits, now);
  CHECK(state.locked_until == now + 1000);
  state = service::AfterFailure(state, 3, 10, limits, now);
  CHECK(state.locked_until == now + 2000);
  for (int i = 6; i < 10; ++i) state = service::AfterFailure(state, 3, 10, limits, now);
  CHECK(state.locked_until == now + 32'000);
  state = service::AfterFailure(state, 3, 10, limits, now);
  CHECK(state.failures == 10);
  CHECK(state.locked_until == now + limits.lock_ms);
  // A failure after the window restarts the count.
  state = service::AfterFailure(state, 3, 10, limits, now + limits.window_ms);
  CHECK(state.failures == 1);
  CHECK(state.window_started_at == now + limits.window_ms);
}

TEST_CASE("login: tokens that resolve to the person; wrong and unknown answer alike") {
  Fixture f;
  const store::User user = f.Add("Ann@Example.test", auth::Role::kManager);
  auto signed_in = f.LoginAs("ann@example.test");
  REQUIRE(signed_in.ok());
  CHECK(signed_in->expires_in_ms == 15 * 60'000);
  CHECK(signed_in->refresh_token.rfind("ort_", 0) == 0);
  auto principal = f.Resolve(signed_in->access_token);
  REQUIRE(principal.ok());
  CHECK(principal->user_id == user.id);
  CHECK(principal->role == auth::Role::kManager);
  CHECK(principal->key_id == "user:" + std::to_string(user.id));
  CHECK(principal->session_id == signed_in->session.id);

  auto wrong = f.LoginAs("ann@example.test", "wrong password");
  auto unknown = f.LoginAs("bob@example.test", "wrong password");
  REQUIRE_FALSE(wrong.ok());
  REQUIRE_FALSE(unknown.ok());
  CHECK(wrong.error().code == core::ErrorCode::kUnauthenticated);
  CHECK(wrong.error().message == unknown.error().message);
  CHECK(wrong.error().field == unknown.error().field);
}

TEST_CASE("login: an account locks after ten failures and a lock outlasts the right password") {
  Fixture f;
  f.Add("ann@example.test", auth::Role::kCustomer);
  int refused_by_lock = 0;
  for (int i = 0; i < 10; ++i) {
    auto attempt = f.LoginAs("ann@example.test", "wrong password");
    REQUIRE_FALSE(attempt.ok());
    if (attempt.error().code == core::ErrorCode::kResourceExhausted) ++refused_by_lock;
    // Let each wait pass, so every attempt is a counted failure.
    f.clock.Advance(seconds(40));
  }
  CHECK(refused_by_lock == 0);
  auto locked = f.LoginAs("ann@example.test");
  REQUIRE_FALSE(locked.ok());
  CHECK(locked.error().code == core::ErrorCode::kResourceExhausted);
  CHECK(locked.error().retry_after_seconds > 800);
  f.clock.Advance(minutes(15));
  CHECK(f.LoginAs("ann@example.test").ok());
}

TEST_CASE("login: one client address guessing many accounts is throttled too") {
  Fixture f;
  f.Add("ann@example.test", auth::Role::kCustomer);
  for (int i = 0; i < 11; ++i) {
    (void)f.LoginAs("user" + std::to_string(i) + "@example.test", "wrong password");
  }
  auto refused = f.LoginAs("ann@example.test");
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == core::ErrorCode::kResourceExhausted);
  // Another address is not held back.
  auto other = f.accounts->Login("ann@example.test", kPassword, service::SessionKind::kRefreshable,
                                 {"198.51.100.1", ""});
  CHECK(other.ok());
}

TEST_CASE("login: disabled users are refused like a wrong password; unconfirmed ones by name") {
  Fixture f;
  const store::User user = f.Add("ann@example.test", auth::Role::kCustomer);
  f.Add("second-admin@example.test", auth::Role::kAdmin);
  REQUIRE(f.accounts->SetDisabled(user.id, true, "cli", f.client).ok());
  auto disabled = f.LoginAs("ann@example.test");
  REQUIRE_FALSE(disabled.ok());
  CHECK(disabled.error().code == core::ErrorCode::kUnauthenticated);
  f.Add("new@example.test", auth::Role::kCustomer, /*confirmed=*/false);
  auto unconfirmed = f.LoginAs("new@example.test");
  REQUIRE_FALSE(unconfirmed.ok());
  CHECK(unconfirmed.error().code == core::ErrorCode::kPermissionDenied);
  CHECK(unconfirmed.error().field == "email");
}

TEST_CASE("refresh: rotation, reuse ends the session, expiry and logout") {
  Fixture f;
  f.Add("ann@example.test", auth::Role::kViewer);
  auto first = f.LoginAs("ann@example.test");
  REQUIRE(first.ok());
  f.clock.Advance(minutes(20));  // the access token has expired
  CHECK(f.Resolve(first->access_token).error().code == core::ErrorCode::kUnauthenticated);
  auto second = f.accounts->Refresh(first->refresh_token, f.client);
  REQUIRE(second.ok());
  CHECK(second->session.id == first->session.id);
  CHECK(f.Resolve(second->access_token).ok());
  // The first refresh token again: the session ends, with every token of it.
  auto reused = f.accounts->Refresh(first->refresh_token, f.client);
  REQUIRE_FALSE(reused.ok());
  CHECK(reused.error().field == "refresh_token");
  CHECK_FALSE(f.Resolve(second->access_token).ok());
  CHECK_FALSE(f.accounts->Refresh(second->refresh_token, f.client).ok());

  // A session ends after the refresh token's life without a new login.
  auto third = f.LoginAs("ann@example.test");
  REQUIRE(third.ok());
  f.clock.Advance(std::chrono::hours(24 * 30));
  CHECK_FALSE(f.accounts->Refresh(third->refresh_token, f.client).ok());

  auto fourth = f.LoginAs("ann@example.test");
  REQUIRE(fourth.ok());
  auto principal = f.Resolve(fourth->access_token);
  REQUIRE(principal.ok());
  REQUIRE(f.accounts->Logout(*principal, f.client).ok());
  CHECK_FALSE(f.Resolve(fourth->access_token).ok());
  CHECK_FALSE(f.accounts->Refresh(fourth->refresh_token, f.client).ok());
}

TEST_CASE("tokens: another server's secret, a wrong type or a forged subject are refused") {
  Fixture f;
  const store::User ann = f.Add("ann@example.test", auth::Role::kViewer);
  auto signed_in = f.LoginAs("ann@example.test");
  REQUIRE(signed_in.ok());
  const auth::SessionTokens other(*f.store, *f.store, f.clock, std::string(32, 'o'));
  const std::string foreign = other.Issue(signed_in->session, f.clock.NowMs(), 60'000);
  CHECK(f.Resolve(foreign).error().code == core::ErrorCode::kUnauthenticated);
  store::Session forged = signed_in->session;
  forged.user_id = ann.id + 1;
  CHECK_FALSE(f.Resolve(f.tokens->Issue(forged, f.clock.NowMs(), 60'000)).ok());
  // Not an access token at all: left to the next resolver.
  auto api_key = f.tokens->Resolve({"Bearer obx_not_a_jwt"});
  REQUIRE(api_key.ok());
  CHECK_FALSE(api_key->has_value());
}

TEST_CASE("register: an unconfirmed customer, a mailed link that confirms once") {
  Fixture f;
  service::NewUser request;
  request.email = "new@example.test";
  request.password = kPassword;
  request.role = auth::Role::kAdmin;  // ignored: registration makes customers
  auto user = f.accounts->Register(request, f.client);
  REQUIRE(user.ok());
  CHECK(user->role == "customer");
  CHECK_FALSE(user->confirmed_at.has_value());
  auto page = f.emails->List({});
  REQUIRE(page.ok());
  REQUIRE(page->emails.size() == 1);
  auto raw = f.emails->Raw(page->emails[0].id);
  REQUIRE(raw.ok());
  const std::string token = LinkToken(*raw);

  CHECK(*f.accounts->InspectLink(token) == service::LinkState::kValid);
  CHECK(*f.accounts->InspectLink("nonsense") == service::LinkState::kUnknown);
  CHECK_FALSE(f.store->GetUser(user->id)->confirmed_at.has_value());  // looking confirms nothing
  REQUIRE(f.accounts->ConfirmLink(token, f.client).ok());
  CHECK(f.store->GetUser(user->id)->confirmed_at.has_value());
  CHECK(*f.accounts->InspectLink(token) == service::LinkState::kUsed);
  CHECK(f.accounts->ConfirmLink(token, f.client).error().code ==
        core::ErrorCode::kFailedPrecondition);
  CHECK(f.LoginAs("new@example.test").ok());

  // Taken address.
  CHECK(f.accounts->Register(request, f.client).error().code == core::ErrorCode::kAlreadyExists);
}

TEST_CASE("register: links expire; a resend is rate limited and silent for strangers") {
  Fixture f;
  service::NewUser request;
  request.email = "new@example.test";
  request.password = kPassword;
  REQUIRE(f.accounts->Register(request, f.client).ok());
  auto resend = f.accounts->ResendConfirmation("new@example.test", f.client);
  REQUIRE_FALSE(resend.ok());
  CHECK(resend.error().code == core::ErrorCode::kResourceExhausted);
  CHECK(resend.error().retry_after_seconds == 60);
  f.clock.Advance(seconds(61));
  CHECK(f.accounts->ResendConfirmation("new@example.test", f.client).ok());
  CHECK(f.accounts->ResendConfirmation("stranger@example.test", f.client).ok());
  auto page = f.emails->List({});
  REQUIRE(page.ok());
  CHECK(page->emails.size() == 2);
  auto raw = f.emails->Raw(page->emails[0].id);
  REQUIRE(raw.ok());
  const std::string token = LinkToken(*raw);
  f.clock.Advance(std::chrono::hours(24));
  CHECK(*f.accounts->InspectLink(token) == service::LinkState::kExpired);
  CHECK(f.accounts->ConfirmLink(token, f.client).error().code ==
        core::ErrorCode::kDeadlineExceeded);
}

TEST_CASE("users: the first admin, roles, the last admin, password resets end sessions") {
  Fixture f;
  auto password = f.accounts->EnsureAdminUser("admin@localhost", "");
  REQUIRE(password.ok());
  REQUIRE(password->has_value());
  CHECK(f.LoginAs("admin@localhost", **password).ok());
  auto again = f.accounts->EnsureAdminUser("admin@localhost", "");
  REQUIRE(again.ok());
  CHECK_FALSE(again->has_value());

  const store::User admin = *f.store->FindUserByEmail("admin@localhost");
  CHECK(f.accounts->SetRole(admin.id, auth::Role::kViewer, "cli", f.client).error().code ==
        core::ErrorCode::kFailedPrecondition);
  CHECK(f.accounts->SetRole(admin.id, auth::Role::kSender, "cli", f.client).error().field ==
        "role");

  auto session = f.LoginAs("admin@localhost", **password);
  REQUIRE(session.ok());
  auto generated = f.accounts->ResetPassword(admin.id, "", "cli", f.client);
  REQUIRE(generated.ok());
  CHECK(generated->size() == 24);
  CHECK_FALSE(f.Resolve(session->access_token).ok());
  CHECK_FALSE(f.LoginAs("admin@localhost", **password).ok());
  CHECK(f.LoginAs("admin@localhost", *generated).ok());
  CHECK(f.accounts->ResetPassword(admin.id, "short", "cli", f.client).error().field == "password");
}

TEST_CASE("register: when the link's mail cannot be queued, no account is left behind") {
  Fixture f;
  testing::FaultStore faulty(*f.store);
  service::EmailService emails(service::ServiceOptions{"outbox@example.test", 5}, faulty, faulty,
                               *f.templates, f.clock, [] {});
  service::AccountOptions options;
  options.password = {1, 64, 1};
  service::AccountService accounts(faulty, faulty, faulty, faulty, emails, *f.tokens, f.clock,
                                   nullptr, options);
  faulty.FailNthCall("CreateEmail", 1);
  service::NewUser request;
  request.email = "new@example.test";
  request.password = kPassword;
  CHECK_FALSE(accounts.Register(request, f.client).ok());
  CHECK(f.store->FindUserByEmail("new@example.test").error().code == core::ErrorCode::kNotFound);
  // The address is free to register again.
  CHECK(accounts.Register(request, f.client).ok());
}
