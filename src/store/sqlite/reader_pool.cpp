#include "store/sqlite/reader_pool.h"

#include <utility>

namespace store::sqlite {

std::unique_ptr<Connection> ReaderPool::Acquire() {
  {
    std::lock_guard lock(mutex_);
    if (!idle_.empty()) {
      std::unique_ptr<Connection> connection = std::move(idle_.back());
      idle_.pop_back();
      return connection;
    }
  }
  // Opened outside the lock: opening touches the file system. NOMUTEX because a connection is
  // only ever used by the one thread that checked it out.
  auto connection = std::make_unique<Connection>(
      path_, SQLite::OPEN_READONLY | SQLite::OPEN_NOMUTEX, busy_timeout_ms_);
  // Readers look up single rows and short pages; a small cache each keeps the pool's memory
  // bounded (the writer holds the large cache).
  connection->db.exec("PRAGMA cache_size = -1024");
  return connection;
}

void ReaderPool::Release(std::unique_ptr<Connection> connection) {
  {
    std::lock_guard lock(mutex_);
    if (idle_.size() < kMaxIdle) {
      idle_.push_back(std::move(connection));
      return;
    }
  }
  connection.reset();  // closed outside the lock
}

}  // namespace store::sqlite
