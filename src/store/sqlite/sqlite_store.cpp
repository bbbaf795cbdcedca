// The SQLite implementation of store::Store (every area interface in one class): plumbing only.
// Writes go through one GroupCommitter (one connection, one thread, group commit with a savepoint
// per operation; see writes.h); reads go through a pool of read-only connections (see reads.h).
// Every public method catches what SQLiteCpp and nlohmann::json throw and answers with a
// core::Error instead.
#include "store/sqlite/sqlite_store.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite/accounts.h"
#include "store/sqlite/callbacks.h"
#include "store/sqlite/campaigns.h"
#include "store/sqlite/connection.h"
#include "store/sqlite/group_commit.h"
#include "store/sqlite/lock_file.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/newsletters.h"
#include "store/sqlite/reader_pool.h"
#include "store/sqlite/reads.h"
#include "store/sqlite/retention.h"
#include "store/sqlite/sent_emails.h"
#include "store/sqlite/templates.h"
#include "store/sqlite/tracking.h"
#include "store/sqlite/wal_write_buffer.h"
#include "store/sqlite/writes.h"
#include "store/store.h"

namespace store {
namespace {

using sqlite::Connection;

class SqliteStore final : public Store {
 public:
  SqliteStore(const SqliteOptions& options, std::optional<sqlite::LockFile> lock,
              std::unique_ptr<Connection> writer)
      : lock_(std::move(lock)),
        readers_(options.path, options.busy_timeout_ms),
        writer_(std::move(writer), static_cast<std::size_t>(std::max(options.max_batch, 1))) {}

  Result<CreateEmailResult> CreateEmail(const NewEmail& email,
                                        const std::optional<IdempotencyClaim>& claim,
                                        TimeMs now) override {
    // CreateEmailThen, waited for. Requests go through CreateEmailThen; this form (a copy of the
    // email) serves the store contract tests and the fault-injecting store.
    std::promise<Result<CreateEmailResult>> answer;
    std::future<Result<CreateEmailResult>> created = answer.get_future();
    CreateEmailThen(email, claim, now, [&answer](Result<CreateEmailResult> result) {
      answer.set_value(std::move(result));
    });
    return created.get();
  }

  void CreateEmailThen(NewEmail email, std::optional<IdempotencyClaim> claim, TimeMs now,
                       std::function<void(Result<CreateEmailResult>)> done) override {
    // Validation and serialization run here, in parallel across callers, not on the writer.
    Result<sqlite::PreparedEmail> prepared = sqlite::PrepareEmail(email);
    if (!prepared.ok()) {
      return done(prepared.error());
    }
    // Owned by the operation until the writer has run it and answered.
    struct Write {
      NewEmail email;
      sqlite::PreparedEmail prepared;
      std::optional<IdempotencyClaim> claim;
      std::optional<CreateEmailResult> result;
    };
    auto write = std::make_shared<Write>(
        Write{std::move(email), std::move(*prepared), std::move(claim), std::nullopt});
    writer_.Submit(
        [write, now](Connection& connection) -> Status {
          Result<CreateEmailResult> created = sqlite::CreateEmailInTransaction(
              connection, write->email, write->prepared, write->claim, now);
          if (!created.ok()) {
            return created.error();
          }
          write->result.emplace(std::move(created).value());
          return {};
        },
        [write, done = std::move(done)](Status status) {
          if (!status.ok()) {
            return done(status.error());
          }
          done(std::move(*write->result));
        },
        // Only the connection is touched, so the writer may leave out the savepoint.
        sqlite::GroupCommitter::Rerunnable::kYes);
  }

  Result<Email> GetEmail(const std::string& id) override {
    return Read<Email>("reading an email",
                       [&](Connection& connection) { return sqlite::ReadEmail(connection, id); });
  }

  Result<std::vector<EventCount>> CountEmailEvents(TimeMs since, TimeMs until,
                                                   TimeMs step) override {
    return Read<std::vector<EventCount>>("counting email events", [&](Connection& connection) {
      return sqlite::ReadEventCounts(connection, since, until, step);
    });
  }

  Result<std::vector<EmailEvent>> ListEmailEvents(const std::string& id) override {
    return Read<std::vector<EmailEvent>>("reading email events", [&](Connection& connection) {
      return sqlite::ReadEmailEvents(connection, id);
    });
  }

  Result<EmailPage> ListEmails(const EmailFilter& filter) override {
    return Read<EmailPage>("listing emails", [&](Connection& connection) {
      return sqlite::ReadEmailPage(connection, filter);
    });
  }

  Result<std::vector<TimeMs>> ListSendLatencies(TimeMs since, TimeMs until, int limit) override {
    return Read<std::vector<TimeMs>>("reading send latencies", [&](Connection& connection) {
      return sqlite::ReadSendLatencies(connection, since, until, limit);
    });
  }

  Result<std::vector<FailureEvent>> ListRecentFailures(TimeMs since, int limit) override {
    return Read<std::vector<FailureEvent>>("reading recent failures", [&](Connection& connection) {
      return sqlite::ReadRecentFailures(connection, since, limit);
    });
  }

  Result<RawMessage> GetRawMessage(const std::string& id) override {
    return Read<RawMessage>("reading a message", [&](Connection& connection) {
      return sqlite::ReadRawMessage(connection, id);
    });
  }

  Result<std::vector<std::optional<RawMessage>>> GetRawMessages(const std::vector<std::string>& ids,
                                                                std::size_t max_bytes) override {
    return Read<std::vector<std::optional<RawMessage>>>(
        "reading messages", [&](Connection& connection) {
          return sqlite::ReadRawMessages(connection, ids, max_bytes);
        });
  }

  Status RetryEmail(const std::string& id, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::RetryEmailInTransaction(connection, id, now);
    });
  }

  Status CancelEmail(const std::string& id, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::CancelEmailInTransaction(connection, id, now);
    });
  }

  Status ResendEmail(const std::string& original_id, const NewEmail& copy, TimeMs now) override {
    Result<sqlite::PreparedEmail> prepared = sqlite::PrepareEmail(copy);
    if (!prepared.ok()) {
      return prepared.error();
    }
    return WriteStatus([&](Connection& connection) {
      return sqlite::ResendEmailInTransaction(connection, original_id, copy, *prepared, now);
    });
  }

  Result<std::vector<Lease>> LeaseJobs(JobKind kind, int max, TimeMs now,
                                       TimeMs lease_ms) override {
    return Write<std::vector<Lease>>([&](Connection& connection) {
      return sqlite::LeaseJobsInTransaction(connection, kind, max, now, lease_ms,
                                            compose_status_callback_);
    });
  }

  Status Heartbeat(std::int64_t job_id, std::int64_t token, TimeMs expires_at) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::HeartbeatInTransaction(connection, job_id, token, expires_at);
    });
  }

  Result<std::vector<Status>> FinishDeliveries(const std::vector<FinishedAttempt>& attempts,
                                               TimeMs now) override {
    return Write<std::vector<Status>>([&](Connection& connection) -> Result<std::vector<Status>> {
      std::vector<Status> statuses;
      statuses.reserve(attempts.size());
      for (const auto& attempt : attempts) {
        // A lost lease writes nothing (the token check comes first), so it can be reported
        // per attempt without rolling back the others.
        Status status =
            sqlite::FinishDeliveryInTransaction(connection, attempt.job_id, attempt.token,
                                                attempt.outcome, compose_status_callback_, now);
        if (!status.ok() && status.error().code != core::ErrorCode::kFailedPrecondition) {
          return status.error();
        }
        statuses.push_back(std::move(status));
      }
      return statuses;
    });
  }

  Status ReleaseLease(std::int64_t job_id, std::int64_t token, TimeMs run_at, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::ReleaseLeaseInTransaction(connection, job_id, token, run_at, now);
    });
  }

  Result<int> RecoverLeases(TimeMs now) override {
    return Write<int>([&](Connection& connection) {
      return sqlite::RecoverLeasesInTransaction(connection, now);
    });
  }

  Result<std::optional<TimeMs>> NextRunAt(JobKind kind) override {
    return Read<std::optional<TimeMs>>("reading the next run time", [&](Connection& connection) {
      return sqlite::ReadNextRunAt(connection, kind);
    });
  }

  Result<QueueStats> Stats(TimeMs now) override {
    return Read<QueueStats>("reading queue stats", [&](Connection& connection) {
      return sqlite::ReadStats(connection, now);
    });
  }

  Status CreateApiKey(const ApiKey& key) override {
    return WriteStatus(
        [&](Connection& connection) { return sqlite::CreateApiKeyInTransaction(connection, key); });
  }

  Result<ApiKey> FindApiKeyByHash(const std::string& key_hash) override {
    return Read<ApiKey>("reading an API key", [&](Connection& connection) {
      return sqlite::ReadApiKeyByHash(connection, key_hash);
    });
  }

  Result<int> CountApiKeys(const std::string& role) override {
    return Read<int>("counting API keys", [&](Connection& connection) {
      return sqlite::ReadApiKeyCount(connection, role);
    });
  }

  Result<std::vector<ApiKey>> ListApiKeys() override {
    return Read<std::vector<ApiKey>>("listing API keys", [&](Connection& connection) {
      return sqlite::ReadApiKeys(connection);
    });
  }

  Result<ApiKey> DeleteApiKey(const std::string& id) override {
    return Write<ApiKey>(
        [&](Connection& connection) { return sqlite::DeleteApiKeyInTransaction(connection, id); });
  }

  Result<ApiKey> FindApiKeyById(const std::string& id) override {
    return Read<ApiKey>("reading an API key", [&](Connection& connection) {
      return sqlite::ReadApiKeyById(connection, id);
    });
  }

  Result<std::vector<ApiKey>> DeleteApiKeysByName(const std::string& name,
                                                  const std::string& role) override {
    return Write<std::vector<ApiKey>>([&](Connection& connection) {
      return sqlite::DeleteApiKeysByNameInTransaction(connection, name, role);
    });
  }

  Result<std::string> GetOrCreateSetting(const std::string& key,
                                         const std::string& value_if_absent) override {
    return Write<std::string>([&](Connection& connection) {
      return sqlite::GetOrCreateSettingInTransaction(connection, key, value_if_absent);
    });
  }

  Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    return Write<std::optional<std::string>>(
        [&](Connection& connection) { return sqlite::GetSettingInTransaction(connection, key); });
  }

  Status DeleteSetting(const std::string& key) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::DeleteSettingInTransaction(connection, key);
    });
  }

  Status PutOtp(const OtpRecord& record, TimeMs resend_interval_ms) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::PutOtpInTransaction(connection, record, resend_interval_ms);
    });
  }

  Status VerifyOtp(const std::string& owner, const std::string& recipient,
                   const OtpDecision& decide) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::VerifyOtpInTransaction(connection, owner, recipient, decide);
    });
  }

  Status CreateContentType(const ContentType& type, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::CreateContentTypeInTransaction(connection, type, now);
    });
  }

  Status UpdateContentType(const ContentType& type, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::UpdateContentTypeInTransaction(connection, type, now);
    });
  }

  Result<ContentType> GetContentType(const std::string& name) override {
    return Read<ContentType>("reading a content type", [&](Connection& connection) {
      return sqlite::ReadContentType(connection, name);
    });
  }

  Result<SubscribeResult> Subscribe(const NewSubscription& subscription, TimeMs now) override {
    return Write<SubscribeResult>([&](Connection& connection) {
      return sqlite::SubscribeInTransaction(connection, subscription, now);
    });
  }

  Result<std::vector<ContentType>> ListContentTypes() override {
    return Read<std::vector<ContentType>>("listing content types", [&](Connection& connection) {
      return sqlite::ReadContentTypes(connection);
    });
  }

  Result<Subscriber> Unsubscribe(const std::string& content_type,
                                 const std::string& user_id) override {
    return Write<Subscriber>([&](Connection& connection) {
      return sqlite::UnsubscribeInTransaction(connection, content_type, user_id);
    });
  }

  Result<Subscriber> UnsubscribeByToken(const std::string& token) override {
    return Write<Subscriber>([&](Connection& connection) {
      return sqlite::UnsubscribeByTokenInTransaction(connection, token);
    });
  }

  Result<Subscriber> FindSubscriberByToken(const std::string& token) override {
    return Read<Subscriber>("reading a subscription", [&](Connection& connection) {
      return sqlite::ReadSubscriberByToken(connection, token);
    });
  }

  Result<std::int64_t> CountSubscribers(const std::string& content_type) override {
    return Read<std::int64_t>("counting subscribers", [&](Connection& connection) {
      return sqlite::ReadSubscriberCount(connection, content_type);
    });
  }

  Result<SubscriberPage> ListSubscribers(const std::string& content_type, const std::string& cursor,
                                         int limit) override {
    return Read<SubscriberPage>("listing subscribers", [&](Connection& connection) {
      return sqlite::ReadSubscriberPage(connection, content_type, cursor, limit);
    });
  }

  Result<std::vector<Schedule>> ListSchedules() override {
    return Read<std::vector<Schedule>>("listing schedules", [&](Connection& connection) {
      return sqlite::ReadSchedules(connection);
    });
  }

  Status SetNextFire(const Schedule& group, TimeMs next_fire) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::SetNextFireInTransaction(connection, group, next_fire);
    });
  }

  Status StartFire(const Fire& fire, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::StartFireInTransaction(connection, fire, now);
    });
  }

  Result<FanOutProgress> FanOutFire(const std::string& key, int limit,
                                    const FireRecipient& recipient, TimeMs now) override {
    return Write<FanOutProgress>([&](Connection& connection) {
      return sqlite::FanOutFireInTransaction(connection, key, limit, recipient, now);
    });
  }

  Result<std::vector<std::string>> ListUnfinishedFires() override {
    return Read<std::vector<std::string>>("listing unfinished fires", [&](Connection& connection) {
      return sqlite::ReadUnfinishedFires(connection);
    });
  }

  Result<std::string> EnqueueCallback(const NewCallback& callback, int max_attempts,
                                      TimeMs now) override {
    return Write<std::string>([&](Connection& connection) {
      return sqlite::EnqueueCallbackInTransaction(connection, callback, max_attempts, now);
    });
  }

  Result<Callback> GetCallback(const std::string& id) override {
    return Read<Callback>("reading a callback", [&](Connection& connection) {
      return sqlite::ReadCallback(connection, id);
    });
  }

  Status FinishCallback(std::int64_t job_id, std::int64_t token, const CallbackOutcome& outcome,
                        TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::FinishCallbackInTransaction(connection, job_id, token, outcome, now);
    });
  }

  Result<CallbackAttemptPage> ListCallbackAttempts(const CallbackAttemptFilter& filter,
                                                   std::optional<std::int64_t> cursor,
                                                   int limit) override {
    return Read<CallbackAttemptPage>("listing callback attempts", [&](Connection& connection) {
      return sqlite::ReadCallbackAttempts(connection, filter, cursor, limit);
    });
  }

  Result<std::vector<WebhookEndpoint>> ListWebhookEndpoints() override {
    return Read<std::vector<WebhookEndpoint>>(
        "listing webhook endpoints",
        [&](Connection& connection) { return sqlite::ReadWebhookEndpoints(connection); });
  }

  Status EnableWebhookEndpoint(const std::string& url) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::EnableWebhookEndpointInTransaction(connection, url);
    });
  }

  Status AddTask(const Task& task, const std::optional<NewCallback>& added,
                 const std::optional<NewCallback>& expired, int max_attempts, TimeMs now) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::AddTaskInTransaction(connection, task, added, expired, max_attempts, now);
    });
  }

  Result<Task> RemoveTask(const std::string& id, const std::string& owner,
                          const std::optional<NewCallback>& removed, int max_attempts,
                          TimeMs now) override {
    return Write<Task>([&](Connection& connection) {
      return sqlite::RemoveTaskInTransaction(connection, id, owner, removed, max_attempts, now);
    });
  }

  Result<Task> GetTask(const std::string& id) override {
    return Read<Task>("reading a task",
                      [&](Connection& connection) { return sqlite::ReadTask(connection, id); });
  }

  Result<std::vector<Task>> ListTasks(const std::string& owner, TaskState state, TimeMs now,
                                      int limit) override {
    return Read<std::vector<Task>>("listing tasks", [&](Connection& connection) {
      return sqlite::ReadTasks(connection, owner, state, now, limit);
    });
  }

  Result<Template> SaveTemplate(const Template& tmpl, TimeMs now) override {
    return Write<Template>([&](Connection& connection) {
      return sqlite::SaveTemplateInTransaction(connection, tmpl, now);
    });
  }

  Result<Template> GetTemplate(const std::string& name, std::optional<int> version) override {
    return Read<Template>("reading a template", [&](Connection& connection) {
      return sqlite::ReadTemplate(connection, name, version);
    });
  }

  Result<Template> GetTemplateById(std::int64_t id) override {
    return Read<Template>("reading a template", [&](Connection& connection) {
      return sqlite::ReadTemplateById(connection, id);
    });
  }

  Result<TemplatePage> ListTemplates(const TemplateQuery& query) override {
    return Read<TemplatePage>("listing templates", [&](Connection& connection) {
      return sqlite::ReadTemplatePage(connection, query);
    });
  }

  Result<std::vector<Template>> ListTemplateVersions(const std::string& name) override {
    return Read<std::vector<Template>>("listing template versions", [&](Connection& connection) {
      return sqlite::ReadTemplateVersions(connection, name);
    });
  }

  Status DeleteTemplate(const std::string& name) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::DeleteTemplateInTransaction(connection, name);
    });
  }

  Status DeleteTemplateById(std::int64_t id) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::DeleteTemplateByIdInTransaction(connection, id);
    });
  }

  Result<SentEmail> CreateSentEmail(const SentEmail& record, const std::vector<NewEmail>& emails,
                                    TimeMs now) override {
    // As CreateEmail: the columns are computed here, not on the writer.
    std::vector<sqlite::PreparedEmail> prepared;
    prepared.reserve(emails.size());
    for (const NewEmail& email : emails) {
      Result<sqlite::PreparedEmail> columns = sqlite::PrepareEmail(email);
      if (!columns.ok()) {
        return columns.error();
      }
      prepared.push_back(std::move(*columns));
    }
    return Write<SentEmail>([&](Connection& connection) {
      return sqlite::CreateSentEmailInTransaction(connection, record, emails, prepared, now);
    });
  }

  Result<SentEmail> GetSentEmail(std::int64_t id) override {
    return Read<SentEmail>("reading a sent email", [&](Connection& connection) {
      return sqlite::ReadSentEmail(connection, id);
    });
  }

  Result<SentEmailPage> ListSentEmails(const SentEmailQuery& query) override {
    return Read<SentEmailPage>("listing sent emails", [&](Connection& connection) {
      return sqlite::ReadSentEmailPage(connection, query);
    });
  }

  void SetStatusCallbackComposer(StatusCallbackComposer compose) override {
    compose_status_callback_ = std::move(compose);
  }

  Result<std::vector<EmailRecord>> GetEmailRecords(const std::string& owner,
                                                   const std::vector<std::string>& ids) override {
    return Read<std::vector<EmailRecord>>("reading email records", [&](Connection& connection) {
      return sqlite::ReadEmailRecords(connection, owner, ids);
    });
  }

  Result<std::vector<EmailRecord>> ListEmailRecords(const std::string& owner, int offset,
                                                    int limit) override {
    return Read<std::vector<EmailRecord>>("listing email records", [&](Connection& connection) {
      return sqlite::ReadEmailRecordPage(connection, owner, offset, limit);
    });
  }

  Result<bool> MarkOpened(const std::string& open_token, TimeMs now) override {
    return Write<bool>([&](Connection& connection) {
      return sqlite::MarkOpenedInTransaction(connection, open_token, compose_status_callback_, now);
    });
  }

  Result<std::optional<std::string>> RecordProviderEvent(const ProviderEvent& event,
                                                         TimeMs now) override {
    return Write<std::optional<std::string>>([&](Connection& connection) {
      return sqlite::RecordProviderEventInTransaction(connection, event, compose_status_callback_,
                                                      now);
    });
  }

  Status Suppress(const Suppression& suppression) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::SuppressInTransaction(connection, suppression);
    });
  }

  Status Unsuppress(const std::string& address) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::UnsuppressInTransaction(connection, address);
    });
  }

  Result<std::optional<Suppression>> FindSuppression(const std::string& address) override {
    return Read<std::optional<Suppression>>("reading a suppression", [&](Connection& connection) {
      return sqlite::ReadSuppression(connection, address);
    });
  }

  Result<std::vector<Suppression>> ListSuppressions(const std::string& prefix,
                                                    const std::string& cursor, int limit) override {
    return Read<std::vector<Suppression>>("listing suppressions", [&](Connection& connection) {
      return sqlite::ReadSuppressions(connection, prefix, cursor, limit);
    });
  }

  Result<int> PurgeBefore(PurgeKind kind, TimeMs cutoff, int limit) override {
    return Write<int>([&](Connection& connection) {
      return sqlite::PurgeInTransaction(connection, kind, cutoff, limit);
    });
  }

  Result<User> CreateUser(const User& user) override {
    return Write<User>(
        [&](Connection& connection) { return sqlite::CreateUserInTransaction(connection, user); });
  }

  Result<std::vector<bool>> CreateUsersIfAbsent(const std::vector<User>& users) override {
    return Write<std::vector<bool>>([&](Connection& connection) {
      return sqlite::CreateUsersIfAbsentInTransaction(connection, users);
    });
  }

  Result<User> GetUser(std::int64_t id) override {
    return Read<User>("reading a user",
                      [&](Connection& connection) { return sqlite::ReadUser(connection, id); });
  }

  Result<User> FindUserByEmail(const std::string& email) override {
    return Read<User>("reading a user", [&](Connection& connection) {
      return sqlite::ReadUserByEmail(connection, email);
    });
  }

  Result<UserPage> ListUsers(const UserQuery& query) override {
    return Read<UserPage>("listing users", [&](Connection& connection) {
      return sqlite::ReadUserPage(connection, query);
    });
  }

  Result<std::vector<User>> ListReachableUsers(const std::string& role, std::int64_t after_id,
                                               int limit) override {
    return Read<std::vector<User>>("listing reachable users", [&](Connection& connection) {
      return sqlite::ReadReachableUsers(connection, role, after_id, limit);
    });
  }

  Result<User> UpdateUser(std::int64_t id, const UserChange& change, TimeMs now) override {
    return Write<User>([&](Connection& connection) {
      return sqlite::UpdateUserInTransaction(connection, id, change, now);
    });
  }

  Status DeleteUser(std::int64_t id) override {
    return WriteStatus(
        [&](Connection& connection) { return sqlite::DeleteUserInTransaction(connection, id); });
  }

  Result<std::int64_t> CountUsers(const std::string& role) override {
    return Read<std::int64_t>("counting users", [&](Connection& connection) {
      return sqlite::ReadUserCount(connection, role);
    });
  }

  Result<LoginThrottle> UpdateLoginThrottle(const std::string& key,
                                            const ThrottleUpdate& update) override {
    return Write<LoginThrottle>([&](Connection& connection) {
      return sqlite::UpdateLoginThrottleInTransaction(connection, key, update);
    });
  }

  Status CreateSession(const Session& session, const std::string& refresh_hash) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::CreateSessionInTransaction(connection, session, refresh_hash);
    });
  }

  Result<Session> GetSession(const std::string& id) override {
    return Read<Session>("reading a session", [&](Connection& connection) {
      return sqlite::ReadSession(connection, id);
    });
  }

  Result<Session> FindSessionByTokenHash(const std::string& token_hash) override {
    return Read<Session>("reading a session", [&](Connection& connection) {
      return sqlite::ReadSessionByTokenHash(connection, token_hash);
    });
  }

  Result<Refreshed> RotateRefreshToken(const std::string& old_hash, const std::string& new_hash,
                                       TimeMs now) override {
    return Write<Refreshed>([&](Connection& connection) {
      return sqlite::RotateRefreshTokenInTransaction(connection, old_hash, new_hash, now);
    });
  }

  Result<std::vector<Session>> ListLiveSessions(std::int64_t user_id, TimeMs now) override {
    return Read<std::vector<Session>>("listing sessions", [&](Connection& connection) {
      return sqlite::ReadLiveSessions(connection, user_id, now);
    });
  }

  Result<bool> ExtendSession(const std::string& id, TimeMs now, TimeMs expires_at) override {
    return Write<bool>([&](Connection& connection) {
      return sqlite::ExtendSessionInTransaction(connection, id, now, expires_at);
    });
  }

  Status RevokeSession(const std::string& id, TimeMs now, const std::string& reason) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::RevokeSessionInTransaction(connection, id, now, reason);
    });
  }

  Result<int> RevokeUserSessions(std::int64_t user_id, TimeMs now,
                                 const std::string& reason) override {
    return Write<int>([&](Connection& connection) {
      return sqlite::RevokeUserSessionsInTransaction(connection, user_id, now, reason);
    });
  }

  Status CreateVerification(const Verification& verification) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::CreateVerificationInTransaction(connection, verification);
    });
  }

  Result<Verification> GetVerification(const std::string& id) override {
    return Read<Verification>("reading a verification", [&](Connection& connection) {
      return sqlite::ReadVerification(connection, id);
    });
  }

  Result<Verification> FindVerificationByTokenHash(const std::string& token_hash) override {
    return Read<Verification>("reading a verification", [&](Connection& connection) {
      return sqlite::ReadVerificationByTokenHash(connection, token_hash);
    });
  }

  Result<Verification> ConfirmVerification(const std::string& token_hash, TimeMs now,
                                           const std::optional<NewCallback>& callback,
                                           int max_attempts) override {
    return Write<Verification>([&](Connection& connection) {
      return sqlite::ConfirmVerificationInTransaction(connection, token_hash, now, callback,
                                                      max_attempts);
    });
  }

  Result<std::optional<Verification>> LatestVerification(const std::string& purpose,
                                                         const std::string& email) override {
    return Read<std::optional<Verification>>("reading a verification", [&](Connection& connection) {
      return sqlite::ReadLatestVerification(connection, purpose, email);
    });
  }

  Status AppendAudit(const AuditEntry& entry) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::AppendAuditInTransaction(connection, entry);
    });
  }

  Result<AuditPage> ListAudit(const AuditQuery& query) override {
    return Read<AuditPage>("listing the audit trail", [&](Connection& connection) {
      return sqlite::ReadAuditPage(connection, query);
    });
  }

  Result<Campaign> CreateCampaign(const CampaignContent& content,
                                  const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::CreateCampaignInTransaction(connection, content, action);
    });
  }

  Result<Campaign> UpdateCampaign(const CampaignContent& content,
                                  const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::UpdateCampaignInTransaction(connection, content, action);
    });
  }

  Status DeleteCampaign(const CampaignAction& action) override {
    return WriteStatus([&](Connection& connection) {
      return sqlite::DeleteCampaignInTransaction(connection, action);
    });
  }

  Result<Campaign> GetCampaign(std::int64_t id) override {
    return Read<Campaign>("reading a campaign", [&](Connection& connection) {
      return sqlite::ReadCampaign(connection, id);
    });
  }

  Result<CampaignPage> ListCampaigns(const CampaignQuery& query) override {
    return Read<CampaignPage>("listing campaigns", [&](Connection& connection) {
      return sqlite::ReadCampaignPage(connection, query);
    });
  }

  Result<CampaignVersion> GetCampaignVersion(std::int64_t id, int version) override {
    return Read<CampaignVersion>("reading a campaign version", [&](Connection& connection) {
      return sqlite::ReadCampaignVersion(connection, id, version);
    });
  }

  Result<Campaign> SubmitCampaign(const CampaignVersion& frozen,
                                  const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::SubmitCampaignInTransaction(connection, frozen, action);
    });
  }

  Result<Campaign> ApproveCampaign(const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::ApproveCampaignInTransaction(connection, action);
    });
  }

  Result<Campaign> RejectCampaign(const std::string& note, const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::RejectCampaignInTransaction(connection, note, action);
    });
  }

  Result<Campaign> PauseCampaign(const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::PauseCampaignInTransaction(connection, action);
    });
  }

  Result<Campaign> ResumeCampaign(const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::ResumeCampaignInTransaction(connection, action);
    });
  }

  Result<Campaign> CancelCampaign(const CampaignAction& action) override {
    return Write<Campaign>([&](Connection& connection) {
      return sqlite::CancelCampaignInTransaction(connection, action);
    });
  }

  Result<FanOutStep> FanOutCampaign(std::int64_t id, const CampaignFanOut& fan_out,
                                    const CampaignRecipient& recipient, TimeMs now) override {
    return Write<FanOutStep>([&](Connection& connection) {
      return sqlite::FanOutCampaignInTransaction(connection, id, fan_out, recipient, now);
    });
  }

  Result<CampaignRecipientRecord> FindCampaignRecipient(const std::string& token) override {
    return Read<CampaignRecipientRecord>(
        "reading a campaign recipient",
        [&](Connection& connection) { return sqlite::ReadCampaignRecipient(connection, token); });
  }

  Result<bool> RecordCampaignOpen(const std::string& token, TimeMs now) override {
    return Write<bool>([&](Connection& connection) {
      return sqlite::RecordCampaignOpenInTransaction(connection, token, now);
    });
  }

  Result<bool> UnsubscribeCampaignRecipient(const std::string& token, TimeMs now) override {
    return Write<bool>([&](Connection& connection) {
      return sqlite::UnsubscribeCampaignRecipientInTransaction(connection, token, now);
    });
  }

  Status Ping() override {
    return Read<void>("ping", [](Connection& connection) { return sqlite::ReadPing(connection); });
  }

 private:
  // Runs `apply` (Connection& -> Result<T>) as one operation of a group-committed batch.
  template <typename T, typename Apply>
  Result<T> Write(const Apply& apply, sqlite::GroupCommitter::Rerunnable rerunnable =
                                          sqlite::GroupCommitter::Rerunnable::kNo) {
    std::optional<T> value;
    const sqlite::GroupCommitter::Operation operation = [&](Connection& connection) -> Status {
      Result<T> result = apply(connection);
      if (!result.ok()) {
        return result.error();
      }
      value.emplace(std::move(result).value());
      return {};
    };
    Status status = WriteStatus(operation, rerunnable);
    if (!status.ok()) {
      return status.error();
    }
    return std::move(*value);
  }

  // Runs `apply` (Connection& -> Status) as one operation of a group-committed batch.
  template <typename Apply>
  Status WriteStatus(const Apply& apply, sqlite::GroupCommitter::Rerunnable rerunnable =
                                             sqlite::GroupCommitter::Rerunnable::kNo) {
    try {
      return writer_.Run(apply, rerunnable);
    } catch (const std::exception& exception) {
      // Only submitting can throw here (allocation); the operation itself is guarded by the
      // writer.
      return core::Internal(std::string("submitting a write: ") + exception.what());
    }
  }

  // Runs `read` (Connection& -> Result<T>) on a pooled read-only connection.
  template <typename T, typename ReadFunction>
  Result<T> Read(std::string_view what, const ReadFunction& read) {
    try {
      std::unique_ptr<Connection> connection = readers_.Acquire();
      Result<T> result = read(*connection);
      readers_.Release(std::move(connection));
      return result;
    } catch (const SQLite::Exception& exception) {
      return sqlite::ErrorFromException(exception, what);
    } catch (const std::exception& exception) {
      return core::Internal(std::string(what) + ": " + exception.what());
    }
  }

  // Read by write operations on the writer thread; set before the store is shared (see
  // TrackingStore::SetStatusCallbackComposer).
  StatusCallbackComposer compose_status_callback_;
  // Destroyed in reverse order: the writer drains and stops first, the lock goes last.
  std::optional<sqlite::LockFile> lock_;  // none for a store opened beside a server
  sqlite::ReaderPool readers_;
  sqlite::GroupCommitter writer_;
};

void ConfigureWriter(SQLite::Database& db, Durability durability) {
  const std::string journal_mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
  if (journal_mode != "wal") {
    throw SQLite::Exception("the database refused WAL mode (journal_mode is " + journal_mode +
                            "); is it on a network file system?");
  }
  // FULL fsyncs the WAL on every commit (power-cut safe); NORMAL leaves that to checkpoints
  // (safe against a process crash, not against power loss).
  db.exec(durability == Durability::kFull ? "PRAGMA synchronous = FULL"
                                          : "PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA foreign_keys = ON");
  // An 8 MiB page cache keeps the hot index pages of a large queue in memory while the whole
  // process stays well under 64 MB with a million queued jobs.
  db.exec("PRAGMA cache_size = -8192");
  db.exec("PRAGMA temp_store = MEMORY");
  // Trims the WAL back after checkpoints so one burst does not leave a huge file behind.
  db.exec("PRAGMA journal_size_limit = 67108864");
}

// SQLite's allocation statistics take a process-wide mutex on every allocation, a measurable cost
// for the writer; outbox never reads them. The setting is process-global and only takes effect
// before SQLite initializes, so it is applied once, before the first connection opens (later
// calls are refused by SQLite and change nothing).
void DisableSqliteMemoryStatistics() {
  static const int kConfigured = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  static_cast<void>(kConfigured);
}

// The database and its WAL and shared-memory files are readable by the owner only (0600),
// whatever the umask. SQLite creates -wal and -shm with the database file's mode, so the
// database is created 0600 before SQLite opens it; files left by older versions are tightened.
Status RestrictToOwner(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || ::fchmod(fd, 0600) != 0) {
    const std::string reason = std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return core::Unavailable("cannot create database " + path + ": " + reason);
  }
  ::close(fd);
  for (const char* suffix : {"-wal", "-shm"}) {
    const std::string companion = path + suffix;
    if (::chmod(companion.c_str(), 0600) != 0 && errno != ENOENT) {
      return core::Unavailable("cannot chmod " + companion + ": " + std::strerror(errno));
    }
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) {
    return core::InvalidArgument("path", "the database path is empty");
  }
  std::optional<sqlite::LockFile> lock;
  if (options.exclusive) {
    Result<sqlite::LockFile> acquired =
        sqlite::LockFile::Acquire(options.path + ".lock", options.path);
    if (!acquired.ok()) return acquired.error();
    lock = std::move(acquired).value();
  }
  if (Status restricted = RestrictToOwner(options.path); !restricted.ok()) {
    return restricted.error();
  }
  try {
    DisableSqliteMemoryStatistics();
    // NOMUTEX: after this function only the writer thread touches the connection. With FULL,
    // its file writes go out in one system call per commit or checkpoint (wal_write_buffer.h
    // says why only then).
    auto writer = std::make_unique<Connection>(
        options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX,
        options.busy_timeout_ms,
        options.durability == Durability::kFull ? sqlite::WalWriteBufferVfs() : "");
    ConfigureWriter(writer->db, options.durability);
    Status migrated = sqlite::ApplyMigrations(writer->db, migrations::Files());
    if (!migrated.ok()) {
      return migrated.error();
    }
    return std::unique_ptr<Store>(
        std::make_unique<SqliteStore>(options, std::move(lock), std::move(writer)));
  } catch (const SQLite::Exception& exception) {
    return sqlite::ErrorFromException(exception, "opening database " + options.path);
  } catch (const std::exception& exception) {
    return core::Internal("opening database " + options.path + ": " + exception.what());
  }
}

}  // namespace store
