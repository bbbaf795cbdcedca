#include "http/server.h"

#include <httplib.h>

#include "http/problem.h"
#include "http/routes.h"

namespace http {

void Context::Json(int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

void Context::Problem(const core::Error& error) {
  response.status = HttpStatusFor(error.code);
  response.set_content(
      ProblemBody(error).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
      "application/problem+json");
}

void Context::GoMailError(const core::Error& error) {
  Json(HttpStatusFor(error.code), GoMailErrorBody(error));
}

void Context::SesError(const core::Error& error, std::string_view seed_code) {
  Json(HttpStatusFor(error.code), SesErrorBody(error, seed_code));
}

namespace {

enum class Method { kGet, kPost, kPut, kDelete };
// kApiKey: an admin key (the native API).
// kGoMailKey: a GoMail user key (HS256 JWT) or the admin key, errors in GoMail's shape.
// kGoMailSignup: public with --open-signup, else the admin key.
// kSesAdmin: the admin key, errors in the SES-compatible shape.
// kSesKey: a "sender" key (the admin key cannot send or add tasks: 403), SES-compatible errors.
enum class Access { kPublic, kApiKey, kGoMailKey, kGoMailSignup, kSesAdmin, kSesKey };

struct Route {
  Method method;
  const char* pattern;  // regex; capture groups become request.matches
  Access access;
  void (*handler)(Context&);
  // Takes file uploads (multipart/form-data) up to ServerOptions::max_upload_bytes; every other
  // body is limited to max_body_bytes.
  bool uploads = false;
};

// A list (content type) name in a path: what service::ValidateContentTypeName accepts.
#define LIST_NAME "([A-Za-z0-9_.-]{1,128})"
// A template name in a path: what service::ValidateTemplateName accepts.
#define TEMPLATE_NAME "([A-Za-z0-9_.-]{1,128})"

// Every route, in one place.
constexpr Route kRoutes[] = {
    {Method::kGet, "/health/ping", Access::kPublic, HealthPing},
    {Method::kGet, "/health/ready", Access::kPublic, HealthReady},
    {Method::kGet, "/metrics", Access::kPublic, MetricsText},
    {Method::kPost, "/v1/emails", Access::kApiKey, PostEmail},
    {Method::kGet, "/v1/emails", Access::kApiKey, ListEmails},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})", Access::kApiKey, GetEmail},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})/raw", Access::kApiKey, GetEmailRaw},
    {Method::kPost, "/v1/emails/([A-Za-z0-9_-]{1,64})/retry", Access::kApiKey, RetryEmail},
    {Method::kDelete, "/v1/emails/([A-Za-z0-9_-]{1,64})", Access::kApiKey, CancelEmail},
    {Method::kPost, "/v1/keys", Access::kApiKey, CreateKey},
    {Method::kGet, "/v1/keys", Access::kApiKey, ListKeys},
    {Method::kDelete, "/v1/keys/([A-Za-z0-9_]{1,64})", Access::kApiKey, DeleteKey},
    {Method::kPost, "/v1/otp", Access::kApiKey, SendOtp},
    {Method::kPost, "/v1/otp/verify", Access::kApiKey, VerifyOtp},
    {Method::kPost, "/server/api/create", Access::kSesAdmin, SesCreateKey},
    {Method::kPost, "/server/api/delete", Access::kSesAdmin, SesDeleteKey},
    {Method::kPost, "/server/email/add", Access::kSesKey, SesSendEmail, true},
    {Method::kPost, "/server/email/fetch-specific-records", Access::kSesKey,
     SesFetchSpecificRecords},
    {Method::kPost, "/server/email/fetch-api-records", Access::kSesKey, SesFetchApiRecords},
    {Method::kGet, "/t/([0-9a-f]{32})\\.gif", Access::kPublic, TrackingPixel},
    {Method::kPost, "/server/queue/add", Access::kSesKey, SesAddTask},
    {Method::kPost, "/server/queue/remove", Access::kSesKey, SesRemoveTask},
    {Method::kPost, "/v1/tasks", Access::kApiKey, CreateTask},
    {Method::kGet, "/v1/tasks", Access::kApiKey, ListTasks},
    {Method::kGet, "/v1/tasks/([A-Za-z0-9_]{1,64})", Access::kApiKey, GetTask},
    {Method::kDelete, "/v1/tasks/([A-Za-z0-9_]{1,64})", Access::kApiKey, DeleteTask},
    {Method::kGet, "/v1/webhooks/deliveries", Access::kApiKey, ListWebhookDeliveries},
    {Method::kGet, "/v1/webhooks/endpoints", Access::kApiKey, ListWebhookEndpoints},
    {Method::kPost, "/v1/webhooks/endpoints/enable", Access::kApiKey, EnableWebhookEndpoint},
    {Method::kPost, "/v1/lists", Access::kApiKey, CreateList},
    {Method::kGet, "/v1/lists", Access::kApiKey, ListLists},
    {Method::kGet, "/v1/lists/" LIST_NAME, Access::kApiKey, GetList},
    {Method::kPut, "/v1/lists/" LIST_NAME, Access::kApiKey, UpdateList},
    {Method::kPost, "/v1/lists/" LIST_NAME "/subscribers", Access::kApiKey, AddSubscriber},
    {Method::kGet, "/v1/lists/" LIST_NAME "/subscribers", Access::kApiKey, ListSubscribers},
    {Method::kDelete, "/v1/lists/" LIST_NAME "/subscribers/([^/]{1,254})", Access::kApiKey,
     RemoveSubscriber},
    {Method::kPost, "/v1/subscriptions/" LIST_NAME "/run", Access::kApiKey, RunSubscriptions},
    // SES delivery events (Amazon SNS posts them, signed) and the suppression list they feed.
    {Method::kPost, "/email-status", Access::kPublic, SesEmailStatus},
    {Method::kGet, "/v1/suppressions", Access::kApiKey, ListSuppressions},
    {Method::kPost, "/v1/suppressions", Access::kApiKey, CreateSuppression},
    {Method::kDelete, "/v1/suppressions/([^/]{1,254})", Access::kApiKey, DeleteSuppression},
    // Templates. The SES-compatible ones are managed with ADMIN_API_KEY, as the seed has it.
    {Method::kPost, "/server/email/add-template", Access::kSesAdmin, SesAddTemplate, true},
    {Method::kPost, "/server/email/list-templates", Access::kSesAdmin, SesListTemplates},
    {Method::kPost, "/server/email/remove-template", Access::kSesAdmin, SesRemoveTemplate},
    {Method::kPost, "/v1/templates", Access::kApiKey, CreateTemplate},
    {Method::kGet, "/v1/templates", Access::kApiKey, ListTemplates},
    {Method::kGet, "/v1/templates/" TEMPLATE_NAME, Access::kApiKey, GetTemplate},
    {Method::kPut, "/v1/templates/" TEMPLATE_NAME, Access::kApiKey, UpdateTemplate},
    {Method::kDelete, "/v1/templates/" TEMPLATE_NAME, Access::kApiKey, DeleteTemplate},
    {Method::kGet, "/v1/templates/" TEMPLATE_NAME "/versions", Access::kApiKey,
     ListTemplateVersions},
    {Method::kPost, "/v1/templates/" TEMPLATE_NAME "/preview", Access::kApiKey, PreviewTemplate},
    {Method::kGet, "/unsubscribe/([0-9a-f]{32})", Access::kPublic, UnsubscribePage},
    {Method::kPost, "/unsubscribe/([0-9a-f]{32})", Access::kPublic, UnsubscribeOneClick},
    {Method::kPost, "/auth/signup", Access::kGoMailSignup, GoMailSignup},
    {Method::kPost, "/auth/deregister", Access::kGoMailKey, GoMailDeregister},
    {Method::kPost, "/task/?", Access::kGoMailKey, GoMailTask},
    {Method::kPost, "/task/verify", Access::kGoMailKey, GoMailVerify},
    {Method::kPost, "/task/subscriptionContent", Access::kGoMailKey, GoMailCreateContentType},
    {Method::kPut, "/task/subscriptionContent", Access::kGoMailKey, GoMailUpdateContentType},
    {Method::kGet, "/health/metrics", Access::kPublic, GoMailMetrics},
    {Method::kGet, "/(|[A-Za-z0-9_./-]+\\.(?:html|js|css|svg|png|ico|json|txt))", Access::kPublic,
     WebAsset},
};
#undef LIST_NAME
#undef TEMPLATE_NAME

class HttplibServer final : public Server {
 public:
  HttplibServer(const ServerOptions& options, Services services)
      : options_(options), services_(services) {}

  core::Status Bind() {
    server_.set_tcp_nodelay(true);  // keep-alive requests stall on delayed ACKs without it
    server_.set_keep_alive_max_count(100'000);
    // Each open keep-alive connection holds one of the `threads` workers (cpp-httplib is
    // thread-per-connection), so idle ones are let go quickly.
    server_.set_keep_alive_timeout(5);
    server_.set_read_timeout(30);
    server_.set_write_timeout(30);
    server_.set_payload_max_length(std::max(options_.max_body_bytes, options_.max_upload_bytes));
    const int threads = options_.threads;
    server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    for (const Route& route : kRoutes) Register(route);
    httplib::Server::HandlerWithResponse on_error = [](const httplib::Request&,
                                                       httplib::Response& response) {
      // httplib calls this for every status >= 400; only its own errors (no route, body too
      // large, malformed request) arrive without a body.
      if (!response.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
      core::ErrorCode code = core::ErrorCode::kInvalidArgument;
      std::string message = "bad request";
      if (response.status == 404) {
        code = core::ErrorCode::kNotFound;
        message = "no such route";
      } else if (response.status == 413) {
        code = core::ErrorCode::kPayloadTooLarge;
        message = "request body is larger than the configured limit";
      } else if (response.status >= 500) {
        code = core::ErrorCode::kInternal;
        message = "internal error";
      }
      core::Error error{code, message, response.status == 413 ? "body" : ""};
      const int status = response.status;
      response.set_content(ProblemBody(error).dump(), "application/problem+json");
      response.status = status;
      return httplib::Server::HandlerResponse::Handled;
    };
    server_.set_error_handler(std::move(on_error));
    server_.set_exception_handler(
        [this](const httplib::Request& request, httplib::Response& response, std::exception_ptr) {
          services_.logger.Error("handler threw", {{"path", request.path}});
          Context context{request, response, services_, nullptr};
          context.Problem(core::Internal("internal error"));
        });
    if (options_.port == 0) {
      port_ = server_.bind_to_any_port(options_.host);
      if (port_ < 0) return core::Unavailable("cannot bind " + options_.host + ":0");
    } else {
      if (!server_.bind_to_port(options_.host, options_.port)) {
        return core::Unavailable("cannot bind " + options_.host + ":" +
                                 std::to_string(options_.port) + " (in use, or no permission)");
      }
      port_ = options_.port;
    }
    return {};
  }

  int port() const override { return port_; }
  void Run() override { server_.listen_after_bind(); }
  void Stop() override { server_.stop(); }

 private:
  void Register(const Route& route) {
    auto handler = [this, route](const httplib::Request& request, httplib::Response& response) {
      Context context{request, response, services_, nullptr};
      std::size_t size = request.body.size();
      for (const auto& [name, part] : request.files) size += part.content.size();
      if (size > (route.uploads ? options_.max_upload_bytes : options_.max_body_bytes)) {
        const core::Error too_large{core::ErrorCode::kPayloadTooLarge,
                                    "request body is larger than the configured limit", "body"};
        const bool ses = route.access == Access::kSesAdmin || route.access == Access::kSesKey;
        ses ? context.SesError(too_large) : context.Problem(too_large);
        return;
      }
      auth::Principal principal;
      if (route.access == Access::kApiKey) {
        auto authenticated =
            services_.authenticator.Authenticate(request.get_header_value("Authorization"));
        if (!authenticated.ok()) {
          context.Problem(authenticated.error());
          return;
        }
        // GoMail user keys ("client") see only their own routes: the native API lists and
        // shows every email, one-time codes included.
        if (authenticated->role != "admin") {
          context.Problem({core::ErrorCode::kPermissionDenied, "this route needs an admin key",
                           "Authorization"});
          return;
        }
        principal = std::move(*authenticated);
        context.principal = &principal;
      } else if (route.access == Access::kSesAdmin || route.access == Access::kSesKey) {
        auto authenticated =
            services_.authenticator.Authenticate(request.get_header_value("Authorization"));
        if (!authenticated.ok()) {
          context.SesError(authenticated.error());
          return;
        }
        const char* wanted = route.access == Access::kSesAdmin ? "admin" : "sender";
        if (authenticated->role != wanted) {
          context.SesError({core::ErrorCode::kPermissionDenied,
                            route.access == Access::kSesAdmin
                                ? "this route needs ADMIN_API_KEY"
                                : "this route needs an API key from /server/api/create; "
                                  "ADMIN_API_KEY cannot send emails or add tasks",
                            "Authorization"});
          return;
        }
        principal = std::move(*authenticated);
        context.principal = &principal;
      } else if (route.access == Access::kGoMailKey ||
                 (route.access == Access::kGoMailSignup && !services_.gomail.open_signup())) {
        auto authenticated =
            services_.gomail.Authenticate(request.get_header_value("Authorization"));
        if (!authenticated.ok()) {
          context.GoMailError(authenticated.error());
          return;
        }
        if (route.access == Access::kGoMailSignup && authenticated->role != "admin") {
          context.GoMailError({core::ErrorCode::kPermissionDenied,
                               "signup is closed: it needs the admin key", "Authorization"});
          return;
        }
        principal = std::move(*authenticated);
        context.principal = &principal;
      }
      route.handler(context);
    };
    switch (route.method) {
      case Method::kGet: server_.Get(route.pattern, handler); break;
      case Method::kPost: server_.Post(route.pattern, handler); break;
      case Method::kPut: server_.Put(route.pattern, handler); break;
      case Method::kDelete: server_.Delete(route.pattern, handler); break;
    }
  }

  const ServerOptions options_;
  Services services_;
  httplib::Server server_;
  int port_ = 0;
};

}  // namespace

core::Result<std::unique_ptr<Server>> BindServer(const ServerOptions& options, Services services) {
  auto server = std::make_unique<HttplibServer>(options, services);
  auto bound = server->Bind();
  if (!bound.ok()) return bound.error();
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace http
