// The libcurl GET fetcher against a real HTTP server on 127.0.0.1 (port 0) in the test process.
#include "hooks/fetch.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

namespace {

class LocalServer {
 public:
  LocalServer() {
    std::signal(SIGPIPE, SIG_IGN);
    server_.Get("/cert.pem", [](const httplib::Request&, httplib::Response& response) {
      response.set_content("-----BEGIN CERTIFICATE-----\n", "text/plain");
    });
    server_.Get("/missing", [](const httplib::Request&, httplib::Response& response) {
      response.status = 404;
    });
    server_.Get("/moved", [](const httplib::Request&, httplib::Response& response) {
      response.set_redirect("/cert.pem");
    });
    server_.Get("/big", [](const httplib::Request&, httplib::Response& response) {
      response.set_content(std::string(std::size_t{70} * 1024, 'x'), "text/plain");
    });
    server_.Get("/slow", [](const httplib::Request&, httplib::Response& response) {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      response.set_content("late", "text/plain");
    });
    server_.set_logger([this](const httplib::Request& request, const httplib::Response&) {
      if (request.path == "/cert.pem") {
        ++cert_requests_;
      }
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until the accept loop runs, so wait for it before anything can stop.
    while (!server_.is_running()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  ~LocalServer() {
    server_.stop();
    thread_.join();
  }
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int cert_requests() const { return cert_requests_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<int> cert_requests_{0};
};

}  // namespace

TEST_CASE("the curl fetcher returns a 2xx body and refuses everything else") {
  LocalServer server;
  const hooks::UrlFetcher fetch = hooks::NewCurlFetcher({});

  auto body = fetch(server.Url("/cert.pem"));
  REQUIRE_MESSAGE(body.ok(), body.error().message);
  CHECK(*body == "-----BEGIN CERTIFICATE-----\n");

  auto missing = fetch(server.Url("/missing"));
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == core::ErrorCode::kUnavailable);
  CHECK(missing.error().message.find("HTTP 404") != std::string::npos);

  const int before = server.cert_requests();
  auto moved = fetch(server.Url("/moved"));
  REQUIRE_FALSE(moved.ok());
  CHECK(moved.error().code == core::ErrorCode::kUnavailable);
  CHECK(moved.error().message.find("redirects are not followed") != std::string::npos);
  CHECK(server.cert_requests() == before);

  auto big = fetch(server.Url("/big"));
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().code == core::ErrorCode::kResourceExhausted);
}

TEST_CASE("the curl fetcher gives up after its timeout and on refused connections") {
  LocalServer server;
  hooks::FetchOptions options;
  options.timeout_ms = 200;
  auto slow = hooks::NewCurlFetcher(options)(server.Url("/slow"));
  REQUIRE_FALSE(slow.ok());
  CHECK(slow.error().code == core::ErrorCode::kUnavailable);

  std::string gone_url;
  {
    LocalServer gone;
    gone_url = gone.Url("/cert.pem");
  }
  auto refused = hooks::NewCurlFetcher(options)(gone_url);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == core::ErrorCode::kUnavailable);

  auto not_http = hooks::NewCurlFetcher(options)("file:///etc/passwd");
  REQUIRE_FALSE(not_http.ok());
}
