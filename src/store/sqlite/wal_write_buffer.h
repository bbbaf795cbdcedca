#pragma once
// A VFS that gathers SQLite's writes to a WAL file into one system call per commit.
//
// SQLite writes each frame of a commit with two pwrite calls (its 24-byte header, then the page),
// so a batch of a few emails that dirties 30 pages cost 60 system calls before its fdatasync,
// each expensive on a virtual machine. This VFS wraps the default one; for WAL files only, it
// keeps writes that continue the previous one in memory and hands them to the file in one
// write when SQLite syncs, reads, truncates, asks the size, closes, writes elsewhere, or the
// buffer reaches its cap. Every other file and call goes straight through.
//
// Only for a connection with synchronous = FULL: there SQLite syncs the WAL before it publishes
// a commit in the shared WAL index, so no other connection can look for a frame still in the
// buffer. With NORMAL it publishes without a sync, and a reader would read a stale frame.
namespace store::sqlite {

// The VFS's name for sqlite3_open_v2, registered (not as the default) on first call.
const char* WalWriteBufferVfs();

}  // namespace store::sqlite
