#pragma once
// A VFS that gathers SQLite's writes into one system call per commit (and per checkpoint).
//
// SQLite writes each frame of a commit with two pwrite calls (its 24-byte header, then the page),
// so a batch of a few emails that dirties 30 pages cost 60 system calls before its fdatasync,
// each expensive on a virtual machine; a checkpoint writes each page back to the database with
// one more. This VFS wraps the default one; for the WAL and the main database file, it keeps a
// write that continues the previous one in memory and hands the run to the file in one write
// when SQLite syncs, reads, truncates, asks the size, unlocks, sends a file control, closes,
// writes elsewhere, or the buffer reaches its cap. Other files and calls go straight through.
//
// Only for a connection with synchronous = FULL: there SQLite syncs the WAL before it publishes
// a commit in the shared WAL index, and the database before a checkpoint counts as done, so no
// other connection can look for bytes still in the buffer. With NORMAL it publishes a commit
// without a sync, and a reader would read a stale frame.
namespace store::sqlite {

// The VFS's name for sqlite3_open_v2, registered (not as the default) on first call.
const char* WalWriteBufferVfs();

}  // namespace store::sqlite
