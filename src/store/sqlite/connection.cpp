#include "store/sqlite/connection.h"

#include <sqlite3.h>

namespace store::sqlite {

core::Error ErrorFromException(const SQLite::Exception& exception, std::string_view context) {
  std::string message = std::string(context) + ": " + exception.what();
  const int code = exception.getErrorCode();
  const int extended = exception.getExtendedErrorCode();
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL: return core::Unavailable(std::move(message));
    case SQLITE_CONSTRAINT:
      if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return core::Error{core::ErrorCode::kAlreadyExists, std::move(message), {}};
      }
      return core::Internal(std::move(message));
    default: return core::Internal(std::move(message));
  }
}

SQLite::Statement& StatementCache::Get(std::string_view sql) {
  auto found = statements_.find(sql);
  if (found != statements_.end()) {
    return *found->second;
  }
  auto statement = std::make_unique<SQLite::Statement>(db_, std::string(sql));
  SQLite::Statement& result = *statement;
  statements_.emplace(std::string(sql), std::move(statement));
  return result;
}

ScopedStatement::~ScopedStatement() {
  // tryReset returns the error of a failed last step, which the caller has already seen as an
  // exception; clear_bindings cannot fail.
  statement_.tryReset();
  try {
    statement_.clearBindings();
  } catch (const SQLite::Exception&) {  // NOLINT(bugprone-empty-catch): nothing left to undo
  }
}

void BindTime(SQLite::Statement& statement, int index, const std::optional<std::int64_t>& time) {
  if (time) {
    statement.bind(index, *time);
  } else {
    statement.bind(index);  // NULL
  }
}

std::optional<std::int64_t> TimeColumn(SQLite::Statement& row, int index) {
  if (row.isColumnNull(index)) {
    return std::nullopt;
  }
  return row.getColumn(index).getInt64();
}

}  // namespace store::sqlite
