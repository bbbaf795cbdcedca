// The store contract run against SQLite, plus what only the SQLite store promises: the lock file,
// migrations tracked by user_version, and its options.
#include "store/sqlite/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <csignal>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite/migrations.h"
#include "store/sqlite/wal_write_buffer.h"
#include "store/store.h"
#include "store_contract.h"
#include "testing/temp_dir.h"

namespace {

using core::ErrorCode;
using testing::TempDir;

class SqliteBackend final : public store_contract::Backend {
 public:
  core::Result<std::unique_ptr<store::Store>> Open() override {
    store::SqliteOptions options;
    options.path = path();
    return store::OpenSqliteStore(options);
  }
  std::string path() const { return directory_.File("outbox.db"); }

 private:
  TempDir directory_;
};

std::unique_ptr<store_contract::Backend> MakeSqliteBackend() {
  return std::make_unique<SqliteBackend>();
}

int UserVersion(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  return db.execAndGet("PRAGMA user_version").getInt();
}

int NewestMigration() {
  int newest = 0;
  for (const core::EmbeddedFile& file : migrations::Files()) {
    newest = std::max(newest, std::stoi(std::string(file.path.substr(0, file.path.find('_')))));
  }
  return newest;
}

// The embedded migrations whose file names sort before `prefix` ("011_").
std::vector<core::EmbeddedFile> MigrationsBefore(std::string_view prefix) {
  std::vector<core::EmbeddedFile> before;
  for (const core::EmbeddedFile& file : migrations::Files()) {
    if (file.path.substr(0, prefix.size()) < prefix) before.push_back(file);
  }
  return before;
}

// A connection as the store's writer has it with durability=full (WAL, synchronous FULL, through
// the write-buffer VFS), with an empty table t (id, body).
SQLite::Database OpenBufferedWriter(const std::string& path) {
  SQLite::Database writer(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, 0,
                          store::sqlite::WalWriteBufferVfs());
  writer.exec(
      "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
      "CREATE TABLE t (id INTEGER PRIMARY KEY, body BLOB NOT NULL)");
  return writer;
}

}  // namespace

OUTBOX_STORE_CONTRACT_TESTS("sqlite store", MakeSqliteBackend)

TEST_CASE("sqlite store: a second open of the same database is refused while the first lives") {
  SqliteBackend backend;
  core::Result<std::unique_ptr<store::Store>> first = backend.Open();
  REQUIRE(first.ok());
  core::Result<std::unique_ptr<store::Store>> second = backend.Open();
  REQUIRE_FALSE(second.ok());
  CHECK(second.error().code == ErrorCode::kUnavailable);
  CHECK(second.error().message.find("in use by another outbox process") != std::string::npos);
  CHECK(second.error().message.find(backend.path()) != std::string::npos);

  first.value().reset();
  core::Result<std::unique_ptr<store::Store>> third = backend.Open();
  CHECK(third.ok());
}

TEST_CASE("sqlite store: migrations set user_version and reopening applies nothing twice") {
  SqliteBackend backend;
  REQUIRE(NewestMigration() >= 1);
  {
    core::Result<std::unique_ptr<store::Store>> store = backend.Open();
    REQUIRE(store.ok());
    store::NewEmail email;
    email.id = "e1";
    email.raw_message = "x";
    REQUIRE((*store)->CreateEmail(email, std::nullopt, 1).ok());
  }
  CHECK(UserVersion(backend.path()) == NewestMigration());
  {
    core::Result<std::unique_ptr<store::Store>> store = backend.Open();
    REQUIRE_MESSAGE(store.ok(), store.error().message);
    CHECK((*store)->GetEmail("e1").ok());
    core::Result<store::QueueStats> stats = (*store)->Stats(1);
    REQUIRE(stats.ok());
    CHECK(stats->enqueued_total == 1);  // the seed rows were not inserted again
  }
  CHECK(UserVersion(backend.path()) == NewestMigration());
}

TEST_CASE("sqlite store: the database is in WAL mode") {
  SqliteBackend backend;
  {
    core::Result<std::unique_ptr<store::Store>> store = backend.Open();
    REQUIRE(store.ok());
  }
  SQLite::Database db(backend.path(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal");
}

TEST_CASE("sqlite store: a database from a newer outbox is refused") {
  SqliteBackend backend;
  {
    SQLite::Database db(backend.path(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA user_version = " + std::to_string(NewestMigration() + 1));
  }
  core::Result<std::unique_ptr<store::Store>> store = backend.Open();
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kFailedPrecondition);
}

TEST_CASE("sqlite store: bad options are errors, not crashes") {
  store::SqliteOptions options;
  core::Result<std::unique_ptr<store::Store>> store = store::OpenSqliteStore(options);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kInvalidArgument);

  TempDir directory;
  options.path = directory.File("missing-dir/outbox.db");
  store = store::OpenSqliteStore(options);
  REQUIRE_FALSE(store.ok());
  CHECK(store.error().code == ErrorCode::kUnavailable);
}

TEST_CASE("sqlite migrations: applied in numeric order, once, each atomically") {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  const std::vector<core::EmbeddedFile> v1 = {
      {"010_more.sql", "INSERT INTO log VALUES ('010');"},
      {"002_create.sql", "CREATE TABLE log (name TEXT); INSERT INTO log VALUES ('002');"},
  };
  REQUIRE(store::sqlite::ApplyMigrations(db, v1).ok());
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == 10);
  CHECK(db.execAndGet("SELECT group_concat(name) FROM log").getString() == "002,010");

  SUBCASE("reapplying the same files does nothing") {
    REQUIRE(store::sqlite::ApplyMigrations(db, v1).ok());
    CHECK(db.execAndGet("SELECT COUNT(*) FROM log").getInt() == 2);
  }

  SUBCASE("a failing file is rolled back and stops the run at the version before it") {
    std::vector<core::EmbeddedFile> v2 = v1;
    v2.push_back({"011_ok.sql", "INSERT INTO log VALUES ('011');"});
    v2.push_back({"012_broken.sql", "INSERT INTO log VALUES ('012'); NOT SQL;"});
    v2.push_back({"013_never.sql", "INSERT INTO log VALUES ('013');"});
    const core::Status status = store::sqlite::ApplyMigrations(db, v2);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().message.find("012_broken.sql") != std::string::npos);
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 11);
    CHECK(db.execAndGet("SELECT group_concat(name) FROM log").getString() == "002,010,011");
  }

  SUBCASE("badly named or duplicate files are refused before anything runs") {
    for (const std::vector<core::EmbeddedFile>& files :
         {std::vector<core::EmbeddedFile>{{"init.sql", "SELECT 1;"}},
          std::vector<core::EmbeddedFile>{{"0x1_init.sql", "SELECT 1;"}},
          std::vector<core::EmbeddedFile>{{"020_a.sql", "SELECT 1;"}, {"20_b.sql", "SELECT 1;"}},
          std::vector<core::EmbeddedFile>{{"020_a.txt", "SELECT 1;"}}}) {
      const core::Status status = store::sqlite::ApplyMigrations(db, files);
      REQUIRE_FALSE(status.ok());
      CHECK(status.error().code == ErrorCode::kInternal);
    }
    CHECK(db.execAndGet("PRAGMA user_version").getInt() == 10);
  }
}

TEST_CASE("sqlite migrations: the embedded files are well formed") {
  REQUIRE_FALSE(migrations::Files().empty());
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  const core::Status status = store::sqlite::ApplyMigrations(db, migrations::Files());
  REQUIRE_MESSAGE(status.ok(), status.error().message);
  CHECK(db.execAndGet("PRAGMA user_version").getInt() == NewestMigration());
  CHECK(db.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE("sqlite migration 011: templates saved before it get ids in creation order") {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  REQUIRE(store::sqlite::ApplyMigrations(db, MigrationsBefore("011_")).ok());
  db.exec(
      "INSERT INTO templates VALUES ('b', 2, 's', '<p>b2</p>', '', 100, 300);"
      "INSERT INTO templates VALUES ('a', 1, '', '<p>a</p>', 't', 200, 200);"
      "INSERT INTO template_versions VALUES ('b', 1, 's', '<p>b1</p>', '', 100);"
      "INSERT INTO template_versions VALUES ('b', 2, 's', '<p>b2</p>', '', 300);"
      "INSERT INTO template_versions VALUES ('a', 1, '', '<p>a</p>', 't', 200);");
  REQUIRE(store::sqlite::ApplyMigrations(db, migrations::Files()).ok());
  SQLite::Statement select(db,
                           "SELECT id, name, version, html, updated_at FROM templates "
                           "ORDER BY id");
  REQUIRE(select.executeStep());
  CHECK(select.getColumn(0).getInt64() == 1);
  CHECK(select.getColumn(1).getString() == "b");
  CHECK(select.getColumn(2).getInt() == 2);
  CHECK(select.getColumn(3).getString() == "<p>b2</p>");
  CHECK(select.getColumn(4).getInt64() == 300);
  REQUIRE(select.executeStep());
  CHECK(select.getColumn(0).getInt64() == 2);
  CHECK(select.getColumn(1).getString() == "a");
  CHECK_FALSE(select.executeStep());
  CHECK(db.execAndGet("SELECT COUNT(*) FROM template_versions").getInt() == 3);
  // A new template continues after them.
  db.exec(
      "INSERT INTO templates (name, version, html, created_at, updated_at) "
      "VALUES ('c', 1, '<p>c</p>', 400, 400)");
  CHECK(db.execAndGet("SELECT id FROM templates WHERE name = 'c'").getInt64() == 3);
}

TEST_CASE("sqlite migration 014: jobs and emails keep rows, children and sequences") {
  SQLite::Database db(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
  REQUIRE(store::sqlite::ApplyMigrations(db, MigrationsBefore("014_")).ok());
  // Two jobs and emails, the newest of each then purged: the sequences are above what is kept.
  for (int i = 1; i <= 2; ++i) {
    const std::string n = std::to_string(i);
    db.exec(
        "INSERT INTO jobs (kind, ref_id, state, priority, run_at, max_attempts, created_at, "
        "updated_at) VALUES ('email', 'e" +
        n + "', 'queued', 0, 1, 3, 1, 1)");
    db.exec(
        "INSERT INTO emails (id, job_id, status, from_address, to_addresses, cc_addresses, "
        "bcc_addresses, reply_to, subject, tags, metadata, max_attempts, created_at, send_at, "
        "updated_at, owner) VALUES ('e" +
        n + "', " + n + ", 'sent', 'a@x', '[]', '[]', '[]', '', 's', '[]', '{}', 3, 1, 1, 1, 'k')");
    db.exec("INSERT INTO email_events (email_id, at, type) VALUES ('e" + n + "', 1, 'sent')");
  }
  db.exec("DELETE FROM email_events WHERE email_id = 'e2'");
  db.exec("DELETE FROM emails WHERE id = 'e2'");
  db.exec("DELETE FROM jobs WHERE id = 2");

  REQUIRE(store::sqlite::ApplyMigrations(db, migrations::Files()).ok());
  CHECK(db.execAndGet("SELECT COUNT(*) FROM emails WHERE id = 'e1' AND job_id = 1").getInt() == 1);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM email_events WHERE email_id = 'e1'").getInt() == 1);
  CHECK(db.execAndGet("SELECT seq FROM sqlite_sequence WHERE name = 'jobs'").getInt() == 2);
  CHECK(db.execAndGet("SELECT seq FROM sqlite_sequence WHERE name = 'emails'").getInt() == 2);
  CHECK(db.execAndGet("SELECT COUNT(*) FROM sqlite_sequence WHERE name LIKE '%_new'").getInt() ==
        0);
  // Ids are not reused after the purge.
  db.exec(
      "INSERT INTO jobs (kind, ref_id, state, priority, run_at, max_attempts, created_at, "
      "updated_at) VALUES ('email', 'e3', 'queued', 0, 1, 3, 1, 1)");
  CHECK(db.getLastInsertRowid() == 3);
  // The constraints still hold...
  CHECK_THROWS_AS(db.exec("UPDATE jobs SET state = 'lost' WHERE id = 1"), SQLite::Exception);
  CHECK_THROWS_AS(db.exec("UPDATE emails SET status = 'lost' WHERE id = 'e1'"), SQLite::Exception);
  // ...without a temporary table built by each write (what the rebuild is for).
  SQLite::Statement plan(db, "EXPLAIN UPDATE emails SET status = 'failed' WHERE id = 'e1'");
  while (plan.executeStep()) {
    CHECK(plan.getColumn(1).getString() != "OpenEphemeral");
  }
  // Retention's query still finds the finished email through the partial index.
  CHECK(db.execAndGet("SELECT COUNT(*) FROM emails INDEXED BY emails_finished WHERE (status = "
                      "'sent' OR status = 'failed' OR status = 'cancelled' OR status = "
                      "'suppressed') AND updated_at < 5")
            .getInt() == 1);
}

TEST_CASE("sqlite WAL write buffer: what a commit wrote is what others read, at any size") {
  TempDir directory;
  const std::string path = directory.File("buffered.db");
  SQLite::Database writer = OpenBufferedWriter(path);
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  // One row per size: a few bytes, several pages, past one write of the base VFS (128 KB) and
  // past the buffer's cap (4 MB), each committed alone and read by the other connection at once.
  int id = 0;
  for (const std::size_t size :
       {std::size_t{10}, std::size_t{20'000}, std::size_t{300'000}, std::size_t{5'000'000}}) {
    std::string body(size, '\0');
    for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<char>('a' + (i * 7 + size) % 26);
    SQLite::Statement insert(writer, "INSERT INTO t (id, body) VALUES (?, ?)");
    insert.bind(1, ++id);
    insert.bindNoCopy(2, body.data(), static_cast<int>(body.size()));
    insert.exec();
    SQLite::Statement select(reader, "SELECT body FROM t WHERE id = ?");
    select.bind(1, id);
    REQUIRE(select.executeStep());
    CHECK(select.getColumn(0).getString() == body);
  }
  // A transaction that spills pages to the WAL before its commit and reads them back.
  writer.exec("PRAGMA cache_size = 10");
  {
    SQLite::Transaction transaction(writer);
    for (int i = 0; i < 200; ++i) {
      writer.exec("INSERT INTO t (body) VALUES (randomblob(3000))");
    }
    CHECK(writer.execAndGet("SELECT COUNT(*) FROM t").getInt() == 204);
    transaction.commit();
  }
  CHECK(reader.execAndGet("SELECT COUNT(*) FROM t").getInt() == 204);
  writer.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  CHECK(reader.execAndGet("SELECT SUM(length(body)) FROM t").getInt64() ==
        10 + 20'000 + 300'000 + 5'000'000 + 200 * 3000);
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
}

TEST_CASE(
    "sqlite WAL write buffer: a write that fails at the commit's flush loses that commit only") {
  TempDir directory;
  const std::string path = directory.File("full.db");
  SQLite::Database writer = OpenBufferedWriter(path);
  writer.exec("INSERT INTO t VALUES (1, randomblob(1000))");
  {
    // The disk "fills up": no file may grow past its size now (EFBIG instead of ENOSPC, the same
    // failed write for SQLite). The buffered frames of this commit fail when it syncs.
    struct FileSizeLimit {
      rlimit saved{};
      explicit FileSizeLimit(rlim_t bytes) {
        ::getrlimit(RLIMIT_FSIZE, &saved);
        std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = saved;
        limited.rlim_cur = bytes;
        ::setrlimit(RLIMIT_FSIZE, &limited);
      }
      ~FileSizeLimit() { ::setrlimit(RLIMIT_FSIZE, &saved); }
    };
    struct stat wal {};
    REQUIRE(::stat((path + "-wal").c_str(), &wal) == 0);
    const FileSizeLimit limit(static_cast<rlim_t>(wal.st_size) + 4096);
    CHECK_THROWS_AS(writer.exec("INSERT INTO t VALUES (2, randomblob(500000))"), SQLite::Exception);
  }
  // Space is back: nothing of the failed commit shows, and the connection goes on.
  SQLite::Database reader(path, SQLite::OPEN_READONLY);
  CHECK(reader.execAndGet("SELECT COUNT(*) FROM t").getInt() == 1);
  writer.exec("INSERT INTO t VALUES (3, randomblob(500000))");
  CHECK(reader.execAndGet("SELECT group_concat(id) FROM t").getString() == "1,3");
  CHECK(reader.execAndGet("PRAGMA integrity_check").getString() == "ok");
}
