#include "auth/key_file.h"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "auth/auth.h"
#include "auth/jwt.h"
#include "auth/user_keys.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace {

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::string path = dir.File("secret.key");

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }
  std::optional<std::string> Setting(const std::string& key) const {
    auto value = store->GetSetting(key);
    REQUIRE(value.ok());
    return *value;
  }
  unsigned Mode() const {
    struct stat info {};
    REQUIRE(::stat(path.c_str(), &info) == 0);
    return info.st_mode & 0777U;
  }
};

}  // namespace

TEST_CASE("key file: created 0600 on first start whatever the umask, the same on the next") {
  Fixture f;
  const mode_t old_umask = ::umask(0);
  auto first = auth::LoadServerSecrets(f.path, *f.store);
  ::umask(old_umask);
  REQUIRE(first.ok());
  CHECK(f.Mode() == 0600U);
  CHECK(first->callback_generated);
  CHECK_FALSE(first->legacy_jwt.has_value());
  // One key, a different secret per use, none of them stored in the database.
  CHECK(first->jwt.size() == 64);
  CHECK(first->jwt != first->otp);
  CHECK(first->jwt != first->callback);
  CHECK_FALSE(f.Setting("jwt_secret").has_value());
  CHECK_FALSE(f.Setting("otp_secret").has_value());
  CHECK_FALSE(f.Setting("callback_secret").has_value());

  std::filesystem::permissions(f.path, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::group_read |
                                           std::filesystem::perms::others_read);
  auto second = auth::LoadServerSecrets(f.path, *f.store);
  REQUIRE(second.ok());
  CHECK(f.Mode() == 0600U);
  CHECK_FALSE(second->callback_generated);
  CHECK(second->jwt == first->jwt);
  CHECK(second->otp == first->otp);
  CHECK(second->callback == first->callback);
}

TEST_CASE("key file: an older database's secrets move into the file and out of settings") {
  Fixture f;
  REQUIRE(f.store->GetOrCreateSetting("jwt_secret", "old-jwt").ok());
  REQUIRE(f.store->GetOrCreateSetting("callback_secret", "old-salt").ok());
  REQUIRE(f.store->GetOrCreateSetting("otp_secret", "old-otp").ok());
  auto secrets = auth::LoadServerSecrets(f.path, *f.store);
  REQUIRE(secrets.ok());
  CHECK(secrets->legacy_jwt == std::optional<std::string>("old-jwt"));
  CHECK(secrets->callback == "old-salt");  // a generated SALT stays the same
  CHECK_FALSE(secrets->callback_generated);
  CHECK(secrets->otp != "old-otp");  // new code hashes are keyed from the file only
  CHECK(secrets->jwt != "old-jwt");
  CHECK_FALSE(f.Setting("jwt_secret").has_value());
  CHECK_FALSE(f.Setting("callback_secret").has_value());
  CHECK_FALSE(f.Setting("otp_secret").has_value());

  // The next start reads them from the file alone.
  auto again = auth::LoadServerSecrets(f.path, *f.store);
  REQUIRE(again.ok());
  CHECK(again->legacy_jwt == std::optional<std::string>("old-jwt"));
  CHECK(again->callback == "old-salt");
  CHECK(again->jwt == secrets->jwt);
}

TEST_CASE("key file: a damaged file is an error and is left as it is") {
  Fixture f;
  f.dir.Write("secret.key", "not json");
  auto secrets = auth::LoadServerSecrets(f.path, *f.store);
  REQUIRE_FALSE(secrets.ok());
  CHECK(secrets.error().code == core::ErrorCode::kFailedPrecondition);
  std::ifstream file(f.path);
  std::string text;
  std::getline(file, text);
  CHECK(text == "not json");
}

TEST_CASE("user keys: a key rebuilt from its stored claims and the signing secret is refused") {
  Fixture f;
  testing::FakeClock clock;
  auth::Authenticator api_keys(*f.store, clock);
  REQUIRE(f.store->GetOrCreateSetting("jwt_secret", "old-jwt").ok());
  auto secrets = auth::LoadServerSecrets(f.path, *f.store);
  REQUIRE(secrets.ok());
  auto user_keys = auth::UserKeys::Create(api_keys, clock, secrets->jwt, secrets->legacy_jwt);
  const std::string token = user_keys->Sign("ada@example.org", "key_ada", clock.NowMs());
  REQUIRE(f.store
              ->CreateApiKey(
                  {"key_ada", "ada@example.org", auth::HashKey(token), "client", clock.NowMs(), {}})
              .ok());
  // An old key (no nonce, signed with the legacy secret) whose hash is stored keeps working.
  const std::string old_token = auth::SignHs256(
      {{"sub", "bob@example.org"}, {"jti", "key_bob"}, {"iat", clock.NowMs() / 1000}}, "old-jwt");
  REQUIRE(
      f.store
          ->CreateApiKey(
              {"key_bob", "bob@example.org", auth::HashKey(old_token), "client", clock.NowMs(), {}})
          .ok());
  const auth::Resolver* const resolvers[] = {user_keys.get(), &api_keys};
  CHECK(auth::ResolvePrincipal(resolvers, {token}).ok());
  CHECK(auth::ResolvePrincipal(resolvers, {old_token}).ok());
  // Everything the database holds plus the signing secret itself does not rebuild the new key.
  for (const std::string& secret : {secrets->jwt, std::string("old-jwt")}) {
    const std::string rebuilt = auth::SignHs256(
        {{"sub", "ada@example.org"}, {"jti", "key_ada"}, {"iat", clock.NowMs() / 1000}}, secret);
    CHECK_FALSE(auth::ResolvePrincipal(resolvers, {rebuilt}).ok());
  }
  CHECK(user_keys->Sign("ada@example.org", "key_ada", clock.NowMs()) != token);
}
