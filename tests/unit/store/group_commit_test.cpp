// The writer's batching rules, made deterministic: a first operation holds the writer until a
// known set of operations is queued, so those all land in the next batch together.
#include "store/sqlite/group_commit.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "store/sqlite/connection.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;
using core::Status;
using store::sqlite::Connection;
using store::sqlite::GroupCommitter;
using store::sqlite::ScopedStatement;

int CountCommit(void* commits) {
  ++*static_cast<std::atomic<int>*>(commits);
  return 0;  // let the commit proceed
}

std::unique_ptr<Connection> OpenWriter(const std::string& path, std::atomic<int>* commits) {
  auto connection =
      std::make_unique<Connection>(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 1000);
  connection->db.exec("PRAGMA foreign_keys = ON");
  connection->db.exec(
      "CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY);"
      "CREATE TABLE IF NOT EXISTS parents (id INTEGER PRIMARY KEY);"
      "CREATE TABLE IF NOT EXISTS children (parent INTEGER REFERENCES parents (id) "
      "DEFERRABLE INITIALLY DEFERRED);");
  sqlite3_commit_hook(connection->db.getHandle(), CountCommit, commits);
  return connection;
}

GroupCommitter::Operation Insert(const std::string& id) {
  return [id](Connection& connection) -> Status {
    ScopedStatement insert(connection, "INSERT INTO items (id) VALUES (?)");
    insert->bind(1, id);
    insert->exec();
    return {};
  };
}

std::vector<std::string> Items(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement select(db, "SELECT id FROM items ORDER BY id");
  std::vector<std::string> ids;
  while (select.executeStep()) {
    ids.push_back(select.getColumn(0).getString());
  }
  return ids;
}

// Counts the SAVEPOINT statements the connection runs.
int CountSavepoints(unsigned /*type*/, void* count, void* statement, void* /*unused*/) {
  const char* sql = sqlite3_sql(static_cast<sqlite3_stmt*>(statement));
  if (sql != nullptr && std::string_view(sql).starts_with("SAVEPOINT")) {
    ++*static_cast<std::atomic<int>*>(count);
  }
  return 0;
}

// Runs `operations` concurrently so that all of them form one batch, and returns their results
// in order. A gate operation occupies the writer until every one of them is queued. `rerunnable`
// marks the operations (not the gate, which runs alone in its own batch).
std::vector<Status> RunAsOneBatch(
    GroupCommitter& committer, const std::vector<GroupCommitter::Operation>& operations,
    GroupCommitter::Rerunnable rerunnable = GroupCommitter::Rerunnable::kNo) {
  std::atomic<bool> gate_running{false};
  const GroupCommitter::Operation gate = [&](Connection&) -> Status {
    gate_running = true;
    while (committer.QueueDepth() < operations.size()) {
      std::this_thread::yield();
    }
    return {};
  };
  std::vector<Status> results(operations.size());
  std::jthread gate_thread([&] { CHECK(committer.Run(gate).ok()); });
  while (!gate_running) {
    std::this_thread::yield();  // only once the writer is inside the gate may the others queue
  }
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < operations.size(); ++i) {
      threads.emplace_back([&, i] { results[i] = committer.Run(operations[i], rerunnable); });
    }
  }
  return results;
}

}  // namespace

TEST_CASE("group commit: one batch, one commit, each operation in its own savepoint") {
  testing::TempDir directory;
  const std::string path = directory.File("batch.db");
  std::atomic<int> commits{0};
  {
    GroupCommitter committer(OpenWriter(path, &commits), 64);
    REQUIRE(committer.Run(Insert("taken")).ok());
    REQUIRE(commits == 1);

    const GroupCommitter::Operation write_then_fail = [](Connection& connection) -> Status {
      ScopedStatement insert(connection, "INSERT INTO items (id) VALUES ('undone')");
      insert->exec();
      return core::FailedPrecondition("changed my mind");
    };
    const GroupCommitter::Operation write_then_throw = [](Connection& connection) -> Status {
      ScopedStatement insert(connection, "INSERT INTO items (id) VALUES ('thrown')");
      insert->exec();
      throw std::runtime_error("boom");
    };
    const std::vector<Status> results =
        RunAsOneBatch(committer, {Insert("a"), Insert("taken"), write_then_fail, Insert("b"),
                                  write_then_throw, Insert("c")});

    CHECK(commits == 3);  // the first write, the gate's batch, and this batch
    CHECK(results[0].ok());
    REQUIRE_FALSE(results[1].ok());
    CHECK(results[1].error().code == ErrorCode::kAlreadyExists);
    REQUIRE_FALSE(results[2].ok());
    CHECK(results[2].error().code == ErrorCode::kFailedPrecondition);
    CHECK(results[3].ok());
    REQUIRE_FALSE(results[4].ok());
    CHECK(results[4].error().code == ErrorCode::kInternal);
    CHECK(results[5].ok());
  }
  CHECK(Items(path) == std::vector<std::string>{"a", "b", "c", "taken"});
}

TEST_CASE("group commit: a failed COMMIT fails every operation of the batch") {
  testing::TempDir directory;
  const std::string path = directory.File("commit.db");
  std::atomic<int> commits{0};
  {
    GroupCommitter committer(OpenWriter(path, &commits), 64);
    // A deferred foreign key is checked only at COMMIT, so this batch cannot commit.
    const GroupCommitter::Operation orphan = [](Connection& connection) -> Status {
      connection.db.exec("INSERT INTO children (parent) VALUES (42)");
      return {};
    };
    const std::vector<Status> results =
        RunAsOneBatch(committer, {Insert("a"), orphan, Insert("b")});
    for (const Status& result : results) {
      CHECK_FALSE(result.ok());
    }
    // The writer goes on with the next batch.
    CHECK(committer.Run(Insert("after")).ok());
  }
  CHECK(Items(path) == std::vector<std::string>{"after"});
}

TEST_CASE("group commit: an operation that ends the transaction takes its batch down") {
  testing::TempDir directory;
  const std::string path = directory.File("lost.db");
  std::atomic<int> commits{0};
  {
    GroupCommitter committer(OpenWriter(path, &commits), 64);
    const GroupCommitter::Operation rollback = [](Connection& connection) -> Status {
      connection.db.exec("ROLLBACK");
      return {};
    };
    const std::vector<Status> results =
        RunAsOneBatch(committer, {Insert("a"), rollback, Insert("b")});
    for (const Status& result : results) {
      CHECK_FALSE(result.ok());
    }
    CHECK(committer.Run(Insert("after")).ok());
  }
  CHECK(Items(path) == std::vector<std::string>{"after"});
}

TEST_CASE("group commit: max_batch splits a long queue into several commits") {
  testing::TempDir directory;
  const std::string path = directory.File("split.db");
  std::atomic<int> commits{0};
  {
    GroupCommitter committer(OpenWriter(path, &commits), 2);
    const std::vector<Status> results =
        RunAsOneBatch(committer, {Insert("a"), Insert("b"), Insert("c"), Insert("d"), Insert("e")});
    for (const Status& result : results) {
      CHECK(result.ok());
    }
    CHECK(commits == 1 + 3);  // the gate, then 2 + 2 + 1
  }
  CHECK(Items(path).size() == 5);
}

TEST_CASE("group commit: a batch of rerunnable operations runs without savepoints") {
  testing::TempDir directory;
  const std::string path = directory.File("fast.db");
  std::atomic<int> commits{0};
  std::atomic<int> savepoints{0};
  auto writer = OpenWriter(path, &commits);
  sqlite3_trace_v2(writer->db.getHandle(), SQLITE_TRACE_STMT, CountSavepoints, &savepoints);
  {
    GroupCommitter committer(std::move(writer), 64);
    const std::vector<Status> results = RunAsOneBatch(
        committer, {Insert("a"), Insert("b"), Insert("c")}, GroupCommitter::Rerunnable::kYes);
    for (const Status& result : results) {
      CHECK(result.ok());
    }
    CHECK(commits == 2);  // the gate's batch and this one
    CHECK(savepoints == 0);
  }
  CHECK(Items(path) == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("group commit: a failed rerunnable operation reruns its batch with savepoints") {
  testing::TempDir directory;
  const std::string path = directory.File("rerun.db");
  std::atomic<int> commits{0};
  std::atomic<int> savepoints{0};
  auto writer = OpenWriter(path, &commits);
  sqlite3_trace_v2(writer->db.getHandle(), SQLITE_TRACE_STMT, CountSavepoints, &savepoints);
  {
    GroupCommitter committer(std::move(writer), 64);
    REQUIRE(committer.Run(Insert("taken")).ok());
    // The batch's order is the order the threads queued in, so which failure stops the first
    // run (and how many operations ran before it) varies; count the runs of all four.
    std::atomic<int> runs{0};
    auto counted = [&runs](GroupCommitter::Operation operation) -> GroupCommitter::Operation {
      return [&runs, operation](Connection& connection) -> Status {
        ++runs;
        return operation(connection);
      };
    };
    const GroupCommitter::Operation write_then_fail = [](Connection& connection) -> Status {
      ScopedStatement insert(connection, "INSERT INTO items (id) VALUES ('undone')");
      insert->exec();
      return core::FailedPrecondition("changed my mind");
    };
    const std::vector<Status> results =
        RunAsOneBatch(committer,
                      {counted(Insert("a")), counted(Insert("taken")), counted(write_then_fail),
                       counted(Insert("b"))},
                      GroupCommitter::Rerunnable::kYes);

    CHECK(results[0].ok());
    REQUIRE_FALSE(results[1].ok());
    CHECK(results[1].error().code == ErrorCode::kAlreadyExists);
    REQUIRE_FALSE(results[2].ok());
    CHECK(results[2].error().code == ErrorCode::kFailedPrecondition);
    CHECK(results[3].ok());
    // The first run stops at the first failure (1 to 4 operations), then all 4 run again.
    CHECK(runs > 4);
    CHECK(runs <= 8);
    CHECK(savepoints == 4);   // the second run: one per operation
    CHECK(commits == 1 + 2);  // the first write, the gate, this batch (the first try rolled back)
  }
  CHECK(Items(path) == std::vector<std::string>{"a", "b", "taken"});
}

TEST_CASE("group commit: an operation alone in its batch runs once, without a savepoint") {
  testing::TempDir directory;
  const std::string path = directory.File("alone.db");
  std::atomic<int> commits{0};
  std::atomic<int> savepoints{0};
  auto writer = OpenWriter(path, &commits);
  sqlite3_trace_v2(writer->db.getHandle(), SQLITE_TRACE_STMT, CountSavepoints, &savepoints);
  {
    GroupCommitter committer(std::move(writer), 64);
    int runs = 0;
    const GroupCommitter::Operation write_then_fail = [&](Connection& connection) -> Status {
      ++runs;
      ScopedStatement insert(connection, "INSERT INTO items (id) VALUES ('undone')");
      insert->exec();
      return core::FailedPrecondition("changed my mind");
    };
    const Status failed = committer.Run(write_then_fail);  // not rerunnable
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.error().code == ErrorCode::kFailedPrecondition);
    CHECK(runs == 1);
    CHECK(committer.Run(Insert("kept")).ok());
    CHECK(savepoints == 0);
    CHECK(commits == 1);
  }
  CHECK(Items(path) == std::vector<std::string>{"kept"});
}

TEST_CASE("group commit: Submit answers on the writer thread after the commit, in one batch") {
  testing::TempDir directory;
  const std::string path = directory.File("submit.db");
  std::atomic<int> commits{0};
  {
    GroupCommitter committer(OpenWriter(path, &commits), 64);
    REQUIRE(committer.Run(Insert("taken")).ok());
    // The gate holds the writer until the three submissions are queued; Submit itself never
    // waits, so they can come from this thread.
    std::atomic<bool> gate_running{false};
    std::jthread gate_thread([&] {
      CHECK(committer
                .Run([&](Connection&) -> Status {
                  gate_running = true;
                  while (committer.QueueDepth() < 3) std::this_thread::yield();
                  return {};
                })
                .ok());
    });
    while (!gate_running) std::this_thread::yield();

    struct Outcome {
      std::atomic<bool> called{false};
      Status status;
      std::thread::id thread;
      int commits_seen = 0;
    };
    Outcome outcomes[3];
    const GroupCommitter::Operation operations[3] = {Insert("a"), Insert("taken"), Insert("b")};
    std::thread::id writer_thread;
    for (int i = 0; i < 3; ++i) {
      committer.Submit(
          [&, i](Connection& connection) {
            writer_thread = std::this_thread::get_id();
            return operations[i](connection);
          },
          [&, i](Status status) {
            outcomes[i].status = std::move(status);
            outcomes[i].thread = std::this_thread::get_id();
            outcomes[i].commits_seen = commits;
            outcomes[i].called = true;
          },
          GroupCommitter::Rerunnable::kYes);
    }
    gate_thread.join();
    for (const Outcome& outcome : outcomes) {
      while (!outcome.called) std::this_thread::yield();
    }
    CHECK(outcomes[0].status.ok());
    REQUIRE_FALSE(outcomes[1].status.ok());
    CHECK(outcomes[1].status.error().code == ErrorCode::kAlreadyExists);
    CHECK(outcomes[2].status.ok());
    for (const Outcome& outcome : outcomes) {
      CHECK(outcome.thread == writer_thread);
      CHECK(outcome.commits_seen == 3);  // the first write, the gate, then this batch: committed
    }
  }
  CHECK(Items(path) == std::vector<std::string>{"a", "b", "taken"});
}
