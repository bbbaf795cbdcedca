#include "service/webhooks.h"

namespace service {

core::Result<store::CallbackAttemptPage> WebhookService::Deliveries(
    const store::CallbackAttemptFilter& filter, std::optional<std::int64_t> cursor, int limit) {
  return store_.ListCallbackAttempts(filter, cursor, limit);
}

core::Result<std::vector<store::WebhookEndpoint>> WebhookService::Endpoints() {
  return store_.ListWebhookEndpoints();
}

core::Status WebhookService::Enable(const std::string& url) {
  return store_.EnableWebhookEndpoint(url);
}

core::Result<std::string> WebhookService::Replay(const std::string& id) {
  auto original = store_.GetCallback(id);
  if (!original.ok()) return original.error();
  const store::NewCallback again{original->owner,      original->url,     original->event,
                                 original->subject_id, original->payload, 0};
  auto queued = store_.EnqueueCallback(again, callback_attempts_, clock_.NowMs());
  if (!queued.ok()) return queued.error();
  if (wake_) wake_();
  return queued;
}

}  // namespace service
