// The front's threads, with an application of the test's own: a handler that answers later frees
// its thread (one thread serves other requests meanwhile), its answer is written once finished
// from another thread, and Stop waits for it; a handler that blocks holds a handler thread, not
// the socket thread. No fixed sleeps: each wait polls a
// condition with a deadline.
#include "http/front.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace {

// "/later" is answered when the test calls Finish; "/block" blocks its handler thread until
// the test calls Unblock; anything else is answered at once. Only "/block" may block.
class LaterApplication final : public http::Application {
 public:
  void Admit(http::Exchange& exchange) override {
    exchange.body_limit = 1024;
    exchange.may_block = exchange.request.path == "/block";
  }
  void Handle(http::Exchange& exchange) override {
    if (exchange.request.path == "/block") {
      blocked_ = true;
      while (!unblock_) std::this_thread::yield();
      exchange.response.status = 200;
      exchange.response.set_content("unblocked", "text/plain");
      return;
    }
    if (exchange.request.path != "/later") {
      exchange.response.status = 200;
      exchange.response.set_content("now", "text/plain");
      return;
    }
    exchange.deferred = true;
    http::Exchange* deferred = &exchange;
    std::lock_guard lock(mutex_);
    finish_ = [finish = exchange.finish, deferred](const std::string& body) {
      finish([deferred, body] {
        deferred->response.status = 200;
        deferred->response.set_content(body, "text/plain");
      });
    };
  }
  void Refuse(http::Exchange& exchange, int status, const std::string& message) override {
    exchange.response.status = status;
    exchange.response.set_content(message, "text/plain");
  }

  bool Blocked() const { return blocked_; }
  void Unblock() { unblock_ = true; }
  bool Waiting() {
    std::lock_guard lock(mutex_);
    return static_cast<bool>(finish_);
  }
  void Finish(const std::string& body) {
    std::function<void(const std::string&)> finish;
    {
      std::lock_guard lock(mutex_);
      finish = std::move(finish_);
      finish_ = nullptr;
    }
    finish(body);
  }

 private:
  std::mutex mutex_;
  std::function<void(const std::string&)> finish_;  // guarded by mutex_
  std::atomic<bool> blocked_{false}, unblock_{false};
};

struct Served {
  LaterApplication application;
  std::unique_ptr<http::Front> front;
  std::thread runner;

  Served() {
    auto listener = http::Listen("127.0.0.1", 0);
    REQUIRE(listener.ok());
    http::FrontOptions options;
    options.io_threads = 1;
    options.threads = 1;
    front = http::NewFront(options, std::move(*listener), application);
    runner = std::thread([this] { front->Run(); });
  }
  ~Served() {
    front->Stop();
    runner.join();
  }
  void WaitUntil(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!condition()) {
      REQUIRE(std::chrono::steady_clock::now() < deadline);
      std::this_thread::yield();
    }
  }
};

std::string Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(10, 0);
  const httplib::Result got = client.Get(path);
  return got ? std::to_string(got->status) + " " + got->body : "no answer";
}

}  // namespace

TEST_CASE("front: a deferred answer frees the only thread and is written once finished") {
  Served served;
  const int port = served.front->port();
  auto later = std::async(std::launch::async, [port] { return Get(port, "/later"); });
  served.WaitUntil([&served] { return served.application.Waiting(); });
  // One thread, and it is not held by the deferred request.
  CHECK(Get(port, "/now") == "200 now");
  CHECK(later.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout);
  std::thread([&served] { served.application.Finish("later"); }).join();
  CHECK(later.get() == "200 later");
  // The connection goes on serving after a deferred answer.
  CHECK(Get(port, "/now") == "200 now");
}

TEST_CASE("front: Stop waits for a deferred answer, which is still written") {
  Served served;
  const int port = served.front->port();
  auto later = std::async(std::launch::async, [port] { return Get(port, "/later"); });
  served.WaitUntil([&served] { return served.application.Waiting(); });
  std::thread stopper([&served] { served.front->Stop(); });
  // Stop has begun once the listener is closed: new connections are refused.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (Get(port, "/now") != "no answer") {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
  }
  // Had Stop not waited for it, nothing would be left to write the answer.
  served.application.Finish("after stop");
  stopper.join();
  CHECK(later.get() == "200 after stop");
}

TEST_CASE("front: a blocking handler holds a handler thread, not the socket thread") {
  Served served;
  const int port = served.front->port();
  auto blocked = std::async(std::launch::async, [port] { return Get(port, "/block"); });
  served.WaitUntil([&served] { return served.application.Blocked(); });
  // The only handler thread is blocked; the only socket thread still answers.
  CHECK(Get(port, "/now") == "200 now");
  served.application.Unblock();
  CHECK(blocked.get() == "200 unblocked");
}
