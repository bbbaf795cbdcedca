#pragma once
// The store's newsletter tables: content types, subscriptions, their groups' schedules and the
// fires that send them. Writes run on the writer thread as writes.h describes; reads on a pooled
// read connection as reads.h describes.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

// Writes.
core::Status CreateContentTypeInTransaction(Connection& connection, const ContentType& type,
                                            TimeMs now);
core::Status UpdateContentTypeInTransaction(Connection& connection, const ContentType& type,
                                            TimeMs now);
core::Result<SubscribeResult> SubscribeInTransaction(Connection& connection,
                                                     const NewSubscription& subscription,
                                                     TimeMs now);
core::Result<Subscriber> UnsubscribeInTransaction(Connection& connection,
                                                  const std::string& content_type,
                                                  const std::string& user_id);
core::Result<Subscriber> UnsubscribeByTokenInTransaction(Connection& connection,
                                                         const std::string& token);
core::Status SetNextFireInTransaction(Connection& connection, const Schedule& group,
                                      TimeMs next_fire);
core::Status StartFireInTransaction(Connection& connection, const Fire& fire, TimeMs now);
core::Result<FanOutProgress> FanOutFireInTransaction(Connection& connection, const std::string& key,
                                                     int limit, const FireRecipient& recipient,
                                                     TimeMs now);

// Reads. kNotFound where a single named row does not exist.
core::Result<ContentType> ReadContentType(Connection& connection, const std::string& name);
core::Result<std::vector<ContentType>> ReadContentTypes(Connection& connection);
core::Result<std::int64_t> ReadSubscriberCount(Connection& connection,
                                               const std::string& content_type);
core::Result<SubscriberPage> ReadSubscriberPage(Connection& connection,
                                                const std::string& content_type,
                                                const std::string& cursor, int limit);
core::Result<Subscriber> ReadSubscriberByToken(Connection& connection, const std::string& token);
core::Result<std::vector<Schedule>> ReadSchedules(Connection& connection);
core::Result<std::vector<std::string>> ReadUnfinishedFires(Connection& connection);

}  // namespace store::sqlite
