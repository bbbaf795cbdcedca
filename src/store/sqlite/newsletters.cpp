#include "store/sqlite/newsletters.h"

#include <optional>
#include <utility>

#include "store/sqlite/columns.h"
#include "store/sqlite/writes.h"

namespace store::sqlite {
namespace {

std::optional<ContentType> FindContentType(Connection& connection, const std::string& name) {
  ScopedStatement select(connection,
                         "SELECT subject, content, created_at, updated_at FROM content_types "
                         "WHERE name = ?");
  select->bind(1, name);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  return ContentType{name, select->getColumn(0).getString(), select->getColumn(1).getString(),
                     select->getColumn(2).getInt64(), select->getColumn(3).getInt64()};
}

void InsertContentType(Connection& connection, const ContentType& type, TimeMs now) {
  ScopedStatement insert(connection,
                         "INSERT INTO content_types (name, subject, content, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?)");
  insert->bind(1, type.name);
  insert->bind(2, type.subject);
  insert->bind(3, type.content);
  insert->bind(4, now);
  insert->bind(5, now);
  insert->exec();
}

constexpr const char* kSubscriberColumns =
    "content_type, user_id, frequency, timezone, unsubscribe_token, created_at";

Subscriber ReadSubscriberRow(SQLite::Statement& row) {
  return Subscriber{row.getColumn(0).getString(), row.getColumn(1).getString(),
                    row.getColumn(2).getString(), row.getColumn(3).getString(),
                    row.getColumn(4).getString(), row.getColumn(5).getInt64()};
}

std::optional<Subscriber> FindSubscriber(Connection& connection, const std::string& content_type,
                                         const std::string& user_id) {
  ScopedStatement select(connection, std::string("SELECT ") + kSubscriberColumns +
                                         " FROM subscriptions WHERE content_type = ? AND "
                                         "user_id = ?");
  select->bind(1, content_type);
  select->bind(2, user_id);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  return ReadSubscriberRow(*select);
}

void EnsureSchedule(Connection& connection, const Subscriber& subscriber, TimeMs now) {
  ScopedStatement insert(connection,
                         "INSERT OR IGNORE INTO schedules (content_type, frequency, timezone, "
                         "created_at) VALUES (?, ?, ?, ?)");
  insert->bind(1, subscriber.content_type);
  insert->bind(2, subscriber.frequency);
  insert->bind(3, subscriber.timezone);
  insert->bind(4, now);
  insert->exec();
}

// A group nobody subscribes to any more has nothing to schedule.
void DropScheduleIfEmpty(Connection& connection, const Subscriber& subscriber) {
  ScopedStatement remove(connection,
                         "DELETE FROM schedules WHERE content_type = ?1 AND frequency = ?2 AND "
                         "timezone = ?3 AND NOT EXISTS (SELECT 1 FROM subscriptions WHERE "
                         "content_type = ?1 AND frequency = ?2 AND timezone = ?3)");
  remove->bind(1, subscriber.content_type);
  remove->bind(2, subscriber.frequency);
  remove->bind(3, subscriber.timezone);
  remove->exec();
}

core::Result<Subscriber> RemoveSubscriber(Connection& connection, Subscriber subscriber) {
  ScopedStatement remove(connection,
                         "DELETE FROM subscriptions WHERE content_type = ? AND user_id = ?");
  remove->bind(1, subscriber.content_type);
  remove->bind(2, subscriber.user_id);
  remove->exec();
  DropScheduleIfEmpty(connection, subscriber);
  return subscriber;
}

// A fire (without its body) and how far its fan-out got.
struct FireState {
  Fire fire;
  std::string cursor;
  bool done = false;
};

std::optional<FireState> FindFire(Connection& connection, const std::string& key) {
  ScopedStatement select(connection,
                         "SELECT content_type, frequency, timezone, scheduled_at, sender, "
                         "subject, cursor, done FROM fires WHERE key = ?");
  select->bind(1, key);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  FireState state;
  state.fire.key = key;
  state.fire.content_type = select->getColumn(0).getString();
  if (!select->isColumnNull(1)) {
    Schedule group;
    group.content_type = state.fire.content_type;
    group.frequency = select->getColumn(1).getString();
    group.timezone = select->getColumn(2).getString();
    state.fire.group = std::move(group);
  }
  state.fire.scheduled_at = select->getColumn(3).getInt64();
  state.fire.sender = select->getColumn(4).getString();
  state.fire.subject = select->getColumn(5).getString();
  state.cursor = select->getColumn(6).getString();
  state.done = select->getColumn(7).getInt() != 0;
  return state;
}

// Up to `limit` subscribers of the list (of one group if given) after `cursor`, by user id.
std::vector<Subscriber> NextSubscribers(Connection& connection, const std::string& content_type,
                                        const std::optional<Schedule>& group,
                                        const std::string& cursor, int limit) {
  // Two statements so each walks its own index: the group index, or the primary key.
  const std::string sql = std::string("SELECT ") + kSubscriberColumns +
                          " FROM subscriptions WHERE content_type = ?1" +
                          (group ? " AND frequency = ?4 AND timezone = ?5" : "") +
                          " AND user_id > ?2 ORDER BY user_id LIMIT ?3";
  ScopedStatement select(connection, sql);
  select->bind(1, content_type);
  select->bind(2, cursor);
  select->bind(3, limit);
  if (group) {
    select->bind(4, group->frequency);
    select->bind(5, group->timezone);
  }
  std::vector<Subscriber> subscribers;
  while (select->executeStep()) {
    subscribers.push_back(ReadSubscriberRow(*select));
  }
  return subscribers;
}

}  // namespace

core::Status CreateContentTypeInTransaction(Connection& connection, const ContentType& type,
                                            TimeMs now) {
  if (type.name.empty()) {
    return core::InvalidArgument("content_type", "the content type name is empty");
  }
  if (FindContentType(connection, type.name)) {
    return AlreadyExists("content type '" + type.name + "' already exists");
  }
  InsertContentType(connection, type, now);
  return {};
}

core::Status UpdateContentTypeInTransaction(Connection& connection, const ContentType& type,
                                            TimeMs now) {
  ScopedStatement update(connection,
                         "UPDATE content_types SET subject = ?, content = ?, updated_at = ? "
                         "WHERE name = ?");
  update->bind(1, type.subject);
  update->bind(2, type.content);
  update->bind(3, now);
  update->bind(4, type.name);
  if (update->exec() == 0) {
    return core::NotFound("content type '" + type.name + "' does not exist");
  }
  return {};
}

core::Result<SubscribeResult> SubscribeInTransaction(Connection& connection,
                                                     const NewSubscription& subscription,
                                                     TimeMs now) {
  const std::string user_id = LowerAscii(subscription.user_id);
  if (user_id.empty()) {
    return core::InvalidArgument("userId", "the user id is empty");
  }
  if (subscription.frequency.empty()) {
    return core::InvalidArgument("frequency", "the frequency is empty");
  }
  SubscribeResult result;
  std::optional<ContentType> type = FindContentType(connection, subscription.content_type);
  if (type) {
    result.content_type = std::move(*type);
  } else {
    if (subscription.content_type.empty() || subscription.subject.empty() ||
        subscription.content.empty()) {
      return core::NotFound("content type '" + subscription.content_type +
                            "' does not exist (subject and content are needed to create it)");
    }
    result.content_type = ContentType{subscription.content_type, subscription.subject,
                                      subscription.content, now, now};
    InsertContentType(connection, result.content_type, now);
    result.content_type_created = true;
  }

  Subscriber subscriber{subscription.content_type,      user_id,
                        subscription.frequency,         subscription.timezone,
                        subscription.unsubscribe_token, now};
  if (std::optional<Subscriber> existing =
          FindSubscriber(connection, subscription.content_type, user_id)) {
    result.already_subscribed = true;
    ScopedStatement update(connection,
                           "UPDATE subscriptions SET frequency = ?, timezone = ? "
                           "WHERE content_type = ? AND user_id = ?");
    update->bind(1, subscription.frequency);
    update->bind(2, subscription.timezone);
    update->bind(3, subscription.content_type);
    update->bind(4, user_id);
    update->exec();
    DropScheduleIfEmpty(connection, *existing);
  } else {
    if (subscription.unsubscribe_token.empty()) {
      return core::InvalidArgument("unsubscribe_token", "a new subscription needs a token");
    }
    ScopedStatement insert(connection,
                           "INSERT INTO subscriptions (content_type, user_id, frequency, "
                           "timezone, unsubscribe_token, created_at) VALUES (?, ?, ?, ?, ?, ?)");
    insert->bind(1, subscriber.content_type);
    insert->bind(2, subscriber.user_id);
    insert->bind(3, subscriber.frequency);
    insert->bind(4, subscriber.timezone);
    insert->bind(5, subscriber.unsubscribe_token);
    insert->bind(6, now);
    insert->exec();
  }
  EnsureSchedule(connection, subscriber, now);
  return result;
}

core::Result<Subscriber> UnsubscribeInTransaction(Connection& connection,
                                                  const std::string& content_type,
                                                  const std::string& user_id) {
  std::optional<Subscriber> subscriber =
      FindSubscriber(connection, content_type, LowerAscii(user_id));
  if (!subscriber) {
    return core::NotFound(user_id + " is not subscribed to '" + content_type + "'");
  }
  return RemoveSubscriber(connection, std::move(*subscriber));
}

core::Result<Subscriber> UnsubscribeByTokenInTransaction(Connection& connection,
                                                         const std::string& token) {
  core::Result<Subscriber> subscriber = ReadSubscriberByToken(connection, token);
  if (!subscriber.ok()) {
    return subscriber.error();
  }
  return RemoveSubscriber(connection, std::move(subscriber).value());
}

core::Status SetNextFireInTransaction(Connection& connection, const Schedule& group,
                                      TimeMs next_fire) {
  ScopedStatement update(connection,
                         "UPDATE schedules SET next_fire_at = ? WHERE content_type = ? AND "
                         "frequency = ? AND timezone = ?");
  update->bind(1, next_fire);
  update->bind(2, group.content_type);
  update->bind(3, group.frequency);
  update->bind(4, group.timezone);
  if (update->exec() == 0) {
    return core::NotFound("no subscriber of '" + group.content_type + "' has schedule '" +
                          group.frequency + "'");
  }
  return {};
}

core::Status StartFireInTransaction(Connection& connection, const Fire& fire, TimeMs now) {
  if (FindFire(connection, fire.key)) {
    return AlreadyExists("fire '" + fire.key + "' already happened");
  }
  ScopedStatement insert(connection,
                         "INSERT INTO fires (key, content_type, frequency, timezone, "
                         "scheduled_at, sender, subject, body, created_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert->bind(1, fire.key);
  insert->bind(2, fire.content_type);
  if (fire.group) {
    insert->bind(3, fire.group->frequency);
    insert->bind(4, fire.group->timezone);
  } else {
    insert->bind(3);
    insert->bind(4);
  }
  insert->bind(5, fire.scheduled_at);
  insert->bind(6, fire.sender);
  insert->bind(7, fire.subject);
  insert->bindNoCopy(8, fire.body.data(), static_cast<int>(fire.body.size()));
  insert->bind(9, now);
  insert->exec();
  if (fire.group) {
    ScopedStatement update(connection,
                           "UPDATE schedules SET last_fire_at = ? WHERE content_type = ? AND "
                           "frequency = ? AND timezone = ?");
    update->bind(1, fire.scheduled_at);
    update->bind(2, fire.content_type);
    update->bind(3, fire.group->frequency);
    update->bind(4, fire.group->timezone);
    update->exec();
  }
  return {};
}

core::Result<FanOutProgress> FanOutFireInTransaction(Connection& connection, const std::string& key,
                                                     int limit, const FireRecipient& recipient,
                                                     TimeMs now) {
  std::optional<FireState> state = FindFire(connection, key);
  if (!state) {
    return core::NotFound("fire '" + key + "' does not exist");
  }
  if (state->done) {
    return FanOutProgress{0, true};
  }
  const std::vector<Subscriber> subscribers = NextSubscribers(
      connection, state->fire.content_type, state->fire.group, state->cursor, limit);
  for (const Subscriber& subscriber : subscribers) {
    NewEmail email = recipient(state->fire, subscriber);
    email.fire_key = key;
    if (core::Status inserted = PrepareAndInsertEmailInTransaction(connection, email, now);
        !inserted.ok()) {
      return inserted.error();
    }
  }
  AddToCounter(connection, "enqueued_total", static_cast<std::int64_t>(subscribers.size()));
  const bool done = static_cast<int>(subscribers.size()) < limit;
  ScopedStatement update(connection,
                         "UPDATE fires SET cursor = ?, enqueued = enqueued + ?, done = ? "
                         "WHERE key = ?");
  update->bind(1, subscribers.empty() ? state->cursor : subscribers.back().user_id);
  update->bind(2, static_cast<std::int64_t>(subscribers.size()));
  update->bind(3, done ? 1 : 0);
  update->bind(4, key);
  update->exec();
  return FanOutProgress{static_cast<std::int64_t>(subscribers.size()), done};
}

core::Result<ContentType> ReadContentType(Connection& connection, const std::string& name) {
  std::optional<ContentType> type = FindContentType(connection, name);
  if (!type) {
    return core::NotFound("content type '" + name + "' does not exist");
  }
  return std::move(*type);
}

core::Result<std::vector<ContentType>> ReadContentTypes(Connection& connection) {
  ScopedStatement select(connection,
                         "SELECT name, subject, content, created_at, updated_at FROM "
                         "content_types ORDER BY name");
  std::vector<ContentType> types;
  while (select->executeStep()) {
    types.push_back(ContentType{select->getColumn(0).getString(), select->getColumn(1).getString(),
                                select->getColumn(2).getString(), select->getColumn(3).getInt64(),
                                select->getColumn(4).getInt64()});
  }
  return types;
}

core::Result<std::int64_t> ReadSubscriberCount(Connection& connection,
                                               const std::string& content_type) {
  ScopedStatement select(connection, "SELECT COUNT(*) FROM subscriptions WHERE content_type = ?");
  select->bind(1, content_type);
  select->executeStep();
  return select->getColumn(0).getInt64();
}

core::Result<SubscriberPage> ReadSubscriberPage(Connection& connection,
                                                const std::string& content_type,
                                                const std::string& cursor, int limit) {
  SubscriberPage page;
  page.subscribers = NextSubscribers(connection, content_type, std::nullopt, cursor, limit + 1);
  if (static_cast<int>(page.subscribers.size()) > limit) {
    page.subscribers.pop_back();
    page.next_cursor = page.subscribers.back().user_id;
  }
  return page;
}

core::Result<Subscriber> ReadSubscriberByToken(Connection& connection, const std::string& token) {
  ScopedStatement select(connection, std::string("SELECT ") + kSubscriberColumns +
                                         " FROM subscriptions WHERE unsubscribe_token = ?");
  select->bind(1, token);
  if (token.empty() || !select->executeStep()) {
    return core::NotFound("no subscription has this unsubscribe link");
  }
  return ReadSubscriberRow(*select);
}

core::Result<std::vector<Schedule>> ReadSchedules(Connection& connection) {
  ScopedStatement select(connection,
                         "SELECT content_type, frequency, timezone, created_at, last_fire_at, "
                         "next_fire_at FROM schedules");
  std::vector<Schedule> schedules;
  while (select->executeStep()) {
    Schedule schedule;
    schedule.content_type = select->getColumn(0).getString();
    schedule.frequency = select->getColumn(1).getString();
    schedule.timezone = select->getColumn(2).getString();
    schedule.created_at = select->getColumn(3).getInt64();
    if (!select->isColumnNull(4)) schedule.last_fire = select->getColumn(4).getInt64();
    if (!select->isColumnNull(5)) schedule.next_fire = select->getColumn(5).getInt64();
    schedules.push_back(std::move(schedule));
  }
  return schedules;
}

core::Result<std::vector<std::string>> ReadUnfinishedFires(Connection& connection) {
  ScopedStatement select(connection, "SELECT key FROM fires WHERE done = 0 ORDER BY created_at");
  std::vector<std::string> keys;
  while (select->executeStep()) {
    keys.push_back(select->getColumn(0).getString());
  }
  return keys;
}

}  // namespace store::sqlite
