#pragma once
// Helpers the store contract files share: a sample email, opening a backend's store, and
// REQUIRE-checked shorthands for the calls most cases make. Test-only.
#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/store.h"
#include "store_contract.h"

namespace store_contract {

using std::string_literals::operator""s;
using core::ErrorCode;
using core::TimeMs;
using store::DeliveryOutcome;
using store::EmailStatus;

inline constexpr TimeMs kT0 = 1'700'000'000'000;
inline constexpr TimeMs kLeaseMs = 30'000;

inline store::NewEmail MakeEmail(const std::string& id,
                                 int priority = store::kPriorityTransactional, TimeMs send_at = 0) {
  store::NewEmail email;
  email.id = id;
  email.from = "Sender <sender@example.org>";
  email.to = {"Ada Lovelace <Ada@Example.org>"};
  email.envelope_from = "sender@example.org";
  email.envelope_recipients = {"ada@example.org"};
  email.subject = "Subject of " + id;
  email.raw_message = "Subject: Subject of " + id + "\r\n\r\nBody\r\n";
  email.send_at = send_at;
  email.priority = priority;
  email.max_attempts = 3;
  email.owner = "key-1";
  return email;
}

inline std::unique_ptr<store::Store> OpenStore(Backend& backend) {
  core::Result<std::unique_ptr<store::Store>> opened = backend.Open();
  REQUIRE_MESSAGE(opened.ok(), opened.error().message);
  return std::move(opened).value();
}

inline void Create(store::Store& store, const store::NewEmail& email, TimeMs now = kT0) {
  core::Result<store::CreateEmailResult> created = store.CreateEmail(email, std::nullopt, now);
  REQUIRE_MESSAGE(created.ok(), created.error().message);
  REQUIRE_FALSE(created->replayed.has_value());
}

inline store::Email Get(store::Store& store, const std::string& id) {
  core::Result<store::Email> email = store.GetEmail(id);
  REQUIRE_MESSAGE(email.ok(), email.error().message);
  return std::move(email).value();
}

inline std::vector<store::Lease> Lease(store::Store& store, int max, TimeMs now,
                                       TimeMs lease_ms = kLeaseMs) {
  core::Result<std::vector<store::Lease>> leases =
      store.LeaseJobs(store::JobKind::kEmail, max, now, lease_ms);
  REQUIRE_MESSAGE(leases.ok(), leases.error().message);
  return std::move(leases).value();
}

inline store::Lease LeaseOne(store::Store& store, TimeMs now, TimeMs lease_ms = kLeaseMs) {
  std::vector<store::Lease> leases = Lease(store, 1, now, lease_ms);
  REQUIRE(leases.size() == 1);
  return leases.front();
}

inline std::vector<std::string> EventTypes(store::Store& store, const std::string& id) {
  core::Result<std::vector<store::EmailEvent>> events = store.ListEmailEvents(id);
  REQUIRE_MESSAGE(events.ok(), events.error().message);
  std::vector<std::string> types;
  for (const store::EmailEvent& event : *events) {
    types.push_back(event.type);
  }
  return types;
}

inline std::vector<std::string> Ids(const store::EmailPage& page) {
  std::vector<std::string> ids;
  for (const store::Email& email : page.emails) {
    ids.push_back(email.id);
  }
  return ids;
}

inline store::EmailPage List(store::Store& store, const store::EmailFilter& filter) {
  core::Result<store::EmailPage> page = store.ListEmails(filter);
  REQUIRE_MESSAGE(page.ok(), page.error().message);
  return std::move(page).value();
}

inline store::QueueStats Stats(store::Store& store, TimeMs now) {
  core::Result<store::QueueStats> stats = store.Stats(now);
  REQUIRE_MESSAGE(stats.ok(), stats.error().message);
  return *stats;
}

inline DeliveryOutcome Outcome(DeliveryOutcome::Kind kind, std::string reply, TimeMs retry_at = 0) {
  DeliveryOutcome outcome;
  outcome.kind = kind;
  outcome.reply = std::move(reply);
  outcome.retry_at = retry_at;
  return outcome;
}

// A customer with a confirmed address, created at kT0.
inline store::User MakeUser(const std::string& email, const std::string& role = "customer") {
  store::User user;
  user.email = email;
  user.name = "Name of " + email;
  user.role = role;
  user.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
  user.created_at = kT0;
  user.confirmed_at = kT0;
  return user;
}

inline store::User AddUser(store::Store& store, const store::User& user) {
  core::Result<store::User> created = store.CreateUser(user);
  REQUIRE_MESSAGE(created.ok(), created.error().message);
  return std::move(created).value();
}

inline store::User AddUser(store::Store& store, const std::string& email,
                           const std::string& role = "customer") {
  return AddUser(store, MakeUser(email, role));
}

// A kind "session" session of `user_id`, created at `created_at`, expiring a day later.
inline store::Session MakeSession(const std::string& id, std::int64_t user_id,
                                  TimeMs created_at = kT0) {
  store::Session session;
  session.id = id;
  session.user_id = user_id;
  session.created_at = created_at;
  session.last_used_at = created_at;
  session.expires_at = created_at + 86'400'000;
  session.address = "192.0.2.1";
  session.user_agent = "curl/8.0";
  return session;
}

inline void AddSession(store::Store& store, const store::Session& session,
                       const std::string& refresh_hash = "") {
  core::Status created = store.CreateSession(session, refresh_hash);
  REQUIRE_MESSAGE(created.ok(), created.error().message);
}

inline store::Session GetSession(store::Store& store, const std::string& id) {
  core::Result<store::Session> session = store.GetSession(id);
  REQUIRE_MESSAGE(session.ok(), session.error().message);
  return std::move(session).value();
}

inline void CheckOk(const core::Status& status) {
  CHECK_MESSAGE(status.ok(), status.error().message);
}

inline void CheckCode(const core::Status& status, ErrorCode code) {
  REQUIRE_FALSE(status.ok());
  CHECK(status.error().code == code);
}

}  // namespace store_contract
