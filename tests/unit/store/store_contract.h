#pragma once
// The behaviour every store::Store must show, written once against the interface. A backend
// (SQLite today, Redis later) supplies a factory; each Run*Contract function holds doctest
// SUBCASEs and is called from one TEST_CASE per backend:
//
//   TEST_CASE("sqlite store: emails") { store_contract::RunEmailContract(MakeSqliteBackend); }
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

// Create, get, list, filters, cursor pagination, idempotency, raw messages.
void RunEmailContract(const BackendFactory& factory);
// Leasing order, fencing, heartbeats, delivery outcomes, release, recovery, retry, cancel.
void RunJobContract(const BackendFactory& factory);
// API keys, stats, ping.
void RunAdminContract(const BackendFactory& factory);
// GoMail support: keys by id and by user name, settings, one-time codes.
void RunGoMailContract(const BackendFactory& factory);
// Subscriptions: content types, subscribe / unsubscribe, subscriber counts.
void RunSubscriptionContract(const BackendFactory& factory);
// What survives closing and reopening the store.
// Newsletter schedules, unsubscribe tokens, fires and their fan-out.
void RunNewsletterContract(const BackendFactory& factory);
// Status callbacks (their own job kind), delivery attempts, endpoints and expiring tasks.
void RunCallbackContract(const BackendFactory& factory);
void RunPersistenceContract(const BackendFactory& factory);
// Many threads writing at once.
void RunConcurrencyContract(const BackendFactory& factory);
// Templates: versions on every save, the expected-version precondition, pages, delete.
void RunTemplateContract(const BackendFactory& factory);

}  // namespace store_contract
