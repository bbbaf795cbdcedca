// The email area (store/email_store.h) of the store contract.
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

void RunEmailContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("a created email reads back whole, queued, with one event") {
    store::NewEmail email = MakeEmail("e1");
    email.cc = {"cc@example.org"};
    email.bcc = {"Hidden <bcc@example.org>"};
    email.reply_to = "replies@example.org";
    email.tags = {"welcome", "onboarding"};
    email.metadata = {{"user", 42}};
    email.raw_message = "Subject: x\r\n\r\nbinary \0 byte\r\n"s;  // bytes kept exactly
    Create(store, email, kT0);

    const store::Email got = Get(store, "e1");
    CHECK(got.id == "e1");
    CHECK(got.status == EmailStatus::kQueued);
    CHECK(got.from == email.from);
    CHECK(got.to == email.to);
    CHECK(got.cc == email.cc);
    CHECK(got.bcc == email.bcc);
    CHECK(got.reply_to == "replies@example.org");
    CHECK(got.subject == email.subject);
    CHECK(got.tags == email.tags);
    CHECK(got.metadata == email.metadata);
    CHECK(got.attempts == 0);
    CHECK(got.max_attempts == 3);
    CHECK(got.last_reply.empty());
    CHECK(got.created_at == kT0);
    CHECK(got.updated_at == kT0);
    CHECK_FALSE(got.sent_at.has_value());
    CHECK(got.next_attempt_at == kT0);  // no send_at: due now
    CHECK(got.owner == "key-1");
    CHECK(EventTypes(store, "e1") == std::vector<std::string>{"queued"});

    core::Result<store::Store::RawMessage> raw = store.GetRawMessage("e1");
    REQUIRE(raw.ok());
    CHECK(raw->data == email.raw_message);
    CHECK(raw->envelope_from == "sender@example.org");
    CHECK(raw->envelope_recipients == email.envelope_recipients);
  }

  SUBCASE("send_at in the future is the next attempt time") {
    Create(store, MakeEmail("later", store::kPriorityTransactional, kT0 + 60'000), kT0);
    const store::Email got = Get(store, "later");
    CHECK(got.send_at == kT0 + 60'000);
    CHECK(got.next_attempt_at == kT0 + 60'000);
  }

  SUBCASE("unknown ids are kNotFound") {
    CHECK(store.GetEmail("nope").error().code == ErrorCode::kNotFound);
    CHECK(store.ListEmailEvents("nope").error().code == ErrorCode::kNotFound);
    CHECK(store.GetRawMessage("nope").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("a duplicate id is kAlreadyExists and writes nothing") {
    Create(store, MakeEmail("dup"));
    store::NewEmail again = MakeEmail("dup");
    again.subject = "second";
    core::Result<store::CreateEmailResult> second = store.CreateEmail(again, std::nullopt, kT0);
    REQUIRE_FALSE(second.ok());
    CHECK(second.error().code == ErrorCode::kAlreadyExists);
    CHECK(Get(store, "dup").subject == "Subject of dup");
    const store::QueueStats stats = Stats(store, kT0);
    CHECK(stats.enqueued_total == 1);
    CHECK(stats.queued == 1);
    CHECK(List(store, {}).emails.size() == 1);
  }

  SUBCASE("invalid input is kInvalidArgument") {
    store::NewEmail email = MakeEmail("");
    CHECK(store.CreateEmail(email, std::nullopt, kT0).error().code == ErrorCode::kInvalidArgument);
    email = MakeEmail("zero-attempts");
    email.max_attempts = 0;
    CHECK(store.CreateEmail(email, std::nullopt, kT0).error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("list is newest first and pages by cursor") {
    for (int i = 1; i <= 5; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)), kT0 + i);
    }
    store::EmailFilter filter;
    filter.limit = 2;
    store::EmailPage page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"e5", "e4"});
    REQUIRE(page.next_cursor.has_value());

    filter.cursor = page.next_cursor;
    page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"e3", "e2"});
    REQUIRE(page.next_cursor.has_value());

    filter.cursor = page.next_cursor;
    page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"e1"});
    CHECK_FALSE(page.next_cursor.has_value());

    filter = {};
    filter.limit = 5;  // exactly everything: no further page
    page = List(store, filter);
    CHECK(page.emails.size() == 5);
    CHECK_FALSE(page.next_cursor.has_value());
  }

  SUBCASE("list clamps the limit to 1..200") {
    for (int i = 1; i <= 3; ++i) {
      Create(store, MakeEmail("e" + std::to_string(i)));
    }
    store::EmailFilter filter;
    filter.limit = 0;
    store::EmailPage page = List(store, filter);
    CHECK(page.emails.size() == 1);
    CHECK(page.next_cursor.has_value());
    filter.limit = 100'000;
    CHECK(List(store, filter).emails.size() == 3);
  }

  SUBCASE("a resend stores the copy queued, with events naming each other, in one write") {
    store::NewEmail original = MakeEmail("orig");
    Create(store, original, kT0);
    store::NewEmail copy = MakeEmail("copy");
    copy.raw_message = "Subject: again\r\n\r\nbody\r\n";
    CheckOk(store.ResendEmail("orig", copy, kT0 + 5));
    CHECK(Get(store, "copy").status == EmailStatus::kQueued);
    CHECK(Get(store, "copy").created_at == kT0 + 5);
    CHECK(EventTypes(store, "orig") == std::vector<std::string>{"queued", "resent"});
    CHECK(EventTypes(store, "copy") == std::vector<std::string>{"queued", "resend_of"});
    auto events = store.ListEmailEvents("orig");
    REQUIRE(events.ok());
    CHECK(events->back().detail == "copy");
    events = store.ListEmailEvents("copy");
    REQUIRE(events.ok());
    CHECK(events->back().detail == "orig");
    auto raw = store.GetRawMessage("copy");
    REQUIRE(raw.ok());
    CHECK(raw->data == copy.raw_message);

    copy.id = "copy-of-nothing";
    CheckCode(store.ResendEmail("missing", copy, kT0 + 6), ErrorCode::kNotFound);
    auto absent = store.GetEmail("copy-of-nothing");
    REQUIRE_FALSE(absent.ok());
    CHECK(absent.error().code == ErrorCode::kNotFound);
    copy.id = "copy";  // taken: nothing is written, the original gets no event
    CheckCode(store.ResendEmail("orig", copy, kT0 + 7), ErrorCode::kAlreadyExists);
    CHECK(EventTypes(store, "orig") == std::vector<std::string>{"queued", "resent"});
  }

  SUBCASE("list filters by status") {
    Create(store, MakeEmail("a"));
    Create(store, MakeEmail("b"));
    Create(store, MakeEmail("c"));
    CheckOk(store.CancelEmail("b", kT0 + 1));
    store::EmailFilter filter;
    filter.status = EmailStatus::kCancelled;
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"b"});
    filter.status = EmailStatus::kQueued;
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"c", "a"});
    filter.status = EmailStatus::kSent;
    CHECK(List(store, filter).emails.empty());
  }

  SUBCASE("list filters by recipient in to, cc or bcc, ignoring case and display names") {
    store::NewEmail to = MakeEmail("to");
    to.to = {"Bob <Bob@Example.org>"};
    store::NewEmail cc = MakeEmail("cc");
    cc.to = {"someone@example.org"};
    cc.cc = {"bob@example.org"};
    store::NewEmail bcc = MakeEmail("bcc");
    bcc.to = {"someone@example.org"};
    bcc.bcc = {"BOB@EXAMPLE.ORG"};
    store::NewEmail other = MakeEmail("other");
    other.to = {"bobby@example.org"};
    for (const store::NewEmail& email : {to, cc, bcc, other}) {
      Create(store, email);
    }
    store::EmailFilter filter;
    filter.recipient = "bob@example.org";
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"bcc", "cc", "to"});
    filter.recipient = "Robert <BOB@example.org>";
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"bcc", "cc", "to"});

    filter.limit = 2;
    store::EmailPage page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"bcc", "cc"});
    REQUIRE(page.next_cursor.has_value());
    filter.cursor = page.next_cursor;
    page = List(store, filter);
    CHECK(Ids(page) == std::vector<std::string>{"to"});
    CHECK_FALSE(page.next_cursor.has_value());

    filter = {};
    filter.recipient = "nobody@example.org";
    CHECK(List(store, filter).emails.empty());
  }

  SUBCASE("list filters by created_at: since inclusive, until exclusive") {
    for (int i = 0; i < 5; ++i) {
      Create(store, MakeEmail("t" + std::to_string(i)), kT0 + i * TimeMs{1000});
    }
    store::EmailFilter filter;
    filter.since = kT0 + 1000;
    filter.until = kT0 + 3000;
    CHECK(Ids(List(store, filter)) == std::vector<std::string>{"t2", "t1"});
    filter.until.reset();
    CHECK(List(store, filter).emails.size() == 4);
  }

  SUBCASE("list filters by a part of the sender or subject (any ASCII case) and by a tag") {
    store::NewEmail shop = MakeEmail("shop");
    shop.from = "Shop <News@Shop.example>";
    shop.subject = "50% off_today";
    shop.tags = {"promo", "spring"};
    Create(store, shop, kT0);
    store::NewEmail bank = MakeEmail("bank");
    bank.from = "bank@example.com";
    bank.subject = "Your 50 statement";
    bank.tags = {"statement"};
    Create(store, bank, kT0 + 1);
    Create(store, MakeEmail("plain"), kT0 + 2);

    const auto ids = [&](auto set) {
      store::EmailFilter filter;
      set(filter);
      return Ids(List(store, filter));
    };
    using Ids_ = std::vector<std::string>;
    CHECK(ids([](auto& f) { f.sender = "news@shop"; }) == Ids_{"shop"});
    CHECK(ids([](auto& f) { f.sender = "EXAMPLE"; }) == Ids_{"plain", "bank", "shop"});
    CHECK(ids([](auto& f) { f.subject = "50"; }) == Ids_{"bank", "shop"});
    // '%' and '_' in the filter are the characters, not wildcards.
    CHECK(ids([](auto& f) { f.subject = "50%"; }) == Ids_{"shop"});
    CHECK(ids([](auto& f) { f.subject = "f_t"; }) == Ids_{"shop"});
    CHECK(ids([](auto& f) { f.subject = "o%y"; }).empty());
    CHECK(ids([](auto& f) { f.tag = "promo"; }) == Ids_{"shop"});
    CHECK(ids([](auto& f) { f.tag = "prom"; }).empty());
    CHECK(ids([](auto& f) {
            f.subject = "50";
            f.tag = "statement";
            f.recipient = "ada@example.org";
          }) == Ids_{"bank"});
  }

  SUBCASE("idempotency: the same request replays, nothing is written twice") {
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, R"({"id":"first"})"};
    core::Result<store::CreateEmailResult> first =
        store.CreateEmail(MakeEmail("first"), claim, kT0);
    REQUIRE(first.ok());
    CHECK_FALSE(first->replayed.has_value());

    // A retry carries a fresh id (the caller generates one per request) and the same hash.
    core::Result<store::CreateEmailResult> again =
        store.CreateEmail(MakeEmail("second"), claim, kT0 + 5);
    REQUIRE(again.ok());
    REQUIRE(again->replayed.has_value());
    CHECK(again->replayed->status == 202);
    CHECK(again->replayed->body == R"({"id":"first"})");

    CHECK(store.GetEmail("second").error().code == ErrorCode::kNotFound);
    CHECK(List(store, {}).emails.size() == 1);
    CHECK(Stats(store, kT0).enqueued_total == 1);
  }

  SUBCASE("idempotency: a different request under the same key is kAlreadyExists") {
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, "{}"};
    REQUIRE(store.CreateEmail(MakeEmail("first"), claim, kT0).ok());
    claim.request_hash = "hash-b";
    core::Result<store::CreateEmailResult> conflict =
        store.CreateEmail(MakeEmail("second"), claim, kT0);
    REQUIRE_FALSE(conflict.ok());
    CHECK(conflict.error().code == ErrorCode::kAlreadyExists);
    CHECK(conflict.error().message.find("Idempotency-Key") != std::string::npos);
    CHECK(store.GetEmail("second").error().code == ErrorCode::kNotFound);
    CHECK(Stats(store, kT0).enqueued_total == 1);
  }

  SUBCASE("idempotency keys are per owner") {
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, "{}"};
    REQUIRE(store.CreateEmail(MakeEmail("first"), claim, kT0).ok());
    claim.owner = "key-2";
    claim.request_hash = "hash-b";
    core::Result<store::CreateEmailResult> other =
        store.CreateEmail(MakeEmail("second"), claim, kT0);
    REQUIRE(other.ok());
    CHECK_FALSE(other->replayed.has_value());
    CHECK(Get(store, "second").status == EmailStatus::kQueued);
  }

  SUBCASE("a failed create leaves its idempotency key unclaimed") {
    Create(store, MakeEmail("taken"));
    store::IdempotencyClaim claim{"key-1", "idem-1", "hash-a", 202, "{}"};
    CHECK(store.CreateEmail(MakeEmail("taken"), claim, kT0).error().code ==
          ErrorCode::kAlreadyExists);
    core::Result<store::CreateEmailResult> retry =
        store.CreateEmail(MakeEmail("fresh"), claim, kT0);
    REQUIRE(retry.ok());
    CHECK_FALSE(retry->replayed.has_value());
  }
}

}  // namespace store_contract
