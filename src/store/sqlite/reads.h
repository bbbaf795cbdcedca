#pragma once
// The store's reads, each on a read-only connection of the pool. Several statements that must
// agree run in one read transaction, i.e. one WAL snapshot. They may throw SQLite::Exception.
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

core::Result<Email> ReadEmail(Connection& connection, const std::string& id);
core::Result<EmailPage> ReadEmailPage(Connection& connection, const EmailFilter& filter);
core::Result<std::vector<EventCount>> ReadEventCounts(Connection& connection, TimeMs since,
                                                      TimeMs until, TimeMs step);
core::Result<std::vector<EmailEvent>> ReadEmailEvents(Connection& connection,
                                                      const std::string& id);
core::Result<std::vector<TimeMs>> ReadSendLatencies(Connection& connection, TimeMs since,
                                                    TimeMs until, int limit);
core::Result<std::vector<FailureEvent>> ReadRecentFailures(Connection& connection, TimeMs since,
                                                           int limit);
core::Result<EmailStore::RawMessage> ReadRawMessage(Connection& connection, const std::string& id);
// EmailStore::GetRawMessages.
core::Result<std::vector<std::optional<EmailStore::RawMessage>>> ReadRawMessages(
    Connection& connection, const std::vector<std::string>& ids, std::size_t max_bytes);
core::Result<std::optional<TimeMs>> ReadNextRunAt(Connection& connection, JobKind kind);
core::Result<QueueStats> ReadStats(Connection& connection, TimeMs now);
core::Result<ApiKey> ReadApiKeyByHash(Connection& connection, const std::string& key_hash);
core::Result<ApiKey> ReadApiKeyById(Connection& connection, const std::string& id);
// A row of "SELECT id, name, key_hash, role, created_at, expires_at, callback_url, key_hint".
ApiKey ApiKeyFromRow(SQLite::Statement& row);
core::Result<std::vector<ApiKey>> ReadApiKeys(Connection& connection);
core::Result<int> ReadApiKeyCount(Connection& connection, const std::string& role);
// A cheap read that proves the database answers.
core::Status ReadPing(Connection& connection);
}  // namespace store::sqlite
