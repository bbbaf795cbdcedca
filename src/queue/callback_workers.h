#pragma once
// Status-callback delivery: worker threads lease kCallback jobs, sign each payload
// (hooks::SignCallback: a Bearer JWT signed with SALT and an HMAC signature header), POST it
// through a hooks::CallbackSender and record the attempt with its outcome
// (Store::FinishCallback). Failed attempts are retried with exponential backoff; an endpoint
// that fails `disable_after` times in a row is disabled, and its callbacks are then given up
// without a request until it is enabled again. The threads are a queue::LeaseLoop's, waiting on
// the injected clock.
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/log.h"
#include "hooks/sender.h"
#include "queue/retry.h"
#include "store/callback_store.h"
#include "store/job_queue.h"

namespace queue {

struct CallbackOptions {
  int workers = 2;
  int lease_batch = 4;
  core::TimeMs lease_ms = 60'000;
  core::TimeMs idle_poll_ms = 1'000;
  // 10 attempts over about 5 hours: 30 s, 1 min, 2 min, ... capped at 1 h.
  int max_attempts = 10;
  BackoffPolicy backoff{30'000, 3'600'000};
  int disable_after = 20;  // consecutive failures that disable an endpoint; 0: never
  std::string salt;        // signs the JWT and the HMAC (SALT)
  core::TimeMs jwt_ttl_ms = 3 * 3'600'000;  // JWT_EXP_HRS
};

// Pure: what one attempt leads to. Delivered on 2xx; given up at once when the request could
// not be made at all (refused: a bad or forbidden URL) or the endpoint answered 410 Gone;
// otherwise retried with backoff while attempts remain. `unit` in [0, 1) is the jitter.
store::DeliveryOutcome DecideCallbackOutcome(const hooks::CallbackAttempt& attempt, int number,
                                             int max_attempts, core::TimeMs now,
                                             const BackoffPolicy& policy, double unit);

class CallbackWorkers {
 public:
  virtual ~CallbackWorkers() = default;
  virtual void Start() = 0;
  // New callbacks were enqueued.
  virtual void Notify() = 0;
  // Stops leasing and waits for requests in flight (at most the sender's timeout); leases not
  // started are released.
  virtual void Stop() = 0;
};

std::unique_ptr<CallbackWorkers> NewCallbackWorkers(const CallbackOptions& options,
                                                    store::JobQueue& jobs,
                                                    store::CallbackStore& callbacks,
                                                    hooks::CallbackSender& sender,
                                                    const core::Clock& clock, core::Logger& logger);

}  // namespace queue
