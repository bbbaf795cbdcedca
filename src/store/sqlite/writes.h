#pragma once
// The store's write transactions. Each runs on the writer thread as one operation of a group
// commit, inside its own savepoint: it may return an error or throw SQLite::Exception, and either
// way its writes are rolled back alone. Job and email rows change together, with their event and
// counter, so a reader never sees one without the other.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

// The column values of a new email that take work to compute, computed on the caller's thread
// so the single writer spends its time on SQL only.
struct PreparedEmail {
  std::string to, cc, bcc, tags, metadata, envelope_recipients;  // JSON text
  std::set<std::string> recipients;  // distinct bare, lower-cased addresses of to/cc/bcc
};

// Validates `email` (id, max_attempts, message size) and computes its columns.
core::Result<PreparedEmail> PrepareEmail(const NewEmail& email);

core::Error AlreadyExists(std::string message);
// Appends an event to the email's timeline.
void AddEvent(Connection& connection, const std::string& email_id, TimeMs at, std::string_view type,
              const std::string& detail);
// Adds `amount` to one of the persistent counters (enqueued_total, sent_total, ...).
void AddToCounter(Connection& connection, const char* name, std::int64_t amount);

// The rows of a new email: its job, the email, its message, recipients and "queued" event. No
// idempotency claim, no counter. kAlreadyExists if the id is taken.
// REQUIRES: `prepared` came from PrepareEmail(email).
core::Status InsertEmailInTransaction(Connection& connection, const NewEmail& email,
                                      const PreparedEmail& prepared, TimeMs now);
// PrepareEmail and InsertEmailInTransaction in one, for an email built inside a write (a
// fan-out's), where there is no earlier thread to prepare it on.
core::Status PrepareAndInsertEmailInTransaction(Connection& connection, const NewEmail& email,
                                                TimeMs now);
// InsertEmailInTransaction with an idempotency claim (see Store::CreateEmail) and the counter.
// REQUIRES: `prepared` came from PrepareEmail(email).
core::Result<CreateEmailResult> CreateEmailInTransaction(
    Connection& connection, const NewEmail& email, const PreparedEmail& prepared,
    const std::optional<IdempotencyClaim>& claim, TimeMs now);
// `compose` makes the status callbacks of tracked emails (see TrackingStore).
core::Result<std::vector<Lease>> LeaseJobsInTransaction(Connection& connection, JobKind kind,
                                                        int max, TimeMs now, TimeMs lease_ms,
                                                        const StatusCallbackComposer& compose);
core::Status HeartbeatInTransaction(Connection& connection, std::int64_t job_id, std::int64_t token,
                                    TimeMs expires_at);
// `compose` makes the status callbacks of tracked emails; unused for other jobs.
core::Status FinishDeliveryInTransaction(Connection& connection, std::int64_t job_id,
                                         std::int64_t token, const DeliveryOutcome& outcome,
                                         const StatusCallbackComposer& compose, TimeMs now);
core::Status ReleaseLeaseInTransaction(Connection& connection, std::int64_t job_id,
                                       std::int64_t token, TimeMs run_at, TimeMs now);
core::Result<int> RecoverLeasesInTransaction(Connection& connection, TimeMs now);
core::Status RetryEmailInTransaction(Connection& connection, const std::string& id, TimeMs now);
core::Status CancelEmailInTransaction(Connection& connection, const std::string& id, TimeMs now);
// See EmailStore::ResendEmail. REQUIRES: `prepared` came from PrepareEmail(copy).
core::Status ResendEmailInTransaction(Connection& connection, const std::string& original_id,
                                      const NewEmail& copy, const PreparedEmail& prepared,
                                      TimeMs now);
// Cancels a queued email and its job, with the email's "cancelled" event; returns the email's
// campaign id, if it has one, so the caller counts it. REQUIRES: the job `job_id` is the email's
// and is queued.
std::optional<std::int64_t> CancelQueuedEmail(Connection& connection, const std::string& id,
                                              std::int64_t job_id, TimeMs now);
core::Status CreateApiKeyInTransaction(Connection& connection, const ApiKey& key);
core::Result<std::vector<ApiKey>> DeleteApiKeysByNameInTransaction(Connection& connection,
                                                                   const std::string& name,
                                                                   const std::string& role);
core::Result<ApiKey> DeleteApiKeyInTransaction(Connection& connection, const std::string& id);
core::Result<std::string> GetOrCreateSettingInTransaction(Connection& connection,
                                                          const std::string& key,
                                                          const std::string& value_if_absent);
core::Result<std::optional<std::string>> GetSettingInTransaction(Connection& connection,
                                                                 const std::string& key);
core::Status DeleteSettingInTransaction(Connection& connection, const std::string& key);
core::Status PutOtpInTransaction(Connection& connection, const OtpRecord& record,
                                 TimeMs resend_interval_ms);
core::Status VerifyOtpInTransaction(Connection& connection, const std::string& owner,
                                    const std::string& recipient, const OtpDecision& decide);

}  // namespace store::sqlite
