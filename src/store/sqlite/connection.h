#pragma once
// Private plumbing shared by the SQLite store's writer, readers and migrations: a connection with
// its cache of prepared statements, a scope guard for one use of a cached statement, and the
// mapping of SQLiteCpp exceptions onto core::Error.
#include <SQLiteCpp/SQLiteCpp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

namespace store::sqlite {

// SQLITE_BUSY, locked, I/O, disk-full and can't-open errors are kUnavailable (worth retrying
// later); unique-key violations are kAlreadyExists; anything else is kInternal.
core::Error ErrorFromException(const SQLite::Exception& exception, std::string_view context);

// Prepared statements by SQL text, so each is compiled once per connection. Not thread-safe: a
// cache belongs to the one thread using its connection at a time.
class StatementCache {
 public:
  explicit StatementCache(SQLite::Database& db) : db_(db) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement for `sql`, prepared on first use; stays valid as long as the cache.
  SQLite::Statement& Get(std::string_view sql);

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };

  SQLite::Database& db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>, Hash, std::equal_to<>>
      statements_;
};

// One database connection and its statements. Destroys the statements before the database.
struct Connection {
  Connection(const std::string& path, int flags, int busy_timeout_ms, const std::string& vfs = "")
      : db(path, flags, busy_timeout_ms, vfs) {}

  SQLite::Database db;
  StatementCache statements{db};
};

// One execution of a cached statement. Resets it and clears its bindings when the scope ends,
// also while an exception unwinds, so a statement never stays active: an active statement pins
// a read snapshot and makes ROLLBACK TO abort other work. Bind with bindNoCopy only to values
// that outlive the scope.
class ScopedStatement {
 public:
  ScopedStatement(Connection& connection, std::string_view sql)
      : statement_(connection.statements.Get(sql)) {}
  ~ScopedStatement();
  ScopedStatement(const ScopedStatement&) = delete;
  ScopedStatement& operator=(const ScopedStatement&) = delete;

  SQLite::Statement& operator*() { return statement_; }
  SQLite::Statement* operator->() { return &statement_; }

 private:
  SQLite::Statement& statement_;
};

// Binds an optional time: NULL when empty.
void BindTime(SQLite::Statement& statement, int index, const std::optional<std::int64_t>& time);
// An optional time column: nullopt when NULL.
std::optional<std::int64_t> TimeColumn(SQLite::Statement& row, int index);

}  // namespace store::sqlite
