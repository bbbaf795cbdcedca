// The checkpointer copies the WAL back on its own thread once the writer's commits cross the
// threshold; the writer's commits never checkpoint themselves.
#include "store/sqlite/checkpointer.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <thread>

#include "testing/temp_dir.h"

TEST_CASE("checkpointer: the writer's commits hand the checkpoint to the checkpointer's thread") {
  testing::TempDir directory;
  const std::string path = directory.File("wal.db");
  SQLite::Database writer(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  writer.exec("PRAGMA journal_mode = WAL");
  writer.exec("CREATE TABLE blobs (data BLOB)");
  store::sqlite::Checkpointer checkpointer(path, "FULL", 1000);
  checkpointer.Attach(writer);

  // Commits under the threshold: nobody checkpoints (SQLite's automatic one is replaced).
  SQLite::Statement insert(writer, "INSERT INTO blobs (data) VALUES (zeroblob(3000))");
  for (int i = 0; i < 100; ++i) {
    insert.exec();
    insert.reset();
  }
  CHECK(checkpointer.CompletedForTesting() == 0);

  // Past the threshold the checkpointer runs; the writer goes on without waiting for it.
  for (int i = 0; i < 1200; ++i) {
    insert.exec();
    insert.reset();
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (checkpointer.CompletedForTesting() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  CHECK(checkpointer.CompletedForTesting() >= 1);
  CHECK(writer.execAndGet("SELECT count(*) FROM blobs").getInt() == 1300);
}
