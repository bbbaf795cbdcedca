// The libcurl callback sender against a real HTTP server on 127.0.0.1 (port 0) in the test
// process. Host names are answered by fake resolvers, never by DNS.
#include "hooks/sender.h"

#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "hooks/signing.h"
#include "testing/fake_clock.h"

namespace {

constexpr std::string_view kSalt = "test-salt-0123456789abcdef0123456789";

struct ReceivedRequest {
  std::string method;
  std::string path;  // with the query
  std::string body;
  std::multimap<std::string, std::string> headers;

  std::string Header(const std::string& name) const {
    const auto found = headers.find(name);
    return found == headers.end() ? "<absent>" : found->second;
  }
  std::size_t HeaderCount(const std::string& name) const { return headers.count(name); }
};

// An HTTP server on 127.0.0.1 with an ephemeral port that records every request it receives.
// Routes are registered before it starts, since cpp-httplib's route tables are not
// synchronized.
class LocalServer {
 public:
  explicit LocalServer(const std::function<void(httplib::Server&)>& routes = {},
                       const std::string& address = "127.0.0.1") {
    // A handler may answer a client that already hung up (the timeout test); cpp-httplib
    // writes without MSG_NOSIGNAL, so ignore SIGPIPE as app::Run does.
    std::signal(SIGPIPE, SIG_IGN);
    // After the route's handler, when the body has been read.
    server_.set_post_routing_handler(
        [this](const httplib::Request& request, const httplib::Response&) {
          const std::lock_guard lock(mutex_);
          std::multimap<std::string, std::string> headers;
          for (const auto& [name, value] : request.headers) {
            headers.emplace(Lower(name), value);
          }
          std::string path = request.path;
          if (!request.params.empty()) {
            path += "?";
            for (const auto& [name, value] : request.params) {
              path += path.back() == '?' ? "" : "&";
              path += name;
              path += "=";
              path += value;
            }
          }
          received_.push_back({request.method, path, request.body, std::move(headers)});
        });
    server_.Post("/ok", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("thanks", "text/plain");
    });
    if (routes) {
      routes(server_);
    }
    port_ = server_.bind_to_any_port(address);
    REQUIRE(port_ > 0);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it before anything can stop.
    while (!server_.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }

  int port() const { return port_; }
  std::string Url(std::string_view host, std::string_view target) const {
    return "http://" + std::string(host) + ":" + std::to_string(port_) + std::string(target);
  }
  std::vector<ReceivedRequest> received() const {
    const std::lock_guard lock(mutex_);
    return received_;
  }

  // Headers are matched case-insensitively; recorded names are lower-cased.
  static std::string Lower(std::string text) {
    for (char& c : text) {
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return text;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::vector<ReceivedRequest> received_;
};

// A TCP port on 127.0.0.1 that is bound but not listening, so connecting to it is refused
// (and no other process can take the port while the test runs).
class ClosedPort {
 public:
  ClosedPort() : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) == 0);
    socklen_t length = sizeof(address);
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port_ = ntohs(address.sin_port);
  }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
  ~ClosedPort() { close(fd_); }

  int port() const { return port_; }

 private:
  int fd_;
  int port_ = 0;
};

// Answers `host` with `addresses` (IP literals) and counts its calls; any other name is
// unknown.
struct FakeResolver {
  std::string host;
  std::vector<std::string> addresses;
  std::shared_ptr<std::atomic<int>> calls = std::make_shared<std::atomic<int>>(0);  // thread-safe

  hooks::HostResolver Get() const {
    return [*this](const std::string& name) -> core::Result<std::vector<hooks::IpAddress>> {
      ++*calls;
      if (name != host) {
        return core::InvalidArgument("", "unknown host '" + name + "'");
      }
      std::vector<hooks::IpAddress> out;
      for (const std::string& text : addresses) {
        out.push_back(*hooks::ParseIpAddress(text));
      }
      return out;
    };
  }
};

hooks::SenderOptions Options(hooks::HostResolver resolver = hooks::ResolveHostSystem) {
  hooks::SenderOptions options;
  options.timeout_ms = 5'000;
  options.connect_timeout_ms = 2'000;
  options.user_agent = "outbox/test";
  options.resolver = std::move(resolver);
  return options;
}

struct Fixture {
  std::unique_ptr<core::Clock> clock = core::NewSystemClock();
};

}  // namespace

TEST_CASE_FIXTURE(Fixture, "Send POSTs the body and headers intact and a 2xx is ok") {
  const LocalServer server;
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);
  const std::string body = R"({"id":"em_1","status":"SENT","note":"h\u00e9llo ☃"})";
  const hooks::CallbackHeaders signature =
      hooks::SignCallback(body, kSalt, clock->NowMs(), 3'600'000);

  const hooks::CallbackAttempt attempt =
      sender->Send({server.Url("127.0.0.1", "/ok?job=42"),
                    body,
                    {{"Authorization", signature.authorization},
                     {std::string(hooks::kSignatureHeader), signature.signature},
                     {"X-Empty", ""}}});

  CHECK(attempt.ok());
  CHECK(attempt.status == 200);
  CHECK(attempt.error.empty());
  CHECK_FALSE(attempt.refused);
  CHECK(attempt.response_excerpt == "thanks");
  CHECK(attempt.latency_ms >= 0);
  CHECK(attempt.latency_ms < 5'000);

  const auto received = server.received();
  REQUIRE(received.size() == 1);
  const ReceivedRequest& request = received[0];
  CHECK(request.method == "POST");
  CHECK(request.path == "/ok?job=42");
  CHECK(request.body == body);
  CHECK(request.Header("content-type") == "application/json");
  CHECK(request.HeaderCount("content-type") == 1);
  CHECK(request.Header("content-length") == std::to_string(body.size()));
  CHECK(request.Header("user-agent") == "outbox/test");
  CHECK(request.Header("authorization") == signature.authorization);
  // X-Empty goes out as "X-Empty:", but cpp-httplib drops headers with empty values, so it
  // cannot be checked here.
  CHECK(request.HeaderCount("expect") == 0);
  // The receiver's checks pass on what arrived.
  CHECK(hooks::VerifyCallbackSignature(request.Header("x-outbox-signature"), request.body, kSalt,
                                       clock->NowMs(), hooks::kDefaultSignatureToleranceMs)
            .ok());
  CHECK(hooks::VerifyCallbackAuthorization(request.Header("authorization"), request.body, kSalt,
                                           clock->NowMs())
            .ok());
}

TEST_CASE_FIXTURE(Fixture, "Send: a Content-Type header replaces the default; 204 is ok") {
  const LocalServer server([](httplib::Server& routes) {
    routes.Post("/none", [](const httplib::Request&, httplib::Response& response) {
      response.status = 204;
    });
  });
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);

  const hooks::CallbackAttempt attempt = sender->Send(
      {server.Url("127.0.0.1", "/none"), "{}", {{"content-type", "application/cloudevents+json"}}});

  CHECK(attempt.ok());
  CHECK(attempt.status == 204);
  CHECK(attempt.response_excerpt.empty());
  const auto received = server.received();
  REQUIRE(received.size() == 1);
  CHECK(received[0].HeaderCount("content-type") == 1);
  CHECK(received[0].Header("content-type") == "application/cloudevents+json");
}

TEST_CASE_FIXTURE(Fixture, "Send: a 500 is a failed attempt with the status and the body") {
  const LocalServer server([](httplib::Server& routes) {
    routes.Post("/fail", [](const httplib::Request&, httplib::Response& response) {
      response.status = 500;
      response.set_content(R"({"error":"database down"})", "application/json");
    });
  });
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);

  const hooks::CallbackAttempt attempt = sender->Send({server.Url("127.0.0.1", "/fail"), "{}", {}});

  CHECK_FALSE(attempt.ok());
  CHECK(attempt.status == 500);
  CHECK(attempt.error == "HTTP 500");
  CHECK_FALSE(attempt.refused);
  CHECK(attempt.response_excerpt == R"({"error":"database down"})");
}

TEST_CASE_FIXTURE(Fixture, "Send: a refused connection is status 0 with curl's error") {
  const ClosedPort closed;
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);

  const hooks::CallbackAttempt attempt =
      sender->Send({"http://127.0.0.1:" + std::to_string(closed.port()) + "/hook", "{}", {}});

  CHECK_FALSE(attempt.ok());
  CHECK(attempt.status == 0);
  CHECK_FALSE(attempt.error.empty());
  CHECK_FALSE(attempt.refused);  // worth retrying: the receiver may come back
  CHECK(attempt.response_excerpt.empty());
}

TEST_CASE_FIXTURE(Fixture, "Send gives up after timeout_ms when the receiver does not answer") {
  std::mutex mutex;
  std::condition_variable released_cv;
  bool released = false;
  const auto release = [&] {
    const std::lock_guard lock(mutex);
    released = true;
    released_cv.notify_all();
  };
  {
    const LocalServer server([&](httplib::Server& routes) {
      routes.Post("/slow", [&](const httplib::Request&, httplib::Response& response) {
        std::unique_lock lock(mutex);
        // Bounded, so a failing test cannot hang; released as soon as Send has returned.
        released_cv.wait_for(lock, std::chrono::seconds(2), [&] { return released; });
        response.set_content("too late", "text/plain");
      });
    });
    hooks::SenderOptions options = Options();
    options.timeout_ms = 200;
    const auto sender = hooks::NewCurlCallbackSender(options, *clock);

    const hooks::CallbackAttempt attempt =
        sender->Send({server.Url("127.0.0.1", "/slow"), "{}", {}});
    release();

    CHECK_FALSE(attempt.ok());
    CHECK(attempt.status == 0);
    CHECK_MESSAGE(attempt.error.find("timed out") != std::string::npos, attempt.error);
    CHECK(attempt.latency_ms >= 150);
    CHECK(attempt.latency_ms < 1'000);
  }
}

TEST_CASE_FIXTURE(Fixture, "Send does not follow a redirect and counts it as a failure") {
  const LocalServer server([](httplib::Server& routes) {
    routes.Post("/moved", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/ok", 302);
    });
  });
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);

  const hooks::CallbackAttempt attempt =
      sender->Send({server.Url("127.0.0.1", "/moved"), "{}", {}});

  CHECK_FALSE(attempt.ok());
  CHECK(attempt.status == 302);
  CHECK(attempt.error == "HTTP 302 (redirects are not followed)");
  CHECK_FALSE(attempt.refused);
  const auto received = server.received();
  REQUIRE(received.size() == 1);  // /ok was never requested
  CHECK(received[0].path == "/moved");
}

TEST_CASE_FIXTURE(Fixture, "Send refuses a host resolving to the metadata address, unsent") {
  const LocalServer server;
  SUBCASE("only the metadata address") {
    const FakeResolver resolver{"metadata.test", {"169.254.169.254"}};
    const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);

    const hooks::CallbackAttempt attempt =
        sender->Send({"http://metadata.test/latest/meta-data/", "{}", {}});

    CHECK_FALSE(attempt.ok());
    CHECK(attempt.status == 0);
    CHECK(attempt.refused);
    CHECK_MESSAGE(attempt.error.find("169.254.169.254") != std::string::npos, attempt.error);
    CHECK(*resolver.calls == 1);
  }
  SUBCASE("an allowed address next to it is not tried either") {
    const FakeResolver resolver{"metadata.test", {"127.0.0.1", "169.254.169.254"}};
    const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);

    const hooks::CallbackAttempt attempt =
        sender->Send({server.Url("metadata.test", "/ok"), "{}", {}});

    CHECK(attempt.refused);
    CHECK(attempt.status == 0);
  }
  CHECK(server.received().empty());
}

TEST_CASE_FIXTURE(Fixture, "Send connects to the checked addresses, never asking DNS again") {
  const LocalServer server;
  SUBCASE("a name only the fake resolver knows reaches the server, with its Host header") {
    const FakeResolver resolver{"callback.test", {"127.0.0.1"}};
    const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);

    const hooks::CallbackAttempt attempt =
        sender->Send({server.Url("CALLBACK.test", "/ok"), R"({"a":1})", {}});

    CHECK_MESSAGE(attempt.ok(), attempt.error);
    CHECK(*resolver.calls == 1);
    const auto received = server.received();
    REQUIRE(received.size() == 1);
    CHECK(received[0].Header("host") == "callback.test:" + std::to_string(server.port()));
    CHECK(received[0].body == R"({"a":1})");
  }
  SUBCASE("every checked address is offered; unreachable ones are skipped") {
    // 127.0.0.2 is loopback too, but nothing listens on it; curl moves on to 127.0.0.1.
    const FakeResolver resolver{"callback.test", {"127.0.0.2", "127.0.0.1"}};
    const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);

    const hooks::CallbackAttempt attempt =
        sender->Send({server.Url("callback.test", "/ok"), "{}", {}});

    CHECK_MESSAGE(attempt.ok(), attempt.error);
    CHECK(server.received().size() == 1);
  }
  SUBCASE("no socket is opened to an address the guard did not check") {
    // An IP-literal URL is connected to as written; here the resolver claims it is another
    // address, so the literal itself was never checked and the socket is refused.
    const FakeResolver resolver{"127.0.0.1", {"127.0.0.2"}};
    const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);

    const hooks::CallbackAttempt attempt = sender->Send({server.Url("127.0.0.1", "/ok"), "{}", {}});

    CHECK_FALSE(attempt.ok());
    CHECK(attempt.status == 0);
    CHECK_FALSE(attempt.error.empty());
    CHECK(server.received().empty());
  }
}

TEST_CASE_FIXTURE(Fixture, "Send reaches IPv6 addresses") {
  {
    // Not every test machine has IPv6 loopback.
    const int probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in6 loopback{};
    loopback.sin6_family = AF_INET6;
    loopback.sin6_addr = in6addr_loopback;
    const bool has_ipv6 = probe >= 0 && bind(probe, reinterpret_cast<const sockaddr*>(&loopback),
                                             sizeof(loopback)) == 0;
    if (probe >= 0) {
      close(probe);
    }
    if (!has_ipv6) {
      MESSAGE("no IPv6 loopback here; skipped");
      return;
    }
  }
  const LocalServer server({}, "::1");
  SUBCASE("as a literal") {
    const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);
    const hooks::CallbackAttempt attempt = sender->Send({server.Url("[::1]", "/ok"), "{}", {}});
    CHECK_MESSAGE(attempt.ok(), attempt.error);
  }
  SUBCASE("pinned under a name") {
    const FakeResolver resolver{"callback.test", {"::1"}};
    const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);
    const hooks::CallbackAttempt attempt =
        sender->Send({server.Url("callback.test", "/ok"), "{}", {}});
    CHECK_MESSAGE(attempt.ok(), attempt.error);
  }
  CHECK(server.received().size() == 1);
}

TEST_CASE_FIXTURE(Fixture, "Send refuses bad URLs and headers without sending anything") {
  const LocalServer server;
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);
  const std::string url = server.Url("127.0.0.1", "/ok");

  for (const hooks::CallbackRequest& request : std::vector<hooks::CallbackRequest>{
           {"ftp://127.0.0.1/file", "{}", {}},
           {"http://user:pass@127.0.0.1/", "{}", {}},
           {"not a url", "{}", {}},
           {url, "{}", {{"X-Evil", "a\r\nX-Injected: 1"}}},
           {url, "{}", {{"X-Evil", "a\nb"}}},
           {url, "{}", {{"Bad Name", "x"}}},
           {url, "{}", {{"", "x"}}},
           {url, "{}", {{"host", "elsewhere.test"}}},
           {url, "{}", {{"Content-Length", "1"}}},
           {url, "{}", {{"Transfer-Encoding", "chunked"}}},
       }) {
    const hooks::CallbackAttempt attempt = sender->Send(request);
    CHECK_MESSAGE(attempt.refused, request.url);
    CHECK(attempt.status == 0);
    CHECK_FALSE(attempt.error.empty());
  }
  CHECK(server.received().empty());
}

TEST_CASE_FIXTURE(Fixture, "Send: a transient resolver failure is not a refusal") {
  const auto sender = hooks::NewCurlCallbackSender(
      Options([](const std::string&) -> core::Result<std::vector<hooks::IpAddress>> {
        return core::Unavailable("resolver timed out");
      }),
      *clock);

  const hooks::CallbackAttempt attempt = sender->Send({"http://callback.test/", "{}", {}});

  CHECK(attempt.status == 0);
  CHECK_FALSE(attempt.refused);
  CHECK(attempt.error == "resolver timed out");
}

TEST_CASE("Send's latency includes resolution, measured on the injected clock") {
  testing::FakeClock clock;
  const auto sender = hooks::NewCurlCallbackSender(
      Options([&clock](const std::string&) -> core::Result<std::vector<hooks::IpAddress>> {
        clock.Advance(std::chrono::milliseconds(250));
        return std::vector<hooks::IpAddress>{hooks::IpAddress::V4(169, 254, 169, 254)};
      }),
      clock);

  const hooks::CallbackAttempt attempt = sender->Send({"http://metadata.test/", "{}", {}});

  CHECK(attempt.refused);
  CHECK(attempt.latency_ms == 250);
}

TEST_CASE_FIXTURE(Fixture, "Send reads only the start of a long answer") {
  const LocalServer server([](httplib::Server& routes) {
    routes.Post("/long", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(1'000'000, 'x'), "text/plain");
    });
  });
  const auto sender = hooks::NewCurlCallbackSender(Options(), *clock);

  const hooks::CallbackAttempt attempt = sender->Send({server.Url("127.0.0.1", "/long"), "{}", {}});

  CHECK_MESSAGE(attempt.ok(), attempt.error);
  CHECK(attempt.status == 200);
  CHECK(attempt.response_excerpt == std::string(hooks::kResponseExcerptBytes, 'x'));
}

TEST_CASE_FIXTURE(Fixture, "Send is safe from several threads at once") {
  const LocalServer server;
  const FakeResolver resolver{"callback.test", {"127.0.0.1"}};
  const auto sender = hooks::NewCurlCallbackSender(Options(resolver.Get()), *clock);
  constexpr int kThreads = 6;
  constexpr int kSendsPerThread = 5;
  std::vector<std::vector<hooks::CallbackAttempt>> attempts(kThreads);
  {
    std::vector<std::jthread> threads;
    threads.reserve(kThreads);
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kSendsPerThread; ++i) {
          const std::string body = R"({"thread":)" + std::to_string(t) + "}";
          attempts[t].push_back(sender->Send({server.Url("callback.test", "/ok"), body, {}}));
        }
      });
    }
  }
  for (const auto& per_thread : attempts) {
    for (const hooks::CallbackAttempt& attempt : per_thread) {
      CHECK_MESSAGE(attempt.ok(), attempt.error);
    }
  }
  CHECK(server.received().size() == kThreads * kSendsPerThread);
}

TEST_CASE("ResponseExcerpt keeps valid UTF-8 and cuts on character boundaries") {
  using hooks::ResponseExcerpt;
  CHECK(ResponseExcerpt("") == "");
  CHECK(ResponseExcerpt("plain") == "plain");
  CHECK(ResponseExcerpt(std::string(600, 'a')) == std::string(512, 'a'));
  CHECK(ResponseExcerpt("h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80") ==
        "h\xC3\xA9llo \xE2\x98\x83 \xF0\x9F\x98\x80");
  // A character that would not fit whole is left out.
  CHECK(ResponseExcerpt("ab\xE2\x98\x83", 4) == "ab");
  CHECK(ResponseExcerpt("ab\xE2\x98\x83", 5) == "ab\xE2\x98\x83");
  // Invalid bytes become U+FFFD: a stray continuation, a truncated sequence, an overlong
  // form, a surrogate, a code point beyond U+10FFFF, bytes that never occur.
  CHECK(ResponseExcerpt("a\x80z") == "a\xEF\xBF\xBDz");
  CHECK(ResponseExcerpt("a\xE2\x98z") == "a\xEF\xBF\xBD\xEF\xBF\xBDz");
  CHECK(ResponseExcerpt("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(ResponseExcerpt("\xE0\x80\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(ResponseExcerpt("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(ResponseExcerpt("\xF4\x90\x80\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(ResponseExcerpt("\xFF") == "\xEF\xBF\xBD");
  // Control characters are valid UTF-8 and kept (JSON escapes them).
  CHECK(ResponseExcerpt(std::string("a\0b\n", 4)) == std::string("a\0b\n", 4));
  // A replacement that would not fit ends the excerpt.
  CHECK(ResponseExcerpt("ab\xFF", 4) == "ab");
}
