// The store contract across areas: what survives reopening, and many threads writing at once.
#include "store_contract.h"

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

namespace store_contract {

void RunPersistenceContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();

  SUBCASE("emails, jobs, counters and keys survive reopening") {
    std::int64_t token = 0;
    {
      std::unique_ptr<store::Store> store = OpenStore(*backend);
      Create(*store, MakeEmail("sent"), kT0);
      Create(*store, MakeEmail("failed"), kT0);
      Create(*store, MakeEmail("waiting", store::kPriorityBulk, kT0 + 60'000), kT0);
      for (const store::Lease& lease : Lease(*store, 2, kT0)) {
        const bool sent = lease.ref_id == "sent";
        CheckOk(store->FinishDelivery(
            lease.job_id, lease.token,
            Outcome(sent ? DeliveryOutcome::Kind::kSent : DeliveryOutcome::Kind::kFailed,
                    sent ? "250" : "550"),
            kT0 + 1));
        token = std::max(token, lease.token);
      }
      CheckOk(store->CreateApiKey({"k1", "one", "hash-1", "admin", kT0, std::nullopt}));
    }
    std::unique_ptr<store::Store> store = OpenStore(*backend);
    const store::QueueStats stats = Stats(*store, kT0 + 2);
    CHECK(stats.enqueued_total == 3);
    CHECK(stats.sent_total == 1);
    CHECK(stats.failed_total == 1);
    CHECK(stats.done == 1);
    CHECK(stats.dead == 1);
    CHECK(stats.queued == 1);
    CHECK(stats.scheduled == 1);
    CHECK(Get(*store, "sent").status == EmailStatus::kSent);
    CHECK(Get(*store, "failed").status == EmailStatus::kFailed);
    CHECK(store->FindApiKeyByHash("hash-1").ok());
    // Fencing tokens keep increasing across restarts.
    CHECK(LeaseOne(*store, kT0 + 60'000).token > token);
  }

  SUBCASE("users, sessions, verifications, the throttle and the audit trail survive reopening") {
    std::int64_t user_id = 0;
    {
      std::unique_ptr<store::Store> store = OpenStore(*backend);
      store::User user = MakeUser("Ada@Example.org", "admin");
      user.confirmed_at = std::nullopt;
      user_id = AddUser(*store, user).id;
      AddSession(*store, MakeSession("s1", user_id), "r1");
      REQUIRE(store->RotateRefreshToken("r1", "r2", kT0 + 1).ok());
      store::Verification link;
      link.id = "ver_1";
      link.purpose = "signup";
      link.user_id = user_id;
      link.email = user.email;
      link.token_hash = "v1";
      link.created_at = kT0;
      link.expires_at = kT0 + 3'600'000;
      CheckOk(store->CreateVerification(link));
      REQUIRE(store
                  ->UpdateLoginThrottle("account:ada@example.org",
                                        [](const auto&) {
                                          return store::LoginThrottle{2, kT0, kT0 + 60'000};
                                        })
                  .ok());
      CheckOk(store->AppendAudit({0, kT0, "cli", "user_created", "user:1", "", "{}"}));
      CheckOk(store->DeleteUser(AddUser(*store, "bob@example.org").id));
    }
    std::unique_ptr<store::Store> store = OpenStore(*backend);
    core::Result<store::User> user = store->FindUserByEmail("ada@example.org");
    REQUIRE(user.ok());
    CHECK(user->id == user_id);
    CHECK(user->role == "admin");
    CHECK(GetSession(*store, "s1").last_used_at == kT0 + 1);
    // The used token is still known as used: presenting it is reuse.
    CHECK(store->RotateRefreshToken("r1", "r3", kT0 + 2)->outcome ==
          store::RefreshOutcome::kReused);
    core::Result<store::Verification> confirmed =
        store->ConfirmVerification("v1", kT0 + 3, std::nullopt, 1);
    REQUIRE(confirmed.ok());
    CHECK(store->GetUser(user_id)->confirmed_at == kT0 + 3);
    store::LoginThrottle seen;
    REQUIRE(store
                ->UpdateLoginThrottle("account:ada@example.org",
                                      [&](const auto& current) {
                                        seen = current;
                                        return current;
                                      })
                .ok());
    CHECK(seen.failures == 2);
    CHECK(seen.locked_until == kT0 + 60'000);
    core::Result<store::AuditPage> audit = store->ListAudit({});
    REQUIRE(audit.ok());
    REQUIRE(audit->entries.size() == 1);
    CHECK(audit->entries[0].action == "user_created");
    // The id of a user deleted before reopening is not handed out again.
    CHECK(store->GetUser(user_id + 1).error().code == ErrorCode::kNotFound);
    CHECK(AddUser(*store, "carol@example.org").id == user_id + 2);
  }

  SUBCASE("RecoverLeases after reopening frees what a dead process held") {
    {
      std::unique_ptr<store::Store> store = OpenStore(*backend);
      Create(*store, MakeEmail("e1"), kT0);
      LeaseOne(*store, kT0, 3'600'000);
    }
    std::unique_ptr<store::Store> store = OpenStore(*backend);
    CHECK(Lease(*store, 10, kT0 + 1).empty());  // still leased for an hour
    core::Result<int> recovered = store->RecoverLeases(kT0 + 1);
    REQUIRE(recovered.ok());
    CHECK(*recovered == 1);
    CHECK(LeaseOne(*store, kT0 + 1).attempt == 2);
  }
}

void RunConcurrencyContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("16 threads creating at once all succeed, each email once") {
    constexpr int kThreads = 16;
    constexpr int kPerThread = 25;
    std::vector<int> failures(kThreads, 0);
    {
      std::vector<std::jthread> threads;
      threads.reserve(kThreads);
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&store, &failures, t] {
          for (int i = 0; i < kPerThread; ++i) {
            const std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
            if (!store.CreateEmail(MakeEmail(id), std::nullopt, kT0 + i).ok()) {
              ++failures[t];
            }
          }
        });
      }
    }
    for (int t = 0; t < kThreads; ++t) {
      CHECK(failures[t] == 0);
    }
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.enqueued_total == kThreads * kPerThread);
    CHECK(stats.queued == kThreads * kPerThread);
    CHECK(Get(store, "t15-24").status == EmailStatus::kQueued);

    int listed = 0;
    store::EmailFilter filter;
    filter.limit = 200;
    for (;;) {
      const store::EmailPage page = List(store, filter);
      listed += static_cast<int>(page.emails.size());
      if (!page.next_cursor) {
        break;
      }
      filter.cursor = page.next_cursor;
    }
    CHECK(listed == kThreads * kPerThread);
  }

  SUBCASE("concurrent leasers never share a job") {
    constexpr int kJobs = 200;
    for (int i = 0; i < kJobs; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0);
    }
    constexpr int kThreads = 8;
    std::vector<std::vector<std::int64_t>> leased(kThreads);
    {
      std::vector<std::jthread> threads;
      threads.reserve(kThreads);
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&store, &leased, t] {
          for (;;) {
            core::Result<std::vector<store::Lease>> leases =
                store.LeaseJobs(store::JobKind::kEmail, 7, kT0, kLeaseMs);
            if (!leases.ok() || leases->empty()) {
              return;
            }
            for (const store::Lease& lease : *leases) {
              leased[t].push_back(lease.job_id);
            }
          }
        });
      }
    }
    std::vector<std::int64_t> all;
    for (const std::vector<std::int64_t>& ids : leased) {
      all.insert(all.end(), ids.begin(), ids.end());
    }
    std::sort(all.begin(), all.end());
    CHECK(all.size() == kJobs);
    CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  }
}

}  // namespace store_contract
