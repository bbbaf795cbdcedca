#pragma once
// A Transport that delivers nowhere and remembers everything: each Send is recorded and
// answered with the next scripted result (kSent when the script is empty). Thread-safe, so it
// stands in for the SMTP transport under concurrent delivery workers.
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "mail/transport.h"

namespace testing {

class RecordingTransport final : public mail::Transport {
 public:
  struct Delivery {
    mail::Envelope envelope;
    std::string data;
  };

  mail::SendResult Send(const mail::Envelope& envelope, const std::string& data) override {
    std::lock_guard<std::mutex> lock(mutex_);
    deliveries_.push_back(Delivery{envelope, data});
    if (script_.empty()) {
      return mail::SendResult{mail::SendResult::Kind::kSent, 250, "250 recorded"};
    }
    mail::SendResult result = std::move(script_.front());
    script_.pop_front();
    return result;
  }
  // Records the batch's size, then sends each message as Send does.
  std::vector<mail::SendResult> SendBatch(const std::vector<mail::Outgoing>& batch,
                                          const std::function<void()>& progress) override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      batch_sizes_.push_back(batch.size());
    }
    return Transport::SendBatch(batch, progress);
  }
  const char* Name() const override { return "recording"; }

  // Answers a later Send with `result`; results are used in the order they were queued.
  void QueueResult(mail::SendResult result) {
    std::lock_guard<std::mutex> lock(mutex_);
    script_.push_back(std::move(result));
  }
  // Shorthand for the common fault: the next `count` sends fail with `kind` and `smtp_code`.
  void FailNext(std::size_t count, mail::SendResult::Kind kind, int smtp_code,
                const std::string& reply) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (std::size_t i = 0; i < count; ++i) {
      script_.push_back({kind, smtp_code, reply});
    }
  }

  // Everything sent so far, in call order (a copy: workers may still be sending).
  std::vector<Delivery> deliveries() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_;
  }
  // The size of every SendBatch so far, in call order.
  std::vector<std::size_t> batch_sizes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return batch_sizes_;
  }
  std::size_t send_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::size_t> batch_sizes_;
  std::vector<Delivery> deliveries_;
  std::deque<mail::SendResult> script_;
};

}  // namespace testing
