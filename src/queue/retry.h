#pragma once
// What a delivery attempt leads to. The single table from a transport result to the job's
// next state: sent -> done; transient -> retry with backoff while attempts remain, else dead;
// permanent -> dead at once. Pure, so it is table-tested.
#include "core/clock.h"
#include "mail/transport.h"
#include "store/types.h"

namespace queue {

struct BackoffPolicy {
  core::TimeMs base_ms = 30'000;    // delay before the second attempt (before jitter)
  core::TimeMs max_ms = 3'600'000;  // ceiling for any one delay
};

// Exponential backoff with "equal jitter": the delay after attempt n (n >= 1) is
// d = min(max, base * 2^(n-1)), then uniformly in [d/2, d]. `unit` is a random number in
// [0, 1), injected so tests are exact.
core::TimeMs BackoffDelay(const BackoffPolicy& policy, int attempt, double unit);

// attempt: the attempt that just ran (1-based); max_attempts: the job's budget.
store::DeliveryOutcome DecideOutcome(const mail::SendResult& result, int attempt, int max_attempts,
                                     core::TimeMs now, const BackoffPolicy& policy, double unit);

}  // namespace queue
