#pragma once
// The store's tracked-mail tables: the per-email tracking row of SES-compatible sends, their
// status callbacks (PROCESSING, SENT, ERROR from the delivery transitions; OPEN from the pixel;
// DELIVERED, BOUNCE, COMPLAINT from the provider), records, and the suppression list.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

void InsertTracking(Connection& connection, const std::string& email_id,
                    const EmailTracking& tracking);
// Enqueues the email's status callback in the seed's shape, {"status", "email_id", "data":
// {"email_data": {...}, <extra members>}}, if the email is tracked and has a callback URL;
// otherwise does nothing.
void EnqueueEmailCallback(Connection& connection, const std::string& email_id,
                          const std::string& status, const nlohmann::json& extra, TimeMs now);
// Keeps the relay's message id from a "250 Ok <id>" reply of a tracked email.
void RecordProviderId(Connection& connection, const std::string& email_id,
                      const std::string& reply);

core::Result<bool> MarkOpenedInTransaction(Connection& connection, const std::string& token,
                                           TimeMs now);
core::Result<std::optional<std::string>> RecordProviderEventInTransaction(
    Connection& connection, const ProviderEvent& event, TimeMs now);
core::Status SuppressInTransaction(Connection& connection, const Suppression& suppression);
core::Status UnsuppressInTransaction(Connection& connection, const std::string& address);

core::Result<std::vector<EmailRecord>> ReadEmailRecords(Connection& connection,
                                                        const std::string& owner,
                                                        const std::vector<std::string>& ids);
core::Result<std::vector<EmailRecord>> ReadEmailRecordPage(Connection& connection,
                                                           const std::string& owner, int offset,
                                                           int limit);
core::Result<std::optional<Suppression>> ReadSuppression(Connection& connection,
                                                         const std::string& address);
core::Result<std::vector<Suppression>> ReadSuppressions(Connection& connection,
                                                        const std::string& cursor, int limit);

}  // namespace store::sqlite
