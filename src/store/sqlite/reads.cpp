#include "store/sqlite/reads.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <utility>

#include "store/sqlite/columns.h"

namespace store::sqlite {
namespace {

constexpr int kMaxPageSize = 200;

// Every email read selects these columns, in this order, from `emails e LEFT JOIN jobs j`.
constexpr std::string_view kEmailColumns =
    "e.seq, e.id, e.status, e.from_address, e.to_addresses, e.cc_addresses, e.bcc_addresses, "
    "e.reply_to, e.subject, e.tags, e.metadata, e.attempts, e.max_attempts, e.last_reply, "
    "e.created_at, e.send_at, e.updated_at, e.sent_at, e.owner, j.state, j.run_at";
enum EmailColumn {
  kSeq,
  kId,
  kStatus,
  kFrom,
  kTo,
  kCc,
  kBcc,
  kReplyTo,
  kSubject,
  kTags,
  kMetadata,
  kAttempts,
  kMaxAttempts,
  kLastReply,
  kCreatedAt,
  kSendAt,
  kUpdatedAt,
  kSentAt,
  kOwner,
  kJobState,
  kJobRunAt,
};

core::Result<Email> EmailFromRow(const SQLite::Statement& row) {
  Email email;
  email.id = row.getColumn(kId).getString();
  const std::optional<EmailStatus> status = ParseEmailStatus(row.getColumn(kStatus).getString());
  if (!status) {
    return core::Internal("email " + email.id + " has an unknown status");
  }
  email.status = *status;
  email.from = row.getColumn(kFrom).getString();
  for (auto [column, list, name] : {std::tuple{kTo, &email.to, "emails.to_addresses"},
                                    std::tuple{kCc, &email.cc, "emails.cc_addresses"},
                                    std::tuple{kBcc, &email.bcc, "emails.bcc_addresses"}}) {
    core::Result<std::vector<std::string>> addresses =
        ParseStringList(row.getColumn(column).getString(), name);
    if (!addresses.ok()) {
      return addresses.error();
    }
    *list = std::move(addresses).value();
  }
  email.reply_to = row.getColumn(kReplyTo).getString();
  email.subject = row.getColumn(kSubject).getString();
  core::Result<nlohmann::json> tags = ParseJsonColumn(row.getColumn(kTags).getString(), "tags");
  if (!tags.ok()) {
    return tags.error();
  }
  email.tags = std::move(tags).value();
  core::Result<nlohmann::json> metadata =
      ParseJsonColumn(row.getColumn(kMetadata).getString(), "metadata");
  if (!metadata.ok()) {
    return metadata.error();
  }
  email.metadata = std::move(metadata).value();
  email.attempts = row.getColumn(kAttempts).getInt();
  email.max_attempts = row.getColumn(kMaxAttempts).getInt();
  email.last_reply = row.getColumn(kLastReply).getString();
  email.created_at = row.getColumn(kCreatedAt).getInt64();
  email.send_at = row.getColumn(kSendAt).getInt64();
  email.updated_at = row.getColumn(kUpdatedAt).getInt64();
  if (!row.isColumnNull(kSentAt)) {
    email.sent_at = row.getColumn(kSentAt).getInt64();
  }
  email.owner = row.getColumn(kOwner).getString();
  // A queued job is what a queued or deferred email waits on; its run_at is the next attempt.
  if (!row.isColumnNull(kJobState) && row.getColumn(kJobState).getString() == "queued") {
    email.next_attempt_at = row.getColumn(kJobRunAt).getInt64();
  }
  return email;
}

// A read snapshot across several statements. Read-only, so ending it cannot lose anything; the
// destructor ends it on every path.
class ReadTransaction {
 public:
  explicit ReadTransaction(Connection& connection) : connection_(connection) {
    ScopedStatement(connection_, "BEGIN")->exec();
  }
  ~ReadTransaction() { connection_.db.tryExec("COMMIT"); }
  ReadTransaction(const ReadTransaction&) = delete;
  ReadTransaction& operator=(const ReadTransaction&) = delete;

 private:
  Connection& connection_;
};

}  // namespace

core::Result<Email> ReadEmail(Connection& connection, const std::string& id) {
  static const std::string kSql = "SELECT " + std::string(kEmailColumns) +
                                  " FROM emails e LEFT JOIN jobs j ON j.id = e.job_id "
                                  "WHERE e.id = ?";
  ScopedStatement select(connection, kSql);
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("email '" + id + "' not found");
  }
  return EmailFromRow(*select);
}

core::Result<EmailPage> ReadEmailPage(Connection& connection, const EmailFilter& filter) {
  const int limit = std::clamp(filter.limit, 1, kMaxPageSize);
  const std::string recipient = BareAddress(filter.recipient);
  const bool by_recipient = !recipient.empty();
  // With a recipient the walk goes down (address, email_seq), otherwise down the emails rowid
  // (or the status index, which is in rowid order too): newest first without a sort.
  const std::string order_key = by_recipient ? "r.email_seq" : "e.seq";
  std::vector<std::string> conditions;
  if (by_recipient) {
    conditions.emplace_back("r.address = ?");
  }
  if (filter.cursor) {
    conditions.push_back(order_key + " < ?");
  }
  if (filter.status) {
    conditions.emplace_back("e.status = ?");
  }
  if (filter.since) {
    conditions.emplace_back("e.created_at >= ?");
  }
  if (filter.until) {
    conditions.emplace_back("e.created_at < ?");
  }
  // Text filters, bound in this order after the others. A pattern's own '%', '_' and '\' are
  // escaped, so they match themselves.
  std::vector<std::string> texts;
  const auto contains = [&](const std::string& column, const std::string& part) {
    std::string pattern = "%";
    for (char c : part) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    conditions.push_back(column + " LIKE ? ESCAPE '\\'");
    texts.push_back(pattern + "%");
  };
  if (!filter.sender.empty()) contains("e.from_address", filter.sender);
  if (!filter.subject.empty()) contains("e.subject", filter.subject);
  if (!filter.tag.empty()) {
    conditions.emplace_back("EXISTS (SELECT 1 FROM json_each(e.tags) WHERE json_each.value = ?)");
    texts.push_back(filter.tag);
  }
  std::string sql = "SELECT " + std::string(kEmailColumns) + " FROM ";
  sql += by_recipient ? "email_recipients r JOIN emails e ON e.seq = r.email_seq" : "emails e";
  sql += " LEFT JOIN jobs j ON j.id = e.job_id";
  for (std::size_t i = 0; i < conditions.size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += conditions[i];
  }
  sql += " ORDER BY " + order_key + " DESC LIMIT ?";

  ScopedStatement select(connection, sql);
  int index = 0;
  if (by_recipient) {
    select->bind(++index, recipient);
  }
  if (filter.cursor) {
    select->bind(++index, *filter.cursor);
  }
  if (filter.status) {
    select->bind(++index, EmailStatusName(*filter.status));
  }
  if (filter.since) {
    select->bind(++index, *filter.since);
  }
  if (filter.until) {
    select->bind(++index, *filter.until);
  }
  for (const std::string& text : texts) {
    select->bind(++index, text);
  }
  // One row more than asked tells whether another page exists.
  select->bind(++index, limit + 1);

  EmailPage page;
  std::int64_t last_seq = 0;
  while (select->executeStep()) {
    if (static_cast<int>(page.emails.size()) == limit) {
      page.next_cursor = last_seq;  // the next page continues below the last row returned
      break;
    }
    core::Result<Email> email = EmailFromRow(*select);
    if (!email.ok()) {
      return email.error();
    }
    last_seq = select->getColumn(kSeq).getInt64();
    page.emails.push_back(std::move(email).value());
  }
  return page;
}

core::Result<std::vector<EmailEvent>> ReadEmailEvents(Connection& connection,
                                                      const std::string& id) {
  std::vector<EmailEvent> events;
  {
    ScopedStatement select(connection,
                           "SELECT at, type, detail FROM email_events WHERE email_id = ? "
                           "ORDER BY id");
    select->bind(1, id);
    while (select->executeStep()) {
      events.push_back({select->getColumn(0).getInt64(), select->getColumn(1).getString(),
                        select->getColumn(2).getString()});
    }
  }
  if (events.empty()) {
    // Every email has at least its "queued" event, so this is almost surely an unknown id.
    ScopedStatement exists(connection, "SELECT 1 FROM emails WHERE id = ?");
    exists->bind(1, id);
    if (!exists->executeStep()) {
      return core::NotFound("email '" + id + "' not found");
    }
  }
  return events;
}

core::Result<std::vector<EventCount>> ReadEventCounts(Connection& connection, TimeMs since,
                                                      TimeMs until, TimeMs step) {
  if (step < 1000 || until <= since || (until - since) / step > 10'000) {
    return core::InvalidArgument("step",
                                 "the step must be at least 1 s, for at most 10000 buckets");
  }
  // email_events_by_time (at, type) covers the range and the type.
  ScopedStatement select(connection,
                         "SELECT (at - ?1) / ?3 AS bucket, type, COUNT(*) FROM email_events "
                         "WHERE at >= ?1 AND at < ?2 AND type IN ('sent', 'failed', 'deferred') "
                         "GROUP BY bucket, type ORDER BY bucket, type");
  select->bind(1, since);
  select->bind(2, until);
  select->bind(3, step);
  std::vector<EventCount> counts;
  while (select->executeStep()) {
    counts.push_back({since + select->getColumn(0).getInt64() * step,
                      select->getColumn(1).getString(), select->getColumn(2).getInt64()});
  }
  return counts;
}

core::Result<std::vector<TimeMs>> ReadSendLatencies(Connection& connection, TimeMs since,
                                                    TimeMs until, int limit) {
  // email_events_by_time (at, type) gives the events newest first; emails by its unique id.
  ScopedStatement select(connection,
                         "SELECT ev.at - MAX(e.created_at, e.send_at) FROM email_events ev "
                         "JOIN emails e ON e.id = ev.email_id "
                         "WHERE ev.at >= ? AND ev.at < ? AND ev.type = 'sent' "
                         "ORDER BY ev.at DESC LIMIT ?");
  select->bind(1, since);
  select->bind(2, until);
  select->bind(3, limit);
  std::vector<TimeMs> latencies;
  while (select->executeStep()) {
    latencies.push_back(select->getColumn(0).getInt64());
  }
  return latencies;
}

core::Result<std::vector<FailureEvent>> ReadRecentFailures(Connection& connection, TimeMs since,
                                                           int limit) {
  ScopedStatement select(connection,
                         "SELECT ev.email_id, ev.at, ev.type, ev.detail, e.to_addresses, e.subject "
                         "FROM email_events ev JOIN emails e ON e.id = ev.email_id "
                         "WHERE ev.at >= ? AND ev.type IN ('failed', 'deferred') "
                         "ORDER BY ev.at DESC LIMIT ?");
  select->bind(1, since);
  select->bind(2, limit);
  std::vector<FailureEvent> failures;
  while (select->executeStep()) {
    auto to = ParseStringList(select->getColumn(4).getString(), "emails.to_addresses");
    if (!to.ok()) return to.error();
    failures.push_back({select->getColumn(0).getString(), select->getColumn(1).getInt64(),
                        select->getColumn(2).getString(), select->getColumn(3).getString(),
                        std::move(*to), select->getColumn(5).getString()});
  }
  return failures;
}

core::Result<EmailStore::RawMessage> ReadRawMessage(Connection& connection, const std::string& id) {
  ScopedStatement select(
      connection,
      "SELECT m.envelope_from, m.envelope_recipients, m.data, f.body, m.tail FROM emails e "
      "JOIN email_messages m ON m.email_seq = e.seq "
      "LEFT JOIN fires f ON f.key = m.fire_key WHERE e.id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("email '" + id + "' not found");
  }
  EmailStore::RawMessage message;
  message.envelope_from = select->getColumn(0).getString();
  core::Result<std::vector<std::string>> recipients =
      ParseStringList(select->getColumn(1).getString(), "email_messages.envelope_recipients");
  if (!recipients.ok()) {
    return recipients.error();
  }
  message.envelope_recipients = std::move(recipients).value();
  message.data = select->getColumn(2).getString();
  if (!select->isColumnNull(3)) {
    message.data += select->getColumn(3).getString();  // a newsletter's or campaign's shared part
  }
  if (!select->isColumnNull(4)) {
    message.data += select->getColumn(4).getString();  // a campaign recipient's own tail
  }
  return message;
}

core::Result<std::vector<std::optional<EmailStore::RawMessage>>> ReadRawMessages(
    Connection& connection, const std::vector<std::string>& ids, std::size_t max_bytes) {
  ReadTransaction snapshot(connection);  // one snapshot, one cache check for the whole batch
  std::vector<std::optional<EmailStore::RawMessage>> messages;
  messages.reserve(ids.size());
  std::size_t bytes = 0;
  for (const auto& id : ids) {
    if (bytes >= max_bytes) break;
    auto message = ReadRawMessage(connection, id);
    if (message.ok()) {
      bytes += message->data.size();
      messages.emplace_back(std::move(message).value());
    } else if (message.error().code == core::ErrorCode::kNotFound) {
      messages.emplace_back();
    } else {
      return message.error();
    }
  }
  return messages;
}

core::Result<std::optional<TimeMs>> ReadNextRunAt(Connection& connection, JobKind kind) {
  ReadTransaction snapshot(connection);
  std::optional<TimeMs> earliest;
  const auto consider = [&earliest](TimeMs at) {
    earliest = earliest ? std::min(*earliest, at) : at;
  };
  // The earliest run_at of each priority is the first index entry after the previous priority.
  std::int64_t after = kBeforeAnyPriority;
  for (;;) {
    ScopedStatement next(connection,
                         "SELECT priority, run_at FROM jobs WHERE kind = ? AND state = 'queued' "
                         "AND priority > ? ORDER BY priority, run_at LIMIT 1");
    next->bind(1, JobKindName(kind));
    next->bind(2, after);
    if (!next->executeStep()) {
      break;
    }
    after = next->getColumn(0).getInt64();
    consider(next->getColumn(1).getInt64());
  }
  ScopedStatement expiry(connection,
                         "SELECT lease_expires_at FROM jobs WHERE kind = ? AND state = 'leased' "
                         "ORDER BY lease_expires_at LIMIT 1");
  expiry->bind(1, JobKindName(kind));
  if (expiry->executeStep() && !expiry->isColumnNull(0)) {
    consider(expiry->getColumn(0).getInt64());
  }
  return earliest;
}

core::Result<QueueStats> ReadStats(Connection& connection, TimeMs now) {
  ReadTransaction snapshot(connection);
  QueueStats stats;
  {
    // Email jobs only: callbacks are counted apart (their deliveries are listed by the API).
    ScopedStatement select(connection,
                           "SELECT state, COUNT(*) FROM jobs WHERE kind = 'email' GROUP BY state");
    while (select->executeStep()) {
      const std::string state = select->getColumn(0).getString();
      const std::int64_t count = select->getColumn(1).getInt64();
      if (state == "queued") {
        stats.queued = count;
      } else if (state == "leased") {
        stats.leased = count;
      } else if (state == "done") {
        stats.done = count;
      } else if (state == "dead") {
        stats.dead = count;
      } else if (state == "cancelled") {
        stats.cancelled = count;
      }
    }
  }
  {
    ScopedStatement select(connection,
                           "SELECT COUNT(*) FROM jobs WHERE kind = 'email' AND state = 'queued' "
                           "AND run_at > ?");
    select->bind(1, now);
    if (select->executeStep()) {
      stats.scheduled = select->getColumn(0).getInt64();
    }
  }
  {
    ScopedStatement select(connection, "SELECT name, value FROM counters");
    while (select->executeStep()) {
      const std::string name = select->getColumn(0).getString();
      const std::int64_t value = select->getColumn(1).getInt64();
      if (name == "enqueued_total") {
        stats.enqueued_total = value;
      } else if (name == "sent_total") {
        stats.sent_total = value;
      } else if (name == "failed_total") {
        stats.failed_total = value;
      } else if (name == "retried_total") {
        stats.retried_total = value;
      }
    }
  }
  return stats;
}

ApiKey ApiKeyFromRow(SQLite::Statement& select) {
  ApiKey key;
  key.id = select.getColumn(0).getString();
  key.name = select.getColumn(1).getString();
  key.key_hash = select.getColumn(2).getString();
  key.role = select.getColumn(3).getString();
  key.created_at = select.getColumn(4).getInt64();
  if (!select.isColumnNull(5)) {
    key.expires_at = select.getColumn(5).getInt64();
  }
  key.callback_url = select.getColumn(6).getString();
  key.key_hint = select.getColumn(7).getString();
  return key;
}

core::Result<ApiKey> ReadApiKeyByHash(Connection& connection, const std::string& key_hash) {
  ScopedStatement select(
      connection,
      "SELECT id, name, key_hash, role, created_at, expires_at, callback_url, key_hint "
      "FROM api_keys "
      "WHERE key_hash = ?");
  select->bind(1, key_hash);
  if (!select->executeStep()) {
    return core::NotFound("no API key has this hash");
  }
  return ApiKeyFromRow(*select);
}

core::Result<ApiKey> ReadApiKeyById(Connection& connection, const std::string& id) {
  ScopedStatement select(
      connection,
      "SELECT id, name, key_hash, role, created_at, expires_at, callback_url, key_hint "
      "FROM api_keys "
      "WHERE id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return core::NotFound("no API key has this id");
  }
  return ApiKeyFromRow(*select);
}

core::Result<std::vector<ApiKey>> ReadApiKeys(Connection& connection) {
  ScopedStatement select(
      connection,
      "SELECT id, name, key_hash, role, created_at, expires_at, callback_url, key_hint "
      "FROM api_keys "
      "ORDER BY created_at, id");
  std::vector<ApiKey> keys;
  while (select->executeStep()) {
    keys.push_back(ApiKeyFromRow(*select));
  }
  return keys;
}

core::Result<int> ReadApiKeyCount(Connection& connection, const std::string& role) {
  ScopedStatement select(connection, "SELECT COUNT(*) FROM api_keys WHERE role = ?");
  select->bind(1, role);
  if (!select->executeStep()) {
    return core::Internal("COUNT returned no row");
  }
  return select->getColumn(0).getInt();
}

core::Status ReadPing(Connection& connection) {
  ScopedStatement select(connection, "SELECT last_token FROM lease_tokens WHERE id = 1");
  if (!select->executeStep()) {
    return core::Internal("the lease token row is missing");
  }
  return {};
}

}  // namespace store::sqlite
