#include "service/webhooks.h"

namespace service {

core::Result<store::CallbackAttemptPage> WebhookService::Deliveries(
    const std::string& url, std::optional<std::int64_t> cursor, int limit) {
  return store_.ListCallbackAttempts(url, cursor, limit);
}

core::Result<std::vector<store::WebhookEndpoint>> WebhookService::Endpoints() {
  return store_.ListWebhookEndpoints();
}

core::Status WebhookService::Enable(const std::string& url) {
  return store_.EnableWebhookEndpoint(url);
}

}  // namespace service
