#include "app/app.h"

#include <malloc.h>
#include <pthread.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "app/config.h"
#include "app/users_command.h"
#include "auth/auth.h"
#include "auth/key_file.h"
#include "auth/sessions.h"
#include "auth/user_keys.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "hooks/fetch.h"
#include "http/server.h"
#include "mail/rate_limiter.h"
#include "mail/transport.h"
#include "queue/callback_workers.h"
#include "queue/worker_pool.h"
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
#include "service/retention.h"
#include "service/sent_emails.h"
#include "service/ses.h"
#include "service/tasks.h"
#include "service/templates.h"
#include "service/webhooks.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

#ifndef OUTBOX_VERSION
#define OUTBOX_VERSION "dev"
#endif

namespace app {
namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;
// How stale /metrics queue depths may be (Prometheus scrapes every 15 s or so).
constexpr core::TimeMs kStatsTtlMs = 2'000;

const char kUsage[] =
    "outbox — self-hosted email and task-queue appliance\n"
    "\n"
    "usage: outbox [command] [--flag value ...]\n"
    "\n"
    "commands:\n"
    "  serve          run the HTTP API, delivery workers and scheduler (default)\n"
    "  migrate        create or upgrade the database, then exit\n"
    "  config check   print the effective configuration (secrets masked)\n"
    "  users ...      add, list, set-role, reset-password, disable, enable people (also while\n"
    "                 the server runs; `outbox users` for details)\n"
    "  version        print the version\n"
    "  help           this text\n"
    "\n"
    "settings (flag, then environment names; flags > environment > ./.env > defaults):\n";

std::string ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

core::Result<LoadedConfig> LoadFromProcess(const std::vector<std::string>& flags) {
  auto env = [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
  return LoadConfig(flags, env, ReadFile(".env"));
}

// The data directory holds the database, the key file and the logs: owner only (0700), whatever
// the umask, and tightened on every start for directories made by older versions.
core::Status CreateDataDir(const Config& config) {
  std::error_code error;
  std::filesystem::create_directories(config.data_dir, error);
  if (!error) {
    std::filesystem::permissions(config.data_dir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, error);
  }
  if (error) {
    return core::Unavailable("cannot create data directory " + config.data_dir + ": " +
                             error.message());
  }
  return {};
}

// REQUIRES: CreateDataDir succeeded.
core::Result<std::unique_ptr<store::Store>> OpenStore(const Config& config) {
  return store::OpenSqliteStore({config.DatabasePath(), config.durability});
}

int Fail(const core::Error& error, core::Logger* logger) {
  if (logger != nullptr) logger->Error("cannot start", {{"error", error.message}});
  std::fprintf(stderr, "outbox: %s\n", error.message.c_str());
  // A setting at fault (the port in use) is the caller's to fix, like a bad flag.
  return error.field.rfind("--", 0) == 0 ? kExitUsage : kExitFailure;
}

int WaitForSignal() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

}  // namespace

// Owns every long-lived object of a running App, in construction order; the wiring of every
// concrete type is in Start.
class App::Parts {
 public:
  Parts(Config config, std::vector<service::Setting> settings)
      : config_(std::move(config)),
        settings_(std::move(settings)),
        clock_(core::NewSystemClock()) {}

  core::Status Start() {
    // First: a port in use fails here, before the data directory is made or anything printed.
    auto listener = http::Listen(config_.listen_host, config_.listen_port);
    if (!listener.ok()) return listener.error();
    listener_ = std::move(*listener);
    // Before the logger: app.log lives in the data directory.
    if (auto created = CreateDataDir(config_); !created.ok()) return created;
    logger_ = core::NewJsonLogger(
        *clock_,
        {config_.log_level, (std::filesystem::path(config_.data_dir) / "app.log").string()});
    auto opened = OpenStore(config_);
    if (!opened.ok()) return opened.error();
    store_ = std::move(*opened);
    // Tracked emails' status callbacks speak the SES-compatible API's shape.
    store_->SetStatusCallbackComposer(service::SesStatusCallback);
    auto secrets = auth::LoadServerSecrets(
        (std::filesystem::path(config_.data_dir) / auth::kKeyFileName).string(), *store_);
    if (!secrets.ok()) return secrets.error();

    auto admin_key = auth::EnsureAdminKey(*store_, config_.admin_key, clock_->NowMs());
    if (!admin_key.ok()) return admin_key.error();
    if (admin_key->has_value()) {
      // Printed, not logged: the secret must not land in app.log.
      std::printf("outbox: admin API key (shown once, store it now): %s\n",
                  admin_key->value().c_str());
      std::fflush(stdout);
    }
    auto recovered = store_->RecoverLeases(clock_->NowMs());
    if (!recovered.ok()) return recovered.error();
    if (*recovered > 0) logger_->Info("recovered leases", {{"jobs", *recovered}});

    if (config_.UsesSmtp()) {
      transport_ = mail::NewSmtpTransport(config_.smtp, *logger_, *clock_);
    } else {
      transport_ = mail::NewCaptureTransport();
    }
    limiter_ = std::make_unique<mail::RateLimiter>(*clock_, config_.send_rate,
                                                   std::max(1.0, config_.send_rate));
    queue::WorkerOptions worker_options;
    worker_options.workers = config_.smtp.sessions;
    worker_options.lease_ms = config_.lease_ms;
    worker_options.backoff = config_.backoff;
    worker_options.idle_poll_ms = config_.queue_wait_ms;
    worker_options.domain_rate = config_.domain_rate;
    workers_ = queue::NewWorkerPool(worker_options, *store_, *store_, *transport_, *limiter_,
                                    *clock_, *logger_, metrics_);
    service::ServiceOptions service_options{config_.default_from, config_.max_attempts};
    service_options.max_attachment_bytes =
        static_cast<std::size_t>(config_.max_upload_mb) * 1'000'000;
    templates_ = std::make_unique<service::TemplateService>(*store_, *clock_);
    emails_ = std::make_unique<service::EmailService>(
        service_options, *store_, *store_, *templates_, *clock_, [this] { workers_->Notify(); });
    authenticator_ = std::make_unique<auth::Authenticator>(*store_, *clock_);
    stats_ = std::make_unique<service::CachedStats>(*store_, *clock_, kStatsTtlMs);
    delivery_stats_ = std::make_unique<service::DeliveryStats>(
        *store_, *transport_, *limiter_, config_.domain_rate, *clock_, kStatsTtlMs);
    ses_ = std::make_unique<service::SesService>(*emails_, *templates_, *store_, *clock_);
    keys_ = std::make_unique<service::KeyService>(*store_, *authenticator_, *clock_);
    const std::string callback_secret = CallbackSecret(*secrets);
    callback_sender_ = hooks::NewCurlCallbackSender(
        {.user_agent = std::string("outbox/") + OUTBOX_VERSION}, *clock_);
    queue::CallbackOptions callback_options;
    callback_options.salt = callback_secret;
    callback_options.jwt_ttl_ms = config_.callback_jwt_hours * core::TimeMs{3'600'000};
    callback_options.disable_after = config_.callback_disable_after;
    callback_options.backoff = config_.callback_backoff;
    callback_workers_ = queue::NewCallbackWorkers(callback_options, *store_, *store_,
                                                  *callback_sender_, *clock_, *logger_);
    tasks_ = std::make_unique<service::TaskService>(
        *store_, *store_, *clock_, [this] { callback_workers_->Notify(); },
        callback_options.max_attempts);
    service::ProviderEventOptions provider_options;
    provider_options.cert_host_pattern = config_.sns_cert_hosts;
    provider_options.topic_arns = config_.sns_topic_arns;
    provider_events_ = std::make_unique<service::ProviderEventService>(
        provider_options, *store_, *clock_, *logger_,
        hooks::NewCurlFetcher({provider_options.http_timeout_ms, service::kMaxFetchedBytes,
                               std::string("outbox/") + OUTBOX_VERSION}),
        [this] { callback_workers_->Notify(); });
    service::NewsletterOptions newsletter_options;
    newsletter_options.default_from = config_.default_from;
    newsletter_options.public_url = config_.public_url;
    newsletter_options.timezone = config_.timezone;
    newsletter_options.max_attempts = config_.max_attempts;
    auto newsletters = service::NewsletterService::Create(newsletter_options, *store_, *clock_,
                                                          *logger_, [this] { workers_->Notify(); });
    if (!newsletters.ok()) return newsletters.error();
    newsletters_ = std::move(*newsletters);
    user_keys_ =
        auth::UserKeys::Create(*authenticator_, *clock_, secrets->jwt, secrets->legacy_jwt);
    otp_ = std::make_unique<service::OtpService>(
        service::OtpOptions{config_.otp_ttl_ms, config_.otp_resend_interval_ms,
                            config_.default_from},
        *store_, *emails_, *clock_, secrets->otp);
    gomail_ = std::make_unique<service::GoMailService>(
        service::GoMailOptions{config_.default_from}, *store_, *store_, *emails_, *newsletters_,
        *otp_, *user_keys_, *authenticator_, *clock_);
    webhooks_ = std::make_unique<service::WebhookService>(
        *store_, *clock_, [this] { callback_workers_->Notify(); }, callback_options.max_attempts);
    health_ = std::make_unique<service::HealthService>(*store_, OUTBOX_VERSION, settings_);
    session_tokens_ =
        std::make_unique<auth::SessionTokens>(*store_, *store_, *clock_, secrets->sessions);
    service::AccountOptions account_options;
    account_options.access_ttl_ms = config_.access_ttl_ms;
    account_options.refresh_ttl_ms = config_.refresh_ttl_ms;
    account_options.confirm_ttl_ms = config_.confirm_ttl_ms;
    account_options.default_from = config_.default_from;
    account_options.redirect_hosts = config_.redirect_hosts;
    account_options.callback_attempts = callback_options.max_attempts;
    accounts_ = std::make_unique<service::AccountService>(
        *store_, *store_, *store_, *store_, *emails_, *session_tokens_, *clock_,
        [this] { callback_workers_->Notify(); }, account_options);
    drf_tokens_ = std::make_unique<auth::DrfTokens>(*store_, *store_, *clock_);
    cookie_sessions_ = std::make_unique<auth::CookieSessions>(
        *store_, *store_, *clock_, *session_tokens_,
        auth::CookieSessionLimits{.idle_ms = account_options.cookie_idle_ms,
                                  .absolute_ms = account_options.cookie_absolute_ms});
    sent_emails_ = std::make_unique<service::SentEmailService>(
        *store_, *store_, *templates_, *emails_, *clock_, config_.default_from,
        [this] { workers_->Notify(); });
    service::CampaignOptions campaign_options;
    campaign_options.default_from = config_.default_from;
    campaign_options.max_attempts = config_.max_attempts;
    campaign_options.lease_ms = config_.lease_ms;
    campaigns_ = std::make_unique<service::CampaignService>(
        *store_, *store_, *store_, *store_, *emails_, *templates_, *clock_, *logger_,
        [this] { workers_->Notify(); }, campaign_options);
    customer_imports_ =
        std::make_unique<service::CustomerImports>(*store_, *store_, *clock_, *logger_);
    auto admin_password = accounts_->EnsureAdminUser(config_.admin_email, config_.admin_password);
    if (!admin_password.ok()) return admin_password.error();
    if (admin_password->has_value()) {
      // Printed, not logged, like the admin key.
      std::printf("outbox: admin user %s, password (shown once, store it now): %s\n",
                  config_.admin_email.c_str(), admin_password->value().c_str());
      std::fflush(stdout);
    }

    http::ServerOptions server_options;
    http::FrontOptions& front = server_options.front;
    front.io_threads = config_.http_io_threads;
    front.threads = config_.http_threads;
    front.max_connections = config_.http_max_connections;
    front.max_connections_per_client = config_.http_max_connections_per_client;
    front.header_timeout_ms = config_.http_header_timeout_ms;
    front.body_timeout_ms = config_.http_body_timeout_ms;
    front.idle_timeout_ms = config_.http_idle_timeout_ms;
    front.body_memory_bytes = static_cast<std::size_t>(config_.http_body_memory_mb) << 20;
    server_options.max_body_bytes = config_.max_body_bytes;
    // Attachments up to the limit plus room for the form's other fields.
    server_options.max_upload_bytes =
        static_cast<std::size_t>(config_.max_upload_mb + 1) * 1'000'000;
    server_ = http::NewServer(
        server_options, std::move(listener_),
        {*emails_, *gomail_, *newsletters_, *keys_, *tasks_, *ses_, metrics_, *stats_,
         *delivery_stats_, *logger_, *templates_, *provider_events_, *otp_, *webhooks_, *health_,
         *accounts_, *sent_emails_, *campaigns_, *customer_imports_},
        {*authenticator_,
         *user_keys_,
         *session_tokens_,
         *drf_tokens_,
         *cookie_sessions_,
         {config_.open_signup}});
    Config listening = config_;
    listening.listen_port = server_->port();
    newsletters_->SetPublicUrl(listening.PublicUrl());
    ses_->SetPublicUrl(listening.PublicUrl());
    accounts_->SetPublicUrl(listening.PublicUrl());
    campaigns_->SetPublicUrl(listening.PublicUrl());

    workers_->Start();
    callback_workers_->Start();
    campaigns_->Start();
    scheduler_ = std::make_unique<service::NewsletterScheduler>(*newsletters_, *clock_);
    if (config_.retention_days > 0) {
      const service::RetentionOptions retention_options{.days = config_.retention_days};
      retention_ =
          std::make_unique<service::Retention>(retention_options, *store_, *logger_, metrics_);
      retention_loop_ = std::make_unique<service::RetentionLoop>(*retention_, *clock_,
                                                                 retention_options.interval_ms);
    }
    http_thread_ = std::thread([this] { server_->Run(); });
    logger_->Info("listening", {{"address", config_.listen_host},
                                {"port", server_->port()},
                                {"transport", transport_->Name()},
                                {"version", OUTBOX_VERSION}});
    return {};
  }

  bool Stop() {
    if (!http_thread_.joinable()) return true;  // not started, or stopped already
    server_->Stop();
    http_thread_.join();
    scheduler_->Stop();
    if (retention_loop_) retention_loop_->Stop();
    campaigns_->Stop();
    callback_workers_->Stop();
    if (!workers_->Stop(config_.shutdown_timeout_ms)) {
      logger_->Warn("shutdown timeout: exiting with deliveries in flight",
                    {{"timeout_ms", config_.shutdown_timeout_ms}});
      return false;
    }
    logger_->Info("stopped");
    return true;
  }

  int port() const { return server_->port(); }
  core::Logger* logger() const { return logger_.get(); }

 private:
  // SALT: the configured one, else the key file's (derived, or adopted from an older database).
  // A receiver needs it to verify callbacks, so a newly generated one is printed once, as the
  // admin key is (printed, not logged: it must not land in app.log).
  std::string CallbackSecret(const auth::ServerSecrets& secrets) const {
    if (!config_.callback_secret.empty()) return config_.callback_secret;
    if (secrets.callback_generated) {
      std::printf("outbox: callback secret (SALT; shown once, store it now): %s\n",
                  secrets.callback.c_str());
      std::fflush(stdout);
    }
    return secrets.callback;
  }

  const Config config_;
  std::vector<service::Setting> settings_;  // handed to health_ at Start
  std::unique_ptr<core::Clock> clock_;
  std::unique_ptr<core::Logger> logger_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<mail::Transport> transport_;
  std::unique_ptr<mail::RateLimiter> limiter_;
  service::Metrics metrics_;
  std::unique_ptr<queue::WorkerPool> workers_;
  std::unique_ptr<service::EmailService> emails_;
  std::unique_ptr<auth::Authenticator> authenticator_;
  std::unique_ptr<service::CachedStats> stats_;
  std::unique_ptr<service::DeliveryStats> delivery_stats_;
  std::unique_ptr<service::TemplateService> templates_;
  std::unique_ptr<service::KeyService> keys_;
  std::unique_ptr<hooks::CallbackSender> callback_sender_;
  std::unique_ptr<queue::CallbackWorkers> callback_workers_;
  std::unique_ptr<service::TaskService> tasks_;
  std::unique_ptr<service::ProviderEventService> provider_events_;
  std::unique_ptr<service::SesService> ses_;
  std::unique_ptr<service::NewsletterService> newsletters_;
  std::unique_ptr<auth::UserKeys> user_keys_;
  std::unique_ptr<service::OtpService> otp_;
  std::unique_ptr<service::GoMailService> gomail_;
  std::unique_ptr<service::WebhookService> webhooks_;
  std::unique_ptr<service::HealthService> health_;
  std::unique_ptr<auth::SessionTokens> session_tokens_;
  std::unique_ptr<service::AccountService> accounts_;
  std::unique_ptr<auth::DrfTokens> drf_tokens_;
  std::unique_ptr<auth::CookieSessions> cookie_sessions_;
  std::unique_ptr<service::SentEmailService> sent_emails_;
  std::unique_ptr<service::CampaignService> campaigns_;  // its fan-out thread uses the above
  std::unique_ptr<service::CustomerImports> customer_imports_;
  http::Listener listener_;  // taken first in Start, handed to the server
  std::unique_ptr<http::Server> server_;
  std::unique_ptr<service::NewsletterScheduler> scheduler_;
  std::unique_ptr<service::Retention> retention_;
  std::unique_ptr<service::RetentionLoop> retention_loop_;
  std::thread http_thread_;
};

namespace {

// SIGTERM/SIGINT are taken by sigwait in the main thread, so every thread blocks them;
// SIGPIPE is ignored (a closed peer is an error return, not a death).
void SetUpSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

App::App(Config config, std::vector<service::Setting> settings)
    : parts_(std::make_unique<Parts>(std::move(config), std::move(settings))) {}

App::~App() { parts_->Stop(); }

core::Status App::Start() { return parts_->Start(); }

int App::port() const { return parts_->port(); }

bool App::Stop() { return parts_->Stop(); }

int App::Serve() {
  SetUpSignals();
  if (auto started = Start(); !started.ok()) return Fail(started.error(), parts_->logger());
  const int signal_number = WaitForSignal();
  parts_->logger()->Info("shutting down", {{"signal", signal_number}});
  if (!Stop()) {
    // A send is stuck past the deadline. Everything acknowledged is committed; the stuck
    // job's lease is recovered at the next start, so exiting now loses nothing.
    std::fflush(stdout);
    std::_Exit(kExitOk);
  }
  return kExitOk;
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string command = "serve";
  if (!args.empty() && args[0].rfind("-", 0) != 0) {
    command = args[0];
    args.erase(args.begin());
  }
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") command = "help";
  }
  if (command == "help") {
    std::cout << kUsage << ConfigHelp();
    return kExitOk;
  }
  if (command == "version") {
    std::cout << "outbox " << OUTBOX_VERSION << "\n";
    return kExitOk;
  }
  if (command == "config") {
    if (args.empty() || args[0] != "check") {
      std::cerr << "outbox: usage: outbox config check [--flag value ...]\n";
      return kExitUsage;
    }
    args.erase(args.begin());
  } else if (command == "users") {
    return UsersCommand(args, LoadFromProcess);
  } else if (command != "serve" && command != "migrate") {
    std::cerr << "outbox: unknown command '" << command << "' (see outbox --help)\n";
    return kExitUsage;
  }
  auto loaded = LoadFromProcess(args);
  if (!loaded.ok()) {
    std::cerr << "outbox: " << loaded.error().message << "\n";
    return kExitUsage;
  }
  if (command == "config") {
    std::cout << DescribeConfig(*loaded);
    return kExitOk;
  }
  if (command == "migrate") {
    auto created = CreateDataDir(loaded->config);
    auto store = created.ok() ? OpenStore(loaded->config)
                              : core::Result<std::unique_ptr<store::Store>>(created.error());
    if (!store.ok()) {
      std::cerr << "outbox: " << store.error().message << "\n";
      return kExitFailure;
    }
    std::cout << "outbox: database " << loaded->config.DatabasePath() << " is up to date\n";
    return kExitOk;
  }
  // glibc gives busy threads their own malloc arenas (up to 8 per core), each keeping freed
  // memory; with 64 HTTP threads that is most of the idle RSS. Two arenas are plenty here.
  mallopt(M_ARENA_MAX, 2);
  // Blocks of 1 MB and more (request bodies, their parts, large messages) are mapped on their
  // own and returned to the system when freed. Left to itself glibc raises this threshold to
  // the largest block freed so far (up to 32 MB), after which such blocks stay in the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  App app(loaded->config, EffectiveSettings(*loaded));
  return app.Serve();
}

}  // namespace app
