#pragma once
// The SQLite backend of store::Store: one database file in WAL mode, used by one process at a
// time (an exclusive lock file beside it), reads on a pool of read-only connections, writes
// group-committed by one writer thread. See src/store/README.md for what it adds to the contract.
#include <memory>
#include <string>

#include "core/result.h"
#include "store/store.h"

namespace store {

enum class Durability { kFull, kNormal };

struct SqliteOptions {
  std::string path;  // database file; its directory must exist
  Durability durability = Durability::kFull;
  int busy_timeout_ms = 5000;
  int max_batch = 512;  // most writes one group commit takes
};

// Opens (creating if needed) the database, applies the embedded migrations and takes an
// exclusive lock file (path + ".lock") so no second process uses the same file.
core::Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace store
