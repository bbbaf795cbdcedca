#include "store/sqlite/sent_emails.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "store/sqlite/columns.h"

namespace store::sqlite {
namespace {

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// The recipients and email ids of record `id`, in order.
void ReadRecipients(Connection& connection, SentEmail& record) {
  ScopedStatement select(connection,
                         "SELECT address, email_id FROM sent_email_recipients "
                         "WHERE sent_email_id = ? ORDER BY position");
  select->bind(1, record.id);
  while (select->executeStep()) {
    record.recipients.push_back(select->getColumn(0).getString());
    record.email_ids.push_back(select->getColumn(1).getString());
  }
}

// A deleted template reads as 0.
constexpr char kRecordColumns[] =
    "SELECT s.id, s.user_id, CASE WHEN t.id IS NULL THEN 0 ELSE s.template_id END, s.created_at "
    "FROM sent_emails s LEFT JOIN templates t ON t.id = s.template_id ";

SentEmail RecordFromRow(ScopedStatement& select) {
  SentEmail record;
  record.id = select->getColumn(0).getInt64();
  record.user_id = select->getColumn(1).getInt64();
  record.template_id = select->getColumn(2).getInt64();
  record.created_at = select->getColumn(3).getInt64();
  return record;
}

// The WHERE clause of a query: one statement text per combination of filters present (the
// recipients go in as one JSON array), so the statement cache stays small.
std::string Where(const SentEmailQuery& query) {
  std::string where = "WHERE s.user_id = ?";
  if (query.since) where += " AND s.created_at >= ?";
  if (query.until) where += " AND s.created_at <= ?";
  if (!query.recipients.empty()) {
    where +=
        " AND EXISTS (SELECT 1 FROM sent_email_recipients r WHERE r.sent_email_id = s.id AND "
        "r.address_lower IN (SELECT value FROM json_each(?)))";
  }
  return where;
}

// Binds Where's values from parameter 1 on; returns the next parameter's index.
int BindWhere(SQLite::Statement& statement, const SentEmailQuery& query) {
  int index = 1;
  statement.bind(index++, query.user_id);
  if (query.since) statement.bind(index++, *query.since);
  if (query.until) statement.bind(index++, *query.until);
  if (!query.recipients.empty()) {
    nlohmann::json lowered = nlohmann::json::array();
    for (const std::string& recipient : query.recipients) lowered.push_back(Lower(recipient));
    statement.bind(index++, DumpJson(lowered));
  }
  return index;
}

}  // namespace

core::Result<SentEmail> CreateSentEmailInTransaction(Connection& connection,
                                                     const SentEmail& record,
                                                     const std::vector<NewEmail>& emails,
                                                     const std::vector<PreparedEmail>& prepared,
                                                     TimeMs now) {
  if (record.recipients.empty() || record.recipients.size() != record.email_ids.size() ||
      emails.size() != record.email_ids.size() || prepared.size() != emails.size()) {
    return core::InvalidArgument("recipients",
                                 "a sent email needs one email per recipient, at least one");
  }
  for (std::size_t i = 0; i < emails.size(); ++i) {
    if (emails[i].id != record.email_ids[i]) {
      return core::InvalidArgument("email_ids", "email_ids must name the emails, in order");
    }
    if (core::Status inserted = InsertEmailInTransaction(connection, emails[i], prepared[i], now);
        !inserted.ok()) {
      return inserted.error();
    }
  }
  AddToCounter(connection, "enqueued_total", static_cast<std::int64_t>(emails.size()));
  SentEmail stored = record;
  stored.created_at = now;
  {
    ScopedStatement insert(connection,
                           "INSERT INTO sent_emails (user_id, template_id, created_at) "
                           "VALUES (?, ?, ?)");
    insert->bind(1, stored.user_id);
    insert->bind(2, stored.template_id);
    insert->bind(3, now);
    insert->exec();
    stored.id = connection.db.getLastInsertRowid();
  }
  for (std::size_t i = 0; i < stored.recipients.size(); ++i) {
    ScopedStatement insert(connection,
                           "INSERT INTO sent_email_recipients (sent_email_id, position, address, "
                           "address_lower, email_id) VALUES (?, ?, ?, ?, ?)");
    insert->bind(1, stored.id);
    insert->bind(2, static_cast<std::int64_t>(i));
    insert->bind(3, stored.recipients[i]);
    insert->bind(4, Lower(stored.recipients[i]));
    insert->bind(5, stored.email_ids[i]);
    insert->exec();
  }
  return stored;
}

core::Result<SentEmail> ReadSentEmail(Connection& connection, std::int64_t id) {
  ScopedStatement select(connection, std::string(kRecordColumns) + "WHERE s.id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("sent email " + std::to_string(id) + " does not exist");
  }
  SentEmail record = RecordFromRow(select);
  ReadRecipients(connection, record);
  return record;
}

core::Result<SentEmailPage> ReadSentEmailPage(Connection& connection, const SentEmailQuery& query) {
  if (query.offset < 0 || query.limit < 0) {
    return core::InvalidArgument(query.offset < 0 ? "offset" : "limit", "must not be negative");
  }
  const std::string where = Where(query);
  SentEmailPage page;
  {
    ScopedStatement count(connection, "SELECT COUNT(*) FROM sent_emails s " + where);
    BindWhere(*count, query);
    count->executeStep();
    page.total = count->getColumn(0).getInt64();
  }
  {
    ScopedStatement select(connection,
                           std::string(kRecordColumns) + where + " ORDER BY s.id LIMIT ? OFFSET ?");
    const int next = BindWhere(*select, query);
    select->bind(next, query.limit);
    select->bind(next + 1, query.offset);
    while (select->executeStep()) page.records.push_back(RecordFromRow(select));
  }
  for (SentEmail& record : page.records) ReadRecipients(connection, record);
  return page;
}

}  // namespace store::sqlite
