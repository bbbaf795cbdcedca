#include "queue/retry.h"

#include <algorithm>

namespace queue {

core::TimeMs BackoffDelay(const BackoffPolicy& policy, int attempt, double unit) {
  core::TimeMs delay = std::max<core::TimeMs>(policy.base_ms, 1);
  for (int i = 1; i < attempt && delay < policy.max_ms; ++i) delay *= 2;
  delay = std::min(delay, policy.max_ms);
  const core::TimeMs half = delay / 2;
  return half + static_cast<core::TimeMs>(static_cast<double>(delay - half) * unit);
}

store::DeliveryOutcome DecideOutcome(const mail::SendResult& result, int attempt, int max_attempts,
                                     core::TimeMs now, const BackoffPolicy& policy, double unit) {
  using Kind = store::DeliveryOutcome::Kind;
  store::DeliveryOutcome outcome;
  outcome.reply = result.reply;
  switch (result.kind) {
    case mail::SendResult::Kind::kSent:
      outcome.kind = Kind::kSent;
      outcome.provider_id = mail::ProviderMessageId(result.reply);
      break;
    case mail::SendResult::Kind::kPermanent: outcome.kind = Kind::kFailed; break;
    case mail::SendResult::Kind::kTransient:
      if (attempt >= max_attempts) {
        outcome.kind = Kind::kFailed;
        outcome.reply = "attempts exhausted (" + std::to_string(attempt) + "): " + result.reply;
      } else {
        outcome.kind = Kind::kRetry;
        outcome.retry_at = now + BackoffDelay(policy, attempt, unit);
      }
      break;
  }
  return outcome;
}

}  // namespace queue
