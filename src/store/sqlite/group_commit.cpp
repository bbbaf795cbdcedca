#include "store/sqlite/group_commit.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <memory>
#include <string>
#include <utility>

namespace store::sqlite {

GroupCommitter::GroupCommitter(std::unique_ptr<Connection> connection, std::size_t max_batch)
    : connection_(std::move(connection)),
      max_batch_(std::max<std::size_t>(max_batch, 1)),
      thread_([this] { Loop(); }) {}

GroupCommitter::~GroupCommitter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

core::Status GroupCommitter::Run(const Operation& operation, Rerunnable rerunnable) {
  Pending pending;
  pending.operation = &operation;
  pending.rerunnable = rerunnable == Rerunnable::kYes;
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return core::Unavailable("store is shutting down");
    }
    queue_.push_back(&pending);
  }
  wake_.notify_one();
  WaitFor(pending);
  return std::move(pending.status);
}

void GroupCommitter::Submit(Operation operation, Done done, Rerunnable rerunnable) {
  auto pending = std::make_unique<Pending>();
  pending->owned = std::move(operation);
  pending->operation = &pending->owned;
  pending->rerunnable = rerunnable == Rerunnable::kYes;
  pending->on_done = std::move(done);
  {
    std::lock_guard lock(mutex_);
    if (!stopping_) {
      queue_.push_back(pending.release());
    }
  }
  if (pending != nullptr) {
    return pending->on_done(core::Unavailable("store is shutting down"));
  }
  wake_.notify_one();
}

void GroupCommitter::Complete(Pending& pending) {
  if (pending.on_done) {
    std::unique_ptr<Pending> owned(&pending);
    const Done done = std::move(owned->on_done);
    core::Status status = std::move(owned->status);
    owned.reset();
    return done(std::move(status));
  }
  pending.done.store(1, std::memory_order_release);
  // The waiter may have seen `done` already and returned; waking a futex word that is gone (or
  // reused by a later wait on the same stack slot) is harmless: a woken waiter re-checks its word.
  syscall(SYS_futex, &pending.done, FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void GroupCommitter::WaitFor(Pending& pending) {
  while (pending.done.load(std::memory_order_acquire) == 0) {
    // Sleeps only while the word is still 0; returns at once (EAGAIN) if it was set meanwhile.
    syscall(SYS_futex, &pending.done, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
  }
}

std::size_t GroupCommitter::QueueDepth() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void GroupCommitter::Loop() {
  // Named so that top -H and perf show where the write time goes.
  pthread_setname_np(pthread_self(), "outbox-writer");
  std::vector<Pending*> batch;
  batch.reserve(max_batch_);
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) {
        return;  // stopping, and everything submitted has been answered
      }
      const std::size_t count = std::min(queue_.size(), max_batch_);
      batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
      queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(count));
    }
    RunBatch(batch);
    batch.clear();
  }
}

void GroupCommitter::RunBatch(std::span<Pending*> batch) {
  // Answers every caller; nothing may read a Pending once Complete has set its flag.
  auto complete_all = [&batch] {
    for (Pending* pending : batch) {
      Complete(*pending);
    }
  };
  // Fails every operation that had succeeded so far: their writes went with the transaction.
  auto fail_successes = [&batch](const core::Error& error) {
    for (Pending* pending : batch) {
      if (pending->status.ok()) {
        pending->status = error;
      }
    }
  };

  const bool rerunnable =
      batch.size() == 1 || std::all_of(batch.begin(), batch.end(),
                                       [](const Pending* pending) { return pending->rerunnable; });
  if (rerunnable && TryWithoutSavepoints(batch)) {
    complete_all();
    return;
  }

  if (core::Status begun = Execute("BEGIN IMMEDIATE", "starting a write transaction");
      !begun.ok()) {
    fail_successes(begun.error());
    complete_all();
    return;
  }

  for (Pending* pending : batch) {
    if (core::Status kept = ApplyInSavepoint(*pending); !kept.ok()) {
      // The transaction is gone or in doubt: nothing of this batch may be reported written.
      if (InTransaction()) {
        connection_->db.tryExec("ROLLBACK");
      }
      fail_successes(kept.error());
      complete_all();
      return;
    }
  }

  if (core::Status committed = Execute("COMMIT", "committing a write batch"); !committed.ok()) {
    if (InTransaction()) {
      connection_->db.tryExec("ROLLBACK");
    }
    fail_successes(committed.error());
  }
  complete_all();
}

bool GroupCommitter::TryWithoutSavepoints(std::span<Pending*> batch) {
  if (core::Status begun = Execute("BEGIN IMMEDIATE", "starting a write transaction");
      !begun.ok()) {
    return false;  // the savepoint path tries again and reports its error
  }
  for (Pending* pending : batch) {
    try {
      pending->status = (*pending->operation)(*connection_);
    } catch (const SQLite::Exception& exception) {
      pending->status = ErrorFromException(exception, "write");
    } catch (const std::exception& exception) {
      pending->status = core::Internal(std::string("write: ") + exception.what());
    }
    if (pending->status.ok() && !InTransaction()) {
      pending->status = core::Unavailable("write transaction was rolled back");
    }
    if (!pending->status.ok()) {
      if (InTransaction()) {
        connection_->db.tryExec("ROLLBACK");
      }
      if (batch.size() == 1) {
        return true;  // nothing else was in the transaction: this is its outcome
      }
      for (Pending* each : batch) {
        each->status = core::Status();
      }
      return false;
    }
  }
  if (core::Status committed = Execute("COMMIT", "committing a write batch"); !committed.ok()) {
    if (InTransaction()) {
      connection_->db.tryExec("ROLLBACK");
    }
    for (Pending* pending : batch) {
      pending->status = committed;
    }
  }
  return true;
}

core::Status GroupCommitter::ApplyInSavepoint(Pending& pending) {
  if (core::Status opened = Execute("SAVEPOINT operation", "opening a savepoint"); !opened.ok()) {
    pending.status = opened;
    return opened;
  }

  try {
    pending.status = (*pending.operation)(*connection_);
  } catch (const SQLite::Exception& exception) {
    pending.status = ErrorFromException(exception, "write");
  } catch (const std::exception& exception) {
    pending.status = core::Internal(std::string("write: ") + exception.what());
  }

  // Some errors (I/O, out of memory, disk full) make SQLite roll back the whole transaction on
  // its own; the savepoint is gone with it, and so are the writes of earlier operations.
  if (!InTransaction()) {
    return pending.status.ok() ? core::Unavailable("write transaction was rolled back")
                               : pending.status;
  }
  if (!pending.status.ok()) {
    if (core::Status undone = Execute("ROLLBACK TO operation", "rolling back a savepoint");
        !undone.ok()) {
      return undone;
    }
  }
  return Execute("RELEASE operation", "releasing a savepoint");
}

core::Status GroupCommitter::Execute(std::string_view sql, std::string_view context) {
  try {
    ScopedStatement statement(*connection_, sql);
    statement->exec();
    return {};
  } catch (const SQLite::Exception& exception) {
    return ErrorFromException(exception, context);
  } catch (const std::exception& exception) {
    return core::Internal(std::string(context) + ": " + exception.what());
  }
}

bool GroupCommitter::InTransaction() const {
  return sqlite3_get_autocommit(connection_->db.getHandle()) == 0;
}

}  // namespace store::sqlite
