// The session area (store/session_store.h: sessions, rotating refresh tokens with reuse
// detection, seed 001's long-lived tokens) of the store contract.
#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {
namespace {

using store::RefreshOutcome;

store::Refreshed Rotate(store::Store& store, const std::string& old_hash,
                        const std::string& new_hash, TimeMs now) {
  core::Result<store::Refreshed> refreshed = store.RotateRefreshToken(old_hash, new_hash, now);
  REQUIRE_MESSAGE(refreshed.ok(), refreshed.error().message);
  return std::move(refreshed).value();
}

std::vector<std::string> LiveIds(store::Store& store, std::int64_t user_id, TimeMs now) {
  core::Result<std::vector<store::Session>> sessions = store.ListLiveSessions(user_id, now);
  REQUIRE_MESSAGE(sessions.ok(), sessions.error().message);
  std::vector<std::string> ids;
  for (const store::Session& session : *sessions) {
    ids.push_back(session.id);
  }
  return ids;
}

void CheckSameSession(const store::Session& a, const store::Session& b) {
  CHECK(a.id == b.id);
  CHECK(a.user_id == b.user_id);
  CHECK(a.kind == b.kind);
  CHECK(a.token_hash == b.token_hash);
  CHECK(a.created_at == b.created_at);
  CHECK(a.last_used_at == b.last_used_at);
  CHECK(a.expires_at == b.expires_at);
  CHECK(a.revoked_at == b.revoked_at);
  CHECK(a.revoked_reason == b.revoked_reason);
  CHECK(a.address == b.address);
  CHECK(a.user_agent == b.user_agent);
}

store::Session TokenSession(const std::string& id, std::int64_t user_id,
                            const std::string& token_hash) {
  store::Session session = MakeSession(id, user_id);
  session.kind = "token";
  session.token_hash = token_hash;
  return session;
}

}  // namespace

void RunSessionContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;
  const std::int64_t ada = AddUser(store, "ada@example.org").id;
  const std::int64_t bob = AddUser(store, "bob@example.org").id;

  SUBCASE("CreateSession stores every field; GetSession reads it back") {
    store::Session session = MakeSession("s1", ada);
    session.last_used_at = kT0 + 1;
    session.address = "2001:db8::1";
    session.user_agent = "Mozilla/5.0";
    AddSession(store, session, "r1");
    CheckSameSession(GetSession(store, "s1"), session);

    store::Session token = TokenSession("t1", ada, "th1");
    AddSession(store, token);
    CheckSameSession(GetSession(store, "t1"), token);
    CHECK(store.GetSession("s2").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a user agent over 256 bytes is cut between characters") {
    store::Session session = MakeSession("s1", ada);
    session.user_agent = std::string(255, 'a') + "\xC3\xA9" + std::string(10, 'b');  // é at 255
    AddSession(store, session);
    CHECK(GetSession(store, "s1").user_agent == std::string(255, 'a'));
    session.id = "s2";
    session.user_agent = std::string(300, 'a');
    AddSession(store, session);
    CHECK(GetSession(store, "s2").user_agent == std::string(256, 'a'));
  }

  SUBCASE("CreateSession refuses a taken id or hash, an unknown user, a malformed session") {
    AddSession(store, MakeSession("s1", ada), "r1");
    AddSession(store, TokenSession("t1", ada, "th1"));
    CheckCode(store.CreateSession(MakeSession("s1", bob), "r2"), ErrorCode::kAlreadyExists);
    CheckCode(store.CreateSession(MakeSession("s2", bob), "r1"), ErrorCode::kAlreadyExists);
    CheckCode(store.CreateSession(TokenSession("t2", bob, "th1"), ""), ErrorCode::kAlreadyExists);
    CheckCode(store.CreateSession(MakeSession("s3", 999), "r3"), ErrorCode::kNotFound);

    CheckCode(store.CreateSession(MakeSession("", ada), "r4"), ErrorCode::kInvalidArgument);
    store::Session odd = MakeSession("s4", ada);
    odd.kind = "cookie";
    CheckCode(store.CreateSession(odd, "r4"), ErrorCode::kInvalidArgument);
    CheckCode(store.CreateSession(TokenSession("t4", ada, ""), ""), ErrorCode::kInvalidArgument);
    CheckCode(store.CreateSession(TokenSession("t4", ada, "th4"), "r4"),
              ErrorCode::kInvalidArgument);
    odd.kind = "session";
    odd.token_hash = "th4";
    CheckCode(store.CreateSession(odd, "r4"), ErrorCode::kInvalidArgument);

    for (const char* id : {"s2", "t2", "s3", "s4", "t4"}) {
      CAPTURE(id);
      CHECK(store.GetSession(id).error().code == ErrorCode::kNotFound);
    }
    CHECK(GetSession(store, "s1").user_id == ada);
    // Refused refresh hashes were not stored.
    CHECK(Rotate(store, "r4", "r5", kT0).outcome == RefreshOutcome::kUnknown);
  }

  SUBCASE("a kind \"token\" session is found by its token's hash") {
    AddSession(store, TokenSession("t1", ada, "th1"));
    AddSession(store, MakeSession("s1", ada), "r1");
    core::Result<store::Session> found = store.FindSessionByTokenHash("th1");
    REQUIRE(found.ok());
    CHECK(found->id == "t1");
    CHECK(found->kind == "token");
    CHECK(store.FindSessionByTokenHash("th2").error().code == ErrorCode::kNotFound);
    CHECK(store.FindSessionByTokenHash("r1").error().code == ErrorCode::kNotFound);
    CHECK(store.FindSessionByTokenHash("").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a kind \"cookie\" session is found by its hash and its idle expiry moves forward") {
    store::Session cookie = TokenSession("c1", ada, "ch1");
    cookie.kind = "cookie";
    AddSession(store, cookie);
    CheckCode(store.CreateSession(cookie, "r9"), ErrorCode::kInvalidArgument);
    core::Result<store::Session> found = store.FindSessionByTokenHash("ch1");
    REQUIRE(found.ok());
    CHECK(found->kind == "cookie");

    core::Result<bool> extended = store.ExtendSession("c1", kT0 + 100, kT0 + 5'000);
    REQUIRE(extended.ok());
    CHECK(*extended);
    CHECK(GetSession(store, "c1").last_used_at == kT0 + 100);
    CHECK(GetSession(store, "c1").expires_at == kT0 + 5'000);
    // Expired at `now`: nothing moves.
    CHECK_FALSE(store.ExtendSession("c1", kT0 + 5'000, kT0 + 9'000).value());
    CHECK(GetSession(store, "c1").expires_at == kT0 + 5'000);
    // Revoked: nothing moves either.
    AddSession(store, MakeSession("s1", ada), "r1");
    REQUIRE(store.RevokeSession("s1", kT0 + 1, "logout").ok());
    CHECK_FALSE(store.ExtendSession("s1", kT0 + 2, kT0 + 9'000).value());
    CHECK(store.ExtendSession("nope", kT0, kT0 + 1).error().code == ErrorCode::kNotFound);
  }

  SUBCASE("rotating the current token: kRotated, last_used_at = now, the new one is current") {
    AddSession(store, MakeSession("s1", ada), "r1");
    store::Refreshed first = Rotate(store, "r1", "r2", kT0 + 10);
    CHECK(first.outcome == RefreshOutcome::kRotated);
    CHECK(first.session.id == "s1");
    CHECK(first.session.last_used_at == kT0 + 10);
    CHECK_FALSE(first.session.revoked_at.has_value());
    CheckSameSession(GetSession(store, "s1"), first.session);

    store::Refreshed second = Rotate(store, "r2", "r3", kT0 + 20);
    CHECK(second.outcome == RefreshOutcome::kRotated);
    CHECK(second.session.last_used_at == kT0 + 20);
  }

  SUBCASE("a new hash that is not fresh is kAlreadyExists and changes nothing") {
    AddSession(store, MakeSession("s1", ada), "r1");
    AddSession(store, MakeSession("s2", bob), "b1");
    Rotate(store, "r1", "r2", kT0 + 10);
    CHECK(store.RotateRefreshToken("r2", "r1", kT0 + 20).error().code == ErrorCode::kAlreadyExists);
    CHECK(store.RotateRefreshToken("r2", "b1", kT0 + 20).error().code == ErrorCode::kAlreadyExists);
    CHECK(GetSession(store, "s1").last_used_at == kT0 + 10);
    // r2 is still current.
    CHECK(Rotate(store, "r2", "r3", kT0 + 30).outcome == RefreshOutcome::kRotated);
  }

  SUBCASE("a used token again: kReused, the whole session revoked, its newest token dead too") {
    AddSession(store, MakeSession("s1", ada), "r1");
    AddSession(store, MakeSession("s2", ada), "q1");
    Rotate(store, "r1", "r2", kT0 + 10);
    Rotate(store, "r2", "r3", kT0 + 20);

    store::Refreshed reused = Rotate(store, "r1", "x1", kT0 + 30);
    CHECK(reused.outcome == RefreshOutcome::kReused);
    CHECK(reused.session.id == "s1");
    CHECK(reused.session.revoked_at == kT0 + 30);
    CHECK(reused.session.revoked_reason == "reuse");
    CheckSameSession(GetSession(store, "s1"), reused.session);

    const store::Refreshed newest = Rotate(store, "r3", "r4", kT0 + 40);
    CHECK(newest.outcome == RefreshOutcome::kDead);
    CHECK(newest.session.revoked_reason == "reuse");
    CHECK(Rotate(store, "x1", "x2", kT0 + 40).outcome == RefreshOutcome::kUnknown);
    CHECK(Rotate(store, "r4", "r5", kT0 + 40).outcome == RefreshOutcome::kUnknown);
    // The user's other session is untouched.
    CHECK(LiveIds(store, ada, kT0 + 40) == std::vector<std::string>{"s2"});
  }

  SUBCASE("a token no session ever had: kUnknown with an empty session") {
    AddSession(store, MakeSession("s1", ada), "r1");
    const store::Refreshed unknown = Rotate(store, "nope", "r2", kT0);
    CHECK(unknown.outcome == RefreshOutcome::kUnknown);
    CHECK(unknown.session.id.empty());
    CHECK(Rotate(store, "", "r2", kT0).outcome == RefreshOutcome::kUnknown);
  }

  SUBCASE("a token of an expired (at exactly expires_at) or revoked session: kDead, no change") {
    store::Session session = MakeSession("s1", ada);
    session.expires_at = kT0 + 100;
    AddSession(store, session, "r1");
    const store::Refreshed expired = Rotate(store, "r1", "r2", kT0 + 100);
    CHECK(expired.outcome == RefreshOutcome::kDead);
    CHECK(expired.session.id == "s1");
    CheckSameSession(GetSession(store, "s1"), session);
    // r1 was not spent and r2 not stored by the refused call.
    CHECK(Rotate(store, "r2", "r3", kT0 + 99).outcome == RefreshOutcome::kUnknown);
    CHECK(Rotate(store, "r1", "r2", kT0 + 99).outcome == RefreshOutcome::kRotated);

    AddSession(store, MakeSession("s2", ada), "q1");
    Rotate(store, "q1", "q2", kT0 + 10);
    CheckOk(store.RevokeSession("s2", kT0 + 20, "logout"));
    CHECK(Rotate(store, "q2", "q3", kT0 + 30).outcome == RefreshOutcome::kDead);
    // A used token of a revoked session is dead too, and does not rewrite why it ended.
    const store::Refreshed old = Rotate(store, "q1", "q3", kT0 + 30);
    CHECK(old.outcome == RefreshOutcome::kDead);
    CHECK(old.session.revoked_reason == "logout");
    CHECK(GetSession(store, "s2").revoked_at == kT0 + 20);
  }

  SUBCASE("ListLiveSessions: the user's sessions newest first, without revoked or expired ones") {
    AddSession(store, MakeSession("s1", ada, kT0));
    AddSession(store, MakeSession("s2", ada, kT0 + 1));
    AddSession(store, MakeSession("s3", ada, kT0 + 2));
    store::Session short_lived = MakeSession("s4", ada, kT0 + 3);
    short_lived.expires_at = kT0 + 50;
    AddSession(store, short_lived);
    AddSession(store, TokenSession("t5", ada, "th5"));  // created at kT0 too
    AddSession(store, MakeSession("b1", bob, kT0 + 4));
    CheckOk(store.RevokeSession("s3", kT0 + 5, "logout"));

    std::vector<std::string> live = LiveIds(store, ada, kT0 + 49);
    REQUIRE(live.size() == 4);
    CHECK(live[0] == "s4");
    CHECK(live[1] == "s2");
    live = LiveIds(store, ada, kT0 + 50);  // s4 expires at exactly kT0 + 50
    REQUIRE(live.size() == 3);
    CHECK(live[0] == "s2");
    CHECK(LiveIds(store, bob, kT0) == std::vector<std::string>{"b1"});
    CHECK(LiveIds(store, 999, kT0).empty());
  }

  SUBCASE("RevokeSession sets the time and reason once; again is unchanged; unknown kNotFound") {
    AddSession(store, MakeSession("s1", ada), "r1");
    CheckOk(store.RevokeSession("s1", kT0 + 5, "logout"));
    store::Session revoked = GetSession(store, "s1");
    CHECK(revoked.revoked_at == kT0 + 5);
    CHECK(revoked.revoked_reason == "logout");
    CheckOk(store.RevokeSession("s1", kT0 + 9, "ended"));
    CheckSameSession(GetSession(store, "s1"), revoked);
    CheckCode(store.RevokeSession("s2", kT0, "logout"), ErrorCode::kNotFound);
  }

  SUBCASE("RevokeUserSessions revokes every live session of the user and says how many") {
    AddSession(store, MakeSession("s1", ada), "r1");
    AddSession(store, MakeSession("s2", ada));
    AddSession(store, TokenSession("t3", ada, "th3"));
    AddSession(store, MakeSession("s4", ada));
    CheckOk(store.RevokeSession("s4", kT0 + 1, "logout"));
    store::Session expired = MakeSession("s5", ada);
    expired.expires_at = kT0 + 10;
    AddSession(store, expired);
    AddSession(store, MakeSession("b1", bob));

    core::Result<int> revoked = store.RevokeUserSessions(ada, kT0 + 10, "password");
    REQUIRE(revoked.ok());
    CHECK(*revoked == 3);
    for (const char* id : {"s1", "s2", "t3"}) {
      CAPTURE(id);
      const store::Session session = GetSession(store, id);
      CHECK(session.revoked_at == kT0 + 10);
      CHECK(session.revoked_reason == "password");
    }
    CHECK(GetSession(store, "s4").revoked_reason == "logout");
    CHECK(LiveIds(store, ada, kT0 + 10).empty());
    CHECK(LiveIds(store, bob, kT0 + 10) == std::vector<std::string>{"b1"});
    CHECK(Rotate(store, "r1", "r2", kT0 + 11).outcome == RefreshOutcome::kDead);
    CHECK(*store.RevokeUserSessions(ada, kT0 + 11, "password") == 0);
    CHECK(*store.RevokeUserSessions(999, kT0 + 11, "password") == 0);
  }
}

}  // namespace store_contract
