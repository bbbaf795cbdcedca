#pragma once
// The HTTP front: binds, routes through one table (method, path, kind of door, permission, body
// limit), resolves and checks the caller before a handler runs, and renders errors in the
// door's shape. Handlers only decode, call a service and encode.
#include <memory>
#include <string>

#include "auth/principal.h"
#include "auth/roles.h"
#include "core/log.h"
#include "core/result.h"
#include "http/front.h"
#include "service/accounts.h"
#include "service/campaigns.h"
#include "service/customer_import.h"
#include "service/delivery_stats.h"
#include "service/email_service.h"
#include "service/gomail_service.h"
#include "service/health.h"
#include "service/keys.h"
#include "service/metrics.h"
#include "service/newsletters.h"
#include "service/otp.h"
#include "service/provider_events.h"
#include "service/sent_emails.h"
#include "service/ses.h"
#include "service/tasks.h"
#include "service/templates.h"
#include "service/webhooks.h"

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
  service::DeliveryStats& delivery;  // latency, transport, limits, recent failures
  core::Logger& logger;
  service::TemplateService& templates;
  service::ProviderEventService& provider_events;
  service::OtpService& otp;
  service::WebhookService& webhooks;
  service::HealthService& health;
  service::AccountService& accounts;
  service::SentEmailService& sent_emails;
  service::CampaignService& campaigns;
  service::CustomerImports& customer_imports;
};

// How callers are recognised: the resolvers of each kind of credential and what is public.
// Owned by the app; outlives the server.
struct Authentication {
  const auth::Resolver& api_keys;         // auth::Authenticator
  const auth::Resolver& user_keys;        // auth::UserKeys (GoMail user keys)
  const auth::Resolver& sessions;         // auth::SessionTokens (people's access tokens)
  const auth::Resolver& drf_tokens;       // auth::DrfTokens (seed 001's "Token <hex>")
  const auth::Resolver& cookie_sessions;  // auth::CookieSessions (the dashboard's cookie)
  auth::AccessPolicy policy;
};

struct ServerOptions {
  FrontOptions front;  // address, threads, connection limits, read deadlines
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

// A server on `listener` (see http::Listen), serving once Run.
std::unique_ptr<Server> NewServer(const ServerOptions& options, Listener listener,
                                  Services services, Authentication authentication);

}  // namespace http
