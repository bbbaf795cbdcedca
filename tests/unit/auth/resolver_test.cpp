#include <doctest/doctest.h>

#include <chrono>

#include "auth/auth.h"
#include "auth/jwt.h"
#include "auth/key_file.h"
#include "auth/principal.h"
#include "auth/user_keys.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  testing::FakeClock clock;
  std::unique_ptr<auth::Authenticator> api_keys;
  std::unique_ptr<auth::UserKeys> user_keys;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
    api_keys = std::make_unique<auth::Authenticator>(*store, clock);
    auto secrets = auth::LoadServerSecrets(dir.File("secret.key"), *store);
    REQUIRE(secrets.ok());
    user_keys = auth::UserKeys::Create(*api_keys, clock, secrets->jwt, secrets->legacy_jwt);
  }

  // Stores a key with `secret`, as the services do.
  void AddKey(const std::string& id, const std::string& secret, const std::string& role,
              std::optional<core::TimeMs> expires_at = std::nullopt) {
    REQUIRE(
        store->CreateApiKey({id, id, auth::HashKey(secret), role, clock.NowMs(), expires_at}).ok());
  }
  // A GoMail user key for `user`, stored.
  std::string AddUserKey(const std::string& id, const std::string& user) {
    std::string token = user_keys->Sign(user, id, clock.NowMs());
    REQUIRE(
        store->CreateApiKey({id, user, auth::HashKey(token), "client", clock.NowMs(), {}}).ok());
    return token;
  }
  // The GoMail routes' order: user keys, then API keys.
  core::Result<auth::Principal> GoMail(const std::string& authorization) const {
    const auth::Resolver* const resolvers[] = {user_keys.get(), api_keys.get()};
    return auth::ResolvePrincipal(resolvers, {authorization});
  }
  core::Result<auth::Principal> Native(const std::string& authorization) const {
    const auth::Resolver* const resolvers[] = {api_keys.get()};
    return auth::ResolvePrincipal(resolvers, {authorization});
  }
};

ErrorCode CodeOf(const core::Result<auth::Principal>& result) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().field == "Authorization");
  return result.error().code;
}

}  // namespace

TEST_CASE("api keys: a stored key resolves to its principal with a typed role") {
  Fixture f;
  f.AddKey("key_admin", "obx_admin", "admin");
  f.AddKey("key_sender", "obx_sender", "sender");
  auto admin = f.Native("Bearer obx_admin");
  REQUIRE(admin.ok());
  CHECK(admin->key_id == "key_admin");
  CHECK(admin->role == auth::Role::kAdmin);
  auto sender = f.Native("obx_sender");
  REQUIRE(sender.ok());
  CHECK(sender->role == auth::Role::kSender);
}

TEST_CASE("api keys: missing, unknown, expired and unknown-role keys are unauthenticated") {
  Fixture f;
  f.AddKey("key_old", "obx_old", "sender", f.clock.NowMs() + 1'000);
  f.AddKey("key_odd", "obx_odd", "superuser");
  auto missing = f.Native("");
  CHECK(CodeOf(missing) == ErrorCode::kUnauthenticated);
  CHECK(missing.error().message == "missing API key");
  CHECK(CodeOf(f.Native("Bearer ")) == ErrorCode::kUnauthenticated);
  CHECK(CodeOf(f.Native("Bearer obx_nope")) == ErrorCode::kUnauthenticated);
  CHECK(CodeOf(f.Native("obx_odd")) == ErrorCode::kUnauthenticated);
  REQUIRE(f.Native("obx_old").ok());
  f.clock.Advance(std::chrono::milliseconds(1'000));
  CHECK(CodeOf(f.Native("obx_old")) == ErrorCode::kUnauthenticated);
}

TEST_CASE("api keys: the resolver leaves an empty header to the next one") {
  Fixture f;
  auto none = f.api_keys->Resolve({""});
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto bare_bearer = f.api_keys->Resolve({"Bearer  "});
  REQUIRE(bare_bearer.ok());
  CHECK_FALSE(bare_bearer->has_value());
}

TEST_CASE("user keys: a signed, stored token resolves to its client key") {
  Fixture f;
  const std::string token = f.AddUserKey("key_ada", "ada@example.org");
  for (const std::string& header : {token, "Bearer " + token}) {
    auto principal = f.GoMail(header);
    REQUIRE(principal.ok());
    CHECK(principal->key_id == "key_ada");
    CHECK(principal->role == auth::Role::kClient);
  }
  // On the native routes the same token is only an API key (whose role decides).
  auto native = f.Native(token);
  REQUIRE(native.ok());
  CHECK(native->role == auth::Role::kClient);
}

TEST_CASE("user keys: tokens that do not verify, or name another key, are refused") {
  Fixture f;
  const std::string token = f.AddUserKey("key_ada", "ada@example.org");
  std::string tampered = token;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK(CodeOf(f.GoMail(tampered)) == ErrorCode::kUnauthenticated);
  // Signed by another server's secret.
  const std::string foreign = auth::SignHs256(
      {{"sub", "ada@example.org"}, {"jti", "key_ada"}, {"iat", 1}}, std::string(64, 'x'));
  CHECK(CodeOf(f.GoMail(foreign)) == ErrorCode::kUnauthenticated);
  // Verifies, but is not a stored key.
  CHECK(CodeOf(f.GoMail(f.user_keys->Sign("bob@example.org", "key_bob", 0))) ==
        ErrorCode::kUnauthenticated);
  // Verifies and is stored, but its "jti" names another key.
  const std::string wrong_jti = f.user_keys->Sign("eve@example.org", "key_ada", 0);
  REQUIRE(f.store
              ->CreateApiKey({"key_eve",
                              "eve@example.org",
                              auth::HashKey(wrong_jti),
                              "client",
                              f.clock.NowMs(),
                              {}})
              .ok());
  CHECK(CodeOf(f.GoMail(wrong_jti)) == ErrorCode::kUnauthenticated);
}

TEST_CASE("user keys: anything not shaped like a JWT goes on to the API keys") {
  Fixture f;
  f.AddKey("key_admin", "obx_admin", "admin");
  auto skipped = f.user_keys->Resolve({"Bearer obx_admin"});
  REQUIRE(skipped.ok());
  CHECK_FALSE(skipped->has_value());
  auto admin = f.GoMail("Bearer obx_admin");
  REQUIRE(admin.ok());
  CHECK(admin->role == auth::Role::kAdmin);
  CHECK(f.GoMail("").error().message == "missing API key");
}

TEST_CASE("user keys: the signing secret survives a restart") {
  Fixture f;
  const std::string token = f.AddUserKey("key_ada", "ada@example.org");
  auto secrets = auth::LoadServerSecrets(f.dir.File("secret.key"), *f.store);
  REQUIRE(secrets.ok());
  auto again = auth::UserKeys::Create(*f.api_keys, f.clock, secrets->jwt, secrets->legacy_jwt);
  const auth::Resolver* const resolvers[] = {again.get(), f.api_keys.get()};
  CHECK(auth::ResolvePrincipal(resolvers, {token}).ok());
}

TEST_CASE("no resolver knows the credential: kUnauthenticated in the door's words") {
  struct Nobody final : auth::Resolver {
    core::Result<std::optional<auth::Principal>> Resolve(const auth::Credentials&) const override {
      return std::optional<auth::Principal>();
    }
  };
  const Nobody nobody;
  const auth::Resolver* const resolvers[] = {&nobody};
  auto plain = auth::ResolvePrincipal(resolvers, {"Bearer x"});
  CHECK(CodeOf(plain) == ErrorCode::kUnauthenticated);
  CHECK(plain.error().message == "missing API key");
  auto worded = auth::ResolvePrincipal(resolvers, {"", "cookie"}, "send the login's token");
  CHECK(CodeOf(worded) == ErrorCode::kUnauthenticated);
  CHECK(worded.error().message == "send the login's token");
}
