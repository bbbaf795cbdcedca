#pragma once
// The composition root: the only place that knows every concrete type.
#include <memory>
#include <vector>

#include "app/config.h"
#include "core/result.h"

namespace app {

// Runs the command line (serve, version, config check, migrate, help); returns the exit code.
int Main(int argc, char** argv);

// `outbox serve` as an object: owns every long-lived object (store, transport, workers,
// services, HTTP server, scheduler), so a test can run the whole appliance in-process.
class App {
 public:
  // `settings` are what GET /v1/settings shows (EffectiveSettings of the loaded config).
  explicit App(Config config, std::vector<service::Setting> settings = {});
  ~App();  // stops it if it is running (waiting for any delivery in flight)
  App(const App&) = delete;
  App& operator=(const App&) = delete;

  // Creates the data directory, opens the store (recovering leases left by a previous run),
  // builds the services, binds the server (listen_port 0 picks a free port), starts the
  // delivery and callback workers, the newsletter scheduler and the retention purge (unless
  // retention_days is 0), and serves HTTP on a thread of its own. Prints the admin key and the
  // callback secret when it generates them.
  // REQUIRES: called once.
  core::Status Start();
  // The bound port. REQUIRES: Start succeeded.
  int port() const;
  // The ordered shutdown: the server (no new requests), the scheduler, the retention purge
  // (after its current batch), the callback workers, then the delivery workers, which get
  // shutdown_timeout_ms to finish their sends. Returns false if a send was still in flight
  // then: everything acknowledged is committed and the stuck job's lease is recovered at the
  // next start, so the caller may exit at once (it cannot destroy the App without waiting for
  // the send).
  bool Stop();
  // Start, wait for SIGTERM or SIGINT, Stop; returns the process exit code. Blocks those
  // signals in every thread it starts.
  int Serve();

 private:
  class Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace app
