#include "store/sqlite/checkpointer.h"

#include <pthread.h>
#include <sqlite3.h>

namespace store::sqlite {

Checkpointer::Checkpointer(const std::string& path, const std::string& synchronous,
                           int busy_timeout_ms)
    : connection_(path, SQLite::OPEN_READWRITE | SQLite::OPEN_NOMUTEX, busy_timeout_ms) {
  // The checkpointing connection decides the checkpoint's syncs and trims the WAL afterwards,
  // so it gets the writer's settings.
  connection_.db.exec("PRAGMA synchronous = " + synchronous);
  connection_.db.exec("PRAGMA journal_size_limit = 67108864");
  // Never checkpoints on its own account: it writes nothing but checkpoints.
  sqlite3_wal_autocheckpoint(connection_.db.getHandle(), 0);
  thread_ = std::thread([this] { Loop(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::Attach(SQLite::Database& writer) {
  // Replaces SQLite's automatic checkpoint, which is this same hook.
  sqlite3_wal_hook(writer.getHandle(), &Checkpointer::OnCommit, this);
}

int Checkpointer::CompletedForTesting() {
  std::lock_guard lock(mutex_);
  return completed_;
}

int Checkpointer::OnCommit(void* self, sqlite3* /*db*/, const char* /*name*/, int pages) {
  if (pages >= kWalPages) {
    static_cast<Checkpointer*>(self)->Request();
  }
  return SQLITE_OK;
}

void Checkpointer::Request() {
  {
    std::lock_guard lock(mutex_);
    if (requested_) {
      return;
    }
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::Loop() {
  pthread_setname_np(pthread_self(), "outbox-ckpt");
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || requested_; });
      if (stopping_) {
        return;
      }
      requested_ = false;
    }
    int wal_frames = 0;
    int copied_frames = 0;
    // PASSIVE takes no lock that the writer or readers wait for; frames that a reader still needs
    // stay for the next round, as with SQLite's automatic checkpoint. An error (busy, I/O) leaves
    // the WAL as it was: the next request tries again.
    const int result =
        sqlite3_wal_checkpoint_v2(connection_.db.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                  &wal_frames, &copied_frames);
    if (result == SQLITE_OK && copied_frames == wal_frames) {
      std::lock_guard lock(mutex_);
      ++completed_;
    }
  }
}

}  // namespace store::sqlite
