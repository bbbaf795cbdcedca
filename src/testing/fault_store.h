#pragma once
// A Store that forwards to another one but fails on request with kUnavailable, the way a full
// disk or a lost Redis connection would: the Nth call of one method, or every mutating call while
// a switch is on. A failed call never reaches the wrapped store, so nothing is written.
//
//   testing::FaultStore faulty(real_store);
//   faulty.FailNthCall(testing::FaultStore::Method::kFinishDelivery, 2);  // the 2nd from now
//   faulty.FailWrites(true);                                             // until switched off
//
// Thread-safe: the counters are atomics and the wrapped store is thread-safe itself.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/store.h"

namespace testing {

class FaultStore final : public store::Store {
 public:
  enum class Method : std::size_t {
    kCreateEmail,
    kGetEmail,
    kListEmailEvents,
    kListEmails,
    kGetRawMessage,
    kRetryEmail,
    kCancelEmail,
    kLeaseJobs,
    kHeartbeat,
    kFinishDelivery,
    kReleaseLease,
    kRecoverLeases,
    kNextRunAt,
    kStats,
    kCreateApiKey,
    kFindApiKeyByHash,
    kCountApiKeys,
    kPing,
    kFindApiKeyById,
    kDeleteApiKeysByName,
    kGetOrCreateSetting,
    kPutOtp,
    kVerifyOtp,
    kCreateContentType,
    kUpdateContentType,
    kGetContentType,
    kSubscribe,
    kUnsubscribe,
    kCountSubscribers,
    kListContentTypes,
    kUnsubscribeByToken,
    kFindSubscriberByToken,
    kListSubscribers,
    kListSchedules,
    kSetNextFire,
    kStartFire,
    kFanOutFire,
    kListUnfinishedFires,
    kListApiKeys,
    kDeleteApiKey,
    kEnqueueCallback,
    kGetCallback,
    kFinishCallback,
    kListCallbackAttempts,
    kListWebhookEndpoints,
    kEnableWebhookEndpoint,
    kAddTask,
    kRemoveTask,
    kGetTask,
    kListTasks,
    kGetEmailRecords,
    kListEmailRecords,
    kMarkOpened,
    kRecordProviderEvent,
    kSuppress,
    kUnsuppress,
    kFindSuppression,
    kListSuppressions,
    kSaveTemplate,
    kGetTemplate,
    kListTemplates,
    kListTemplateVersions,
    kDeleteTemplate,
    kCount,  // number of methods, not a method
  };

  // REQUIRES: `inner` outlives this wrapper.
  explicit FaultStore(store::Store& inner) : inner_(inner) {}
  FaultStore(const FaultStore&) = delete;
  FaultStore& operator=(const FaultStore&) = delete;

  // The `n`th call (1 = the next one) of `method` from now on fails, once. n <= 0 disarms.
  void FailNthCall(Method method, int n) {
    Slot& slot = slots_[Index(method)];
    slot.fail_at.store(n > 0 ? slot.calls.load() + n : 0);
  }
  // While on, every mutating call fails (reads still pass).
  void FailWrites(bool on) { fail_writes_.store(on); }
  // Calls of `method` seen so far, failed ones included.
  int Calls(Method method) const { return static_cast<int>(slots_[Index(method)].calls.load()); }
  // Calls that were made to fail.
  int Injected() const { return injected_.load(); }

  core::Result<store::CreateEmailResult> CreateEmail(
      const store::NewEmail& email, const std::optional<store::IdempotencyClaim>& claim,
      core::TimeMs now) override {
    if (auto error = Fault(Method::kCreateEmail, true)) {
      return *error;
    }
    return inner_.CreateEmail(email, claim, now);
  }
  core::Result<store::Email> GetEmail(const std::string& id) override {
    if (auto error = Fault(Method::kGetEmail, false)) {
      return *error;
    }
    return inner_.GetEmail(id);
  }
  core::Result<std::vector<store::EmailEvent>> ListEmailEvents(const std::string& id) override {
    if (auto error = Fault(Method::kListEmailEvents, false)) {
      return *error;
    }
    return inner_.ListEmailEvents(id);
  }
  core::Result<store::EmailPage> ListEmails(const store::EmailFilter& filter) override {
    if (auto error = Fault(Method::kListEmails, false)) {
      return *error;
    }
    return inner_.ListEmails(filter);
  }
  core::Result<RawMessage> GetRawMessage(const std::string& id) override {
    if (auto error = Fault(Method::kGetRawMessage, false)) {
      return *error;
    }
    return inner_.GetRawMessage(id);
  }
  core::Status RetryEmail(const std::string& id, core::TimeMs now) override {
    if (auto error = Fault(Method::kRetryEmail, true)) {
      return *error;
    }
    return inner_.RetryEmail(id, now);
  }
  core::Status CancelEmail(const std::string& id, core::TimeMs now) override {
    if (auto error = Fault(Method::kCancelEmail, true)) {
      return *error;
    }
    return inner_.CancelEmail(id, now);
  }
  core::Result<std::vector<store::Lease>> LeaseJobs(store::JobKind kind, int max, core::TimeMs now,
                                                    core::TimeMs lease_ms) override {
    return Pass(Method::kLeaseJobs, true,
                [&] { return inner_.LeaseJobs(kind, max, now, lease_ms); });
  }
  core::Status Heartbeat(std::int64_t job_id, std::int64_t token,
                         core::TimeMs expires_at) override {
    if (auto error = Fault(Method::kHeartbeat, true)) {
      return *error;
    }
    return inner_.Heartbeat(job_id, token, expires_at);
  }
  core::Result<std::vector<core::Status>> FinishDeliveries(
      const std::vector<store::FinishedAttempt>& attempts, core::TimeMs now) override {
    if (auto error = Fault(Method::kFinishDelivery, true)) {
      return *error;
    }
    return inner_.FinishDeliveries(attempts, now);
  }
  core::Status ReleaseLease(std::int64_t job_id, std::int64_t token, core::TimeMs run_at,
                            core::TimeMs now) override {
    if (auto error = Fault(Method::kReleaseLease, true)) {
      return *error;
    }
    return inner_.ReleaseLease(job_id, token, run_at, now);
  }
  core::Result<int> RecoverLeases(core::TimeMs now) override {
    if (auto error = Fault(Method::kRecoverLeases, true)) {
      return *error;
    }
    return inner_.RecoverLeases(now);
  }
  core::Result<std::optional<core::TimeMs>> NextRunAt(store::JobKind kind) override {
    return Pass(Method::kNextRunAt, false, [&] { return inner_.NextRunAt(kind); });
  }
  core::Result<store::QueueStats> Stats(core::TimeMs now) override {
    if (auto error = Fault(Method::kStats, false)) {
      return *error;
    }
    return inner_.Stats(now);
  }
  core::Status CreateApiKey(const store::ApiKey& key) override {
    if (auto error = Fault(Method::kCreateApiKey, true)) {
      return *error;
    }
    return inner_.CreateApiKey(key);
  }
  core::Result<store::ApiKey> FindApiKeyByHash(const std::string& key_hash) override {
    if (auto error = Fault(Method::kFindApiKeyByHash, false)) {
      return *error;
    }
    return inner_.FindApiKeyByHash(key_hash);
  }
  core::Result<int> CountApiKeys(const std::string& role) override {
    if (auto error = Fault(Method::kCountApiKeys, false)) {
      return *error;
    }
    return inner_.CountApiKeys(role);
  }
  core::Status Ping() override {
    if (auto error = Fault(Method::kPing, false)) {
      return *error;
    }
    return inner_.Ping();
  }
  core::Result<store::ApiKey> FindApiKeyById(const std::string& id) override {
    if (auto error = Fault(Method::kFindApiKeyById, false)) {
      return *error;
    }
    return inner_.FindApiKeyById(id);
  }
  core::Result<std::vector<store::ApiKey>> DeleteApiKeysByName(const std::string& name,
                                                               const std::string& role) override {
    if (auto error = Fault(Method::kDeleteApiKeysByName, true)) {
      return *error;
    }
    return inner_.DeleteApiKeysByName(name, role);
  }
  core::Result<std::string> GetOrCreateSetting(const std::string& key,
                                               const std::string& value_if_absent) override {
    if (auto error = Fault(Method::kGetOrCreateSetting, true)) {
      return *error;
    }
    return inner_.GetOrCreateSetting(key, value_if_absent);
  }
  core::Status PutOtp(const store::OtpRecord& record, core::TimeMs resend_interval_ms) override {
    if (auto error = Fault(Method::kPutOtp, true)) {
      return *error;
    }
    return inner_.PutOtp(record, resend_interval_ms);
  }
  core::Status VerifyOtp(const std::string& recipient, const store::OtpDecision& decide) override {
    if (auto error = Fault(Method::kVerifyOtp, true)) {
      return *error;
    }
    return inner_.VerifyOtp(recipient, decide);
  }
  core::Status CreateContentType(const store::ContentType& type, core::TimeMs now) override {
    if (auto error = Fault(Method::kCreateContentType, true)) {
      return *error;
    }
    return inner_.CreateContentType(type, now);
  }
  core::Status UpdateContentType(const store::ContentType& type, core::TimeMs now) override {
    if (auto error = Fault(Method::kUpdateContentType, true)) {
      return *error;
    }
    return inner_.UpdateContentType(type, now);
  }
  core::Result<store::ContentType> GetContentType(const std::string& name) override {
    if (auto error = Fault(Method::kGetContentType, false)) {
      return *error;
    }
    return inner_.GetContentType(name);
  }
  core::Result<store::SubscribeResult> Subscribe(const store::NewSubscription& subscription,
                                                 core::TimeMs now) override {
    if (auto error = Fault(Method::kSubscribe, true)) {
      return *error;
    }
    return inner_.Subscribe(subscription, now);
  }
  core::Result<std::int64_t> CountSubscribers(const std::string& content_type) override {
    if (auto error = Fault(Method::kCountSubscribers, false)) {
      return *error;
    }
    return inner_.CountSubscribers(content_type);
  }
  core::Result<std::vector<store::ContentType>> ListContentTypes() override {
    return Pass(Method::kListContentTypes, false, [&] { return inner_.ListContentTypes(); });
  }
  core::Result<store::Subscriber> Unsubscribe(const std::string& content_type,
                                              const std::string& user_id) override {
    return Pass(Method::kUnsubscribe, true,
                [&] { return inner_.Unsubscribe(content_type, user_id); });
  }
  core::Result<store::Subscriber> UnsubscribeByToken(const std::string& token) override {
    return Pass(Method::kUnsubscribeByToken, true,
                [&] { return inner_.UnsubscribeByToken(token); });
  }
  core::Result<store::Subscriber> FindSubscriberByToken(const std::string& token) override {
    return Pass(Method::kFindSubscriberByToken, false,
                [&] { return inner_.FindSubscriberByToken(token); });
  }
  core::Result<store::SubscriberPage> ListSubscribers(const std::string& content_type,
                                                      const std::string& cursor,
                                                      int limit) override {
    return Pass(Method::kListSubscribers, false,
                [&] { return inner_.ListSubscribers(content_type, cursor, limit); });
  }
  core::Result<std::vector<store::Schedule>> ListSchedules() override {
    return Pass(Method::kListSchedules, false, [&] { return inner_.ListSchedules(); });
  }
  core::Status SetNextFire(const store::Schedule& group, core::TimeMs next_fire) override {
    return Pass(Method::kSetNextFire, true, [&] { return inner_.SetNextFire(group, next_fire); });
  }
  core::Status StartFire(const store::Fire& fire, core::TimeMs now) override {
    return Pass(Method::kStartFire, true, [&] { return inner_.StartFire(fire, now); });
  }
  core::Result<store::FanOutProgress> FanOutFire(const std::string& key, int limit,
                                                 const store::FireRecipient& recipient,
                                                 core::TimeMs now) override {
    return Pass(Method::kFanOutFire, true,
                [&] { return inner_.FanOutFire(key, limit, recipient, now); });
  }
  core::Result<std::vector<store::ApiKey>> ListApiKeys() override {
    return Pass(Method::kListApiKeys, false, [&] { return inner_.ListApiKeys(); });
  }
  core::Result<store::ApiKey> DeleteApiKey(const std::string& id) override {
    return Pass(Method::kDeleteApiKey, true, [&] { return inner_.DeleteApiKey(id); });
  }
  core::Result<std::string> EnqueueCallback(const store::NewCallback& callback, int max_attempts,
                                            core::TimeMs now) override {
    return Pass(Method::kEnqueueCallback, true,
                [&] { return inner_.EnqueueCallback(callback, max_attempts, now); });
  }
  core::Result<store::Callback> GetCallback(const std::string& id) override {
    return Pass(Method::kGetCallback, false, [&] { return inner_.GetCallback(id); });
  }
  core::Status FinishCallback(std::int64_t job_id, std::int64_t token,
                              const store::CallbackOutcome& outcome, core::TimeMs now) override {
    return Pass(Method::kFinishCallback, true,
                [&] { return inner_.FinishCallback(job_id, token, outcome, now); });
  }
  core::Result<store::CallbackAttemptPage> ListCallbackAttempts(const std::string& url,
                                                                std::optional<std::int64_t> cursor,
                                                                int limit) override {
    return Pass(Method::kListCallbackAttempts, false,
                [&] { return inner_.ListCallbackAttempts(url, cursor, limit); });
  }
  core::Result<std::vector<store::WebhookEndpoint>> ListWebhookEndpoints() override {
    return Pass(Method::kListWebhookEndpoints, false,
                [&] { return inner_.ListWebhookEndpoints(); });
  }
  core::Status EnableWebhookEndpoint(const std::string& url) override {
    return Pass(Method::kEnableWebhookEndpoint, true,
                [&] { return inner_.EnableWebhookEndpoint(url); });
  }
  core::Status AddTask(const store::Task& task, const std::optional<store::NewCallback>& added,
                       const std::optional<store::NewCallback>& expired, int max_attempts,
                       core::TimeMs now) override {
    return Pass(Method::kAddTask, true,
                [&] { return inner_.AddTask(task, added, expired, max_attempts, now); });
  }
  core::Result<store::Task> RemoveTask(const std::string& id, const std::string& owner,
                                       const std::optional<store::NewCallback>& removed,
                                       int max_attempts, core::TimeMs now) override {
    return Pass(Method::kRemoveTask, true,
                [&] { return inner_.RemoveTask(id, owner, removed, max_attempts, now); });
  }
  core::Result<store::Task> GetTask(const std::string& id) override {
    return Pass(Method::kGetTask, false, [&] { return inner_.GetTask(id); });
  }
  core::Result<std::vector<store::Task>> ListTasks(const std::string& owner, int limit) override {
    return Pass(Method::kListTasks, false, [&] { return inner_.ListTasks(owner, limit); });
  }
  core::Result<store::Template> SaveTemplate(const store::Template& tmpl,
                                             core::TimeMs now) override {
    return Pass(Method::kSaveTemplate, true, [&] { return inner_.SaveTemplate(tmpl, now); });
  }
  core::Result<store::Template> GetTemplate(const std::string& name,
                                            std::optional<int> version) override {
    return Pass(Method::kGetTemplate, false, [&] { return inner_.GetTemplate(name, version); });
  }
  core::Result<store::TemplatePage> ListTemplates(int offset, int limit) override {
    return Pass(Method::kListTemplates, false, [&] { return inner_.ListTemplates(offset, limit); });
  }
  core::Result<std::vector<store::Template>> ListTemplateVersions(
      const std::string& name) override {
    return Pass(Method::kListTemplateVersions, false,
                [&] { return inner_.ListTemplateVersions(name); });
  }
  core::Status DeleteTemplate(const std::string& name) override {
    return Pass(Method::kDeleteTemplate, true, [&] { return inner_.DeleteTemplate(name); });
  }
  core::Result<std::vector<store::EmailRecord>> GetEmailRecords(
      const std::string& owner, const std::vector<std::string>& ids) override {
    return Pass(Method::kGetEmailRecords, false,
                [&] { return inner_.GetEmailRecords(owner, ids); });
  }
  core::Result<std::vector<store::EmailRecord>> ListEmailRecords(const std::string& owner,
                                                                 int offset, int limit) override {
    return Pass(Method::kListEmailRecords, false,
                [&] { return inner_.ListEmailRecords(owner, offset, limit); });
  }
  core::Result<bool> MarkOpened(const std::string& open_token, core::TimeMs now) override {
    return Pass(Method::kMarkOpened, true, [&] { return inner_.MarkOpened(open_token, now); });
  }
  core::Result<std::optional<std::string>> RecordProviderEvent(const store::ProviderEvent& event,
                                                               core::TimeMs now) override {
    return Pass(Method::kRecordProviderEvent, true,
                [&] { return inner_.RecordProviderEvent(event, now); });
  }
  core::Status Suppress(const store::Suppression& suppression) override {
    return Pass(Method::kSuppress, true, [&] { return inner_.Suppress(suppression); });
  }
  core::Status Unsuppress(const std::string& address) override {
    return Pass(Method::kUnsuppress, true, [&] { return inner_.Unsuppress(address); });
  }
  core::Result<std::optional<store::Suppression>> FindSuppression(
      const std::string& address) override {
    return Pass(Method::kFindSuppression, false, [&] { return inner_.FindSuppression(address); });
  }
  core::Result<std::vector<store::Suppression>> ListSuppressions(const std::string& cursor,
                                                                 int limit) override {
    return Pass(Method::kListSuppressions, false,
                [&] { return inner_.ListSuppressions(cursor, limit); });
  }
  core::Result<std::vector<std::string>> ListUnfinishedFires() override {
    return Pass(Method::kListUnfinishedFires, false, [&] { return inner_.ListUnfinishedFires(); });
  }

 private:
  struct Slot {
    std::atomic<std::int64_t> calls{0};
    std::atomic<std::int64_t> fail_at{0};  // the call number that fails; 0 for none
  };

  static std::size_t Index(Method method) { return static_cast<std::size_t>(method); }

  // Calls `forward` unless the call is to fail.
  template <typename Forward>
  auto Pass(Method method, bool mutating, Forward forward) -> decltype(forward()) {
    if (auto error = Fault(method, mutating)) {
      return *error;
    }
    return forward();
  }

  // Counts the call and decides whether it fails.
  std::optional<core::Error> Fault(Method method, bool mutating) {
    Slot& slot = slots_[Index(method)];
    const std::int64_t call = ++slot.calls;
    std::int64_t armed = call;
    // Exactly one caller can swap the matching number for 0, so concurrent calls fail once.
    const bool nth = slot.fail_at.compare_exchange_strong(armed, 0);
    if (!nth && !(mutating && fail_writes_.load())) {
      return std::nullopt;
    }
    ++injected_;
    return core::Unavailable("injected fault: " + std::string(MethodName(method)) + " call " +
                             std::to_string(call));
  }

  static const char* MethodName(Method method) {
    static constexpr std::array<const char*, static_cast<std::size_t>(Method::kCount)> kNames = {
        "CreateEmail",
        "GetEmail",
        "ListEmailEvents",
        "ListEmails",
        "GetRawMessage",
        "RetryEmail",
        "CancelEmail",
        "LeaseJobs",
        "Heartbeat",
        "FinishDelivery",
        "ReleaseLease",
        "RecoverLeases",
        "NextRunAt",
        "Stats",
        "CreateApiKey",
        "FindApiKeyByHash",
        "CountApiKeys",
        "Ping",
        "FindApiKeyById",
        "DeleteApiKeysByName",
        "GetOrCreateSetting",
        "PutOtp",
        "VerifyOtp",
        "CreateContentType",
        "UpdateContentType",
        "GetContentType",
        "Subscribe",
        "Unsubscribe",
        "CountSubscribers",
        "ListContentTypes",
        "UnsubscribeByToken",
        "FindSubscriberByToken",
        "ListSubscribers",
        "ListSchedules",
        "SetNextFire",
        "StartFire",
        "FanOutFire",
        "ListUnfinishedFires",
        "ListApiKeys",
        "DeleteApiKey",
        "EnqueueCallback",
        "GetCallback",
        "FinishCallback",
        "ListCallbackAttempts",
        "ListWebhookEndpoints",
        "EnableWebhookEndpoint",
        "AddTask",
        "RemoveTask",
        "GetTask",
        "ListTasks",
        "GetEmailRecords",
        "ListEmailRecords",
        "MarkOpened",
        "RecordProviderEvent",
        "Suppress",
        "Unsuppress",
        "FindSuppression",
        "ListSuppressions",
        "SaveTemplate",
        "GetTemplate",
        "ListTemplates",
        "ListTemplateVersions",
        "DeleteTemplate"};
    return kNames[Index(method)];
  }

  store::Store& inner_;
  std::array<Slot, static_cast<std::size_t>(Method::kCount)> slots_;
  std::atomic<bool> fail_writes_{false};
  std::atomic<int> injected_{0};
};

}  // namespace testing
