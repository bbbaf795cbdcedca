// The newsletter area (store/newsletter_store.h) of the store contract.
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

// A new subscription with a fresh unsubscribe token.
store::NewSubscription Subscription(std::string content_type, std::string user_id,
                                    std::string frequency, std::string subject,
                                    std::string content) {
  store::NewSubscription subscription;
  subscription.content_type = std::move(content_type);
  subscription.user_id = std::move(user_id);
  subscription.frequency = std::move(frequency);
  subscription.subject = std::move(subject);
  subscription.content = std::move(content);
  subscription.unsubscribe_token = core::RandomHex(16);
  return subscription;
}

void RunSubscriptionContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto get_type = [&](const std::string& name) {
    core::Result<store::ContentType> type = store.GetContentType(name);
    REQUIRE_MESSAGE(type.ok(), type.error().message);
    return std::move(type).value();
  };
  const auto subscribers = [&](const std::string& name) {
    core::Result<std::int64_t> count = store.CountSubscribers(name);
    REQUIRE_MESSAGE(count.ok(), count.error().message);
    return *count;
  };

  SUBCASE("content types: create once, update, get; missing ones are kNotFound") {
    CheckOk(store.CreateContentType({"Weekly_Newsletter", "s1", "c1", 0, 0}, kT0));
    CheckCode(store.CreateContentType({"Weekly_Newsletter", "s2", "c2", 0, 0}, kT0 + 1),
              ErrorCode::kAlreadyExists);
    store::ContentType type = get_type("Weekly_Newsletter");
    CHECK(type.subject == "s1");
    CHECK(type.content == "c1");
    CHECK(type.created_at == kT0);
    CHECK(type.updated_at == kT0);
    // Names are case-sensitive.
    CHECK(store.GetContentType("weekly_newsletter").error().code == ErrorCode::kNotFound);

    CheckOk(store.UpdateContentType({"Weekly_Newsletter", "s3", "c3", 0, 0}, kT0 + 5));
    type = get_type("Weekly_Newsletter");
    CHECK(type.subject == "s3");
    CHECK(type.content == "c3");
    CHECK(type.created_at == kT0);
    CHECK(type.updated_at == kT0 + 5);
    CheckCode(store.UpdateContentType({"missing", "s", "c", 0, 0}, kT0), ErrorCode::kNotFound);
    CheckCode(store.CreateContentType({"", "s", "c", 0, 0}, kT0), ErrorCode::kInvalidArgument);
  }

  SUBCASE("subscribe creates a missing content type; an existing one keeps its content") {
    core::Result<store::SubscribeResult> first = store.Subscribe(
        Subscription("daily", "Ada@Example.org", "@daily", "Subject", "<p>Body</p>"), kT0);
    REQUIRE_MESSAGE(first.ok(), first.error().message);
    CHECK(first->content_type_created);
    CHECK_FALSE(first->already_subscribed);
    CHECK(first->content_type.subject == "Subject");
    CHECK(get_type("daily").content == "<p>Body</p>");

    core::Result<store::SubscribeResult> second = store.Subscribe(
        Subscription("daily", "bob@example.org", "@weekly", "Other", "other"), kT0 + 1);
    REQUIRE_MESSAGE(second.ok(), second.error().message);
    CHECK_FALSE(second->content_type_created);
    CHECK(second->content_type.subject == "Subject");
    CHECK(second->content_type.content == "<p>Body</p>");
    CHECK(get_type("daily").subject == "Subject");

    // Without subject and content, an existing type is enough.
    core::Result<store::SubscribeResult> third =
        store.Subscribe(Subscription("daily", "carol@example.org", "@hourly", "", ""), kT0 + 2);
    REQUIRE_MESSAGE(third.ok(), third.error().message);
    CHECK(subscribers("daily") == 3);
    CHECK(subscribers("weekly") == 0);
  }

  SUBCASE("subscribe to a missing type without subject or content is kNotFound, writes nothing") {
    CHECK(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "", "c"), kT0)
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", ""), kT0)
              .error()
              .code == ErrorCode::kNotFound);
    CHECK(store.GetContentType("t").error().code == ErrorCode::kNotFound);
    CHECK(subscribers("t") == 0);
  }

  SUBCASE("subscribe needs a frequency, a user id and a token for a new subscription") {
    CHECK(store.Subscribe(Subscription("t", "ada@example.org", "", "s", "c"), kT0).error().code ==
          ErrorCode::kInvalidArgument);
    CHECK(store.Subscribe(Subscription("t", "", "@daily", "s", "c"), kT0).error().code ==
          ErrorCode::kInvalidArgument);
    store::NewSubscription untokened = Subscription("t", "ada@example.org", "@daily", "s", "c");
    untokened.unsubscribe_token.clear();
    CHECK(store.Subscribe(untokened, kT0).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.GetContentType("t").error().code == ErrorCode::kNotFound);
    REQUIRE(
        store.Subscribe(Subscription("t", "ada@example.org", "0 9 * * MON", "s", "c"), kT0).ok());
  }

  SUBCASE("re-subscribing sets the frequency; one row per user, compared lower-cased") {
    REQUIRE(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", "c"), kT0).ok());
    core::Result<store::SubscribeResult> again =
        store.Subscribe(Subscription("t", "ADA@example.org", "@monthly", "", ""), kT0 + 1);
    REQUIRE_MESSAGE(again.ok(), again.error().message);
    CHECK(again->already_subscribed);
    CHECK_FALSE(again->content_type_created);
    CHECK(subscribers("t") == 1);
  }

  SUBCASE("unsubscribe removes the user once; then kNotFound") {
    REQUIRE(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", "c"), kT0).ok());
    REQUIRE(store.Subscribe(Subscription("t", "bob@example.org", "@daily", "", ""), kT0).ok());
    core::Result<store::Subscriber> removed = store.Unsubscribe("t", "Ada@Example.org");
    REQUIRE_MESSAGE(removed.ok(), removed.error().message);
    CHECK(removed->user_id == "ada@example.org");
    CHECK(removed->frequency == "@daily");
    CHECK(subscribers("t") == 1);
    CHECK(store.Unsubscribe("t", "ada@example.org").error().code == ErrorCode::kNotFound);
    CHECK(store.Unsubscribe("missing", "bob@example.org").error().code == ErrorCode::kNotFound);
    // The content type stays.
    CHECK(get_type("t").subject == "s");
  }

  SUBCASE("content types and subscriptions survive reopening") {
    REQUIRE(store.Subscribe(Subscription("t", "ada@example.org", "@daily", "s", "c"), kT0).ok());
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<std::int64_t> count = reopened->CountSubscribers("t");
    REQUIRE(count.ok());
    CHECK(*count == 1);
    core::Result<store::ContentType> type = reopened->GetContentType("t");
    REQUIRE(type.ok());
    CHECK(type->content == "c");
  }
}

void RunNewsletterContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto schedules = [&] {
    core::Result<std::vector<store::Schedule>> listed = store.ListSchedules();
    REQUIRE_MESSAGE(listed.ok(), listed.error().message);
    std::vector<std::string> groups;
    for (const auto& group : *listed) {
      groups.push_back(group.content_type + "|" + group.frequency + "|" + group.timezone);
    }
    std::sort(groups.begin(), groups.end());
    return groups;
  };
  // Builds each recipient's email as the newsletter service does: own headers only.
  const store::FireRecipient recipient = [](const store::Fire& fire,
                                            const store::Subscriber& subscriber) {
    store::NewEmail email;
    email.id = "em_" + fire.key + "_" + subscriber.user_id;
    email.from = fire.sender;
    email.envelope_from = fire.sender;
    email.to = {subscriber.user_id};
    email.envelope_recipients = {subscriber.user_id};
    email.subject = fire.subject;
    email.raw_message = "To: " + subscriber.user_id + "\r\nList-Unsubscribe: <https://x/" +
                        subscriber.unsubscribe_token + ">\r\n";
    return email;
  };
  const auto fire_of = [](std::string key, std::optional<store::Schedule> group) {
    return store::Fire{std::move(key),
                       "news",
                       std::move(group),
                       kT0,
                       "news@example.org",
                       "Issue 1",
                       "Subject: Issue 1\r\n\r\nHello\r\n"};
  };
  const auto group_of = [](const std::string& frequency) {
    store::Schedule group;
    group.content_type = "news";
    group.frequency = frequency;
    return group;
  };
  const auto subscribe = [&](const std::string& user, const std::string& frequency) {
    core::Result<store::SubscribeResult> subscribed =
        store.Subscribe(Subscription("news", user, frequency, "s", "c"), kT0);
    REQUIRE_MESSAGE(subscribed.ok(), subscribed.error().message);
  };

  SUBCASE("unsubscribe tokens find and remove one subscription; renewing keeps the token") {
    store::NewSubscription ada = Subscription("news", "ada@example.org", "@daily", "s", "c");
    REQUIRE(store.Subscribe(ada, kT0).ok());
    store::NewSubscription renewed = Subscription("news", "ada@example.org", "@weekly", "", "");
    REQUIRE(store.Subscribe(renewed, kT0 + 1).ok());
    core::Result<store::Subscriber> found = store.FindSubscriberByToken(ada.unsubscribe_token);
    REQUIRE_MESSAGE(found.ok(), found.error().message);
    CHECK(found->frequency == "@weekly");
    CHECK(store.FindSubscriberByToken(renewed.unsubscribe_token).error().code ==
          ErrorCode::kNotFound);
    CHECK(store.FindSubscriberByToken("").error().code == ErrorCode::kNotFound);

    core::Result<store::Subscriber> removed = store.UnsubscribeByToken(ada.unsubscribe_token);
    REQUIRE_MESSAGE(removed.ok(), removed.error().message);
    CHECK(removed->user_id == "ada@example.org");
    CHECK(store.UnsubscribeByToken(ada.unsubscribe_token).error().code == ErrorCode::kNotFound);
    CHECK(*store.CountSubscribers("news") == 0);
  }

  SUBCASE("a group has one schedule row while it has subscribers") {
    subscribe("ada@example.org", "@daily");
    subscribe("bob@example.org", "@daily");
    store::NewSubscription zoned = Subscription("news", "carol@example.org", "0 9 * * 1", "", "");
    zoned.timezone = "Europe/Berlin";
    REQUIRE(store.Subscribe(zoned, kT0).ok());
    CHECK(schedules() == std::vector<std::string>{"news|0 9 * * 1|Europe/Berlin", "news|@daily|"});

    subscribe("ada@example.org", "@hourly");  // moves to another group; @daily keeps bob
    CHECK(schedules().size() == 3);
    subscribe("bob@example.org", "@hourly");  // @daily is empty now
    CHECK(schedules() == std::vector<std::string>{"news|0 9 * * 1|Europe/Berlin", "news|@hourly|"});
    REQUIRE(store.Unsubscribe("news", "carol@example.org").ok());
    CHECK(schedules() == std::vector<std::string>{"news|@hourly|"});
  }

  SUBCASE("next fire times are stored; unknown groups are kNotFound") {
    subscribe("ada@example.org", "@daily");
    const store::Schedule group = group_of("@daily");
    CheckOk(store.SetNextFire(group, kT0 + 86'400'000));
    core::Result<std::vector<store::Schedule>> listed = store.ListSchedules();
    REQUIRE(listed.ok());
    REQUIRE(listed->size() == 1);
    CHECK(listed->front().created_at == kT0);
    CHECK(listed->front().next_fire == kT0 + 86'400'000);
    CHECK_FALSE(listed->front().last_fire.has_value());
    CheckCode(store.SetNextFire(group_of("@weekly"), kT0), ErrorCode::kNotFound);
  }

  SUBCASE("a fire key is recorded once and sets its group's last fire") {
    subscribe("ada@example.org", "@daily");
    const store::Schedule group = group_of("@daily");
    CheckOk(store.StartFire(fire_of("news@1", group), kT0));
    CheckCode(store.StartFire(fire_of("news@1", group), kT0 + 1), ErrorCode::kAlreadyExists);
    core::Result<std::vector<store::Schedule>> listed = store.ListSchedules();
    REQUIRE(listed.ok());
    CHECK(listed->front().last_fire == kT0);
    core::Result<std::vector<std::string>> unfinished = store.ListUnfinishedFires();
    REQUIRE(unfinished.ok());
    CHECK(*unfinished == std::vector<std::string>{"news@1"});
  }

  SUBCASE("fan-out enqueues each subscriber of the group once, in batches") {
    for (const char* user :
         {"a@example.org", "b@example.org", "c@example.org", "d@example.org", "e@example.org"}) {
      subscribe(user, "@daily");
    }
    subscribe("hourly@example.org", "@hourly");
    CheckOk(store.StartFire(fire_of("news@daily", group_of("@daily")), kT0));
    std::vector<std::int64_t> batches;
    for (;;) {
      core::Result<store::FanOutProgress> progress =
          store.FanOutFire("news@daily", 2, recipient, kT0);
      REQUIRE_MESSAGE(progress.ok(), progress.error().message);
      batches.push_back(progress->enqueued);
      if (progress->done) break;
    }
    CHECK(batches == std::vector<std::int64_t>{2, 2, 1});
    core::Result<store::FanOutProgress> again = store.FanOutFire("news@daily", 2, recipient, kT0);
    REQUIRE(again.ok());
    CHECK(again->enqueued == 0);
    CHECK(again->done);
    CHECK(store.ListUnfinishedFires()->empty());
    CHECK(store.Stats(kT0)->queued == 5);

    // The stored message is the recipient's headers followed by the fire's shared part.
    core::Result<store::Store::RawMessage> raw = store.GetRawMessage("em_news@daily_c@example.org");
    REQUIRE_MESSAGE(raw.ok(), raw.error().message);
    CHECK(raw->data.rfind("To: c@example.org\r\nList-Unsubscribe: <https://x/", 0) == 0);
    CHECK(raw->data.find("\r\nSubject: Issue 1\r\n\r\nHello\r\n") != std::string::npos);
    CHECK(raw->envelope_recipients == std::vector<std::string>{"c@example.org"});
    core::Result<std::vector<std::optional<store::Store::RawMessage>>> batch =
        store.GetRawMessages({"em_news@daily_a@example.org"}, SIZE_MAX);
    REQUIRE(batch.ok());
    CHECK(batch->front()->data.find("Hello") != std::string::npos);
    CHECK(store.GetEmail("em_news@daily_hourly@example.org").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a fire without a group reaches every subscriber of the list") {
    subscribe("a@example.org", "@daily");
    subscribe("b@example.org", "@hourly");
    CheckOk(store.StartFire(fire_of("news/now@1", std::nullopt), kT0));
    core::Result<store::FanOutProgress> progress =
        store.FanOutFire("news/now@1", 100, recipient, kT0);
    REQUIRE(progress.ok());
    CHECK(progress->enqueued == 2);
    CHECK(progress->done);
    CHECK(store.FanOutFire("missing", 100, recipient, kT0).error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a failing recipient rolls its whole batch back") {
    subscribe("a@example.org", "@daily");
    subscribe("b@example.org", "@daily");
    CheckOk(store.StartFire(fire_of("news@x", std::nullopt), kT0));
    const store::FireRecipient broken = [&](const store::Fire& fire,
                                            const store::Subscriber& subscriber) {
      store::NewEmail email = recipient(fire, subscriber);
      if (subscriber.user_id == "b@example.org") email.max_attempts = 0;  // invalid
      return email;
    };
    CHECK(store.FanOutFire("news@x", 100, broken, kT0).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.Stats(kT0)->queued == 0);
    CHECK(*store.ListUnfinishedFires() == std::vector<std::string>{"news@x"});
    // Retried, it starts over from the first subscriber.
    core::Result<store::FanOutProgress> retried = store.FanOutFire("news@x", 100, recipient, kT0);
    REQUIRE(retried.ok());
    CHECK(retried->enqueued == 2);
  }

  SUBCASE("an interrupted fan-out resumes after reopening where its last batch ended") {
    for (const char* user : {"a@example.org", "b@example.org", "c@example.org"}) {
      subscribe(user, "@daily");
    }
    CheckOk(store.StartFire(fire_of("news@r", std::nullopt), kT0));
    REQUIRE(store.FanOutFire("news@r", 2, recipient, kT0)->enqueued == 2);
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<std::vector<std::string>> unfinished = reopened->ListUnfinishedFires();
    REQUIRE(unfinished.ok());
    REQUIRE(*unfinished == std::vector<std::string>{"news@r"});
    core::Result<store::FanOutProgress> rest = reopened->FanOutFire("news@r", 2, recipient, kT0);
    REQUIRE(rest.ok());
    CHECK(rest->enqueued == 1);
    CHECK(rest->done);
    CHECK(reopened->Stats(kT0)->queued == 3);
    CheckCode(reopened->StartFire(fire_of("news@r", std::nullopt), kT0), ErrorCode::kAlreadyExists);
  }
}

}  // namespace store_contract
