// The whole appliance in-process: App on port 0 with a temp data directory and the capture
// transport, driven over HTTP like a client would.
#include "app/app.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "testing/temp_dir.h"

namespace {

constexpr char kAdminKey[] = "test-admin-key-0123456789abcdef";

app::Config TestConfig(const testing::TempDir& directory) {
  app::Config config;
  config.listen_port = 0;
  config.data_dir = directory.File("data");
  config.durability = store::Durability::kNormal;
  config.transport = app::TransportKind::kCapture;
  config.admin_key = kAdminKey;
  config.callback_secret = "test-salt";
  config.http_threads = 4;
  config.log_level = core::LogLevel::kWarn;
  return config;
}

}  // namespace

TEST_CASE("App serves on port 0 in-process: an email posted is sent, then it stops in order") {
  testing::TempDir directory;
  app::App app(TestConfig(directory));
  const core::Status started = app.Start();
  REQUIRE_MESSAGE(started.ok(), started.error().message);
  REQUIRE(app.port() > 0);

  httplib::Client client("127.0.0.1", app.port());
  const httplib::Headers auth = {{"Authorization", std::string("Bearer ") + kAdminKey}};
  const nlohmann::json email = {{"from", "sender@example.org"},
                                {"to", {"ada@example.org"}},
                                {"subject", "Hello"},
                                {"text", "Hi Ada"}};
  const httplib::Result posted = client.Post("/v1/emails", auth, email.dump(), "application/json");
  REQUIRE(posted);
  REQUIRE_MESSAGE(posted->status == 202, posted->body);
  const std::string id = nlohmann::json::parse(posted->body).at("id").get<std::string>();

  // Polls the API until the workers have sent it (a deadline, not a fixed sleep).
  std::string status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (status != "sent" && std::chrono::steady_clock::now() < deadline) {
    const httplib::Result got = client.Get("/v1/emails/" + id, auth);
    REQUIRE(got);
    REQUIRE(got->status == 200);
    status = nlohmann::json::parse(got->body).at("status").get<std::string>();
    std::this_thread::yield();
  }
  CHECK(status == "sent");
  CHECK(app.Stop());
}

TEST_CASE("App::Start fails with the reason when the data directory cannot be made") {
  testing::TempDir directory;
  directory.Write("file", "not a directory");
  app::Config config = TestConfig(directory);
  config.data_dir = directory.File("file/data");
  app::App app(config);
  CHECK_FALSE(app.Start().ok());
}

// Regression: cpp-httplib ignores stop() until its listening loop runs, so a Stop right after
// Start used to wait forever for the HTTP thread.
TEST_CASE("App::Stop right after Start returns") {
  testing::TempDir directory;
  for (int round = 0; round < 20; ++round) {
    app::Config config = TestConfig(directory);
    config.data_dir = directory.File("data" + std::to_string(round));
    app::App app(config);
    const core::Status started = app.Start();
    REQUIRE_MESSAGE(started.ok(), started.error().message);
    CHECK(app.Stop());
  }
}
