#include "store/sqlite/migrations.h"

#include <algorithm>
#include <charconv>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/connection.h"

namespace store::sqlite {
namespace {

struct Migration {
  int version = 0;
  const core::EmbeddedFile* file = nullptr;
};

// "012_add_tasks.sql" -> 12. The number is everything before the first '_'.
core::Result<int> VersionOf(std::string_view path) {
  const std::string_view name = path.substr(path.find_last_of('/') + 1);
  const std::size_t underscore = name.find('_');
  if (underscore == std::string_view::npos || underscore == 0 || !name.ends_with(".sql")) {
    return core::Internal("migration file name '" + std::string(path) + "' is not NNN_name.sql");
  }
  int version = 0;
  const char* first = name.data();
  const char* last = name.data() + underscore;
  const auto [end, error] = std::from_chars(first, last, version);
  if (error != std::errc() || end != last || version <= 0) {
    return core::Internal("migration file name '" + std::string(path) +
                          "' does not start with a positive number");
  }
  return version;
}

core::Result<std::vector<Migration>> SortedMigrations(std::span<const core::EmbeddedFile> files) {
  std::vector<Migration> migrations;
  for (const core::EmbeddedFile& file : files) {
    core::Result<int> version = VersionOf(file.path);
    if (!version.ok()) {
      return version.error();
    }
    migrations.push_back({*version, &file});
  }
  std::sort(migrations.begin(), migrations.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version == migrations[i - 1].version) {
      return core::Internal("migrations '" + std::string(migrations[i - 1].file->path) + "' and '" +
                            std::string(migrations[i].file->path) + "' share a number");
    }
  }
  return migrations;
}

}  // namespace

core::Status ApplyMigrations(SQLite::Database& db, std::span<const core::EmbeddedFile> files) {
  core::Result<std::vector<Migration>> migrations = SortedMigrations(files);
  if (!migrations.ok()) {
    return migrations.error();
  }
  const int newest = migrations->empty() ? 0 : migrations->back().version;
  std::string current_file;
  try {
    const int current = db.execAndGet("PRAGMA user_version").getInt();
    if (current > newest) {
      return core::FailedPrecondition("database schema version " + std::to_string(current) +
                                      " is newer than this outbox understands (" +
                                      std::to_string(newest) +
                                      "); upgrade outbox or restore a backup");
    }
    for (const Migration& migration : *migrations) {
      if (migration.version <= current) {
        continue;
      }
      current_file = std::string(migration.file->path);
      // The embedded text is not NUL-terminated at a guaranteed place, so copy it.
      const std::string sql(migration.file->data);
      // Foreign keys are off while a migration runs (SQLite's procedure for rebuilding a
      // table: dropping a parent would otherwise delete its children), and checked before the
      // commit. The PRAGMA is a no-op inside a transaction, so it goes around it.
      const bool foreign_keys = db.execAndGet("PRAGMA foreign_keys").getInt() != 0;
      db.exec("PRAGMA foreign_keys = OFF");
      {
        SQLite::Transaction transaction(db, SQLite::TransactionBehavior::IMMEDIATE);
        db.exec(sql);
        SQLite::Statement check(db, "PRAGMA foreign_key_check");
        if (check.executeStep()) {
          return core::Internal("migration " + current_file + " breaks a foreign key of table " +
                                check.getColumn(0).getString());
        }
        // PRAGMA takes no bound parameters; the value is an integer we produced.
        db.exec("PRAGMA user_version = " + std::to_string(migration.version));
        transaction.commit();
      }
      if (foreign_keys) db.exec("PRAGMA foreign_keys = ON");
    }
  } catch (const SQLite::Exception& exception) {
    return ErrorFromException(exception, current_file.empty()
                                             ? std::string("reading schema version")
                                             : "applying migration " + current_file);
  }
  return {};
}

}  // namespace store::sqlite
