#pragma once
// The single writer of the SQLite store. Callers on any thread submit operations; one thread
// owning the write connection takes everything pending (up to max_batch), runs it in ONE
// transaction, commits once and only then answers every caller. Concurrent writers therefore
// share one fsync, an operation that fails is rolled back alone, and nobody hears "ok" before
// their write is durable.
//
// Each operation normally runs inside its own savepoint. A savepoint costs two statements and a
// copy of every page the operation touches first (the sub-journal), a fifth of the writer's time
// per enqueue, so a batch made only of rerunnable operations (see Run) runs without them: if one
// of those fails, the whole transaction is rolled back and the batch runs again, savepoints and
// all, which gives every operation exactly the outcome it would have had. A batch of one
// operation never needs a savepoint: rolling back the transaction undoes that operation alone.
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <thread>

#include "core/result.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

class GroupCommitter {
 public:
  // Runs inside the batch transaction. Returns an error (or throws) to have its own savepoint
  // rolled back; SQLite exceptions are converted like everywhere else in the store.
  using Operation = std::function<core::Status(Connection&)>;

  // kYes: the operation touches nothing but the connection (its captured results are simply
  // overwritten by a later run), so it may run a second time after its first run was rolled back.
  enum class Rerunnable { kNo, kYes };

  // Takes the write connection; starts the writer thread.
  GroupCommitter(std::unique_ptr<Connection> connection, std::size_t max_batch);
  // Finishes every submitted operation, then stops the thread and closes the connection.
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  // Blocks until `operation` has run and its batch committed. Ok only if both succeeded: the
  // operation's own error if it failed, the batch's error if the commit (or the transaction
  // around it) failed. kUnavailable once shutdown has begun.
  core::Status Run(const Operation& operation, Rerunnable rerunnable = Rerunnable::kNo);

  // Called on the writer thread with what Run would have returned. Must be quick (the next batch
  // waits for it), must not submit to this committer and must not throw (that ends the process).
  using Done = std::function<void(core::Status)>;
  // As Run, but returns at once: `done` is called once the batch is committed (or failed), on the
  // writer thread; or before Submit returns, with kUnavailable, once shutdown has begun. The
  // caller's thread is free meanwhile (the HTTP front answers an enqueue this way).
  void Submit(Operation operation, Done done, Rerunnable rerunnable = Rerunnable::kNo);

  // Operations submitted and not yet taken into a batch (for metrics and tests).
  std::size_t QueueDepth();

 private:
  // Run's lives on the submitting thread's stack until `done` is set. The writer wakes that
  // thread with a futex on `done`: no allocation, no once-flag, one system call per caller.
  // Submit's is allocated, owns its operation and is deleted by Complete after `on_done`.
  struct Pending {
    const Operation* operation = nullptr;
    bool rerunnable = false;
    core::Status status;
    std::atomic<std::uint32_t> done{0};
    Operation owned;  // Submit's operation
    Done on_done;     // Submit's; empty for Run
  };

  void Loop();
  void RunBatch(std::span<Pending*> batch);
  // The batch without savepoints. False if an operation failed: then the transaction has been
  // rolled back, nothing is reported and the batch must run again with savepoints.
  bool TryWithoutSavepoints(std::span<Pending*> batch);
  // Sets `done` and wakes the caller, who may return (and `pending` die) at once; or, for Submit,
  // calls `on_done` and deletes `pending`.
  static void Complete(Pending& pending);
  static void WaitFor(Pending& pending);
  // Runs one operation inside a savepoint and records its outcome in `pending`. An error here
  // means the transaction itself is gone or in doubt (the savepoint could not be opened, rolled
  // back or released, or SQLite rolled everything back), so the whole batch must fail.
  core::Status ApplyInSavepoint(Pending& pending);
  // Runs one statement of transaction control; `context` prefixes the error message.
  core::Status Execute(std::string_view sql, std::string_view context);
  bool InTransaction() const;

  const std::unique_ptr<Connection> connection_;
  const std::size_t max_batch_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending*> queue_;  // guarded by mutex_
  bool stopping_ = false;       // guarded by mutex_

  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace store::sqlite
