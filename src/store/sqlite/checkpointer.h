#pragma once
// Copies the WAL back into the database on a thread of its own, so that the writer never does.
// SQLite's automatic checkpoint runs inside the COMMIT that crosses 1000 WAL pages: on the
// writer's thread, with every caller of that batch (and everyone queued behind it) waiting for
// the copy and its fsyncs. Here the writer's commit hook only signals this thread, which runs a
// PASSIVE checkpoint (the same kind SQLite runs) over its own connection while the writer goes
// on committing. Durability is unchanged: a commit is durable once its WAL frames are synced,
// whoever copies them back later.
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite/connection.h"

namespace store::sqlite {

class Checkpointer {
 public:
  // Checkpoint once the WAL holds this many pages (SQLite's own default).
  static constexpr int kWalPages = 1000;

  // Opens its connection to `path` (which must exist, in WAL mode) and starts the thread.
  // `synchronous` is the PRAGMA value the writer uses ("FULL" or "NORMAL"). Throws
  // SQLite::Exception if the database cannot be opened.
  Checkpointer(const std::string& path, const std::string& synchronous, int busy_timeout_ms);
  // Stops the thread (a checkpoint under way finishes first) and closes the connection.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Makes `writer` hand its checkpoints to this object instead of running them itself.
  // REQUIRES: this object outlives `writer`'s last commit.
  void Attach(SQLite::Database& writer);

  // Checkpoints that ran to the end (every frame copied back), for tests.
  int CompletedForTesting();

 private:
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Request();
  void Loop();

  Connection connection_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;  // guarded by mutex_
  bool stopping_ = false;   // guarded by mutex_
  int completed_ = 0;       // guarded by mutex_
  std::thread thread_;      // last: starts after everything it uses exists
};

}  // namespace store::sqlite
