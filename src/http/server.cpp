#include "http/server.h"

#include <algorithm>
#include <any>
#include <array>
#include <optional>
#include <regex>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/jwt.h"
#include "auth/sessions.h"
#include "http/cookie.h"
#include "http/front.h"
#include "http/problem.h"
#include "http/routes.h"

namespace http {

Context::Finish Context::Later() {
  if (exchange == nullptr) {
    return [](std::function<void()> fill) { fill(); };
  }
  exchange->deferred = true;
  return exchange->finish;
}

void Context::Json(int status, const nlohmann::json& body) {
  response.status = status;
  response.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                       "application/json");
}

void Context::Problem(const core::Error& error) {
  response.status = HttpStatusFor(error.code);
  if (error.retry_after_seconds > 0) {
    response.set_header("Retry-After", std::to_string(error.retry_after_seconds));
  }
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

void Context::Drf(const core::Error& error) {
  if (error.code == core::ErrorCode::kUnauthenticated) {
    response.set_header("WWW-Authenticate", "Token");
  }
  if (error.retry_after_seconds > 0) {
    response.set_header("Retry-After", std::to_string(error.retry_after_seconds));
  }
  Json(DrfStatusFor(error.code), DrfErrorBody(error));
}

void Context::GinError(const core::Error& error) {
  if (error.retry_after_seconds > 0) {
    response.set_header("Retry-After", std::to_string(error.retry_after_seconds));
  }
  Json(HttpStatusFor(error.code), GinErrorBody(error));
}

namespace {

enum class Method { kGet, kPost, kPut, kPatch, kDelete };

// The kind of door a route is behind: which credentials are read (the resolvers, in order) and
// in which shape the server answers what it refuses before the handler runs. What the caller
// must be allowed to do is the route's Permission, apart from this.
enum class Door {
  kNone,    // no credential is read (Permission::kPublic); problem+json
  kNative,  // people's access tokens, then API keys; problem+json
  kGoMail,  // GoMail user keys, then API keys; GoMail's {"status": false, "msg"}
  kSes,     // API keys; the SES-compatible {"valid": false, "msg", "code"}
  kDrf,     // seed 001's "Token <hex>" (auth::DrfTokens); DRF's {"detail"} and field errors
  kGin,     // seed 002: people's access tokens (Bearer, else the jwt_token cookie); {"error"}
};

enum class BodyLimit {
  kJson,    // ServerOptions::max_body_bytes
  kUpload,  // file uploads (multipart/form-data, a CSV) up to ServerOptions::max_upload_bytes
};

enum class Blocks { kMay, kNever };

struct Route {
  Method method;
  const char* pattern;  // regex; capture groups become request.matches
  Door door;
  auth::Permission permission;
  void (*handler)(Context&);
  BodyLimit body_limit = BodyLimit::kJson;
  // kNever: the handler answers at once or later through Context::Later, never waiting for the
  // database or a lock held long, so it runs on a socket thread (FrontOptions::io_threads).
  Blocks blocks = Blocks::kMay;
};

// Short names for the table below.
constexpr Door kNone = Door::kNone;
constexpr Door kNative = Door::kNative;
constexpr Door kGoMail = Door::kGoMail;
constexpr Door kSes = Door::kSes;
constexpr Door kDrf = Door::kDrf;
constexpr Door kGin = Door::kGin;
constexpr auth::Permission kPublic = auth::Permission::kPublic;
constexpr auth::Permission kAdminister = auth::Permission::kAdminister;
constexpr auth::Permission kView = auth::Permission::kView;
constexpr auth::Permission kSignedIn = auth::Permission::kSignedIn;
constexpr auth::Permission kCampaigns = auth::Permission::kCampaigns;
constexpr auth::Permission kSesSend = auth::Permission::kSesSend;
constexpr auth::Permission kSignup = auth::Permission::kSignup;
constexpr auth::Permission kGoMailAccount = auth::Permission::kGoMailAccount;
constexpr auth::Permission kGoMailTask = auth::Permission::kGoMailTask;
constexpr BodyLimit kUpload = BodyLimit::kUpload;

// A list (content type) name in a path: what service::ValidateContentTypeName accepts.
#define LIST_NAME "([A-Za-z0-9_.-]{1,128})"
// A template name in a path, percent-encoded by the client (the front decodes the path before
// matching): anything without '/', checked by service::ValidateTemplateName (255 characters
// of UTF-8 are at most 1020 bytes).
#define TEMPLATE_NAME "([^/]{1,1020})"
// Seed 001's paths answer with and without the trailing slash, as Django's do with
// APPEND_SLASH's redirect; an id is what DRF's integer lookup takes.
#define DRF_ID "/([0-9]{1,19})/?"
#define CAMPAIGN_ID "([0-9]{1,19})"

// Every route, in one place: method, path, door, permission, handler, body limit.
constexpr Route kRoutes[] = {
    {Method::kGet, "/health/ping", kNone, kPublic, HealthPing, BodyLimit::kJson, Blocks::kNever},
    {Method::kGet, "/health/ready", kNone, kPublic, HealthReady},
    {Method::kGet, "/metrics", kNone, kPublic, MetricsText},
    {Method::kGet, "/v1/stats", kNative, kView, GetStats},
    {Method::kGet, "/v1/stats/timeline", kNative, kView, GetStatsTimeline},
    {Method::kGet, "/v1/settings", kNative, kAdminister, GetSettings},
    // Answers once the email is durable, without waiting on a thread for it.
    {Method::kPost, "/v1/emails", kNative, kAdminister, PostEmail, BodyLimit::kJson,
     Blocks::kNever},
    {Method::kGet, "/v1/emails", kNative, kView, ListEmails},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})", kNative, kView, GetEmail},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})/raw", kNative, kView, GetEmailRaw},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})/parts", kNative, kView, GetEmailParts},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})/attachments/([0-9]{1,9})", kNative, kView,
     GetEmailAttachment},
    {Method::kGet, "/v1/emails/([A-Za-z0-9_-]{1,64})/preview", kNative, kView, GetEmailPreview},
    {Method::kPost, "/v1/emails/([A-Za-z0-9_-]{1,64})/resend", kNative, kAdminister, ResendEmail},
    {Method::kPost, "/v1/emails/([A-Za-z0-9_-]{1,64})/retry", kNative, kAdminister, RetryEmail},
    {Method::kDelete, "/v1/emails/([A-Za-z0-9_-]{1,64})", kNative, kAdminister, CancelEmail},
    {Method::kPost, "/v1/emails/retry", kNative, kAdminister, RetryEmails},
    {Method::kPost, "/v1/emails/cancel", kNative, kAdminister, CancelEmails},
    {Method::kPost, "/v1/keys", kNative, kAdminister, CreateKey},
    {Method::kGet, "/v1/keys", kNative, kView, ListKeys},
    {Method::kDelete, "/v1/keys/([A-Za-z0-9_]{1,64})", kNative, kAdminister, DeleteKey},
    {Method::kPost, "/v1/otp", kNative, kAdminister, SendOtp},
    {Method::kPost, "/v1/otp/verify", kNative, kAdminister, VerifyOtp},
    {Method::kPost, "/server/api/create", kSes, kAdminister, SesCreateKey},
    {Method::kPost, "/server/api/delete", kSes, kAdminister, SesDeleteKey},
    {Method::kPost, "/server/email/add", kSes, kSesSend, SesSendEmail, kUpload},
    {Method::kPost, "/server/email/fetch-specific-records", kSes, kSesSend,
     SesFetchSpecificRecords},
    {Method::kPost, "/server/email/fetch-api-records", kSes, kSesSend, SesFetchApiRecords},
    {Method::kGet, "/t/([0-9a-f]{32})\\.gif", kNone, kPublic, TrackingPixel},
    {Method::kPost, "/server/queue/add", kSes, kSesSend, SesAddTask},
    {Method::kPost, "/server/queue/remove", kSes, kSesSend, SesRemoveTask},
    {Method::kPost, "/v1/tasks", kNative, kAdminister, CreateTask},
    {Method::kGet, "/v1/tasks", kNative, kView, ListTasks},
    {Method::kGet, "/v1/tasks/([A-Za-z0-9_]{1,64})", kNative, kView, GetTask},
    {Method::kDelete, "/v1/tasks/([A-Za-z0-9_]{1,64})", kNative, kAdminister, DeleteTask},
    {Method::kGet, "/v1/webhooks/deliveries", kNative, kView, ListWebhookDeliveries},
    {Method::kGet, "/v1/webhooks/endpoints", kNative, kView, ListWebhookEndpoints},
    {Method::kPost, "/v1/webhooks/deliveries/(cb_[0-9a-f]{1,64})/replay", kNative, kAdminister,
     ReplayWebhookDelivery},
    {Method::kPost, "/v1/webhooks/endpoints/enable", kNative, kAdminister, EnableWebhookEndpoint},
    {Method::kPost, "/v1/lists", kNative, kAdminister, CreateList},
    {Method::kGet, "/v1/lists", kNative, kView, ListLists},
    {Method::kGet, "/v1/lists/" LIST_NAME, kNative, kView, GetList},
    {Method::kPut, "/v1/lists/" LIST_NAME, kNative, kAdminister, UpdateList},
    {Method::kPost, "/v1/lists/" LIST_NAME "/subscribers", kNative, kAdminister, AddSubscriber},
    {Method::kGet, "/v1/lists/" LIST_NAME "/subscribers", kNative, kView, ListSubscribers},
    {Method::kDelete, "/v1/lists/" LIST_NAME "/subscribers/([^/]{1,254})", kNative, kAdminister,
     RemoveSubscriber},
    {Method::kPost, "/v1/subscriptions/" LIST_NAME "/run", kNative, kAdminister, RunSubscriptions},
    // SES delivery events (Amazon SNS posts them, signed) and the suppression list they feed.
    {Method::kPost, "/email-status", kNone, kPublic, SesEmailStatus},
    {Method::kGet, "/v1/suppressions", kNative, kView, ListSuppressions},
    {Method::kPost, "/v1/suppressions", kNative, kAdminister, CreateSuppression},
    {Method::kDelete, "/v1/suppressions/([^/]{1,254})", kNative, kAdminister, DeleteSuppression},
    // Templates. The SES-compatible ones are managed with ADMIN_API_KEY, as the seed has it.
    {Method::kPost, "/server/email/add-template", kSes, kAdminister, SesAddTemplate, kUpload},
    {Method::kPost, "/server/email/list-templates", kSes, kAdminister, SesListTemplates},
    {Method::kPost, "/server/email/remove-template", kSes, kAdminister, SesRemoveTemplate},
    {Method::kPost, "/v1/templates", kNative, kAdminister, CreateTemplate},
    {Method::kGet, "/v1/templates", kNative, kView, ListTemplates},
    {Method::kGet, "/v1/templates/" TEMPLATE_NAME, kNative, kView, GetTemplate},
    {Method::kPut, "/v1/templates/" TEMPLATE_NAME, kNative, kAdminister, UpdateTemplate},
    {Method::kDelete, "/v1/templates/" TEMPLATE_NAME, kNative, kAdminister, DeleteTemplate},
    {Method::kGet, "/v1/templates/" TEMPLATE_NAME "/versions", kNative, kView,
     ListTemplateVersions},
    {Method::kPost, "/v1/templates/" TEMPLATE_NAME "/preview", kNative, kAdminister,
     PreviewTemplate},
    {Method::kGet, "/unsubscribe/([0-9a-f]{32})", kNone, kPublic, UnsubscribePage},
    {Method::kPost, "/unsubscribe/([0-9a-f]{32})", kNone, kPublic, UnsubscribeOneClick},
    {Method::kPost, "/auth/signup", kGoMail, kSignup, GoMailSignup},
    {Method::kPost, "/auth/deregister", kGoMail, kGoMailAccount, GoMailDeregister},
    {Method::kPost, "/task/?", kGoMail, kGoMailTask, GoMailTask},
    {Method::kPost, "/task/verify", kGoMail, kGoMailTask, GoMailVerify},
    {Method::kPost, "/task/subscriptionContent", kGoMail, kGoMailTask, GoMailCreateContentType},
    {Method::kPut, "/task/subscriptionContent", kGoMail, kGoMailTask, GoMailUpdateContentType},
    {Method::kGet, "/health/metrics", kNone, kPublic, GoMailMetrics},
    // People: sessions, their own account, users and the audit trail (account_routes.cpp).
    {Method::kPost, "/v1/auth/login", kNone, kPublic, Login},
    // The dashboard's sign-in: an HttpOnly cookie and a CSRF token (auth::CookieSessions).
    {Method::kPost, "/v1/auth/session", kNone, kPublic, OpenDashboardSession},
    {Method::kGet, "/v1/auth/session", kNative, kSignedIn, GetDashboardSession},
    {Method::kDelete, "/v1/auth/session", kNative, kSignedIn, CloseDashboardSession},
    {Method::kPost, "/v1/auth/refresh", kNone, kPublic, RefreshSession},
    {Method::kPost, "/v1/auth/logout", kNative, kSignedIn, Logout},
    {Method::kGet, "/v1/auth/sessions", kNative, kSignedIn, ListOwnSessions},
    {Method::kDelete, "/v1/auth/sessions/([0-9a-f-]{36})", kNative, kSignedIn, EndOwnSession},
    {Method::kPost, "/v1/auth/signup", kNative, kSignup, Signup},
    {Method::kGet, "/v1/me", kNative, kSignedIn, GetMe},
    {Method::kPost, "/v1/users", kNative, kAdminister, CreateUser},
    {Method::kGet, "/v1/users", kNative, kAdminister, ListUsers},
    {Method::kGet, "/v1/users/([0-9]{1,19})", kNative, kAdminister, GetUser},
    {Method::kPatch, "/v1/users/([0-9]{1,19})", kNative, kAdminister, UpdateUser},
    {Method::kDelete, "/v1/users/([0-9]{1,19})", kNative, kAdminister, DeleteUser},
    {Method::kGet, "/v1/audit", kNative, kAdminister, ListAudit},
    {Method::kPost, "/v1/verifications", kNative, kAdminister, CreateVerification},
    {Method::kGet, "/v1/verifications/(ver_[0-9a-f]{28})", kNative, kView, GetVerification},
    // Campaigns (campaign_routes.cpp): managers and admins write, only admins approve.
    {Method::kPost, "/v1/campaigns", kNative, kCampaigns, CreateCampaign},
    {Method::kGet, "/v1/campaigns", kNative, kView, ListCampaigns},
    {Method::kGet, "/v1/campaigns/" CAMPAIGN_ID, kNative, kView, GetCampaign},
    {Method::kGet, "/v1/campaigns/" CAMPAIGN_ID "/versions/([0-9]{1,9})", kNative, kView,
     GetCampaignVersion},
    {Method::kPatch, "/v1/campaigns/" CAMPAIGN_ID, kNative, kCampaigns, UpdateCampaign},
    {Method::kDelete, "/v1/campaigns/" CAMPAIGN_ID, kNative, kCampaigns, DeleteCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/submit", kNative, kCampaigns, SubmitCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/approve", kNative, kAdminister, ApproveCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/reject", kNative, kAdminister, RejectCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/pause", kNative, kCampaigns, PauseCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/resume", kNative, kCampaigns, ResumeCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/cancel", kNative, kCampaigns, CancelCampaign},
    {Method::kPost, "/v1/campaigns/" CAMPAIGN_ID "/test", kNative, kCampaigns, TestCampaign},
    {Method::kPost, "/v1/customers/import", kNative, kAdminister, ImportCustomers, kUpload},
    {Method::kGet, "/v1/customers/import/(imp_[A-Za-z0-9_]{1,64})", kNative, kAdminister,
     GetCustomerImport},
    // Seed 001 (seed001_routes.cpp): DRF's shapes, "Token <hex>" from its login. Public ones
    // stand behind its door too, for the shape of what the server refuses.
    {Method::kPost, "/api/v1/users/register/?", kDrf, kSignup, DrfRegister},
    {Method::kPost, "/api/v1/users/login/?", kDrf, kPublic, DrfLogin},
    {Method::kPost, "/api/v1/users/logout/?", kDrf, kSignedIn, DrfLogout},
    {Method::kGet, "/api/v1/emails/?", kDrf, kSignedIn, DrfEmailsRoot},
    {Method::kPost, "/api/v1/emails/email-template/?", kDrf, kAdminister, DrfCreateTemplate},
    {Method::kGet, "/api/v1/emails/email-template/?", kDrf, kPublic, DrfListTemplates},
    {Method::kGet, "/api/v1/emails/email-template" DRF_ID, kDrf, kPublic, DrfGetTemplate},
    {Method::kPut, "/api/v1/emails/email-template" DRF_ID, kDrf, kAdminister, DrfReplaceTemplate},
    {Method::kPatch, "/api/v1/emails/email-template" DRF_ID, kDrf, kAdminister, DrfPatchTemplate},
    {Method::kDelete, "/api/v1/emails/email-template" DRF_ID, kDrf, kAdminister, DrfDeleteTemplate},
    {Method::kPost, "/api/v1/emails/sent-email/?", kDrf, kSignedIn, DrfSendEmail},
    {Method::kGet, "/api/v1/emails/sent-email/?", kDrf, kSignedIn, DrfListSentEmails},
    {Method::kGet, "/api/v1/emails/sent-email" DRF_ID, kDrf, kSignedIn, DrfGetSentEmail},
    {Method::kPut, "/api/v1/emails/sent-email" DRF_ID, kDrf, kSignedIn, DrfMethodNotAllowed},
    {Method::kPatch, "/api/v1/emails/sent-email" DRF_ID, kDrf, kSignedIn, DrfMethodNotAllowed},
    {Method::kDelete, "/api/v1/emails/sent-email" DRF_ID, kDrf, kSignedIn, DrfMethodNotAllowed},
    // Seed 002, the Gin user service (seed002_routes.cpp). The confirmation link's GET only
    // shows a page with a button; its POST confirms. /api/v1/confirm-email is the original's path.
    {Method::kPost, "/api/v1/register", kGin, kPublic, GinRegister},
    {Method::kGet, "/api/v1/confirm(?:-email)?", kGin, kPublic, GinConfirmPage},
    {Method::kPost, "/api/v1/confirm(?:-email)?", kGin, kPublic, GinConfirm},
    {Method::kPost, "/api/v1/resend-confirmation", kGin, kPublic, GinResendConfirmation},
    {Method::kPost, "/api/v1/login", kGin, kPublic, GinLogin},
    {Method::kGet, "/api/v1/profile", kGin, kSignedIn, GinProfile},
    {Method::kGet, "/api/v1/users", kGin, kAdminister, GinListUsers},
    {Method::kGet, "/(|[A-Za-z0-9_./-]+\\.(?:html|js|css|svg|png|ico|json|txt))", kNone, kPublic,
     WebAsset},
};
#undef LIST_NAME
#undef TEMPLATE_NAME
#undef DRF_ID
#undef CAMPAIGN_ID

// A route without a door reads no credential, so it can only be public; a door is for routes
// that need one (signup is behind GoMail's door: public only with --open-signup), and for
// public routes of a seed whose refusals (a body over the limit, malformed requests) keep its
// shape (seed 001's login and template reads behind kDrf, seed 002's public routes behind
// kGin). A public route reads no credential whatever its door.
constexpr bool DoorsMatchPermissions() {
  for (const Route& route : kRoutes) {
    if (route.door == kNone && route.permission != kPublic) return false;
    const bool seed_door = route.door == kDrf || route.door == kGin;
    if (route.door != kNone && !seed_door && route.permission == kPublic) return false;
  }
  return true;
}
static_assert(DoorsMatchPermissions(),
              "Door::kNone routes are public; of the other doors only the seeds' have public "
              "ones");

enum class ErrorShape { kProblem, kGoMailStatus, kSesValid, kDrfDetail, kGinError };

// Path prefixes of seed 001's API: a request there that no route takes (an unknown path, a
// non-numeric id) is answered in DRF's shape too.
constexpr std::string_view kDrfPrefixes[] = {"/api/v1/users/", "/api/v1/emails"};

// The cookie seed 002's login sets and its door reads.
constexpr char kGinCookie[] = "jwt_token";

// The shape of every error a route behind `door` answers before or around its handler: missing or
// bad credentials, permission, a body over the limit, the front's own refusals (malformed
// request, header too large, a read deadline missed), a handler that threw.
ErrorShape ErrorShapeOf(Door door) {
  switch (door) {
    case Door::kGoMail: return ErrorShape::kGoMailStatus;
    case Door::kSes: return ErrorShape::kSesValid;
    case Door::kDrf: return ErrorShape::kDrfDetail;
    case Door::kGin: return ErrorShape::kGinError;
    case Door::kNone:
    case Door::kNative: return ErrorShape::kProblem;
  }
  return ErrorShape::kProblem;
}

// Why a principal that was recognised may not use a route, in the door's words.
std::string DeniedMessage(Door door, auth::Permission permission) {
  switch (permission) {
    case auth::Permission::kAdminister:
      if (door == Door::kGin) return "forbidden: this route needs an admin";
      return door == Door::kSes ? "this route needs ADMIN_API_KEY"
                                : "this route needs an admin (an admin key or user)";
    case auth::Permission::kSesSend:
      return "this route needs an API key from /server/api/create; ADMIN_API_KEY cannot send "
             "emails or add tasks";
    case auth::Permission::kSignup: return "signup is closed: it needs the admin key";
    case auth::Permission::kView: return "this route needs an admin, manager or viewer";
    case auth::Permission::kSignedIn: return "this route is for a signed-in person";
    case auth::Permission::kCampaigns: return "this route needs an admin or a manager";
    case auth::Permission::kGoMailTask:
      return "this route needs a user key from /auth/signup; the admin key cannot use it";
    case auth::Permission::kPublic:
    case auth::Permission::kGoMailAccount: break;
  }
  return "this key may not use this route";
}

// What a request behind `door` that carries no credential its resolvers know is told to send.
std::string_view MissingCredentialMessage(Door door) {
  if (door == Door::kGin) {
    return "unauthorized: send the token from POST /api/v1/login as Authorization: Bearer "
           "<token>, or its jwt_token cookie";
  }
  return "missing API key";
}

// What a request matched: its route (none when it matched none) and, on routes that need one,
// the caller. Carried from Admit to Handle.
struct Admitted {
  const Route* route = nullptr;
  auth::Principal principal;
};

// The literal start of a route pattern (up to its first regex syntax): a cheap test that rules
// out most routes before the regex runs.
std::string_view LiteralPrefix(std::string_view pattern) {
  std::size_t end = std::min(pattern.find_first_of("([\\.?*+{|^$"), pattern.size());
  // A quantifier makes the character before it optional ("/task/?").
  if (end < pattern.size() && end > 0 &&
      std::string_view("?*{").find(pattern[end]) != std::string_view::npos) {
    --end;
  }
  return pattern.substr(0, end);
}

class RouteServer final : public Server, public Application {
 public:
  RouteServer(const ServerOptions& options, Services services, Authentication authentication)
      : options_(options),
        services_(services),
        authentication_(authentication),
        api_keys_{&authentication.api_keys},
        sessions_{&authentication.sessions},
        native_{&authentication.cookie_sessions, &authentication.sessions,
                &authentication.api_keys},
        drf_tokens_{&authentication.drf_tokens},
        user_keys_then_api_keys_{&authentication.user_keys, &authentication.api_keys} {
    for (const Route& route : kRoutes) {
      compiled_.push_back({&route, LiteralPrefix(route.pattern), std::regex(route.pattern)});
    }
  }

  void Adopt(Listener listener) { front_ = NewFront(options_.front, std::move(listener), *this); }

  int port() const override { return front_->port(); }
  void Run() override { front_->Run(); }
  void Stop() override { front_->Stop(); }

  // The route, the body limit and the caller, before the body is read.
  void Admit(Exchange& exchange) override {
    Request& request = exchange.request;
    Admitted admitted;
    const auto method = MethodOf(request.method);
    for (const CompiledRoute& compiled : compiled_) {
      if (!method || compiled.route->method != *method) continue;
      if (request.path.compare(0, compiled.prefix.size(), compiled.prefix) != 0) continue;
      if (std::regex_match(request.path, exchange.request.matches, compiled.pattern)) {
        admitted.route = compiled.route;
        break;
      }
    }
    if (admitted.route == nullptr) {
      exchange.answered = true;
      Context context{request, exchange.response, services_, nullptr};
      const ErrorShape shape = ErrorShapeOfPath(request.path);
      if (shape == ErrorShape::kDrfDetail && AnyRouteMatches(request.path)) {
        // DRF names a method the view does not have.
        return context.Json(405, {{"detail", "Method \"" + request.method + "\" not allowed."}});
      }
      return Refuse(context, shape, core::NotFound("no such route"));
    }
    const Route& route = *admitted.route;
    exchange.body_limit = route.body_limit == BodyLimit::kUpload ? options_.max_upload_bytes
                                                                 : options_.max_body_bytes;
    exchange.may_block = route.blocks == Blocks::kMay;
    if (!auth::IsPublic(route.permission, authentication_.policy)) {
      Context context{request, exchange.response, services_, nullptr};
      auto principal = Authenticate(route, request);
      if (!principal.ok()) {
        exchange.answered = true;
        return Refuse(context, ErrorShapeOf(route.door), principal.error());
      }
      admitted.principal = std::move(*principal);
    }
    exchange.state = std::move(admitted);
  }

  void Handle(Exchange& exchange) override {
    Request& request = exchange.request;
    auto& admitted = std::any_cast<Admitted&>(exchange.state);
    const Route& route = *admitted.route;
    Context context{
        request, exchange.response, services_,
        auth::IsPublic(route.permission, authentication_.policy) ? nullptr : &admitted.principal,
        &exchange};
    // A handler that answers later fills the response on a front thread; if that throws, the
    // answer is a 500 in the route's shape, as below.
    exchange.finish = [this, context, &route,
                       finish = std::move(exchange.finish)](std::function<void()> fill) {
      finish([this, context, &route, fill = std::move(fill)]() mutable {
        try {
          fill();
        } catch (const std::exception& error) {
          Threw(context, route, error);
        }
      });
    };
    if (request.is_multipart_form_data()) {
      if (!ParseMultipartForm(request.get_header_value("Content-Type"), request.body,
                              request.files)) {
        return Refuse(context, ErrorShapeOf(route.door),
                      core::InvalidArgument("body", "malformed multipart/form-data body"));
      }
      std::string().swap(request.body);  // the parts hold it now
    } else if (request.get_header_value("Content-Type")
                   .rfind("application/x-www-form-urlencoded", 0) == 0) {
      // A form's fields join the query's parameters (an HTML form's POST).
      request.params.merge(ParseQuery(request.body));
    }
    try {
      route.handler(context);
    } catch (const std::exception& error) {
      exchange.deferred = false;  // a handler throws before it hands its finish on, if at all
      Threw(context, route, error);
    }
  }

  void Threw(Context& context, const Route& route, const std::exception& error) {
    services_.logger.Error("handler threw",
                           {{"path", context.request.path}, {"error", error.what()}});
    context.response = Response{};
    Refuse(context, ErrorShapeOf(route.door), core::Internal("internal error"));
  }

  // The front's own refusals, in the shape of the path's route family.
  void Refuse(Exchange& exchange, int status, const std::string& message) override {
    Response& response = exchange.response;
    core::ErrorCode code = core::ErrorCode::kInvalidArgument;
    std::string field;
    switch (status) {
      case 408: code = core::ErrorCode::kDeadlineExceeded; break;
      case 413:
        code = core::ErrorCode::kPayloadTooLarge;
        field = "body";
        break;
      case 503: code = core::ErrorCode::kUnavailable; break;
      default: break;
    }
    Context context{exchange.request, response, services_, nullptr};
    const ErrorShape shape = ErrorShapeOfPath(exchange.request.path);
    if (shape == ErrorShape::kDrfDetail && status == 413) {
      context.Json(status, {{"detail", "Request body is larger than the configured limit."}});
    } else if (shape == ErrorShape::kProblem) {
      // The problem's status is the answer's (414, 431 have no error code of their own).
      nlohmann::json body = ProblemBody({code, message, field});
      body["status"] = status;
      response.set_content(body.dump(), "application/problem+json");
    } else {
      Refuse(context, shape, {code, message, field});
    }
    response.status = status;
  }

 private:
  struct CompiledRoute {
    const Route* route;
    std::string_view prefix;
    std::regex pattern;
  };

  static std::optional<Method> MethodOf(std::string_view name) {
    if (name == "GET" || name == "HEAD") return Method::kGet;
    if (name == "POST") return Method::kPost;
    if (name == "PUT") return Method::kPut;
    if (name == "PATCH") return Method::kPatch;
    if (name == "DELETE") return Method::kDelete;
    return std::nullopt;
  }

  // The caller of a route that is not public, allowed to use it; the refusal otherwise.
  core::Result<auth::Principal> Authenticate(const Route& route, const Request& request) const {
    const std::string authorization = request.get_header_value("Authorization");
    // Cookies authenticate only at two doors: seed 002's (its clients' jwt_token, as the
    // original reads it) and the native one (the dashboard's SameSite=Strict session, whose
    // state changes must repeat the CSRF token below). A browser sends cookies along with
    // requests other sites make it send; neither kind is honoured for those.
    const bool reads_cookies = route.door == Door::kGin || route.door == Door::kNative;
    const std::string cookies = reads_cookies ? request.get_header_value("Cookie") : std::string();
    auth::Credentials credentials{authorization};
    if (route.door == Door::kGin) credentials.session_cookie = CookieValue(cookies, kGinCookie);
    if (route.door == Door::kNative) {
      credentials.dashboard_cookie = CookieValue(cookies, auth::CookieSessions::kCookie);
    }
    auto resolved = auth::ResolvePrincipal(ResolversOf(route.door), credentials,
                                           MissingCredentialMessage(route.door));
    if (!resolved.ok()) return resolved.error();
    if (!resolved->csrf_token.empty() && route.method != Method::kGet &&
        !auth::ConstantTimeEquals(request.get_header_value("X-CSRF-Token"), resolved->csrf_token)) {
      return core::Error{core::ErrorCode::kPermissionDenied,
                         "a change made with the dashboard's session cookie needs its CSRF "
                         "token in X-CSRF-Token",
                         "X-CSRF-Token"};
    }
    if (!auth::Allows(resolved->role, route.permission)) {
      return core::Error{core::ErrorCode::kPermissionDenied,
                         DeniedMessage(route.door, route.permission), "Authorization"};
    }
    return std::move(*resolved);
  }

  static void Refuse(Context& context, ErrorShape shape, const core::Error& error) {
    switch (shape) {
      case ErrorShape::kProblem: return context.Problem(error);
      case ErrorShape::kGoMailStatus: return context.GoMailError(error);
      case ErrorShape::kSesValid: return context.SesError(error);
      case ErrorShape::kDrfDetail: return context.Drf(error);
      case ErrorShape::kGinError: return context.GinError(error);
    }
  }

  // The error shape of the route family `path` belongs to, for errors raised before a route is
  // known; problem+json for a path no route matches.
  ErrorShape ErrorShapeOfPath(const std::string& path) const {
    for (const CompiledRoute& compiled : compiled_) {
      if (std::regex_match(path, compiled.pattern)) return ErrorShapeOf(compiled.route->door);
    }
    for (std::string_view prefix : kDrfPrefixes) {
      if (path.rfind(prefix, 0) == 0) return ErrorShape::kDrfDetail;
    }
    return ErrorShape::kProblem;
  }

  // Whether some route, of any method, takes `path`.
  bool AnyRouteMatches(const std::string& path) const {
    return std::any_of(compiled_.begin(), compiled_.end(), [&](const CompiledRoute& compiled) {
      return std::regex_match(path, compiled.pattern);
    });
  }

  std::span<const auth::Resolver* const> ResolversOf(Door door) const {
    switch (door) {
      case Door::kGoMail: return user_keys_then_api_keys_;
      case Door::kNative: return native_;
      case Door::kDrf: return drf_tokens_;
      case Door::kGin: return sessions_;
      case Door::kNone:
      case Door::kSes: break;
    }
    return api_keys_;
  }

  const ServerOptions options_;
  Services services_;
  const Authentication authentication_;
  const std::array<const auth::Resolver*, 1> api_keys_;
  const std::array<const auth::Resolver*, 1> sessions_;
  // The native door: the dashboard's cookie (only without an Authorization header), people's
  // access tokens, API keys.
  const std::array<const auth::Resolver*, 3> native_;
  const std::array<const auth::Resolver*, 1> drf_tokens_;
  const std::array<const auth::Resolver*, 2> user_keys_then_api_keys_;
  std::vector<CompiledRoute> compiled_;  // kRoutes, in order, with their patterns compiled once
  std::unique_ptr<Front> front_;
};

}  // namespace

std::unique_ptr<Server> NewServer(const ServerOptions& options, Listener listener,
                                  Services services, Authentication authentication) {
  auto server = std::make_unique<RouteServer>(options, services, authentication);
  server->Adopt(std::move(listener));
  return server;
}

}  // namespace http
