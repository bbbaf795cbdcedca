#pragma once
// What the queue tests share: a real SQLite store in a temp dir on a FakeClock, emails to
// enqueue, and a Gate to hold a worker thread at a known point (no sleeps anywhere).
#include <doctest/doctest.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/log.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "testing/fake_clock.h"
#include "testing/temp_dir.h"

namespace queue_test {

constexpr core::TimeMs kLeaseMs = 60'000;
constexpr core::TimeMs kIdlePollMs = 1'000;

// A one-shot signal between threads. Wait gives up after a guard of real time, so a broken
// test fails instead of hanging.
class Gate {
 public:
  void Open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    opened_.notify_all();
  }
  [[nodiscard]] bool Wait() {
    std::unique_lock lock(mutex_);
    return opened_.wait_for(lock, std::chrono::seconds(20), [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

struct Fixture {
  Fixture() {
    auto opened = store::OpenSqliteStore({directory.File("outbox.db"), store::Durability::kNormal});
    REQUIRE(opened.ok());
    store = std::move(*opened);
  }

  // Enqueues an email to `recipient`, due `delay_ms` from now.
  void Enqueue(const std::string& id, core::TimeMs delay_ms = 0,
               const std::string& recipient = "ada@example.org", std::size_t body_bytes = 4) {
    store::NewEmail email;
    email.id = id;
    email.from = "sender@example.org";
    email.to = {recipient};
    email.envelope_from = "sender@example.org";
    email.envelope_recipients = {recipient};
    email.subject = "Subject of " + id;
    email.raw_message = "Subject: Subject of " + id + "\r\n\r\n" +
                        (body_bytes == 4 ? std::string("Body") : std::string(body_bytes, 'x')) +
                        "\r\n";
    email.send_at = delay_ms > 0 ? clock.NowMs() + delay_ms : 0;
    email.max_attempts = 3;
    email.owner = "key-1";
    REQUIRE(store->CreateEmail(email, std::nullopt, clock.NowMs()).ok());
  }

  store::Email Get(const std::string& id) {
    auto email = store->GetEmail(id);
    REQUIRE(email.ok());
    return *email;
  }

  // The waits in progress once `count` of them are (see FakeClock::AwaitWaits).
  std::vector<std::chrono::milliseconds> AwaitWaits(std::size_t count = 1) {
    auto waits = clock.AwaitWaits(count);
    REQUIRE(waits.has_value());
    return *waits;
  }

  testing::TempDir directory;  // first: outlives the store's files
  testing::FakeClock clock;
  std::unique_ptr<core::Logger> logger = core::NewNullLogger();
  std::unique_ptr<store::Store> store;
};

}  // namespace queue_test
