#pragma once
// A Store that forwards to another one but fails on request with kUnavailable, the way a full
// disk or a lost Redis connection would: the Nth call of one method, or every mutating call while
// a switch is on. A failed call never reaches the wrapped store, so nothing is written. Methods
// are named as in the store interfaces:
//
//   testing::FaultStore faulty(real_store);
//   faulty.FailNthCall("FinishDeliveries", 2);  // the 2nd call from now
//   faulty.FailWrites(true);                    // until switched off
//
// A new store method costs one forwarding line below: Read(__func__, ...) for a query,
// Write(__func__, ...) for anything that changes the store. GetRawMessages keeps the interface's
// default, so it fails as GetRawMessage does.
//
// Thread-safe: the counters are behind a mutex and the wrapped store is thread-safe itself.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace testing {

class FaultStore final : public store::Store {
 public:
  // REQUIRES: `inner` outlives this wrapper.
  explicit FaultStore(store::Store& inner) : inner_(inner) {}
  FaultStore(const FaultStore&) = delete;
  FaultStore& operator=(const FaultStore&) = delete;

  // The `n`th call (1 = the next one) of `method` from now on fails, once. n <= 0 disarms.
  void FailNthCall(std::string_view method, int n) {
    std::lock_guard lock(mutex_);
    Slot& slot = SlotOf(method);
    slot.fail_at = n > 0 ? slot.calls + n : 0;
  }
  // While on, every mutating call fails (reads still pass).
  void FailWrites(bool on) {
    std::lock_guard lock(mutex_);
    fail_writes_ = on;
  }
  // Calls of `method` seen so far, failed ones included.
  int Calls(std::string_view method) const {
    std::lock_guard lock(mutex_);
    const auto slot = slots_.find(method);
    return slot == slots_.end() ? 0 : static_cast<int>(slot->second.calls);
  }
  // Calls that were made to fail.
  int Injected() const {
    std::lock_guard lock(mutex_);
    return injected_;
  }

  // JobQueue
  core::Result<std::vector<store::Lease>> LeaseJobs(store::JobKind kind, int max, core::TimeMs now,
                                                    core::TimeMs lease_ms) override {
    return Write(__func__, [&] { return inner_.LeaseJobs(kind, max, now, lease_ms); });
  }
  core::Status Heartbeat(std::int64_t job_id, std::int64_t token,
                         core::TimeMs expires_at) override {
    return Write(__func__, [&] { return inner_.Heartbeat(job_id, token, expires_at); });
  }
  core::Result<std::vector<core::Status>> FinishDeliveries(
      const std::vector<store::FinishedAttempt>& attempts, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.FinishDeliveries(attempts, now); });
  }
  core::Status ReleaseLease(std::int64_t job_id, std::int64_t token, core::TimeMs run_at,
                            core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.ReleaseLease(job_id, token, run_at, now); });
  }
  core::Result<int> RecoverLeases(core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.RecoverLeases(now); });
  }
  core::Result<std::optional<core::TimeMs>> NextRunAt(store::JobKind kind) override {
    return Read(__func__, [&] { return inner_.NextRunAt(kind); });
  }
  core::Result<store::QueueStats> Stats(core::TimeMs now) override {
    return Read(__func__, [&] { return inner_.Stats(now); });
  }

  // EmailStore
  core::Result<store::CreateEmailResult> CreateEmail(
      const store::NewEmail& email, const std::optional<store::IdempotencyClaim>& claim,
      core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.CreateEmail(email, claim, now); });
  }
  core::Result<store::Email> GetEmail(const std::string& id) override {
    return Read(__func__, [&] { return inner_.GetEmail(id); });
  }
  core::Result<std::vector<store::EventCount>> CountEmailEvents(core::TimeMs since,
                                                                core::TimeMs until,
                                                                core::TimeMs step) override {
    return Read(__func__, [&] { return inner_.CountEmailEvents(since, until, step); });
  }
  core::Result<std::vector<store::EmailEvent>> ListEmailEvents(const std::string& id) override {
    return Read(__func__, [&] { return inner_.ListEmailEvents(id); });
  }
  core::Result<store::EmailPage> ListEmails(const store::EmailFilter& filter) override {
    return Read(__func__, [&] { return inner_.ListEmails(filter); });
  }
  core::Result<std::vector<core::TimeMs>> ListSendLatencies(core::TimeMs since, core::TimeMs until,
                                                            int limit) override {
    return Read(__func__, [&] { return inner_.ListSendLatencies(since, until, limit); });
  }
  core::Result<std::vector<store::FailureEvent>> ListRecentFailures(core::TimeMs since,
                                                                    int limit) override {
    return Read(__func__, [&] { return inner_.ListRecentFailures(since, limit); });
  }
  core::Result<RawMessage> GetRawMessage(const std::string& id) override {
    return Read(__func__, [&] { return inner_.GetRawMessage(id); });
  }
  core::Status RetryEmail(const std::string& id, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.RetryEmail(id, now); });
  }
  core::Status CancelEmail(const std::string& id, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.CancelEmail(id, now); });
  }
  core::Status ResendEmail(const std::string& original_id, const store::NewEmail& copy,
                           core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.ResendEmail(original_id, copy, now); });
  }

  // AccessStore
  core::Status CreateApiKey(const store::ApiKey& key) override {
    return Write(__func__, [&] { return inner_.CreateApiKey(key); });
  }
  core::Result<store::ApiKey> FindApiKeyByHash(const std::string& key_hash) override {
    return Read(__func__, [&] { return inner_.FindApiKeyByHash(key_hash); });
  }
  core::Result<int> CountApiKeys(const std::string& role) override {
    return Read(__func__, [&] { return inner_.CountApiKeys(role); });
  }
  core::Result<store::ApiKey> FindApiKeyById(const std::string& id) override {
    return Read(__func__, [&] { return inner_.FindApiKeyById(id); });
  }
  core::Result<std::vector<store::ApiKey>> DeleteApiKeysByName(const std::string& name,
                                                               const std::string& role) override {
    return Write(__func__, [&] { return inner_.DeleteApiKeysByName(name, role); });
  }
  core::Result<std::vector<store::ApiKey>> ListApiKeys() override {
    return Read(__func__, [&] { return inner_.ListApiKeys(); });
  }
  core::Result<store::ApiKey> DeleteApiKey(const std::string& id) override {
    return Write(__func__, [&] { return inner_.DeleteApiKey(id); });
  }
  core::Result<std::string> GetOrCreateSetting(const std::string& key,
                                               const std::string& value_if_absent) override {
    return Write(__func__, [&] { return inner_.GetOrCreateSetting(key, value_if_absent); });
  }
  core::Result<std::optional<std::string>> GetSetting(const std::string& key) override {
    return Write(__func__, [&] { return inner_.GetSetting(key); });
  }
  core::Status DeleteSetting(const std::string& key) override {
    return Write(__func__, [&] { return inner_.DeleteSetting(key); });
  }
  core::Status PutOtp(const store::OtpRecord& record, core::TimeMs resend_interval_ms) override {
    return Write(__func__, [&] { return inner_.PutOtp(record, resend_interval_ms); });
  }
  core::Status VerifyOtp(const std::string& owner, const std::string& recipient,
                         const store::OtpDecision& decide) override {
    return Write(__func__, [&] { return inner_.VerifyOtp(owner, recipient, decide); });
  }

  // NewsletterStore
  core::Status CreateContentType(const store::ContentType& type, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.CreateContentType(type, now); });
  }
  core::Status UpdateContentType(const store::ContentType& type, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.UpdateContentType(type, now); });
  }
  core::Result<store::ContentType> GetContentType(const std::string& name) override {
    return Read(__func__, [&] { return inner_.GetContentType(name); });
  }
  core::Result<std::vector<store::ContentType>> ListContentTypes() override {
    return Read(__func__, [&] { return inner_.ListContentTypes(); });
  }
  core::Result<store::SubscribeResult> Subscribe(const store::NewSubscription& subscription,
                                                 core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.Subscribe(subscription, now); });
  }
  core::Result<store::Subscriber> Unsubscribe(const std::string& content_type,
                                              const std::string& user_id) override {
    return Write(__func__, [&] { return inner_.Unsubscribe(content_type, user_id); });
  }
  core::Result<store::Subscriber> UnsubscribeByToken(const std::string& token) override {
    return Write(__func__, [&] { return inner_.UnsubscribeByToken(token); });
  }
  core::Result<store::Subscriber> FindSubscriberByToken(const std::string& token) override {
    return Read(__func__, [&] { return inner_.FindSubscriberByToken(token); });
  }
  core::Result<std::int64_t> CountSubscribers(const std::string& content_type) override {
    return Read(__func__, [&] { return inner_.CountSubscribers(content_type); });
  }
  core::Result<store::SubscriberPage> ListSubscribers(const std::string& content_type,
                                                      const std::string& cursor,
                                                      int limit) override {
    return Read(__func__, [&] { return inner_.ListSubscribers(content_type, cursor, limit); });
  }
  core::Result<std::vector<store::Schedule>> ListSchedules() override {
    return Read(__func__, [&] { return inner_.ListSchedules(); });
  }
  core::Status SetNextFire(const store::Schedule& group, core::TimeMs next_fire) override {
    return Write(__func__, [&] { return inner_.SetNextFire(group, next_fire); });
  }
  core::Status StartFire(const store::Fire& fire, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.StartFire(fire, now); });
  }
  core::Result<store::FanOutProgress> FanOutFire(const std::string& key, int limit,
                                                 const store::FireRecipient& recipient,
                                                 core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.FanOutFire(key, limit, recipient, now); });
  }
  core::Result<std::vector<std::string>> ListUnfinishedFires() override {
    return Read(__func__, [&] { return inner_.ListUnfinishedFires(); });
  }

  // CallbackStore
  core::Result<std::string> EnqueueCallback(const store::NewCallback& callback, int max_attempts,
                                            core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.EnqueueCallback(callback, max_attempts, now); });
  }
  core::Result<store::Callback> GetCallback(const std::string& id) override {
    return Read(__func__, [&] { return inner_.GetCallback(id); });
  }
  core::Status FinishCallback(std::int64_t job_id, std::int64_t token,
                              const store::CallbackOutcome& outcome, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.FinishCallback(job_id, token, outcome, now); });
  }
  core::Result<store::CallbackAttemptPage> ListCallbackAttempts(
      const store::CallbackAttemptFilter& filter, std::optional<std::int64_t> cursor,
      int limit) override {
    return Read(__func__, [&] { return inner_.ListCallbackAttempts(filter, cursor, limit); });
  }
  core::Result<std::vector<store::WebhookEndpoint>> ListWebhookEndpoints() override {
    return Read(__func__, [&] { return inner_.ListWebhookEndpoints(); });
  }
  core::Status EnableWebhookEndpoint(const std::string& url) override {
    return Write(__func__, [&] { return inner_.EnableWebhookEndpoint(url); });
  }
  core::Status AddTask(const store::Task& task, const std::optional<store::NewCallback>& added,
                       const std::optional<store::NewCallback>& expired, int max_attempts,
                       core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.AddTask(task, added, expired, max_attempts, now); });
  }
  core::Result<store::Task> RemoveTask(const std::string& id, const std::string& owner,
                                       const std::optional<store::NewCallback>& removed,
                                       int max_attempts, core::TimeMs now) override {
    return Write(__func__,
                 [&] { return inner_.RemoveTask(id, owner, removed, max_attempts, now); });
  }
  core::Result<store::Task> GetTask(const std::string& id) override {
    return Read(__func__, [&] { return inner_.GetTask(id); });
  }
  core::Result<std::vector<store::Task>> ListTasks(const std::string& owner, store::TaskState state,
                                                   core::TimeMs now, int limit) override {
    return Read(__func__, [&] { return inner_.ListTasks(owner, state, now, limit); });
  }

  // TrackingStore
  void SetStatusCallbackComposer(store::StatusCallbackComposer compose) override {
    inner_.SetStatusCallbackComposer(std::move(compose));  // configuration: never fails
  }
  core::Result<std::vector<store::EmailRecord>> GetEmailRecords(
      const std::string& owner, const std::vector<std::string>& ids) override {
    return Read(__func__, [&] { return inner_.GetEmailRecords(owner, ids); });
  }
  core::Result<std::vector<store::EmailRecord>> ListEmailRecords(const std::string& owner,
                                                                 int offset, int limit) override {
    return Read(__func__, [&] { return inner_.ListEmailRecords(owner, offset, limit); });
  }
  core::Result<bool> MarkOpened(const std::string& open_token, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.MarkOpened(open_token, now); });
  }
  core::Result<std::optional<std::string>> RecordProviderEvent(const store::ProviderEvent& event,
                                                               core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.RecordProviderEvent(event, now); });
  }
  core::Status Suppress(const store::Suppression& suppression) override {
    return Write(__func__, [&] { return inner_.Suppress(suppression); });
  }
  core::Status Unsuppress(const std::string& address) override {
    return Write(__func__, [&] { return inner_.Unsuppress(address); });
  }
  core::Result<std::optional<store::Suppression>> FindSuppression(
      const std::string& address) override {
    return Read(__func__, [&] { return inner_.FindSuppression(address); });
  }
  core::Result<std::vector<store::Suppression>> ListSuppressions(const std::string& prefix,
                                                                 const std::string& cursor,
                                                                 int limit) override {
    return Read(__func__, [&] { return inner_.ListSuppressions(prefix, cursor, limit); });
  }

  // TemplateStore
  core::Result<store::Template> SaveTemplate(const store::Template& tmpl,
                                             core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.SaveTemplate(tmpl, now); });
  }
  core::Result<store::Template> GetTemplate(const std::string& name,
                                            std::optional<int> version) override {
    return Read(__func__, [&] { return inner_.GetTemplate(name, version); });
  }
  core::Result<store::Template> GetTemplateById(std::int64_t id) override {
    return Read(__func__, [&] { return inner_.GetTemplateById(id); });
  }
  core::Result<store::TemplatePage> ListTemplates(const store::TemplateQuery& query) override {
    return Read(__func__, [&] { return inner_.ListTemplates(query); });
  }
  core::Result<std::vector<store::Template>> ListTemplateVersions(
      const std::string& name) override {
    return Read(__func__, [&] { return inner_.ListTemplateVersions(name); });
  }
  core::Status DeleteTemplate(const std::string& name) override {
    return Write(__func__, [&] { return inner_.DeleteTemplate(name); });
  }
  core::Status DeleteTemplateById(std::int64_t id) override {
    return Write(__func__, [&] { return inner_.DeleteTemplateById(id); });
  }

  // SentEmailStore
  core::Result<store::SentEmail> CreateSentEmail(const store::SentEmail& record,
                                                 const std::vector<store::NewEmail>& emails,
                                                 core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.CreateSentEmail(record, emails, now); });
  }
  core::Result<store::SentEmail> GetSentEmail(std::int64_t id) override {
    return Read(__func__, [&] { return inner_.GetSentEmail(id); });
  }
  core::Result<store::SentEmailPage> ListSentEmails(const store::SentEmailQuery& query) override {
    return Read(__func__, [&] { return inner_.ListSentEmails(query); });
  }

  // RetentionStore
  core::Result<int> PurgeBefore(store::PurgeKind kind, core::TimeMs cutoff, int limit) override {
    return Write(__func__, [&] { return inner_.PurgeBefore(kind, cutoff, limit); });
  }

  // UserStore
  core::Result<store::User> CreateUser(const store::User& user) override {
    return Write(__func__, [&] { return inner_.CreateUser(user); });
  }
  core::Result<std::vector<bool>> CreateUsersIfAbsent(
      const std::vector<store::User>& users) override {
    return Write(__func__, [&] { return inner_.CreateUsersIfAbsent(users); });
  }
  core::Result<store::User> GetUser(std::int64_t id) override {
    return Read(__func__, [&] { return inner_.GetUser(id); });
  }
  core::Result<store::User> FindUserByEmail(const std::string& email) override {
    return Read(__func__, [&] { return inner_.FindUserByEmail(email); });
  }
  core::Result<store::UserPage> ListUsers(const store::UserQuery& query) override {
    return Read(__func__, [&] { return inner_.ListUsers(query); });
  }
  core::Result<std::vector<store::User>> ListReachableUsers(const std::string& role,
                                                            std::int64_t after_id,
                                                            int limit) override {
    return Read(__func__, [&] { return inner_.ListReachableUsers(role, after_id, limit); });
  }
  core::Result<store::User> UpdateUser(std::int64_t id, const store::UserChange& change,
                                       core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.UpdateUser(id, change, now); });
  }
  core::Status DeleteUser(std::int64_t id) override {
    return Write(__func__, [&] { return inner_.DeleteUser(id); });
  }
  core::Result<std::int64_t> CountUsers(const std::string& role) override {
    return Read(__func__, [&] { return inner_.CountUsers(role); });
  }
  core::Result<store::LoginThrottle> UpdateLoginThrottle(
      const std::string& key, const store::ThrottleUpdate& update) override {
    return Write(__func__, [&] { return inner_.UpdateLoginThrottle(key, update); });
  }

  // SessionStore
  core::Status CreateSession(const store::Session& session,
                             const std::string& refresh_hash) override {
    return Write(__func__, [&] { return inner_.CreateSession(session, refresh_hash); });
  }
  core::Result<store::Session> GetSession(const std::string& id) override {
    return Read(__func__, [&] { return inner_.GetSession(id); });
  }
  core::Result<store::Session> FindSessionByTokenHash(const std::string& token_hash) override {
    return Read(__func__, [&] { return inner_.FindSessionByTokenHash(token_hash); });
  }
  core::Result<store::Refreshed> RotateRefreshToken(const std::string& old_hash,
                                                    const std::string& new_hash,
                                                    core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.RotateRefreshToken(old_hash, new_hash, now); });
  }
  core::Result<std::vector<store::Session>> ListLiveSessions(std::int64_t user_id,
                                                             core::TimeMs now) override {
    return Read(__func__, [&] { return inner_.ListLiveSessions(user_id, now); });
  }
  core::Result<bool> ExtendSession(const std::string& id, core::TimeMs now,
                                   core::TimeMs expires_at) override {
    return Write(__func__, [&] { return inner_.ExtendSession(id, now, expires_at); });
  }
  core::Status RevokeSession(const std::string& id, core::TimeMs now,
                             const std::string& reason) override {
    return Write(__func__, [&] { return inner_.RevokeSession(id, now, reason); });
  }
  core::Result<int> RevokeUserSessions(std::int64_t user_id, core::TimeMs now,
                                       const std::string& reason) override {
    return Write(__func__, [&] { return inner_.RevokeUserSessions(user_id, now, reason); });
  }

  // VerificationStore
  core::Status CreateVerification(const store::Verification& verification) override {
    return Write(__func__, [&] { return inner_.CreateVerification(verification); });
  }
  core::Result<store::Verification> GetVerification(const std::string& id) override {
    return Read(__func__, [&] { return inner_.GetVerification(id); });
  }
  core::Result<store::Verification> FindVerificationByTokenHash(
      const std::string& token_hash) override {
    return Read(__func__, [&] { return inner_.FindVerificationByTokenHash(token_hash); });
  }
  core::Result<store::Verification> ConfirmVerification(
      const std::string& token_hash, core::TimeMs now,
      const std::optional<store::NewCallback>& callback, int max_attempts) override {
    return Write(__func__, [&] {
      return inner_.ConfirmVerification(token_hash, now, callback, max_attempts);
    });
  }
  core::Result<std::optional<store::Verification>> LatestVerification(
      const std::string& purpose, const std::string& email) override {
    return Read(__func__, [&] { return inner_.LatestVerification(purpose, email); });
  }

  // AuditStore
  core::Status AppendAudit(const store::AuditEntry& entry) override {
    return Write(__func__, [&] { return inner_.AppendAudit(entry); });
  }
  core::Result<store::AuditPage> ListAudit(const store::AuditQuery& query) override {
    return Read(__func__, [&] { return inner_.ListAudit(query); });
  }

  // CampaignStore
  core::Result<store::Campaign> CreateCampaign(const store::CampaignContent& content,
                                               const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.CreateCampaign(content, action); });
  }
  core::Result<store::Campaign> UpdateCampaign(const store::CampaignContent& content,
                                               const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.UpdateCampaign(content, action); });
  }
  core::Status DeleteCampaign(const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.DeleteCampaign(action); });
  }
  core::Result<store::Campaign> GetCampaign(std::int64_t id) override {
    return Read(__func__, [&] { return inner_.GetCampaign(id); });
  }
  core::Result<store::CampaignPage> ListCampaigns(const store::CampaignQuery& query) override {
    return Read(__func__, [&] { return inner_.ListCampaigns(query); });
  }
  core::Result<store::CampaignVersion> GetCampaignVersion(std::int64_t id, int version) override {
    return Read(__func__, [&] { return inner_.GetCampaignVersion(id, version); });
  }
  core::Result<store::Campaign> SubmitCampaign(const store::CampaignVersion& frozen,
                                               const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.SubmitCampaign(frozen, action); });
  }
  core::Result<store::Campaign> ApproveCampaign(const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.ApproveCampaign(action); });
  }
  core::Result<store::Campaign> RejectCampaign(const std::string& note,
                                               const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.RejectCampaign(note, action); });
  }
  core::Result<store::Campaign> PauseCampaign(const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.PauseCampaign(action); });
  }
  core::Result<store::Campaign> ResumeCampaign(const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.ResumeCampaign(action); });
  }
  core::Result<store::Campaign> CancelCampaign(const store::CampaignAction& action) override {
    return Write(__func__, [&] { return inner_.CancelCampaign(action); });
  }
  core::Result<store::FanOutStep> FanOutCampaign(std::int64_t id,
                                                 const store::CampaignFanOut& fan_out,
                                                 const store::CampaignRecipient& recipient,
                                                 core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.FanOutCampaign(id, fan_out, recipient, now); });
  }
  core::Result<store::CampaignRecipientRecord> FindCampaignRecipient(
      const std::string& token) override {
    return Read(__func__, [&] { return inner_.FindCampaignRecipient(token); });
  }
  core::Result<bool> RecordCampaignOpen(const std::string& token, core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.RecordCampaignOpen(token, now); });
  }
  core::Result<bool> UnsubscribeCampaignRecipient(const std::string& token,
                                                  core::TimeMs now) override {
    return Write(__func__, [&] { return inner_.UnsubscribeCampaignRecipient(token, now); });
  }

  // Store
  core::Status Ping() override {
    return Read(__func__, [&] { return inner_.Ping(); });
  }

 private:
  struct Slot {
    std::int64_t calls = 0;
    std::int64_t fail_at = 0;  // the call number that fails; 0 for none
  };

  // Calls `forward` unless this call of the query `method` is to fail.
  template <typename Forward>
  auto Read(const char* method, const Forward& forward) -> decltype(forward()) {
    if (auto error = Fault(method, /*mutating=*/false)) {
      return *error;
    }
    return forward();
  }

  // Calls `forward` unless this call of the mutating `method` is to fail.
  template <typename Forward>
  auto Write(const char* method, const Forward& forward) -> decltype(forward()) {
    if (auto error = Fault(method, /*mutating=*/true)) {
      return *error;
    }
    return forward();
  }

  // REQUIRES: mutex_ held.
  Slot& SlotOf(std::string_view method) {
    auto slot = slots_.find(method);
    if (slot == slots_.end()) {
      slot = slots_.emplace(std::string(method), Slot{}).first;
    }
    return slot->second;
  }

  // Counts the call and decides whether it fails.
  std::optional<core::Error> Fault(const char* method, bool mutating) {
    std::lock_guard lock(mutex_);
    Slot& slot = SlotOf(method);
    const std::int64_t call = ++slot.calls;
    const bool nth = slot.fail_at == call;
    if (nth) {
      slot.fail_at = 0;
    }
    if (!nth && !(mutating && fail_writes_)) {
      return std::nullopt;
    }
    ++injected_;
    return core::Unavailable("injected fault: " + std::string(method) + " call " +
                             std::to_string(call));
  }

  store::Store& inner_;
  mutable std::mutex mutex_;
  std::map<std::string, Slot, std::less<>> slots_;  // by method name
  bool fail_writes_ = false;
  int injected_ = 0;
};

}  // namespace testing
