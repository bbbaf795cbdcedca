#pragma once
// Seed 001's log of sends (sql/011_seed001.sql). The write runs on the writer thread as writes.h
// describes; reads on a pooled read connection as reads.h describes.
#include <cstdint>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/writes.h"
#include "store/store.h"

namespace store::sqlite {

// The emails (InsertEmailInTransaction each, then the counter) and the record naming them.
// REQUIRES: prepared[i] came from PrepareEmail(emails[i]).
core::Result<SentEmail> CreateSentEmailInTransaction(Connection& connection,
                                                     const SentEmail& record,
                                                     const std::vector<NewEmail>& emails,
                                                     const std::vector<PreparedEmail>& prepared,
                                                     TimeMs now);

core::Result<SentEmail> ReadSentEmail(Connection& connection, std::int64_t id);
core::Result<SentEmailPage> ReadSentEmailPage(Connection& connection, const SentEmailQuery& query);

}  // namespace store::sqlite
