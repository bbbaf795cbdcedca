#pragma once
// The status-callback log as the native API shows it (/v1/webhooks/...): every delivery
// attempt, each endpoint's failure streak, and re-enabling an endpoint that was disabled after
// too many failures in a row.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/callback_store.h"

namespace service {

class WebhookService {
 public:
  explicit WebhookService(store::CallbackStore& store) : store_(store) {}
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  // Attempts, newest first, `limit` per page from `cursor` (none: the newest); `url` filters by
  // endpoint when not empty.
  core::Result<store::CallbackAttemptPage> Deliveries(const std::string& url,
                                                      std::optional<std::int64_t> cursor,
                                                      int limit);
  core::Result<std::vector<store::WebhookEndpoint>> Endpoints();
  // Clears the endpoint's failure streak and its disabled mark. kNotFound for an unknown one.
  core::Status Enable(const std::string& url);

 private:
  store::CallbackStore& store_;
};

}  // namespace service
