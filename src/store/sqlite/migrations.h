#pragma once
// Schema migrations: sql/NNN_name.sql files compiled into the binary, applied in order and
// tracked by PRAGMA user_version.
#include <SQLiteCpp/SQLiteCpp.h>

#include <span>

#include "core/embedded.h"
#include "core/result.h"

namespace migrations {
// Generated at build time by outbox_embed() from sql/*.sql.
std::span<const core::EmbeddedFile> Files();
}  // namespace migrations

namespace store::sqlite {

// Applies every file whose number NNN is above the database's user_version, in increasing
// order, each in its own IMMEDIATE transaction that also sets user_version = NNN; a failing file
// leaves the database at the version before it. Refuses (kFailedPrecondition) a database whose
// user_version is above the newest file: it was written by a newer outbox. File names must be
// NNN_name.sql with unique numbers (kInternal otherwise: a build defect).
// REQUIRES: no transaction open on `db`.
core::Status ApplyMigrations(SQLite::Database& db, std::span<const core::EmbeddedFile> files);

}  // namespace store::sqlite
