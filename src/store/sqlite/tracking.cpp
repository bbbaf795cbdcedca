#include "store/sqlite/tracking.h"

#include <algorithm>
#include <optional>

#include "core/random.h"
#include "store/sqlite/callbacks.h"
#include "store/sqlite/columns.h"
#include "store/sqlite/reads.h"
#include "store/sqlite/writes.h"

namespace store::sqlite {
namespace {

struct TrackingRow {
  EmailTracking tracking;
  std::optional<TimeMs> opened_at;
};

std::optional<TrackingRow> FindTracking(Connection& connection, const std::string& email_id) {
  ScopedStatement select(connection,
                         "SELECT template, data, attachments, coalesce(open_token, ''), "
                         "opened_at, callback_url FROM email_tracking WHERE email_id = ?");
  select->bind(1, email_id);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  TrackingRow row;
  row.tracking.template_name = select->getColumn(0).getString();
  row.tracking.data = select->getColumn(1).getString();
  row.tracking.attachments = select->getColumn(2).getInt();
  row.tracking.open_token = select->getColumn(3).getString();
  if (!select->isColumnNull(4)) row.opened_at = select->getColumn(4).getInt64();
  row.tracking.callback_url = select->getColumn(5).getString();
  return row;
}

std::optional<std::string> FindEmailOfProviderEvent(Connection& connection,
                                                    const ProviderEvent& event) {
  if (!event.email_id.empty() && FindTracking(connection, event.email_id)) return event.email_id;
  if (event.provider_id.empty()) return std::nullopt;
  ScopedStatement select(connection, "SELECT email_id FROM email_tracking WHERE provider_id = ?");
  select->bind(1, event.provider_id);
  if (!select->executeStep()) return std::nullopt;
  return select->getColumn(0).getString();
}

}  // namespace

void InsertTracking(Connection& connection, const std::string& email_id,
                    const EmailTracking& tracking) {
  ScopedStatement insert(connection,
                         "INSERT INTO email_tracking (email_id, template, data, attachments, "
                         "open_token, callback_url) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, email_id);
  insert->bind(2, tracking.template_name);
  insert->bind(3, tracking.data);
  insert->bind(4, tracking.attachments);
  if (tracking.open_token.empty()) {
    insert->bind(5);
  } else {
    insert->bind(5, tracking.open_token);
  }
  insert->bind(6, tracking.callback_url);
  insert->exec();
}

void EnqueueStatusCallback(Connection& connection, const std::string& email_id,
                           TrackedEmailChange::Kind kind, const std::string& reply,
                           const ProviderEvent* provider_event,
                           const StatusCallbackComposer& compose, TimeMs now) {
  if (!compose) {
    return;
  }
  std::optional<TrackingRow> row = FindTracking(connection, email_id);
  if (!row || row->tracking.callback_url.empty()) {
    return;
  }
  core::Result<Email> email = ReadEmail(connection, email_id);
  if (!email.ok()) {
    return;
  }
  const std::optional<StatusCallback> callback = compose(TrackedEmailChange{
      kind, *email, row->tracking, row->opened_at.has_value(), reply, provider_event});
  if (!callback) {
    return;
  }
  // Fails only for max_attempts < 1; SQL errors throw and roll the whole write back.
  static_cast<void>(
      EnqueueCallbackInTransaction(connection,
                                   NewCallback{email->owner, row->tracking.callback_url,
                                               callback->event, email_id, callback->payload, now},
                                   kCallbackAttempts, now));
}

void StoreProviderId(Connection& connection, const std::string& email_id,
                     const std::string& provider_id) {
  if (provider_id.empty()) return;
  ScopedStatement update(connection,
                         "UPDATE email_tracking SET provider_id = ? WHERE email_id = ?");
  update->bind(1, provider_id);
  update->bind(2, email_id);
  update->exec();
}

core::Result<bool> MarkOpenedInTransaction(Connection& connection, const std::string& token,
                                           const StatusCallbackComposer& compose, TimeMs now) {
  std::string email_id;
  bool first = false;
  {
    ScopedStatement select(connection,
                           "SELECT email_id, opened_at IS NULL FROM email_tracking "
                           "WHERE open_token = ?");
    select->bind(1, token);
    if (token.empty() || !select->executeStep()) {
      return core::NotFound("unknown tracking token");
    }
    email_id = select->getColumn(0).getString();
    first = select->getColumn(1).getInt() != 0;
  }
  if (!first) {
    return false;
  }
  ScopedStatement update(connection, "UPDATE email_tracking SET opened_at = ? WHERE email_id = ?");
  update->bind(1, now);
  update->bind(2, email_id);
  update->exec();
  AddEvent(connection, email_id, now, "opened", "");
  EnqueueStatusCallback(connection, email_id, TrackedEmailChange::Kind::kOpened, "", nullptr,
                        compose, now);
  return true;
}

core::Result<std::optional<std::string>> RecordProviderEventInTransaction(
    Connection& connection, const ProviderEvent& event, const StatusCallbackComposer& compose,
    TimeMs now) {
  for (const std::string& address : event.suppress) {
    core::Status suppressed =
        SuppressInTransaction(connection, {address, event.reason, event.event, now});
    if (!suppressed.ok()) return suppressed.error();
  }
  std::optional<std::string> email_id = FindEmailOfProviderEvent(connection, event);
  if (!email_id) {
    return email_id;
  }
  std::string lower = LowerAscii(event.event);
  AddEvent(connection, *email_id, now, lower, "");
  EnqueueStatusCallback(connection, *email_id, TrackedEmailChange::Kind::kProviderEvent, "", &event,
                        compose, now);
  return email_id;
}

core::Status SuppressInTransaction(Connection& connection, const Suppression& suppression) {
  const std::string address = LowerAscii(suppression.address);
  if (address.empty()) {
    return core::InvalidArgument("address", "the address is empty");
  }
  ScopedStatement insert(connection,
                         "INSERT INTO suppressions (address, reason, detail, created_at) "
                         "VALUES (?, ?, ?, ?) ON CONFLICT (address) DO NOTHING");
  insert->bind(1, address);
  insert->bind(2, suppression.reason);
  insert->bind(3, suppression.detail);
  insert->bind(4, suppression.created_at);
  insert->exec();
  return {};
}

core::Status UnsuppressInTransaction(Connection& connection, const std::string& address) {
  ScopedStatement remove(connection, "DELETE FROM suppressions WHERE address = ?");
  remove->bind(1, LowerAscii(address));
  if (remove->exec() == 0) {
    return core::NotFound(address + " is not suppressed");
  }
  return {};
}

namespace {

core::Result<EmailRecord> ReadRecord(Connection& connection, const std::string& id) {
  core::Result<Email> email = ReadEmail(connection, id);
  if (!email.ok()) return email.error();
  std::optional<TrackingRow> row = FindTracking(connection, id);
  if (!row) return core::NotFound("email '" + id + "' is not tracked");
  EmailRecord record{std::move(email).value(), std::move(row->tracking), row->opened_at, ""};
  ScopedStatement hint(connection, "SELECT key_hint FROM api_keys WHERE id = ?");
  hint->bind(1, record.email.owner);
  if (hint->executeStep()) record.key_hint = hint->getColumn(0).getString();
  return record;
}

}  // namespace

core::Result<std::vector<EmailRecord>> ReadEmailRecords(Connection& connection,
                                                        const std::string& owner,
                                                        const std::vector<std::string>& ids) {
  std::vector<EmailRecord> records;
  for (const std::string& id : ids) {
    core::Result<EmailRecord> record = ReadRecord(connection, id);
    if (record.ok() && record->email.owner == owner) {
      records.push_back(std::move(record).value());
    } else if (!record.ok() && record.error().code != core::ErrorCode::kNotFound) {
      return record.error();
    }
  }
  return records;
}

core::Result<std::vector<EmailRecord>> ReadEmailRecordPage(Connection& connection,
                                                           const std::string& owner, int offset,
                                                           int limit) {
  std::vector<std::string> ids;
  {
    ScopedStatement select(connection,
                           "SELECT e.id FROM emails e JOIN email_tracking t ON t.email_id = e.id "
                           "WHERE e.owner = ? ORDER BY e.seq DESC LIMIT ? OFFSET ?");
    select->bind(1, owner);
    select->bind(2, std::max(limit, 0));
    select->bind(3, std::max(offset, 0));
    while (select->executeStep()) ids.push_back(select->getColumn(0).getString());
  }
  return ReadEmailRecords(connection, owner, ids);
}

core::Result<std::optional<Suppression>> ReadSuppression(Connection& connection,
                                                         const std::string& address) {
  ScopedStatement select(connection,
                         "SELECT address, reason, detail, created_at FROM suppressions "
                         "WHERE address = ?");
  select->bind(1, LowerAscii(address));
  if (!select->executeStep()) return std::optional<Suppression>();
  return std::optional<Suppression>(
      Suppression{select->getColumn(0).getString(), select->getColumn(1).getString(),
                  select->getColumn(2).getString(), select->getColumn(3).getInt64()});
}

core::Result<std::vector<Suppression>> ReadSuppressions(Connection& connection,
                                                        const std::string& prefix,
                                                        const std::string& cursor, int limit) {
  // The addresses starting with `prefix` are a range of the primary key: from the prefix up to
  // (not including) the prefix with its last byte raised by one; no upper end when every byte
  // is 0xFF.
  std::string after_prefix = prefix;
  while (!after_prefix.empty() && static_cast<unsigned char>(after_prefix.back()) == 0xFF) {
    after_prefix.pop_back();
  }
  if (!after_prefix.empty()) ++after_prefix.back();
  ScopedStatement select(connection,
                         "SELECT address, reason, detail, created_at FROM suppressions "
                         "WHERE address > ? AND address >= ? AND (? = '' OR address < ?) "
                         "ORDER BY address LIMIT ?");
  select->bind(1, cursor);
  select->bind(2, prefix);
  select->bind(3, after_prefix);
  select->bind(4, after_prefix);
  select->bind(5, std::clamp(limit, 1, 1000));
  std::vector<Suppression> suppressions;
  while (select->executeStep()) {
    suppressions.push_back({select->getColumn(0).getString(), select->getColumn(1).getString(),
                            select->getColumn(2).getString(), select->getColumn(3).getInt64()});
  }
  return suppressions;
}

}  // namespace store::sqlite
