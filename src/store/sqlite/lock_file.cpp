#include "store/sqlite/lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace store::sqlite {

core::Result<LockFile> LockFile::Acquire(const std::string& path, const std::string& database) {
  // Owner only, whatever the umask (and tightened if an older version made it 0644).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0 && ::fchmod(fd, 0600) != 0) {
    const int error = errno;
    ::close(fd);
    return core::Unavailable("cannot chmod lock file " + path + ": " + std::strerror(error));
  }
  if (fd < 0) {
    return core::Unavailable("cannot open lock file " + path + ": " + std::strerror(errno));
  }
  int result = 0;
  do {
    result = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    const int error = errno;
    ::close(fd);
    if (error == EWOULDBLOCK) {
      return core::Unavailable("database " + database +
                               " is in use by another outbox process (lock file " + path + ")");
    }
    return core::Unavailable("cannot lock " + path + ": " + std::strerror(error));
  }
  return LockFile(fd);
}

LockFile::LockFile(LockFile&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

LockFile& LockFile::operator=(LockFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

LockFile::~LockFile() {
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace store::sqlite
