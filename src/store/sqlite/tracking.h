#pragma once
// The store's tracked-mail tables: the per-email tracking row of SES-compatible sends, their
// status callbacks (composed by the injected StatusCallbackComposer on the delivery transitions,
// the first open and the provider's events), records, and the suppression list.
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

void InsertTracking(Connection& connection, const std::string& email_id,
                    const EmailTracking& tracking);
// Enqueues the status callback `compose` makes of the change, if the email is tracked, has a
// callback URL and `compose` makes one; otherwise does nothing. `reply` and `provider_event` as in
// TrackedEmailChange.
void EnqueueStatusCallback(Connection& connection, const std::string& email_id,
                           TrackedEmailChange::Kind kind, const std::string& reply,
                           const ProviderEvent* provider_event,
                           const StatusCallbackComposer& compose, TimeMs now);
// Keeps the relay's id of a sent message on its tracking row (a no-op for an untracked email or
// an empty id).
void StoreProviderId(Connection& connection, const std::string& email_id,
                     const std::string& provider_id);

core::Result<bool> MarkOpenedInTransaction(Connection& connection, const std::string& token,
                                           const StatusCallbackComposer& compose, TimeMs now);
core::Result<std::optional<std::string>> RecordProviderEventInTransaction(
    Connection& connection, const ProviderEvent& event, const StatusCallbackComposer& compose,
    TimeMs now);
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
                                                        const std::string& prefix,
                                                        const std::string& cursor, int limit);

}  // namespace store::sqlite
