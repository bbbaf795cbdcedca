#pragma once
// The behaviour every store::Store must show, written once against the interfaces, one file per
// area (email_contract.cpp, job_queue_contract.cpp, ...). A backend (SQLite today, Redis later)
// supplies a factory and instantiates the whole suite with one line:
//
//   OUTBOX_STORE_CONTRACT_TESTS("sqlite store", MakeSqliteBackend)
//
// Each Run*Contract function holds doctest SUBCASEs and becomes one TEST_CASE per backend.
#include <doctest/doctest.h>

#include <functional>
#include <memory>

#include "core/result.h"
#include "store/store.h"

namespace store_contract {

// One backend's data. Open() may be called again once the previous store is destroyed, and must
// then see everything the earlier one committed.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual core::Result<std::unique_ptr<store::Store>> Open() = 0;
};

// Returns a backend with empty data, distinct from every other one it returned.
using BackendFactory = std::function<std::unique_ptr<Backend>()>;

// EmailStore: create, get, list, filters, cursor pagination, idempotency, raw messages.
void RunEmailContract(const BackendFactory& factory);
// JobQueue: leasing order, fencing, heartbeats, delivery outcomes, release, recovery, retry,
// cancel.
void RunJobContract(const BackendFactory& factory);
// AccessStore: API keys; JobQueue::Stats; Store::Ping.
void RunAdminContract(const BackendFactory& factory);
// AccessStore for GoMail: keys by id and by user name, settings, one-time codes.
void RunGoMailContract(const BackendFactory& factory);
// NewsletterStore: content types, subscribe / unsubscribe, subscriber counts.
void RunSubscriptionContract(const BackendFactory& factory);
// NewsletterStore: schedules, unsubscribe tokens, fires and their fan-out.
void RunNewsletterContract(const BackendFactory& factory);
// CallbackStore: status callbacks (their own job kind), delivery attempts, endpoints and
// expiring tasks.
void RunCallbackContract(const BackendFactory& factory);
// TrackingStore: tracked emails' records, the first open, the provider id of a sent email, and
// the status callbacks the injected composer makes of each change.
void RunTrackingContract(const BackendFactory& factory);
// TrackingStore: the suppression list (add / keep / remove / find / list with cursor, addresses
// compared lower-cased).
void RunSuppressionContract(const BackendFactory& factory);
// TrackingStore: provider events, found by our id or by the provider id, suppressing even when
// the email is unknown.
void RunProviderEventContract(const BackendFactory& factory);
// TemplateStore: versions on every save, the expected-version precondition, pages, delete.
void RunTemplateContract(const BackendFactory& factory);
// RetentionStore: what each purge kind removes and keeps, bounded batches, counters unchanged.
void RunRetentionContract(const BackendFactory& factory);
// SentEmailStore: a record and its emails all or nothing, by id, pages with filters.
void RunSentEmailContract(const BackendFactory& factory);
// UserStore: users (unique email in any case, ids never reused, changes, the last-admin guard,
// revoking on disable, cascading delete, pages, the campaign audience).
void RunUserContract(const BackendFactory& factory);
// UserStore: the login throttle's atomic read-modify-write.
void RunLoginThrottleContract(const BackendFactory& factory);
// SessionStore: sessions, refresh token rotation with reuse detection, live sessions, revoking.
void RunSessionContract(const BackendFactory& factory);
// VerificationStore: single-use confirmation links, expiry, confirming a signup's user, latest.
void RunVerificationContract(const BackendFactory& factory);
// AuditStore: append, newest first, cursor pages, the action filter.
void RunAuditContract(const BackendFactory& factory);
// CampaignStore: drafts, versions, every transition with its audit entry, the fan-out's batches,
// lease, ledger, audience and pacing, pause / resume / cancel of its emails, progress counters
// moved by deliveries, recipients' opens and unsubscribes.
void RunCampaignContract(const BackendFactory& factory);
// Across areas: what survives closing and reopening the store.
void RunPersistenceContract(const BackendFactory& factory);
// Across areas: many threads writing at once.
void RunConcurrencyContract(const BackendFactory& factory);

}  // namespace store_contract

// One TEST_CASE per contract, named "<prefix>: <area> contract", for the backend `factory` makes.
#define OUTBOX_STORE_CONTRACT_TESTS(prefix, factory)                                              \
  TEST_CASE(prefix ": email contract") { store_contract::RunEmailContract(factory); }             \
  TEST_CASE(prefix ": job contract") { store_contract::RunJobContract(factory); }                 \
  TEST_CASE(prefix ": admin contract") { store_contract::RunAdminContract(factory); }             \
  TEST_CASE(prefix ": gomail contract") { store_contract::RunGoMailContract(factory); }           \
  TEST_CASE(prefix ": callback contract") { store_contract::RunCallbackContract(factory); }       \
  TEST_CASE(prefix ": newsletter contract") { store_contract::RunNewsletterContract(factory); }   \
  TEST_CASE(prefix ": subscription contract") {                                                   \
    store_contract::RunSubscriptionContract(factory);                                             \
  }                                                                                               \
  TEST_CASE(prefix ": tracking contract") { store_contract::RunTrackingContract(factory); }       \
  TEST_CASE(prefix ": suppression contract") { store_contract::RunSuppressionContract(factory); } \
  TEST_CASE(prefix ": provider event contract") {                                                 \
    store_contract::RunProviderEventContract(factory);                                            \
  }                                                                                               \
  TEST_CASE(prefix ": persistence contract") { store_contract::RunPersistenceContract(factory); } \
  TEST_CASE(prefix ": template contract") { store_contract::RunTemplateContract(factory); }       \
  TEST_CASE(prefix ": retention contract") { store_contract::RunRetentionContract(factory); }     \
  TEST_CASE(prefix ": sent email contract") { store_contract::RunSentEmailContract(factory); }    \
  TEST_CASE(prefix ": user contract") { store_contract::RunUserContract(factory); }               \
  TEST_CASE(prefix ": login throttle contract") {                                                 \
    store_contract::RunLoginThrottleContract(factory);                                            \
  }                                                                                               \
  TEST_CASE(prefix ": session contract") { store_contract::RunSessionContract(factory); }         \
  TEST_CASE(prefix ": verification contract") {                                                   \
    store_contract::RunVerificationContract(factory);                                             \
  }                                                                                               \
  TEST_CASE(prefix ": audit contract") { store_contract::RunAuditContract(factory); }             \
  TEST_CASE(prefix ": campaign contract") { store_contract::RunCampaignContract(factory); }       \
  TEST_CASE(prefix ": concurrency contract") { store_contract::RunConcurrencyContract(factory); }
