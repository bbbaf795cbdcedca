#include "store/sqlite/retention.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace store::sqlite {
namespace {

// Finished emails go with their job; their message, recipients, events and tracking row follow
// by ON DELETE CASCADE. An email is kept while a status callback about it is still pending, so a
// callback never outlives what it reports on.
int PurgeEmails(Connection& connection, TimeMs cutoff, int limit) {
  std::vector<std::pair<std::int64_t, std::int64_t>> doomed;  // (seq, job_id)
  {
    // INDEXED BY: without statistics the planner picks emails_status and walks every finished
    // email ever kept instead of seeking to those before the cutoff. The status test is the
    // partial index's WHERE as written (sql/014), or SQLite will not use the index.
    ScopedStatement select(connection,
                           "SELECT e.seq, e.job_id FROM emails e INDEXED BY emails_finished "
                           "WHERE (e.status = 'sent' OR e.status = 'failed' OR "
                           "e.status = 'cancelled' OR e.status = 'suppressed') "
                           "AND e.updated_at < ?1 "
                           "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = e.job_id "
                           "AND j.state IN ('queued', 'leased')) "
                           "AND NOT EXISTS (SELECT 1 FROM callbacks c JOIN jobs cj "
                           "ON cj.id = c.job_id WHERE c.subject_id = e.id "
                           "AND cj.state IN ('queued', 'leased')) LIMIT ?2");
    select->bind(1, cutoff);
    select->bind(2, limit);
    while (select->executeStep()) {
      doomed.emplace_back(select->getColumn(0).getInt64(), select->getColumn(1).getInt64());
    }
  }
  for (const auto& [seq, job_id] : doomed) {
    {
      ScopedStatement remove(connection, "DELETE FROM emails WHERE seq = ?");
      remove->bind(1, seq);
      remove->exec();
    }
    ScopedStatement remove_job(connection, "DELETE FROM jobs WHERE id = ?");
    remove_job->bind(1, job_id);
    remove_job->exec();
  }
  return static_cast<int>(doomed.size());
}

// Finished callbacks go with their job; their attempts follow by ON DELETE CASCADE.
int PurgeCallbacks(Connection& connection, TimeMs cutoff, int limit) {
  std::vector<std::pair<std::string, std::int64_t>> doomed;  // (id, job_id)
  {
    ScopedStatement select(connection,
                           "SELECT c.id, c.job_id FROM callbacks c JOIN jobs j ON j.id = c.job_id "
                           "WHERE c.created_at < ?1 AND j.updated_at < ?1 "
                           "AND j.state IN ('done', 'dead', 'cancelled') LIMIT ?2");
    select->bind(1, cutoff);
    select->bind(2, limit);
    while (select->executeStep()) {
      doomed.emplace_back(select->getColumn(0).getString(), select->getColumn(1).getInt64());
    }
  }
  for (const auto& [id, job_id] : doomed) {
    {
      ScopedStatement remove(connection, "DELETE FROM callbacks WHERE id = ?");
      remove->bind(1, id);
      remove->exec();
    }
    ScopedStatement remove_job(connection, "DELETE FROM jobs WHERE id = ?");
    remove_job->bind(1, job_id);
    remove_job->exec();
  }
  return static_cast<int>(doomed.size());
}

int PurgeTasks(Connection& connection, TimeMs cutoff, int limit) {
  ScopedStatement remove(connection,
                         "DELETE FROM tasks WHERE id IN (SELECT t.id FROM tasks t "
                         "WHERE COALESCE(t.removed_at, t.expires_at) < ?1 "
                         "AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.id = t.expiry_job_id "
                         "AND j.state IN ('queued', 'leased')) LIMIT ?2)");
  remove->bind(1, cutoff);
  remove->bind(2, limit);
  return remove->exec();
}

// A campaign's shared body is a fire (done from the start) that its fan-out keeps adding emails
// to: kept while the campaign is scheduled, sending or paused, even before its first email.
// campaigns_by_status finds the few such campaigns without reading the others.
int PurgeFires(Connection& connection, TimeMs cutoff, int limit) {
  ScopedStatement remove(connection,
                         "DELETE FROM fires WHERE key IN (SELECT f.key FROM fires f "
                         "WHERE f.done = 1 AND f.created_at < ?1 "
                         "AND NOT EXISTS (SELECT 1 FROM email_messages m WHERE m.fire_key = f.key) "
                         "AND NOT EXISTS (SELECT 1 FROM campaigns c WHERE c.status IN "
                         "('scheduled', 'sending', 'paused') AND c.fire_key = f.key) "
                         "LIMIT ?2)");
  remove->bind(1, cutoff);
  remove->bind(2, limit);
  return remove->exec();
}

int PurgeIdempotencyKeys(Connection& connection, TimeMs cutoff, int limit) {
  ScopedStatement remove(
      connection,
      "DELETE FROM idempotency_keys WHERE (owner, key) IN "
      "(SELECT owner, key FROM idempotency_keys WHERE created_at < ?1 LIMIT ?2)");
  remove->bind(1, cutoff);
  remove->bind(2, limit);
  return remove->exec();
}

// The outer expires_at test keeps a live code of the same recipient should codes ever be kept
// per (tenant, recipient).
int PurgeOneTimeCodes(Connection& connection, TimeMs cutoff, int limit) {
  ScopedStatement remove(connection,
                         "DELETE FROM otps WHERE expires_at < ?1 AND recipient IN "
                         "(SELECT recipient FROM otps WHERE expires_at < ?1 LIMIT ?2)");
  remove->bind(1, cutoff);
  remove->bind(2, limit);
  return remove->exec();
}

// Refresh tokens follow their session by ON DELETE CASCADE. The WHERE repeats sessions_finished's
// expression, so the purge seeks to what ended before the cutoff.
int PurgeSessions(Connection& connection, TimeMs cutoff, int limit) {
  ScopedStatement remove(connection,
                         "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions "
                         "WHERE MIN(expires_at, COALESCE(revoked_at, expires_at)) < ?1 "
                         "LIMIT ?2)");
  remove->bind(1, cutoff);
  remove->bind(2, limit);
  return remove->exec();
}

int PurgeVerifications(Connection& connection, TimeMs cutoff, int limit) {
  ScopedStatement remove(connection,
                         "DELETE FROM verifications WHERE id IN (SELECT id FROM verifications "
                         "WHERE MIN(expires_at, COALESCE(confirmed_at, expires_at)) < ?1 "
                         "LIMIT ?2)");
  remove->bind(1, cutoff);
  remove->bind(2, limit);
  return remove->exec();
}

}  // namespace

core::Result<int> PurgeInTransaction(Connection& connection, PurgeKind kind, TimeMs cutoff,
                                     int limit) {
  if (limit <= 0) {
    return core::InvalidArgument("limit", "the purge limit must be positive");
  }
  switch (kind) {
    case PurgeKind::kEmails: return PurgeEmails(connection, cutoff, limit);
    case PurgeKind::kCallbacks: return PurgeCallbacks(connection, cutoff, limit);
    case PurgeKind::kTasks: return PurgeTasks(connection, cutoff, limit);
    case PurgeKind::kFires: return PurgeFires(connection, cutoff, limit);
    case PurgeKind::kIdempotencyKeys: return PurgeIdempotencyKeys(connection, cutoff, limit);
    case PurgeKind::kOneTimeCodes: return PurgeOneTimeCodes(connection, cutoff, limit);
    case PurgeKind::kSessions: return PurgeSessions(connection, cutoff, limit);
    case PurgeKind::kVerifications: return PurgeVerifications(connection, cutoff, limit);
  }
  return core::InvalidArgument("kind", "unknown purge kind");
}

}  // namespace store::sqlite
