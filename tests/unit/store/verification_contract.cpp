// The verification area (store/verification_store.h: single-use confirmation links) of the store
// contract.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {
namespace {

constexpr TimeMs kHour = 3'600'000;

store::Verification MakeLink(const std::string& id, const std::string& purpose,
                             const std::string& email, std::int64_t user_id = 0,
                             TimeMs created_at = kT0) {
  store::Verification link;
  link.id = id;
  link.purpose = purpose;
  link.owner = purpose == "app" ? "key_1" : "";
  link.user_id = user_id;
  link.email = email;
  link.token_hash = "hash-of-" + id;
  if (purpose == "app") {
    link.redirect_url = "https://app.example.org/welcome";
    link.callback_url = "https://app.example.org/hooks/verified";
  }
  link.created_at = created_at;
  link.expires_at = created_at + kHour;
  return link;
}

void CheckSameLink(const store::Verification& a, const store::Verification& b) {
  CHECK(a.id == b.id);
  CHECK(a.purpose == b.purpose);
  CHECK(a.owner == b.owner);
  CHECK(a.user_id == b.user_id);
  CHECK(a.email == b.email);
  CHECK(a.token_hash == b.token_hash);
  CHECK(a.redirect_url == b.redirect_url);
  CHECK(a.callback_url == b.callback_url);
  CHECK(a.created_at == b.created_at);
  CHECK(a.expires_at == b.expires_at);
  CHECK(a.confirmed_at == b.confirmed_at);
}

store::Verification GetLink(store::Store& store, const std::string& id) {
  core::Result<store::Verification> link = store.GetVerification(id);
  REQUIRE_MESSAGE(link.ok(), link.error().message);
  return std::move(link).value();
}

}  // namespace

void RunVerificationContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("create, get and find by token hash read every field back; finding confirms nothing") {
    const store::Verification app = MakeLink("ver_1", "app", "Ada@Example.org");
    CheckOk(store.CreateVerification(app));
    CheckSameLink(GetLink(store, "ver_1"), app);
    core::Result<store::Verification> found = store.FindVerificationByTokenHash("hash-of-ver_1");
    REQUIRE(found.ok());
    CheckSameLink(*found, app);
    CHECK_FALSE(GetLink(store, "ver_1").confirmed_at.has_value());

    const std::int64_t user = AddUser(store, "bob@example.org").id;
    const store::Verification signup = MakeLink("ver_2", "signup", "bob@example.org", user);
    CheckOk(store.CreateVerification(signup));
    CheckSameLink(GetLink(store, "ver_2"), signup);

    CHECK(store.GetVerification("ver_3").error().code == ErrorCode::kNotFound);
    CHECK(store.FindVerificationByTokenHash("hash-of-ver_3").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("CreateVerification refuses a taken id or hash, an unknown user, a malformed link") {
    CheckOk(store.CreateVerification(MakeLink("ver_1", "app", "a@example.org")));
    CheckCode(store.CreateVerification(MakeLink("ver_1", "app", "b@example.org")),
              ErrorCode::kAlreadyExists);
    store::Verification same_hash = MakeLink("ver_2", "app", "b@example.org");
    same_hash.token_hash = "hash-of-ver_1";
    CheckCode(store.CreateVerification(same_hash), ErrorCode::kAlreadyExists);
    CheckCode(store.CreateVerification(MakeLink("ver_3", "signup", "c@example.org", 999)),
              ErrorCode::kNotFound);
    CheckCode(store.CreateVerification(MakeLink("", "app", "d@example.org")),
              ErrorCode::kInvalidArgument);
    CheckCode(store.CreateVerification(MakeLink("ver_4", "", "d@example.org")),
              ErrorCode::kInvalidArgument);
    store::Verification no_hash = MakeLink("ver_5", "app", "d@example.org");
    no_hash.token_hash = "";
    CheckCode(store.CreateVerification(no_hash), ErrorCode::kInvalidArgument);
    CheckCode(store.CreateVerification(MakeLink("ver_6", "signup", "d@example.org")),
              ErrorCode::kInvalidArgument);
    for (const char* id : {"ver_2", "ver_3", "ver_4", "ver_5", "ver_6"}) {
      CAPTURE(id);
      CHECK(store.GetVerification(id).error().code == ErrorCode::kNotFound);
    }
  }

  SUBCASE("a link confirms once; a second time it is already used") {
    CheckOk(store.CreateVerification(MakeLink("ver_1", "app", "a@example.org")));
    core::Result<store::Verification> confirmed =
        store.ConfirmVerification("hash-of-ver_1", kT0 + 5, std::nullopt, 1);
    REQUIRE_MESSAGE(confirmed.ok(), confirmed.error().message);
    CHECK(confirmed->id == "ver_1");
    CHECK(confirmed->confirmed_at == kT0 + 5);
    CheckSameLink(GetLink(store, "ver_1"), *confirmed);

    core::Result<store::Verification> again =
        store.ConfirmVerification("hash-of-ver_1", kT0 + 6, std::nullopt, 1);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().code == ErrorCode::kFailedPrecondition);
    CHECK(again.error().message == "already used");
    CHECK(GetLink(store, "ver_1").confirmed_at == kT0 + 5);
    // Even after it expired, a used link says it was used.
    CHECK(
        store.ConfirmVerification("hash-of-ver_1", kT0 + 2 * kHour, std::nullopt, 1).error().code ==
        ErrorCode::kFailedPrecondition);
    CHECK(store.ConfirmVerification("hash-of-ver_2", kT0, std::nullopt, 1).error().code ==
          ErrorCode::kNotFound);
  }

  SUBCASE("a confirmation queues its callback in the same write; a refused one queues none") {
    CheckOk(store.CreateVerification(MakeLink("ver_1", "app", "a@example.org")));
    const store::NewCallback callback{"key_1", "https://app.example.org/hook", "VERIFIED",
                                      "ver_1", R"({"event":"VERIFIED"})",      0};
    CHECK(store.ConfirmVerification("hash-of-ver_1", kT0 + 2 * kHour, callback, 3).error().code ==
          ErrorCode::kDeadlineExceeded);
    CHECK(store.LeaseJobs(store::JobKind::kCallback, 5, kT0 + 2 * kHour, 1000)->empty());
    REQUIRE(store.ConfirmVerification("hash-of-ver_1", kT0 + 5, callback, 3).ok());
    CHECK(store.ConfirmVerification("hash-of-ver_1", kT0 + 6, callback, 3).error().code ==
          ErrorCode::kFailedPrecondition);
    core::Result<std::vector<store::Lease>> leased =
        store.LeaseJobs(store::JobKind::kCallback, 5, kT0 + 6, 1000);
    REQUIRE(leased.ok());
    REQUIRE(leased->size() == 1);
    CHECK(leased->front().max_attempts == 3);
    core::Result<store::Callback> queued = store.GetCallback(leased->front().ref_id);
    REQUIRE(queued.ok());
    CHECK(queued->event == "VERIFIED");
    CHECK(queued->subject_id == "ver_1");
    CHECK(queued->url == "https://app.example.org/hook");
  }

  SUBCASE("a link is expired at exactly expires_at; a refused confirmation changes nothing") {
    store::User unconfirmed = MakeUser("ada@example.org");
    unconfirmed.confirmed_at = std::nullopt;
    const std::int64_t user = AddUser(store, unconfirmed).id;
    const store::Verification link = MakeLink("ver_1", "signup", "ada@example.org", user);
    CheckOk(store.CreateVerification(link));
    CHECK(
        store.ConfirmVerification("hash-of-ver_1", link.expires_at, std::nullopt, 1).error().code ==
        ErrorCode::kDeadlineExceeded);
    CHECK(store.ConfirmVerification("hash-of-ver_1", link.expires_at + 1, std::nullopt, 1)
              .error()
              .code == ErrorCode::kDeadlineExceeded);
    CheckSameLink(GetLink(store, "ver_1"), link);
    CHECK_FALSE(store.GetUser(user)->confirmed_at.has_value());
    CHECK(store.ConfirmVerification("hash-of-ver_1", link.expires_at - 1, std::nullopt, 1).ok());
  }

  SUBCASE("confirming a signup link confirms its user; a confirmed user keeps their time") {
    store::User ada = MakeUser("ada@example.org");
    ada.confirmed_at = std::nullopt;
    ada = AddUser(store, ada);
    const store::User bob = AddUser(store, "bob@example.org");  // confirmed at kT0
    store::User carol = MakeUser("carol@example.org");
    carol.confirmed_at = std::nullopt;
    carol = AddUser(store, carol);
    CheckOk(store.CreateVerification(MakeLink("ver_a", "signup", ada.email, ada.id)));
    CheckOk(store.CreateVerification(MakeLink("ver_b", "signup", bob.email, bob.id)));
    CheckOk(store.CreateVerification(MakeLink("ver_c", "app", carol.email)));

    REQUIRE(store.ConfirmVerification("hash-of-ver_a", kT0 + 7, std::nullopt, 1).ok());
    CHECK(store.GetUser(ada.id)->confirmed_at == kT0 + 7);
    REQUIRE(store.ConfirmVerification("hash-of-ver_b", kT0 + 9, std::nullopt, 1).ok());
    CHECK(store.GetUser(bob.id)->confirmed_at == kT0);
    // An "app" link to a user's address is not about that user.
    REQUIRE(store.ConfirmVerification("hash-of-ver_c", kT0 + 11, std::nullopt, 1).ok());
    CHECK_FALSE(store.GetUser(carol.id)->confirmed_at.has_value());
  }

  SUBCASE("LatestVerification: the newest of a purpose sent to an address in any case") {
    const std::int64_t user = AddUser(store, "ada@example.org").id;
    CheckOk(store.CreateVerification(MakeLink("ver_1", "signup", "ada@example.org", user, kT0)));
    CheckOk(
        store.CreateVerification(MakeLink("ver_2", "signup", "Ada@Example.org", user, kT0 + 10)));
    CheckOk(store.CreateVerification(MakeLink("ver_3", "app", "ada@example.org", 0, kT0 + 20)));
    const std::int64_t bob = AddUser(store, "bob@example.org").id;
    CheckOk(
        store.CreateVerification(MakeLink("ver_4", "signup", "bob@example.org", bob, kT0 + 30)));

    core::Result<std::optional<store::Verification>> latest =
        store.LatestVerification("signup", "ADA@EXAMPLE.ORG");
    REQUIRE(latest.ok());
    REQUIRE(latest->has_value());
    CHECK((*latest)->id == "ver_2");
    latest = store.LatestVerification("app", "ada@example.org");
    REQUIRE(latest.ok());
    REQUIRE(latest->has_value());
    CHECK((*latest)->id == "ver_3");
    latest = store.LatestVerification("signup", "carol@example.org");
    REQUIRE(latest.ok());
    CHECK_FALSE(latest->has_value());
    latest = store.LatestVerification("reset", "ada@example.org");
    REQUIRE(latest.ok());
    CHECK_FALSE(latest->has_value());

    // A confirmed link still counts: resend limits are about what was sent.
    REQUIRE(store.ConfirmVerification("hash-of-ver_2", kT0 + 40, std::nullopt, 1).ok());
    CHECK((*store.LatestVerification("signup", "ada@example.org"))->id == "ver_2");
  }
}

}  // namespace store_contract
