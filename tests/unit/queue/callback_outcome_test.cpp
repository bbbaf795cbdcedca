#include <doctest/doctest.h>

#include "queue/callback_workers.h"

namespace {

using Kind = store::DeliveryOutcome::Kind;

constexpr core::TimeMs kNow = 1'000'000;
const queue::BackoffPolicy kPolicy{1'000, 60'000};

hooks::CallbackAttempt Answer(int status, std::string error = "", bool refused = false) {
  hooks::CallbackAttempt attempt;
  attempt.status = status;
  attempt.error = std::move(error);
  attempt.refused = refused;
  return attempt;
}

}  // namespace

TEST_CASE("callback outcomes: 2xx delivered; refused and 410 given up; others retried") {
  auto delivered = queue::DecideCallbackOutcome(Answer(204), 1, 10, kNow, kPolicy, 0.0);
  CHECK(delivered.kind == Kind::kSent);
  CHECK(delivered.reply == "HTTP 204");

  auto refused =
      queue::DecideCallbackOutcome(Answer(0, "forbidden address", true), 1, 10, kNow, kPolicy, 0.0);
  CHECK(refused.kind == Kind::kFailed);
  CHECK(refused.reply == "forbidden address");
  CHECK(queue::DecideCallbackOutcome(Answer(410, "HTTP 410"), 1, 10, kNow, kPolicy, 0.0).kind ==
        Kind::kFailed);

  for (int status : {0, 400, 401, 404, 429, 500, 503}) {
    CAPTURE(status);
    auto retried = queue::DecideCallbackOutcome(Answer(status, "err"), 3, 10, kNow, kPolicy, 0.0);
    CHECK(retried.kind == Kind::kRetry);
    // Attempt 3: d = 1000 * 2^2 = 4000, jitter 0 -> d / 2.
    CHECK(retried.retry_at == kNow + 2'000);
  }
}

TEST_CASE("callback outcomes: the last attempt gives up") {
  CHECK(queue::DecideCallbackOutcome(Answer(500, "HTTP 500"), 10, 10, kNow, kPolicy, 0.5).kind ==
        Kind::kFailed);
  CHECK(queue::DecideCallbackOutcome(Answer(500, "HTTP 500"), 9, 10, kNow, kPolicy, 0.5).kind ==
        Kind::kRetry);
}
