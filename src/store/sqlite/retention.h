#pragma once
// Purging finished rows older than a cutoff (store/retention_store.h), on the writer thread as
// writes.h describes. The indexes it seeks by are in sql/009_retention.sql.
#include "core/result.h"
#include "store/retention_store.h"
#include "store/sqlite/connection.h"

namespace store::sqlite {

core::Result<int> PurgeInTransaction(Connection& connection, PurgeKind kind, TimeMs cutoff,
                                     int limit);

}  // namespace store::sqlite
