// The access area (store/access_store.h: keys, settings, one-time codes) of the store contract,
// and Ping.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "core/random.h"
#include "store_contract.h"

namespace store_contract {

void RunAdminContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("API keys: create, find by hash, count by role") {
    store::ApiKey admin{"k1", "bootstrap", "hash-1", "admin", kT0, std::nullopt};
    store::ApiKey app{"k2", "app", "hash-2", "sender", kT0, kT0 + 86'400'000};
    CheckOk(store.CreateApiKey(admin));
    CheckOk(store.CreateApiKey(app));

    core::Result<store::ApiKey> found = store.FindApiKeyByHash("hash-2");
    REQUIRE(found.ok());
    CHECK(found->id == "k2");
    CHECK(found->name == "app");
    CHECK(found->role == "sender");
    CHECK(found->created_at == kT0);
    CHECK(found->expires_at == std::optional<TimeMs>(kT0 + 86'400'000));
    found = store.FindApiKeyByHash("hash-1");
    REQUIRE(found.ok());
    CHECK_FALSE(found->expires_at.has_value());
    CHECK(store.FindApiKeyByHash("hash-3").error().code == ErrorCode::kNotFound);

    core::Result<int> admins = store.CountApiKeys("admin");
    REQUIRE(admins.ok());
    CHECK(*admins == 1);
    core::Result<int> viewers = store.CountApiKeys("viewer");
    REQUIRE(viewers.ok());
    CHECK(*viewers == 0);
  }

  SUBCASE("API keys: listed oldest first; deleted one by id") {
    CheckOk(store.CreateApiKey({"k2", "second", "hash-2", "client", kT0 + 1, std::nullopt}));
    CheckOk(store.CreateApiKey({"k1", "first", "hash-1", "admin", kT0, kT0 + 5}));
    core::Result<std::vector<store::ApiKey>> keys = store.ListApiKeys();
    REQUIRE(keys.ok());
    REQUIRE(keys->size() == 2);
    CHECK(keys->at(0).id == "k1");
    CHECK(keys->at(0).expires_at == std::optional<TimeMs>(kT0 + 5));
    CHECK(keys->at(1).name == "second");

    core::Result<store::ApiKey> deleted = store.DeleteApiKey("k2");
    REQUIRE(deleted.ok());
    CHECK(deleted->key_hash == "hash-2");
    CHECK(store.DeleteApiKey("k2").error().code == ErrorCode::kNotFound);
    CHECK(store.FindApiKeyByHash("hash-2").error().code == ErrorCode::kNotFound);
    CHECK(store.ListApiKeys()->size() == 1);
  }

  SUBCASE("API keys: a duplicate id or hash is kAlreadyExists") {
    CheckOk(store.CreateApiKey({"k1", "one", "hash-1", "admin", kT0, std::nullopt}));
    CheckCode(store.CreateApiKey({"k1", "two", "hash-2", "admin", kT0, std::nullopt}),
              ErrorCode::kAlreadyExists);
    CheckCode(store.CreateApiKey({"k2", "two", "hash-1", "admin", kT0, std::nullopt}),
              ErrorCode::kAlreadyExists);
    core::Result<int> admins = store.CountApiKeys("admin");
    REQUIRE(admins.ok());
    CHECK(*admins == 1);
  }

  SUBCASE("stats on an empty store are zero") {
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.queued == 0);
    CHECK(stats.leased == 0);
    CHECK(stats.done == 0);
    CHECK(stats.dead == 0);
    CHECK(stats.cancelled == 0);
    CHECK(stats.scheduled == 0);
    CHECK(stats.enqueued_total == 0);
    CHECK(stats.sent_total == 0);
    CHECK(stats.failed_total == 0);
    CHECK(stats.retried_total == 0);
  }

  SUBCASE("ping answers") { CheckOk(store.Ping()); }
}

void RunGoMailContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("API keys: find by id; delete by name and role returns the deleted keys") {
    CheckOk(store.CreateApiKey({"k1", "ada@example.org", "hash-1", "client", kT0, std::nullopt}));
    CheckOk(store.CreateApiKey({"k2", "admin", "hash-2", "admin", kT0, std::nullopt}));
    core::Result<store::ApiKey> found = store.FindApiKeyById("k1");
    REQUIRE(found.ok());
    CHECK(found->name == "ada@example.org");
    CHECK(found->key_hash == "hash-1");
    CHECK(store.FindApiKeyById("k9").error().code == ErrorCode::kNotFound);

    core::Result<std::vector<store::ApiKey>> none = store.DeleteApiKeysByName("admin", "client");
    REQUIRE(none.ok());
    CHECK(none->empty());
    core::Result<std::vector<store::ApiKey>> deleted =
        store.DeleteApiKeysByName("ada@example.org", "client");
    REQUIRE(deleted.ok());
    REQUIRE(deleted->size() == 1);
    CHECK((*deleted)[0].key_hash == "hash-1");
    CHECK(store.FindApiKeyById("k1").error().code == ErrorCode::kNotFound);
    CHECK(store.FindApiKeyByHash("hash-2").ok());
  }

  SUBCASE("API keys: one client key per name, until it is deleted") {
    CheckOk(store.CreateApiKey({"k1", "ada@example.org", "hash-1", "client", kT0, std::nullopt}));
    CheckCode(store.CreateApiKey({"k2", "ada@example.org", "hash-2", "client", kT0, std::nullopt}),
              ErrorCode::kAlreadyExists);
    // Other roles may share a name.
    CheckOk(store.CreateApiKey({"k3", "ada@example.org", "hash-3", "admin", kT0, std::nullopt}));
    REQUIRE(store.DeleteApiKeysByName("ada@example.org", "client").ok());
    CheckOk(store.CreateApiKey({"k2", "ada@example.org", "hash-2", "client", kT0, std::nullopt}));
  }

  SUBCASE("settings: the first value sticks") {
    core::Result<std::string> first = store.GetOrCreateSetting("jwt_secret", "one");
    REQUIRE(first.ok());
    CHECK(*first == "one");
    core::Result<std::string> second = store.GetOrCreateSetting("jwt_secret", "two");
    REQUIRE(second.ok());
    CHECK(*second == "one");
  }

  SUBCASE("settings: concurrent creators agree") {
    std::vector<std::string> values(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < values.size(); ++i) {
      threads.emplace_back([&, i] {
        core::Result<std::string> value = store.GetOrCreateSetting("k", std::to_string(i));
        if (value.ok()) values[i] = *value;
      });
    }
    for (auto& thread : threads) thread.join();
    for (const auto& value : values) CHECK(value == values[0]);
    CHECK_FALSE(values[0].empty());
  }

  const auto record = [](TimeMs at, const std::string& hash) {
    store::OtpRecord otp;
    otp.owner = "key_app";
    otp.recipient = "ada@example.org";
    otp.code_hash = hash;
    otp.expires_at = at + 600'000;
    otp.created_at = at;
    otp.last_sent_at = at;
    return otp;
  };

  SUBCASE("codes: a resend within the interval is kResourceExhausted; later it replaces") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    CheckCode(store.PutOtp(record(kT0 + 29'999, "h2"), 30'000), ErrorCode::kResourceExhausted);
    CheckOk(store.PutOtp(record(kT0 + 30'000, "h3"), 30'000));
    std::string seen;
    CheckOk(store.VerifyOtp("key_app", "ada@example.org", [&](const store::OtpRecord* otp) {
      seen = otp == nullptr ? "none" : otp->code_hash;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen == "h3");
  }

  SUBCASE("codes: an unknown recipient is decided with no record") {
    bool called_with_null = false;
    CheckOk(store.VerifyOtp("key_app", "bob@example.org", [&](const store::OtpRecord* otp) {
      called_with_null = otp == nullptr;
      return store::OtpWrite::kCountFailure;
    }));
    CHECK(called_with_null);
  }

  SUBCASE("codes: failures count and used sticks; a new code starts afresh") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    for (int i = 0; i < 3; ++i) {
      CheckOk(store.VerifyOtp("key_app", "ada@example.org", [](const store::OtpRecord*) {
        return store::OtpWrite::kCountFailure;
      }));
    }
    CheckOk(store.VerifyOtp("key_app", "ada@example.org",
                            [](const store::OtpRecord*) { return store::OtpWrite::kMarkUsed; }));
    store::OtpRecord seen;
    CheckOk(store.VerifyOtp("key_app", "ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) seen = *otp;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen.failed_attempts == 3);
    CHECK(seen.used);
    CHECK(seen.expires_at == kT0 + 600'000);
    CheckOk(store.PutOtp(record(kT0 + 60'000, "h2"), 30'000));
    CheckOk(store.VerifyOtp("key_app", "ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) seen = *otp;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen.failed_attempts == 0);
    CHECK_FALSE(seen.used);
    CHECK(seen.code_hash == "h2");
  }

  SUBCASE("codes: parallel attempts are serialized, none lost") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    std::vector<std::thread> threads;
    for (int i = 0; i < 16; ++i) {
      threads.emplace_back([&] {
        static_cast<void>(
            store.VerifyOtp("key_app", "ada@example.org", [](const store::OtpRecord* otp) {
              return otp != nullptr && otp->failed_attempts < 5 ? store::OtpWrite::kCountFailure
                                                                : store::OtpWrite::kNothing;
            }));
      });
    }
    for (auto& thread : threads) thread.join();
    int failed = -1;
    CheckOk(store.VerifyOtp("key_app", "ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) failed = otp->failed_attempts;
      return store::OtpWrite::kNothing;
    }));
    CHECK(failed == 5);
  }

  SUBCASE("codes belong to their owner: another key cannot see, lock, spend or exhaust them") {
    CheckOk(store.PutOtp(record(kT0, "h1"), 30'000));
    // Another key's attempts on the same recipient see no code, and write nothing.
    bool other_saw_code = false;
    for (int i = 0; i < 6; ++i) {
      CheckOk(store.VerifyOtp("key_other", "ada@example.org", [&](const store::OtpRecord* otp) {
        other_saw_code = other_saw_code || otp != nullptr;
        return otp == nullptr ? store::OtpWrite::kNothing : store::OtpWrite::kCountFailure;
      }));
    }
    CHECK_FALSE(other_saw_code);
    CheckOk(store.VerifyOtp("key_other", "ada@example.org",
                            [](const store::OtpRecord*) { return store::OtpWrite::kMarkUsed; }));
    // Another key's code for the recipient neither waits for nor replaces the owner's.
    store::OtpRecord other = record(kT0 + 1, "other");
    other.owner = "key_other";
    CheckOk(store.PutOtp(other, 30'000));
    store::OtpRecord seen;
    CheckOk(store.VerifyOtp("key_app", "ada@example.org", [&](const store::OtpRecord* otp) {
      if (otp != nullptr) seen = *otp;
      return store::OtpWrite::kNothing;
    }));
    CHECK(seen.owner == "key_app");
    CHECK(seen.code_hash == "h1");
    CHECK(seen.failed_attempts == 0);
    CHECK_FALSE(seen.used);
  }

  SUBCASE("settings: GetSetting reads, DeleteSetting removes (absent keys are fine)") {
    auto absent = store.GetSetting("jwt_secret");
    REQUIRE(absent.ok());
    CHECK_FALSE(absent->has_value());
    REQUIRE(store.GetOrCreateSetting("jwt_secret", "one").ok());
    auto present = store.GetSetting("jwt_secret");
    REQUIRE(present.ok());
    CHECK(*present == std::optional<std::string>("one"));
    CheckOk(store.DeleteSetting("jwt_secret"));
    CheckOk(store.DeleteSetting("jwt_secret"));
    auto gone = store.GetSetting("jwt_secret");
    REQUIRE(gone.ok());
    CHECK_FALSE(gone->has_value());
  }
}

}  // namespace store_contract
