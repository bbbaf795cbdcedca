#pragma once
// The status-callback log as the native API shows it (/v1/webhooks/...): every delivery
// attempt, each endpoint's failure streak, re-enabling an endpoint that was disabled after too
// many failures in a row, and replaying a callback.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/callback_store.h"

namespace service {

class WebhookService {
 public:
  // `wake` tells the callback workers that a callback was queued (may be empty);
  // `callback_attempts` is what a replayed callback gets.
  WebhookService(store::CallbackStore& store, const core::Clock& clock, std::function<void()> wake,
                 int callback_attempts)
      : store_(store),
        clock_(clock),
        wake_(std::move(wake)),
        callback_attempts_(callback_attempts) {}
  WebhookService(const WebhookService&) = delete;
  WebhookService& operator=(const WebhookService&) = delete;

  // Attempts that `filter` lets through, newest first, `limit` per page from `cursor` (none:
  // the newest).
  core::Result<store::CallbackAttemptPage> Deliveries(const store::CallbackAttemptFilter& filter,
                                                      std::optional<std::int64_t> cursor,
                                                      int limit);
  core::Result<std::vector<store::WebhookEndpoint>> Endpoints();
  // Clears the endpoint's failure streak and its disabled mark. kNotFound for an unknown one.
  core::Status Enable(const std::string& url);
  // Queues the callback `id` again as a new callback (same owner, URL, event, subject and
  // payload; signed afresh when it is sent, as every attempt is), to be sent now through the
  // callback workers. Returns the new callback's id; kNotFound for an unknown id.
  core::Result<std::string> Replay(const std::string& id);

 private:
  store::CallbackStore& store_;
  const core::Clock& clock_;
  std::function<void()> wake_;
  const int callback_attempts_;
};

}  // namespace service
