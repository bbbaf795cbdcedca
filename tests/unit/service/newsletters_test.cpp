#include "service/newsletters.h"

#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <set>

#include "sched/cron.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/fault_store.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;
using std::chrono::hours;
using std::chrono::minutes;

// 2023-11-14T22:13:20Z, a Tuesday.
constexpr core::TimeMs kStart = 1'700'000'000'000;

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> sqlite;
  std::unique_ptr<testing::FaultStore> store;
  testing::FakeClock clock{kStart};
  std::unique_ptr<core::Logger> logger = core::NewNullLogger();
  service::NewsletterOptions options;
  std::unique_ptr<service::NewsletterService> newsletters;
  int wakes = 0;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    sqlite = std::move(*opened);
    store = std::make_unique<testing::FaultStore>(*sqlite);
    options.default_from = "News <news@example.com>";
    options.public_url = "https://mail.example.com";
    options.fan_out_batch = 2;
    newsletters = Make();
  }

  // A service over the same store, as after a restart.
  std::unique_ptr<service::NewsletterService> Make() {
    auto made =
        service::NewsletterService::Create(options, *store, clock, *logger, [this] { ++wakes; });
    REQUIRE_MESSAGE(made.ok(), made.error().message);
    return std::move(*made);
  }

  void Subscribe(const std::string& email, const std::string& frequency,
                 const std::string& timezone = "") {
    service::SubscriptionRequest request{"news", email, frequency, timezone, "Issue", "<p>Hi</p>"};
    auto subscribed = newsletters->Subscribe(request);
    REQUIRE_MESSAGE(subscribed.ok(), subscribed.error().message);
  }

  std::int64_t Queued() {
    auto stats = store->Stats(clock.NowMs());
    REQUIRE(stats.ok());
    return stats->queued;
  }

  std::vector<store::Email> Emails() {
    store::EmailFilter filter;
    filter.limit = 200;
    auto page = store->ListEmails(filter);
    REQUIRE(page.ok());
    return page->emails;
  }

  std::string Raw(const std::string& id) {
    auto raw = store->GetRawMessage(id);
    REQUIRE(raw.ok());
    return raw->data;
  }
};

core::TimeMs At(const char* rfc3339) {
  core::TimeMs at = 0;
  REQUIRE(core::ParseRfc3339(rfc3339, &at));
  return at;
}

}  // namespace

TEST_CASE("newsletters: run now sends one mail per subscriber with its own unsubscribe link") {
  Fixture f;
  for (const char* user : {"a@example.org", "b@example.org", "c@example.org"}) {
    f.Subscribe(user, "@daily");
  }
  f.Subscribe("d@example.org", "0 9 * * MON", "Europe/Berlin");
  auto fired = f.newsletters->RunNow("news");
  REQUIRE_MESSAGE(fired.ok(), fired.error().message);
  CHECK(fired->enqueued == 4);
  CHECK(fired->key == sched::FireKey("news/now", kStart));
  CHECK(f.wakes >= 2);  // once per batch of 2

  std::set<std::string> tokens;
  for (const store::Email& email : f.Emails()) {
    REQUIRE(email.to.size() == 1);
    const std::string raw = f.Raw(email.id);
    CHECK(raw.rfind("To: " + email.to.front() + "\r\n", 0) == 0);
    std::smatch match;
    REQUIRE(std::regex_search(
        raw, match,
        std::regex("List-Unsubscribe: <https://mail\\.example\\.com/unsubscribe/([0-9a-f]{32})>")));
    tokens.insert(match[1]);
    CHECK(raw.find("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n") != std::string::npos);
    CHECK(raw.find("Subject: Issue\r\n") != std::string::npos);
    CHECK(raw.find("From: News <news@example.com>\r\n") != std::string::npos);
    CHECK(email.subject == "Issue");
    auto subscriber = f.newsletters->FindByToken(match[1]);
    REQUIRE(subscriber.ok());
    CHECK(subscriber->user_id == email.to.front());
  }
  CHECK(tokens.size() == 4);
  CHECK(f.newsletters->RunNow("missing").error().code == ErrorCode::kNotFound);
}

TEST_CASE("newsletters: a scheduled group fires once per due time") {
  Fixture f;
  f.clock.Set(At("2026-11-23T10:15:00Z"));
  f.Subscribe("a@example.org", "@hourly");
  f.Subscribe("b@example.org", "@hourly");

  // Not due yet: the next fire time is stored.
  CHECK(f.newsletters->Tick() == At("2026-11-23T11:00:00Z"));
  CHECK(f.Queued() == 0);
  auto groups = f.store->ListSchedules();
  REQUIRE(groups.ok());
  CHECK(groups->front().next_fire == At("2026-11-23T11:00:00Z"));

  f.clock.Set(At("2026-11-23T11:00:00.500Z"));
  CHECK(f.newsletters->Tick() == At("2026-11-23T12:00:00Z"));
  CHECK(f.Queued() == 2);
  // Ticking again, or another process over the same store (a restart), fires nothing more.
  CHECK(f.newsletters->Tick() == At("2026-11-23T12:00:00Z"));
  CHECK(f.Make()->Tick() == At("2026-11-23T12:00:00Z"));
  CHECK(f.Queued() == 2);
  groups = f.store->ListSchedules();
  CHECK(groups->front().last_fire == At("2026-11-23T11:00:00Z"));
}

TEST_CASE("newsletters: after downtime a missed fire is sent once, for its latest time") {
  Fixture f;
  f.clock.Set(At("2026-11-20T08:00:00Z"));
  f.Subscribe("a@example.org", "@daily");
  f.newsletters->Tick();
  // Down from before the 21st's fire until after the 23rd's: three fires missed.
  f.clock.Set(At("2026-11-23T07:00:00Z"));
  auto restarted = f.Make();
  CHECK(restarted->Tick() == At("2026-11-24T00:00:00Z"));
  CHECK(f.Queued() == 1);
  auto fires = f.Emails();
  REQUIRE(fires.size() == 1);
  CHECK(fires.front().metadata["fire"] ==
        sched::FireKey("news/@daily/UTC", At("2026-11-23T00:00:00Z")));
}

TEST_CASE("newsletters: groups fire in their own time zone") {
  Fixture f;
  f.clock.Set(At("2026-11-23T06:00:00Z"));  // a Monday
  f.Subscribe("berlin@example.org", "0 9 * * MON", "Europe/Berlin");
  f.Subscribe("utc@example.org", "0 9 * * MON");
  CHECK(f.newsletters->Tick() == At("2026-11-23T08:00:00Z"));  // 09:00 in Berlin (UTC+1)
  f.clock.Set(At("2026-11-23T08:00:00Z"));
  f.newsletters->Tick();
  auto emails = f.Emails();
  REQUIRE(emails.size() == 1);
  CHECK(emails.front().to.front() == "berlin@example.org");
  f.clock.Set(At("2026-11-23T09:00:00Z"));
  f.newsletters->Tick();
  CHECK(f.Emails().size() == 2);
}

TEST_CASE("newsletters: an interrupted fan-out resumes without sending anyone twice") {
  Fixture f;
  for (const char* user :
       {"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}) {
    f.Subscribe(user, "@daily");
  }
  f.store->FailNthCall("FanOutFire", 2);
  CHECK(f.newsletters->RunNow("news").error().code == ErrorCode::kUnavailable);
  CHECK(f.Queued() == 2);
  f.newsletters->Tick();
  CHECK(f.Queued() == 5);
  std::set<std::string> recipients;
  for (const auto& email : f.Emails()) recipients.insert(email.to.front());
  CHECK(recipients.size() == 5);
  CHECK(f.store->ListUnfinishedFires()->empty());
}

TEST_CASE("newsletters: without a sender a fire fails, nothing is recorded, it is retried later") {
  Fixture f;
  f.options.default_from.clear();
  auto unsent = f.Make();
  f.clock.Set(At("2026-11-23T10:15:00Z"));
  f.Subscribe("a@example.org", "@hourly");
  unsent->Tick();
  f.clock.Set(At("2026-11-23T11:00:00Z"));
  CHECK(unsent->Tick() == At("2026-11-23T11:01:00Z"));
  CHECK(unsent->RunNow("news").error().code == ErrorCode::kFailedPrecondition);
  CHECK(f.Queued() == 0);
  // With a sender the missed fire goes out once.
  f.newsletters->Tick();
  CHECK(f.Queued() == 1);
}

TEST_CASE("newsletters: subscriptions are validated before they are stored") {
  Fixture f;
  const auto field = [&](service::SubscriptionRequest request) {
    request.list = "news";
    request.subject = "s";
    request.content = "c";
    auto subscribed = f.newsletters->Subscribe(request);
    REQUIRE_FALSE(subscribed.ok());
    CHECK(subscribed.error().code == ErrorCode::kInvalidArgument);
    return subscribed.error().field;
  };
  CHECK(field({"", "nope", "@daily", "", "", ""}) == "email");
  CHECK(field({"", "Ann <a@example.org>", "@daily", "", "", ""}) == "email");
  CHECK(field({"", "a@example.org", "@fortnightly", "", "", ""}) == "frequency");
  CHECK(field({"", "a@example.org", "61 * * * *", "", "", ""}) == "frequency");
  CHECK(field({"", "a@example.org", "@daily", "Nowhere/City", "", ""}) == "timezone");
  CHECK(*f.store->CountSubscribers("news") == 0);
}

TEST_CASE("cron_control_characters_refused_naming_frequency") {
  for (const char* frequency : {"0\t9 * * 1", "0 9 * * 1\n", "0 9\r* * 1", "@daily\x7f"}) {
    CAPTURE(frequency);
    auto valid = service::ValidateSchedule(frequency, "", "/usr/share/zoneinfo");
    REQUIRE_FALSE(valid.ok());
    CHECK(valid.error().field == "frequency");
  }
  CHECK(service::ValidateSchedule("  0  9 * * 1 ", "", "/usr/share/zoneinfo").ok());
}

TEST_CASE("cron_spaces_spelling_is_one_schedule_group") {
  Fixture f;
  f.Subscribe("a@example.com", "0  9 * * 1");
  f.Subscribe("b@example.com", " 0 9 * * 1");
  auto detail = f.newsletters->DescribeList("news");
  REQUIRE(detail.ok());
  REQUIRE(detail->schedules.size() == 1);
  CHECK(detail->schedules[0].frequency == "0 9 * * 1");
}

TEST_CASE("timezone_factory_refused_for_a_subscription") {
  auto valid = service::ValidateSchedule("@daily", "Factory", "/usr/share/zoneinfo");
  REQUIRE_FALSE(valid.ok());
  CHECK(valid.error().field == "timezone");
}

TEST_CASE("a list's next fire time is the scheduler's, computed at the read, earliest first") {
  Fixture f;  // now: Tuesday 2023-11-14T22:13:20Z
  auto empty = f.newsletters->CreateList({"quiet", "Quiet", "<p>q</p>"});
  REQUIRE(empty.ok());
  f.Subscribe("a@example.org", "@daily");                        // next midnight UTC
  f.Subscribe("b@example.org", "0 9 * * MON", "Europe/Berlin");  // Monday 09:00 in Berlin
  auto detail = f.newsletters->DescribeList("news");
  REQUIRE(detail.ok());
  REQUIRE(detail->schedules.size() == 2);
  // No scheduler pass has run: the times come from the cron code, not from a stored value.
  CHECK(detail->next_run_at == At("2023-11-15T00:00:00Z"));
  for (const store::Schedule& group : detail->schedules) {
    CHECK(group.next_fire ==
          (group.frequency == "@daily" ? At("2023-11-15T00:00:00Z") : At("2023-11-20T08:00:00Z")));
  }

  // After the daily fire (the scheduler's pass at 00:00), the next one is a day later.
  f.clock.Set(At("2023-11-15T00:00:30Z"));
  f.newsletters->Tick();
  auto lists = f.newsletters->DescribeLists();
  REQUIRE(lists.ok());
  REQUIRE(lists->size() == 2);
  const auto& news = (*lists)[0].list.name == "news" ? (*lists)[0] : (*lists)[1];
  const auto& quiet = (*lists)[0].list.name == "news" ? (*lists)[1] : (*lists)[0];
  CHECK(news.subscribers == 2);
  CHECK(news.next_run_at == At("2023-11-16T00:00:00Z"));
  CHECK(quiet.subscribers == 0);
  CHECK(quiet.schedules.empty());
  CHECK_FALSE(quiet.next_run_at.has_value());

  // A fire time already due (the scheduler has not come round yet) is shown as it is: due.
  f.clock.Set(At("2023-11-16T00:00:10Z"));
  CHECK(f.newsletters->DescribeList("news")->next_run_at == At("2023-11-16T00:00:00Z"));
}
