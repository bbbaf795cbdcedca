// The dashboard's cookie sessions: idle expiry moved forward by use, the absolute limit, the CSRF
// token, and that an Authorization header or another kind of session is never read as one.
#include <doctest/doctest.h>

#include "auth/auth.h"
#include "auth/sessions.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

constexpr core::TimeMs kMinute = 60'000;

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  std::unique_ptr<auth::SessionTokens> tokens;
  std::unique_ptr<auth::CookieSessions> cookies;
  std::int64_t user_id = 0;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    tokens = std::make_unique<auth::SessionTokens>(*store, *store, clock, "secret");
    cookies = std::make_unique<auth::CookieSessions>(
        *store, *store, clock, *tokens,
        auth::CookieSessionLimits{.idle_ms = 30 * kMinute, .absolute_ms = 120 * kMinute});
    store::User user;
    user.email = "ann@example.com";
    user.role = "manager";
    user.created_at = clock.NowMs();
    auto created = store->CreateUser(user);
    REQUIRE(created.ok());
    user_id = created->id;
  }

  // A cookie session as AccountService opens one; returns its token.
  std::string Open(const std::string& id, const std::string& kind = "cookie") {
    store::Session session;
    session.id = id;
    session.user_id = user_id;
    session.kind = kind;
    session.token_hash = auth::HashKey("token-" + id);
    session.created_at = session.last_used_at = clock.NowMs();
    session.expires_at = clock.NowMs() + 30 * kMinute;
    REQUIRE(store->CreateSession(session, "").ok());
    return "token-" + id;
  }

  core::Result<std::optional<auth::Principal>> Resolve(const std::string& cookie,
                                                       const std::string& authorization = "") {
    return cookies->Resolve({authorization, {}, cookie});
  }
};

}  // namespace

TEST_CASE("a live cookie session resolves to its person, with the session's CSRF token") {
  Fixture f;
  const std::string token = f.Open("s1");
  auto principal = f.Resolve(token);
  REQUIRE(principal.ok());
  REQUIRE(principal->has_value());
  CHECK((*principal)->user_id == f.user_id);
  CHECK((*principal)->role == auth::Role::kManager);
  CHECK((*principal)->session_id == "s1");
  CHECK((*principal)->csrf_token == f.tokens->CsrfToken("s1"));
  CHECK((*principal)->csrf_token.size() == 64);
  CHECK(f.tokens->CsrfToken("s1") != f.tokens->CsrfToken("s2"));
}

TEST_CASE("use moves the idle expiry forward, up to the absolute limit") {
  Fixture f;
  const std::string token = f.Open("s1");
  // Used every 20 minutes: alive well past the first 30, until the 120-minute limit.
  for (int minute = 20; minute < 120; minute += 20) {
    f.clock.Advance(std::chrono::minutes(20));
    CAPTURE(minute);
    auto principal = f.Resolve(token);
    REQUIRE(principal.ok());
    CHECK(principal->has_value());
  }
  f.clock.Advance(std::chrono::minutes(20));  // minute 120: past the absolute limit
  CHECK(f.Resolve(token).error().code == core::ErrorCode::kUnauthenticated);
}

TEST_CASE("an idle cookie session ends") {
  Fixture f;
  const std::string token = f.Open("s1");
  f.clock.Advance(std::chrono::minutes(29));
  REQUIRE(f.Resolve(token).ok());  // extends to minute 59
  f.clock.Advance(std::chrono::minutes(29));
  REQUIRE(f.Resolve(token).ok());  // minute 58: still alive, extends to 88
  f.clock.Advance(std::chrono::minutes(30));
  CHECK(f.Resolve(token).error().code == core::ErrorCode::kUnauthenticated);  // minute 88
}

TEST_CASE("only a cookie is read, only without an Authorization header, only kind cookie") {
  Fixture f;
  const std::string token = f.Open("s1");
  const std::string drf = f.Open("t1", "token");
  // An Authorization header leaves the request to the other resolvers.
  auto with_header = f.Resolve(token, "Bearer something");
  REQUIRE(with_header.ok());
  CHECK_FALSE(with_header->has_value());
  auto none = f.Resolve("");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  // Seed 001's token in the cookie, an unknown or overlong value: refused.
  CHECK(f.Resolve(drf).error().code == core::ErrorCode::kUnauthenticated);
  CHECK(f.Resolve("nope").error().code == core::ErrorCode::kUnauthenticated);
  CHECK(f.Resolve(std::string(300, 'a')).error().code == core::ErrorCode::kUnauthenticated);
  // A revoked session: refused.
  REQUIRE(f.store->RevokeSession("s1", f.clock.NowMs(), "logout").ok());
  CHECK(f.Resolve(token).error().code == core::ErrorCode::kUnauthenticated);
}
