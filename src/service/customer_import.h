#pragma once
// Bulk creation of customers from a CSV file (POST /v1/customers/import): each valid row becomes
// a confirmed customer without a password (they cannot sign in until a password is set), an
// address that has an account already is left as it is. An import runs in the background and
// reports its progress; the last few imports are remembered until the process ends.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "service/accounts.h"
#include "store/audit_store.h"
#include "store/user_store.h"

namespace service {

inline constexpr std::size_t kMaxImportErrors = 100;  // rows reported by line; the rest counted
inline constexpr std::int64_t kMaxImportRows =
    200'000;  // per file: bounds the memory an import holds

// One CSV record: its fields and the line it starts on (1-based).
struct CsvRecord {
  std::int64_t line = 0;
  std::vector<std::string> fields;
};

// Pure: RFC 4180 CSV (fields separated by ',', records by CRLF or LF, '"'-quoted fields with ""
// for a quote and line breaks inside). A UTF-8 byte order mark at the start is skipped; empty
// lines are skipped. kInvalidArgument (field "body", naming the line) for a quote that is not
// closed, text after a closing quote, or a NUL byte.
core::Result<std::vector<CsvRecord>> ParseCsv(std::string_view text);

struct ImportRowError {
  std::int64_t line = 0;
  std::string field;  // "email", "name", ...
  std::string message;
};

struct ImportReport {
  std::string id;                  // "imp_..."
  std::string status = "running";  // running, done, failed
  std::int64_t rows = 0;           // data rows in the file (the header not counted)
  std::int64_t processed = 0;      // rows looked at so far
  std::int64_t created = 0;
  std::int64_t existing = 0;  // the address has an account already (or came earlier in the file)
  std::int64_t invalid = 0;
  std::vector<ImportRowError> errors;  // the first kMaxImportErrors invalid rows
  std::string error;                   // status failed: why
  core::TimeMs started_at = 0;
  std::optional<core::TimeMs> finished_at;
};

class CustomerImports {
 public:
  CustomerImports(store::UserStore& users, store::AuditStore& audit, const core::Clock& clock,
                  core::Logger& logger, int batch = 500);
  ~CustomerImports();  // waits for running imports
  CustomerImports(const CustomerImports&) = delete;
  CustomerImports& operator=(const CustomerImports&) = delete;

  // Parses the file and starts creating its customers. The header row is optional: a first row
  // whose fields are all column names (email, name, first_name, last_name, any order) names the
  // columns; without one the columns are email, name. kInvalidArgument for a file that is not
  // CSV, has no email column, no data rows or more than kMaxImportRows; kResourceExhausted
  // while another import runs.
  core::Result<ImportReport> Start(std::string_view csv, const std::string& actor,
                                   const Client& client);
  // kNotFound for an unknown (or forgotten) id.
  core::Result<ImportReport> Get(const std::string& id);

 private:
  struct Row;
  void Run(const std::string& id, std::vector<Row> rows, std::string actor, Client client);
  void Update(const std::string& id, const std::function<void(ImportReport&)>& change);

  store::UserStore& users_;
  store::AuditStore& audit_;
  const core::Clock& clock_;
  core::Logger& logger_;
  const int batch_;

  std::mutex mutex_;
  std::map<std::string, ImportReport> reports_;  // by id; the oldest finished ones forgotten
  std::vector<std::string> order_;               // ids, oldest first
  bool running_ = false;
  std::thread worker_;  // the running (or last) import
};

}  // namespace service
