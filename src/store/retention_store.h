#pragma once
// Retention: deleting what is finished and old, a bounded batch at a time, so that the database
// does not grow without bound. Persistent counters (QueueStats' *_total) are never touched.
#include <array>
#include <string_view>

#include "store/types.h"

namespace store {

// What a purge removes. Each kind's rows are purged only once finished before the cutoff, and
// never while something still pending needs them:
//   kEmails           sent, failed, cancelled or suppressed emails (updated before the cutoff)
//                     with their job, message, recipients, events and tracking row; not while
//                     their job is queued or leased, nor while a status callback about them is
//   kCallbacks        status callbacks whose job is done, dead or cancelled, with their attempts
//                     and job
//   kTasks            expiring tasks removed or expired before the cutoff, not while their
//                     EXPIRED callback is queued or being sent
//   kFires            newsletter fires fanned out to the end whose emails are all purged (the
//                     shared message body they keep)
//   kIdempotencyKeys  Idempotency-Key records claimed before the cutoff
//   kOneTimeCodes     one-time codes that expired before the cutoff
//   kSessions         sign-in sessions revoked or expired before the cutoff, with their refresh
//                     tokens
//   kVerifications    confirmation links confirmed or expired before the cutoff
enum class PurgeKind {
  kEmails,
  kCallbacks,
  kTasks,
  kFires,
  kIdempotencyKeys,
  kOneTimeCodes,
  kSessions,
  kVerifications
};

// In the order a retention pass purges them: emails before the fires whose bodies they share.
inline constexpr std::array<PurgeKind, 8> kPurgeKinds = {
    PurgeKind::kEmails,   PurgeKind::kCallbacks,       PurgeKind::kTasks,
    PurgeKind::kFires,    PurgeKind::kIdempotencyKeys, PurgeKind::kOneTimeCodes,
    PurgeKind::kSessions, PurgeKind::kVerifications};

// Stable names, for logs and the outbox_purged_total{kind} metric.
constexpr std::string_view PurgeKindName(PurgeKind kind) {
  switch (kind) {
    case PurgeKind::kEmails: return "emails";
    case PurgeKind::kCallbacks: return "callbacks";
    case PurgeKind::kTasks: return "tasks";
    case PurgeKind::kFires: return "fires";
    case PurgeKind::kIdempotencyKeys: return "idempotency_keys";
    case PurgeKind::kOneTimeCodes: return "one_time_codes";
    case PurgeKind::kSessions: return "sessions";
    case PurgeKind::kVerifications: return "verifications";
  }
  return "emails";
}

class RetentionStore {
 public:
  virtual ~RetentionStore() = default;

  // Deletes up to `limit` rows of `kind` that finished before `cutoff` (see PurgeKind), in one
  // transaction, and says how many (of the kind's own rows; what goes with them is not counted).
  // Fewer than `limit` means none were left. REQUIRES: limit > 0.
  // Cost: one transaction holding the writer for the batch; callers keep `limit` small (about a
  // thousand) and call again, so other writers get their turn in between.
  virtual Result<int> PurgeBefore(PurgeKind kind, TimeMs cutoff, int limit) = 0;
};

}  // namespace store
