#pragma once
// The HTTP front: binds, routes through one table (method, path, auth), and renders errors
// as problem+json. Handlers only decode, call a service and encode.
#include <memory>
#include <string>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "service/email_service.h"
#include "service/gomail_service.h"
#include "service/keys.h"
#include "service/metrics.h"
#include "service/newsletters.h"
#include "service/provider_events.h"
#include "service/ses.h"
#include "service/tasks.h"
#include "service/templates.h"
#include "store/store.h"

namespace http {

// What handlers may call. Owned by the app; outlives the server.
struct Services {
  service::EmailService& emails;
  service::GoMailService& gomail;
  service::NewsletterService& newsletters;
  service::KeyService& keys;
  service::TaskService& tasks;
  service::SesService& ses;
  service::Metrics& metrics;
  service::CachedStats& stats;
  store::Store& store;
  const auth::Authenticator& authenticator;
  const core::Clock& clock;
  core::Logger& logger;
  service::TemplateService& templates;
  service::ProviderEventService& provider_events;
};

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port
  int threads = 64;
  std::size_t max_body_bytes = 10 << 20;
  std::size_t max_upload_bytes = 26 << 20;  // multipart bodies of upload routes
};

class Server {
 public:
  virtual ~Server() = default;
  virtual int port() const = 0;
  // Serves until Stop(); blocks the calling thread.
  virtual void Run() = 0;
  // Stops accepting and returns once in-progress requests are answered.
  virtual void Stop() = 0;
};

// Binds the listening socket (so port() is known before Run) or fails with kUnavailable.
core::Result<std::unique_ptr<Server>> BindServer(const ServerOptions& options, Services services);

}  // namespace http
