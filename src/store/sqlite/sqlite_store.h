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
  // false: no lock file, so an administration command (`outbox users ...`) can work beside a
  // running server, SQLite's own locking ordering the writes. Such a store must not recover
  // leases or run workers: that is the server's.
  bool exclusive = true;
};

// Opens (creating if needed) the database, applies the embedded migrations and, when
// `exclusive`, takes a lock file (path + ".lock") so no second server uses the same file.
core::Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace store
