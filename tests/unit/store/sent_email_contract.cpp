// The sent-email area (store/sent_email_store.h) of the store contract.
#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "store_contract.h"

namespace store_contract {

void RunSentEmailContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  store::Template tmpl;
  tmpl.name = "Sample Template 11";
  tmpl.subject = "Sample Subject 11";
  tmpl.text = "Sample Body 11";
  core::Result<store::Template> saved_template = store.SaveTemplate(tmpl, kT0);
  REQUIRE(saved_template.ok());
  const std::int64_t template_id = saved_template->id;

  int next_email = 0;
  // A record of `user` to `recipients`, each with a fresh email, stored at `now`.
  const auto send = [&](std::int64_t user, const std::vector<std::string>& recipients, TimeMs now) {
    store::SentEmail record;
    record.user_id = user;
    record.template_id = template_id;
    record.recipients = recipients;
    std::vector<store::NewEmail> emails;
    for (const std::string& recipient : recipients) {
      store::NewEmail email = MakeEmail("sent-" + std::to_string(++next_email));
      email.to = {recipient};
      email.envelope_recipients = {recipient};
      record.email_ids.push_back(email.id);
      emails.push_back(std::move(email));
    }
    core::Result<store::SentEmail> created = store.CreateSentEmail(record, emails, now);
    REQUIRE_MESSAGE(created.ok(), created.error().message);
    return std::move(created).value();
  };
  // A query of `user`'s records; the filters and page given, the rest left at their defaults.
  const auto query = [](std::int64_t user, std::vector<std::string> recipients = {},
                        std::optional<TimeMs> since = std::nullopt,
                        std::optional<TimeMs> until = std::nullopt, int offset = 0,
                        int limit = 10) {
    store::SentEmailQuery out;
    out.user_id = user;
    out.recipients = std::move(recipients);
    out.since = since;
    out.until = until;
    out.offset = offset;
    out.limit = limit;
    return out;
  };
  const auto list = [&](const store::SentEmailQuery& filter) {
    core::Result<store::SentEmailPage> page = store.ListSentEmails(filter);
    REQUIRE_MESSAGE(page.ok(), page.error().message);
    std::vector<std::int64_t> ids;
    for (const store::SentEmail& record : page->records) ids.push_back(record.id);
    return std::make_pair(ids, page->total);
  };

  SUBCASE("a record is stored with its emails, each queued, and read back by id") {
    const std::int64_t enqueued = Stats(store, kT0).enqueued_total;
    store::SentEmail record = send(7, {"a@example.org", "B@example.org"}, kT0 + 5);
    CHECK(record.id > 0);
    CHECK(record.created_at == kT0 + 5);
    CHECK(Stats(store, kT0).enqueued_total == enqueued + 2);
    for (const std::string& id : record.email_ids) {
      CHECK(Get(store, id).status == EmailStatus::kQueued);
      CHECK(EventTypes(store, id) == std::vector<std::string>{"queued"});
    }
    core::Result<store::SentEmail> read = store.GetSentEmail(record.id);
    REQUIRE(read.ok());
    CHECK(read->user_id == 7);
    CHECK(read->template_id == template_id);
    CHECK(read->recipients == std::vector<std::string>{"a@example.org", "B@example.org"});
    CHECK(read->email_ids == record.email_ids);
    CHECK(read->created_at == kT0 + 5);
    CHECK(send(7, {"c@example.org"}, kT0 + 6).id > record.id);
    CHECK(store.GetSentEmail(record.id + 100).error().code == ErrorCode::kNotFound);
  }

  SUBCASE("all or nothing: a taken email id stores neither the record nor any email") {
    Create(store, MakeEmail("taken"));
    store::SentEmail record;
    record.user_id = 1;
    record.template_id = template_id;
    record.recipients = {"a@example.org", "b@example.org"};
    record.email_ids = {"fresh", "taken"};
    std::vector<store::NewEmail> emails = {MakeEmail("fresh"), MakeEmail("taken")};
    CHECK(store.CreateSentEmail(record, emails, kT0).error().code == ErrorCode::kAlreadyExists);
    CHECK(store.GetEmail("fresh").error().code == ErrorCode::kNotFound);
    CHECK(list(query(1)).second == 0);

    record.email_ids = {"fresh"};
    CHECK(store.CreateSentEmail(record, emails, kT0).error().code == ErrorCode::kInvalidArgument);
    record.email_ids = {"taken", "fresh"};
    CHECK(store.CreateSentEmail(record, emails, kT0).error().code == ErrorCode::kInvalidArgument);
    CHECK(store.GetEmail("fresh").error().code == ErrorCode::kNotFound);
  }

  SUBCASE("pages: one user's records, oldest first, by offset, with the total") {
    std::vector<std::int64_t> mine;
    for (int i = 0; i < 5; ++i) {
      mine.push_back(send(1, {"r" + std::to_string(i) + "@example.org"}, kT0 + i).id);
      send(2, {"r@example.org"}, kT0 + i);
    }
    CHECK(list(query(1, {}, {}, {}, 0, 2)) ==
          std::make_pair(std::vector{mine[0], mine[1]}, std::int64_t{5}));
    CHECK(list(query(1, {}, {}, {}, 4, 2)) ==
          std::make_pair(std::vector{mine[4]}, std::int64_t{5}));
    CHECK(list(query(1, {}, {}, {}, 6, 2)).first.empty());
    CHECK(list(query(3)).second == 0);
    CHECK(store.ListSentEmails(query(1, {}, {}, {}, -1, 2)).error().code ==
          ErrorCode::kInvalidArgument);
  }

  SUBCASE("filters: any of the recipients (case-insensitive), created_at inclusive range") {
    const std::int64_t one = send(1, {"One@example.org", "two@example.org"}, kT0).id;
    const std::int64_t two = send(1, {"two@example.org"}, kT0 + 10).id;
    const std::int64_t three = send(1, {"three@example.org"}, kT0 + 20).id;
    using Ids = std::vector<std::int64_t>;
    CHECK(list(query(1, {"one@EXAMPLE.org"})).first == Ids{one});
    CHECK(list(query(1, {"two@example.org"})).first == Ids{one, two});
    CHECK(list(query(1, {"one@example.org", "three@example.org"})).first == Ids{one, three});
    CHECK(list(query(1, {"nobody@example.org"})).second == 0);
    CHECK(list(query(1, {}, kT0 + 10)).first == Ids{two, three});
    CHECK(list(query(1, {}, {}, kT0 + 10)).first == Ids{one, two});
    CHECK(list(query(1, {}, kT0 + 1, kT0 + 19)).first == Ids{two});
    CHECK(list(query(1, {"two@example.org"}, kT0 + 5)) ==
          std::make_pair(Ids{two}, std::int64_t{1}));
  }

  SUBCASE("a record outlives its template (read as template 0) and survives reopening") {
    const std::int64_t id = send(4, {"a@example.org"}, kT0).id;
    CheckOk(store.DeleteTemplateById(template_id));
    CHECK(store.GetSentEmail(id)->template_id == 0);
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<store::SentEmail> read = reopened->GetSentEmail(id);
    REQUIRE(read.ok());
    CHECK(read->recipients == std::vector<std::string>{"a@example.org"});
    CHECK(read->user_id == 4);
  }
}

}  // namespace store_contract
