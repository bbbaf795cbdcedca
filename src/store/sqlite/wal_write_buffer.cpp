#include "store/sqlite/wal_write_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <new>
#include <stdexcept>
#include <string>

namespace store::sqlite {
namespace {

// Writes gathered past this go out at once: a large transaction does not grow the buffer
// without bound.
constexpr std::size_t kMaxBuffered = 4 << 20;
// The unix VFS writes at most 0x1ffff bytes per call (seekAndWriteFd masks the length with it:
// SQLite never writes more than a page and its frame header at once), so a flush goes in pieces.
constexpr std::size_t kMaxWrite = 0x1ffff;

// The wrapped VFS (the default one); set once, before the wrapper is registered.
sqlite3_vfs* base_vfs = nullptr;

// SQLite allocates szOsFile bytes per open file: this, then the wrapped VFS's own file.
struct File {
  sqlite3_file base;        // must be first: SQLite sees a sqlite3_file*
  sqlite3_file* inner;      // the wrapped VFS's file, in the same allocation
  bool buffered = false;    // the WAL or the database (writes gathered)
  sqlite3_int64 start = 0;  // file offset of buffer[0]
  std::string buffer;       // contiguous pending writes
};

File& Of(sqlite3_file* file) { return *reinterpret_cast<File*>(file); }
sqlite3_file* Inner(sqlite3_file* file) { return Of(file).inner; }

int Flush(File& file) {
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < file.buffer.size() && rc == SQLITE_OK;) {
    const std::size_t piece = std::min(file.buffer.size() - done, kMaxWrite);
    rc =
        file.inner->pMethods->xWrite(file.inner, file.buffer.data() + done, static_cast<int>(piece),
                                     file.start + static_cast<sqlite3_int64>(done));
    done += piece;
  }
  // On failure the bytes are dropped with the rest: SQLite treats the failed write (reported by
  // the call that flushed) as an I/O error and rolls the transaction back.
  file.buffer.clear();
  return rc;
}

int Close(sqlite3_file* handle) {
  File& file = Of(handle);
  const int flushed = Flush(file);
  const int closed = file.inner->pMethods->xClose(file.inner);
  file.~File();
  return flushed != SQLITE_OK ? flushed : closed;
}

int Read(sqlite3_file* handle, void* data, int amount, sqlite3_int64 offset) {
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xRead(Inner(handle), data, amount, offset);
}

int Write(sqlite3_file* handle, const void* data, int amount, sqlite3_int64 offset) {
  File& file = Of(handle);
  if (!file.buffered) return file.inner->pMethods->xWrite(file.inner, data, amount, offset);
  if (!file.buffer.empty() &&
      offset != file.start + static_cast<sqlite3_int64>(file.buffer.size())) {
    if (const int rc = Flush(file); rc != SQLITE_OK) return rc;
  }
  if (file.buffer.empty()) file.start = offset;
  try {
    file.buffer.append(static_cast<const char*>(data), static_cast<std::size_t>(amount));
  } catch (const std::bad_alloc&) {
    file.buffer.clear();
    return SQLITE_IOERR_NOMEM;
  }
  return file.buffer.size() >= kMaxBuffered ? Flush(file) : SQLITE_OK;
}

int Truncate(sqlite3_file* handle, sqlite3_int64 size) {
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xTruncate(Inner(handle), size);
}

int Sync(sqlite3_file* handle, int flags) {
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xSync(Inner(handle), flags);
}

int FileSize(sqlite3_file* handle, sqlite3_int64* size) {
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xFileSize(Inner(handle), size);
}

// The rest pass straight through.
int Lock(sqlite3_file* handle, int level) {
  return Inner(handle)->pMethods->xLock(Inner(handle), level);
}
int Unlock(sqlite3_file* handle, int level) {
  // Another process may read the file once the lock is gone.
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xUnlock(Inner(handle), level);
}
int CheckReservedLock(sqlite3_file* handle, int* out) {
  return Inner(handle)->pMethods->xCheckReservedLock(Inner(handle), out);
}
int FileControl(sqlite3_file* handle, int op, void* arg) {
  // Some (the size hint of a checkpoint) look at or change the file.
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xFileControl(Inner(handle), op, arg);
}
int SectorSize(sqlite3_file* handle) { return Inner(handle)->pMethods->xSectorSize(Inner(handle)); }
int DeviceCharacteristics(sqlite3_file* handle) {
  return Inner(handle)->pMethods->xDeviceCharacteristics(Inner(handle));
}
int ShmMap(sqlite3_file* handle, int region, int size, int extend, void volatile** out) {
  return Inner(handle)->pMethods->xShmMap(Inner(handle), region, size, extend, out);
}
int ShmLock(sqlite3_file* handle, int offset, int n, int flags) {
  return Inner(handle)->pMethods->xShmLock(Inner(handle), offset, n, flags);
}
void ShmBarrier(sqlite3_file* handle) { Inner(handle)->pMethods->xShmBarrier(Inner(handle)); }
int ShmUnmap(sqlite3_file* handle, int delete_flag) {
  return Inner(handle)->pMethods->xShmUnmap(Inner(handle), delete_flag);
}
int Fetch(sqlite3_file* handle, sqlite3_int64 offset, int amount, void** out) {
  if (const int rc = Flush(Of(handle)); rc != SQLITE_OK) return rc;
  return Inner(handle)->pMethods->xFetch(Inner(handle), offset, amount, out);
}
int Unfetch(sqlite3_file* handle, sqlite3_int64 offset, void* page) {
  return Inner(handle)->pMethods->xUnfetch(Inner(handle), offset, page);
}

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* handle, int flags, int* out_flags) {
  File* file = new (handle) File;
  file->base.pMethods = nullptr;
  file->inner = reinterpret_cast<sqlite3_file*>(file + 1);
  file->buffered = (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_DB)) != 0;
  const int rc = base_vfs->xOpen(base_vfs, name, file->inner, flags, out_flags);
  if (file->inner->pMethods == nullptr) {
    // Nothing to close: SQLite calls xClose only when pMethods is set.
    file->~File();
    return rc == SQLITE_OK ? SQLITE_CANTOPEN : rc;
  }
  // The wrapped file must be closed even when opening failed after it was set up.
  file->base.pMethods = &kMethods;
  return rc;
}

sqlite3_vfs* Make() {
  base_vfs = sqlite3_vfs_find(nullptr);
  if (base_vfs == nullptr) {
    throw std::runtime_error("SQLite has no default VFS to wrap");
  }
  // xDelete, xAccess, time, randomness, ... and pAppData: the base's own.
  static sqlite3_vfs vfs = *base_vfs;
  vfs.zName = "outbox-wal-write-buffer";
  vfs.pNext = nullptr;
  vfs.szOsFile = static_cast<int>(sizeof(File)) + base_vfs->szOsFile;
  vfs.xOpen = Open;
  if (const int rc = sqlite3_vfs_register(&vfs, 0); rc != SQLITE_OK) {
    throw std::runtime_error(std::string("registering the WAL write buffer VFS: ") +
                             sqlite3_errstr(rc));
  }
  return &vfs;
}

}  // namespace

const char* WalWriteBufferVfs() {
  static sqlite3_vfs* const kVfs = Make();
  return kVfs->zName;
}

}  // namespace store::sqlite
