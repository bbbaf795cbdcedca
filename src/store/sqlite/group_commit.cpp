#include "store/sqlite/group_commit.h"

#include <pthread.h>
#include <sqlite3.h>

#include <algorithm>
#include <exception>
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

core::Status GroupCommitter::Run(const Operation& operation) {
  Pending pending;
  pending.operation = &operation;
  std::future<void> done = pending.done.get_future();
  {
    std::lock_guard lock(mutex_);
    if (stopping_) {
      return core::Unavailable("store is shutting down");
    }
    queue_.push_back(&pending);
  }
  wake_.notify_one();
  done.wait();
  return std::move(pending.status);
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
  // Answers every caller; nothing may touch a Pending after its promise is set.
  auto complete_all = [&batch] {
    for (Pending* pending : batch) {
      pending->done.set_value();
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

  try {
    Execute("BEGIN IMMEDIATE");
  } catch (const SQLite::Exception& exception) {
    fail_successes(ErrorFromException(exception, "starting a write transaction"));
    complete_all();
    return;
  }

  for (std::size_t i = 0; i < batch.size(); ++i) {
    core::Error transaction_error;
    if (!ApplyInSavepoint(*batch[i], &transaction_error)) {
      // The transaction is gone or in doubt: nothing of this batch may be reported written.
      if (InTransaction()) {
        connection_->db.tryExec("ROLLBACK");
      }
      fail_successes(transaction_error);
      complete_all();
      return;
    }
  }

  try {
    Execute("COMMIT");
  } catch (const SQLite::Exception& exception) {
    if (InTransaction()) {
      connection_->db.tryExec("ROLLBACK");
    }
    fail_successes(ErrorFromException(exception, "committing a write batch"));
  }
  complete_all();
}

bool GroupCommitter::ApplyInSavepoint(Pending& pending, core::Error* transaction_error) {
  try {
    Execute("SAVEPOINT operation");
  } catch (const SQLite::Exception& exception) {
    *transaction_error = ErrorFromException(exception, "opening a savepoint");
    pending.status = *transaction_error;
    return false;
  }

  core::Status status;
  try {
    status = (*pending.operation)(*connection_);
  } catch (const SQLite::Exception& exception) {
    status = ErrorFromException(exception, "write");
  } catch (const std::exception& exception) {
    status = core::Internal(std::string("write: ") + exception.what());
  }
  pending.status = status;

  // Some errors (I/O, out of memory, disk full) make SQLite roll back the whole transaction on
  // its own; the savepoint is gone with it, and so are the writes of earlier operations.
  if (!InTransaction()) {
    *transaction_error =
        status.ok() ? core::Unavailable("write transaction was rolled back") : status.error();
    return false;
  }
  try {
    if (!status.ok()) {
      Execute("ROLLBACK TO operation");
    }
    Execute("RELEASE operation");
  } catch (const SQLite::Exception& exception) {
    *transaction_error = ErrorFromException(exception, "closing a savepoint");
    return false;
  }
  return true;
}

void GroupCommitter::Execute(std::string_view sql) {
  ScopedStatement statement(*connection_, sql);
  statement->exec();
}

bool GroupCommitter::InTransaction() const {
  return sqlite3_get_autocommit(connection_->db.getHandle()) == 0;
}

}  // namespace store::sqlite
