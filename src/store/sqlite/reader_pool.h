#pragma once
// Read-only connections for the store's readers: one per concurrent reading thread, reused.
// WAL lets them read committed data while the writer works, each from its own snapshot.
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite/connection.h"

namespace store::sqlite {

class ReaderPool {
 public:
  ReaderPool(std::string path, int busy_timeout_ms)
      : path_(std::move(path)), busy_timeout_ms_(busy_timeout_ms) {}
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;

  // An idle connection, or a new one. Throws SQLite::Exception if it cannot open.
  std::unique_ptr<Connection> Acquire();
  // Returns a connection that finished its work cleanly. A connection an exception escaped from
  // must be dropped instead, since it may still hold a read transaction.
  void Release(std::unique_ptr<Connection> connection);

 private:
  // Idle connections kept beyond this are closed: bursts of readers do not pin file handles. Each
  // costs a file handle and at most its 1 MiB page cache. With fewer than the usual number of
  // concurrent requests (32 connections of a benchmark or a busy client, each request reading
  // suppressions), connections were closed and reopened all the time, and every new one parses
  // the whole schema again (seen in perf: 1% of an enqueue's time).
  static constexpr std::size_t kMaxIdle = 32;

  const std::string path_;
  const int busy_timeout_ms_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;  // guarded by mutex_
};

}  // namespace store::sqlite
