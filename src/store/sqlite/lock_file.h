#pragma once
// An exclusive advisory lock (flock) on a file beside the database, held for the store's life so
// that a second outbox process cannot open the same database. flock locks belong to the open
// file description, so a second open inside the same process is refused too.
#include <string>

#include "core/result.h"

namespace store::sqlite {

class LockFile {
 public:
  // Creates `path` if needed and locks it without waiting. kUnavailable if another holder has
  // it, naming `database` (the file the lock protects) in the message.
  static core::Result<LockFile> Acquire(const std::string& path, const std::string& database);

  LockFile(LockFile&& other) noexcept;
  LockFile& operator=(LockFile&& other) noexcept;
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;
  // Unlocks by closing. The file stays: removing it would let two processes lock different
  // inodes under the same name.
  ~LockFile();

 private:
  explicit LockFile(int fd) : fd_(fd) {}

  int fd_ = -1;
};

}  // namespace store::sqlite
