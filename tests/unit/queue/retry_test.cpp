#include "queue/retry.h"

#include <doctest/doctest.h>

using Kind = store::DeliveryOutcome::Kind;
using SendKind = mail::SendResult::Kind;

TEST_CASE("backoff doubles per attempt, with equal jitter, up to the ceiling") {
  queue::BackoffPolicy policy{1000, 30'000};
  CHECK(queue::BackoffDelay(policy, 1, 0.0) == 500);
  CHECK(queue::BackoffDelay(policy, 1, 0.999999) == 999);
  CHECK(queue::BackoffDelay(policy, 2, 0.0) == 1000);
  CHECK(queue::BackoffDelay(policy, 3, 0.5) == 3000);
  CHECK(queue::BackoffDelay(policy, 6, 0.0) == 15'000);   // 32 s capped at 30 s, halved
  CHECK(queue::BackoffDelay(policy, 60, 0.0) == 15'000);  // no overflow on huge attempts
}

TEST_CASE("the outcome table") {
  const queue::BackoffPolicy policy{1000, 60'000};
  struct Row {
    SendKind result;
    int attempt, max_attempts;
    Kind expected;
  };
  const Row rows[] = {
      {SendKind::kSent, 1, 5, Kind::kSent},        {SendKind::kSent, 5, 5, Kind::kSent},
      {SendKind::kTransient, 1, 5, Kind::kRetry},  {SendKind::kTransient, 4, 5, Kind::kRetry},
      {SendKind::kTransient, 5, 5, Kind::kFailed},  // budget spent: dead-letter
      {SendKind::kPermanent, 1, 5, Kind::kFailed},  // 5xx: fail at once
      {SendKind::kTransient, 1, 1, Kind::kFailed},
  };
  for (const auto& row : rows) {
    CAPTURE(row.attempt);
    auto outcome = queue::DecideOutcome({row.result, 451, "451 later"}, row.attempt,
                                        row.max_attempts, 10'000, policy, 0.0);
    CHECK(outcome.kind == row.expected);
    CHECK(outcome.reply.find("451 later") != std::string::npos);
    if (row.expected == Kind::kRetry) {
      CHECK(outcome.retry_at == 10'000 + queue::BackoffDelay(policy, row.attempt, 0.0));
    }
  }
}

TEST_CASE("a sent outcome carries the relay's message id; others carry none") {
  const queue::BackoffPolicy policy{1000, 60'000};
  auto sent = queue::DecideOutcome({SendKind::kSent, 250, "250 Ok 0100018b-abc-000000"}, 1, 5,
                                   10'000, policy, 0.0);
  CHECK(sent.provider_id == "0100018b-abc-000000");
  CHECK(sent.reply == "250 Ok 0100018b-abc-000000");
  auto failed = queue::DecideOutcome({SendKind::kPermanent, 550, "550 no such user"}, 1, 5, 10'000,
                                     policy, 0.0);
  CHECK(failed.provider_id.empty());
}
