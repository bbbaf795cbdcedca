#pragma once
// The audit trail: who did what to whom, when and from where (sign-ins and failed sign-ins,
// logouts, user and key changes). Append-only.
#include <cstdint>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

struct AuditEntry {
  std::int64_t id = 0;  // assigned by AppendAudit, ascending
  TimeMs at = 0;
  std::string actor;    // "user:<id>", "key:<id>", "cli", or "" (an anonymous failed login)
  std::string action;   // e.g. "login", "login_failed", "logout", "user_created", "role_changed"
  std::string target;   // what it was done to: "user:<id>", "key:<id>", "session:<id>", an email
  std::string address;  // the client address; "" from the command line
  std::string detail;   // a JSON object with what else matters (never a secret)
};

struct AuditQuery {
  std::string action;  // "" for every action
  std::string cursor;  // "" for the newest page; next_cursor of the previous page
  int limit = 50;      // 1..1000
};

struct AuditPage {
  std::vector<AuditEntry> entries;  // newest first
  std::string next_cursor;          // "" after the last page
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;

  // Stores `entry` (its id is ignored; "" detail is stored as "{}"). kInvalidArgument for an
  // empty action.
  virtual Status AppendAudit(const AuditEntry& entry) = 0;
  // kInvalidArgument for a cursor this listing did not return.
  virtual Result<AuditPage> ListAudit(const AuditQuery& query) = 0;
};

}  // namespace store
