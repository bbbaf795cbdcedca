#include "app/config.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "hooks/sns.h"
#include "sched/timezone.h"

namespace app {
namespace {

using core::Result;
using core::Status;

Status Invalid(const std::string& flag, const std::string& message) {
  return core::InvalidArgument(flag, flag + ": " + message);
}

Result<long long> ParseInteger(const std::string& flag, const std::string& text, long long min,
                               long long max) {
  long long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return core::InvalidArgument(flag, flag + ": '" + text + "' is not a whole number");
  }
  if (value < min || value > max) {
    return core::InvalidArgument(
        flag, flag + ": must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return value;
}

Result<bool> ParseBool(const std::string& flag, const std::string& text) {
  if (text == "true" || text == "1" || text == "yes" || text == "on") return true;
  if (text == "false" || text == "0" || text == "no" || text == "off") return false;
  return core::InvalidArgument(flag, flag + ": expected true or false, got '" + text + "'");
}

// Applies one value to the config; validates it.
using Apply = std::function<Status(Config&, const std::string& flag, const std::string& value)>;

// Each setting writes one field of the config, reached through In(&Config::x) or, for nested
// fields, In(&Config::smtp, &mail::SmtpOptions::port).
template <typename T>
using Field = std::function<T&(Config&)>;

template <typename T>
Field<T> In(T Config::*member) {
  return [member](Config& config) -> T& { return config.*member; };
}

template <typename Outer, typename T>
Field<T> In(Outer Config::*outer, T Outer::*inner) {
  return [outer, inner](Config& config) -> T& { return config.*outer.*inner; };
}

template <typename T>
Apply Integer(Field<T> field, long long min, long long max) {
  return [=](Config& config, const std::string& flag, const std::string& value) -> Status {
    auto parsed = ParseInteger(flag, value, min, max);
    if (!parsed.ok()) return parsed.error();
    field(config) = static_cast<T>(*parsed);
    return {};
  };
}

// A rate in messages per second, 0 to 1e6 (0 = unlimited).
Apply Rate(Field<double> field) {
  return [=](Config& config, const std::string& flag, const std::string& value) -> Status {
    char* end = nullptr;
    const double rate = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(rate) || rate < 0 || rate > 1e6) {
      return Invalid(flag, "expected a number from 0 to 1000000, got '" + value + "'");
    }
    field(config) = rate;
    return {};
  };
}

Apply Text(Field<std::string> field) {
  return [=](Config& config, const std::string&, const std::string& value) -> Status {
    field(config) = value;
    return {};
  };
}

// One of a fixed set of words.
template <typename T>
Apply Choice(Field<T> field, std::vector<std::pair<std::string, T>> choices) {
  return [=](Config& config, const std::string& flag, const std::string& value) -> Status {
    std::string names;
    for (const auto& [name, choice] : choices) {
      if (name == value) {
        field(config) = choice;
        return {};
      }
      names += (names.empty() ? "" : ", ") + name;
    }
    return Invalid(flag, "expected one of " + names + ", got '" + value + "'");
  };
}

struct Setting {
  const char* name;              // also the flag: --name
  std::vector<const char*> env;  // first is the native name, the rest are the seeds' aliases
  const char* default_value;
  const char* doc;
  bool secret;
  Apply apply;
};

Status ApplyListen(Config& config, const std::string& flag, const std::string& value) {
  auto colon = value.rfind(':');
  if (colon == std::string::npos || colon == 0) {
    return Invalid(flag, "expected host:port, got '" + value + "'");
  }
  auto port = ParseInteger(flag, value.substr(colon + 1), 0, 65535);
  if (!port.ok()) return port.error();
  config.listen_host = value.substr(0, colon);
  if (config.listen_host.size() > 2 && config.listen_host.front() == '[') {
    config.listen_host = config.listen_host.substr(1, config.listen_host.size() - 2);
  }
  config.listen_port = static_cast<int>(*port);
  return {};
}

const std::vector<Setting>& Table() {
  static const auto* table = new std::vector<Setting>{
      {"listen",
       {"OUTBOX_LISTEN"},
       "127.0.0.1:8080",
       "HTTP address (host:port; port 0 picks one)",
       false,
       ApplyListen},
      {"port",
       {"OUTBOX_PORT", "PORT", "HTTP_PORT"},
       "",
       "replaces the port of --listen (the SES-compatible server's PORT, seed 002's HTTP_PORT)",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (value.empty()) return {};
         auto port = ParseInteger(flag, value, 0, 65535);
         if (!port.ok()) return port.error();
         config.listen_port = static_cast<int>(*port);
         return {};
       }},
      {"host",
       {"OUTBOX_HOST", "HTTP_HOST"},
       "",
       "replaces the host of --listen (seed 002's HTTP_HOST)",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (value.empty()) return {};
         std::string host = value;
         if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
           host = host.substr(1, host.size() - 2);
         }
         if (host.find_first_of(" \t\r\n/[]") != std::string::npos) {
           return Invalid(flag, "not a host name or address: '" + value + "'");
         }
         config.listen_host = host;
         return {};
       }},
      {"data-dir",
       {"OUTBOX_DATA_DIR"},
       "./outbox-data",
       "directory for outbox.db and app.log (created if missing)",
       false,
       Text(In(&Config::data_dir))},
      {"durability",
       {"OUTBOX_DURABILITY"},
       "full",
       "full: fsync every commit (survives power loss); normal: survives a crash of outbox",
       false,
       Choice(In(&Config::durability),
              {{"full", store::Durability::kFull}, {"normal", store::Durability::kNormal}})},
      {"transport",
       {"OUTBOX_TRANSPORT"},
       "auto",
       "auto (smtp when --smtp-host is set, else capture), capture or smtp",
       false,
       Choice(In(&Config::transport), {{"auto", TransportKind::kAuto},
                                       {"capture", TransportKind::kCapture},
                                       {"smtp", TransportKind::kSmtp}})},
      {"smtp-host",
       {"OUTBOX_SMTP_HOST", "smtp_server"},
       "",
       "SMTP relay host",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (value.find_first_of(" \t\r\n/") != std::string::npos) {
           return Invalid(flag, "not a host name: '" + value + "'");
         }
         config.smtp.host = value;
         return {};
       }},
      {"smtp-port",
       {"OUTBOX_SMTP_PORT", "smtp_port"},
       "587",
       "SMTP port (465 means implicit TLS)",
       false,
       Integer(In(&Config::smtp, &mail::SmtpOptions::port), 1, 65535)},
      {"smtp-user",
       {"OUTBOX_SMTP_USER", "smtp_user"},
       "",
       "SMTP AUTH user name",
       false,
       Text(In(&Config::smtp, &mail::SmtpOptions::username))},
      {"smtp-pass",
       {"OUTBOX_SMTP_PASS", "smtp_pass"},
       "",
       "SMTP AUTH password",
       true,
       Text(In(&Config::smtp, &mail::SmtpOptions::password))},
      {"smtp-tls",
       {"OUTBOX_SMTP_TLS"},
       "auto",
       "auto (implicit on 465, else STARTTLS when offered), starttls (required), implicit, none",
       false,
       Choice(In(&Config::smtp, &mail::SmtpOptions::tls), {{"auto", mail::TlsMode::kAuto},
                                                           {"starttls", mail::TlsMode::kStartTls},
                                                           {"implicit", mail::TlsMode::kImplicit},
                                                           {"none", mail::TlsMode::kNone}})},
      {"smtp-verify-tls",
       {"OUTBOX_SMTP_VERIFY_TLS"},
       "true",
       "verify the SMTP server's certificate and host name",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         auto parsed = ParseBool(flag, value);
         if (!parsed.ok()) return parsed.error();
         config.smtp.verify_tls = *parsed;
         return {};
       }},
      {"smtp-sessions",
       {"OUTBOX_SMTP_SESSIONS"},
       "4",
       "concurrent SMTP sessions (delivery workers); connections are reused",
       false,
       Integer(In(&Config::smtp, &mail::SmtpOptions::sessions), 1, 256)},
      {"smtp-timeout-ms",
       {"OUTBOX_SMTP_TIMEOUT_MS"},
       "30000",
       "SMTP connect and command timeout",
       false,
       Integer(In(&Config::smtp, &mail::SmtpOptions::timeout_ms), 100, 600'000)},
      {"smtp-helo-name",
       {"OUTBOX_SMTP_HELO_NAME"},
       "",
       "name sent in EHLO (a fully qualified host name helps deliverability); empty: curl's "
       "default",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (value.size() > 253 ||
             value.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789.-") != std::string::npos) {
           return Invalid(flag,
                          "expected a host name (letters, digits, '.', '-'), got '" + value + "'");
         }
         config.smtp.helo_name = value;
         return {};
       }},
      {"send-rate",
       {"OUTBOX_SEND_RATE", "AWS_SES_SEND_LIMIT_PER_SEC"},
       "0",
       "most messages per second over the transport (token bucket), 0 = unlimited",
       false,
       Rate(In(&Config::send_rate))},
      {"domain-rate",
       {"OUTBOX_DOMAIN_RATE"},
       "0",
       "most messages per second to one recipient domain (what mailbox providers throttle on); "
       "0 = unlimited",
       false,
       Rate(In(&Config::domain_rate))},
      {"default-from",
       {"OUTBOX_DEFAULT_FROM"},
       "",
       "sender used when a request names none (defaults to --smtp-user if that is an address)",
       false,
       Text(In(&Config::default_from))},
      {"max-attempts",
       {"OUTBOX_MAX_ATTEMPTS"},
       "5",
       "delivery attempts before a mail fails",
       false,
       Integer(In(&Config::max_attempts), 1, 50)},
      {"retry-base-ms",
       {"OUTBOX_RETRY_BASE_MS"},
       "30000",
       "first retry delay; doubles per attempt, with jitter",
       false,
       Integer(In(&Config::backoff, &queue::BackoffPolicy::base_ms), 10, 86'400'000)},
      {"retry-max-ms",
       {"OUTBOX_RETRY_MAX_MS"},
       "3600000",
       "longest retry delay",
       false,
       Integer(In(&Config::backoff, &queue::BackoffPolicy::max_ms), 10, 7 * 86'400'000LL)},
      {"lease-ms",
       {"OUTBOX_LEASE_MS"},
       "60000",
       "how long a worker holds a job before it is given to another",
       false,
       Integer(In(&Config::lease_ms), 1000, 3'600'000)},
      {"http-io-threads",
       {"OUTBOX_HTTP_IO_THREADS"},
       "2",
       "HTTP threads that drive the sockets and run the handlers that never block (ping, "
       "enqueue); idle and slow connections hold none",
       false,
       Integer(In(&Config::http_io_threads), 1, 64)},
      {"http-threads",
       {"OUTBOX_HTTP_THREADS"},
       "16",
       "HTTP threads for the handlers that may block (reads, sign-ins, fan-outs): how many run "
       "at once",
       false,
       Integer(In(&Config::http_threads), 1, 1024)},
      {"http-max-connections",
       {"OUTBOX_HTTP_MAX_CONNECTIONS"},
       "4096",
       "open HTTP connections in all; more are answered 503 and closed",
       false,
       Integer(In(&Config::http_max_connections), 1, 1'000'000)},
      {"http-max-connections-per-client",
       {"OUTBOX_HTTP_MAX_CONNECTIONS_PER_CLIENT"},
       "256",
       "open HTTP connections from one client IP address; more are answered 503 and closed",
       false,
       Integer(In(&Config::http_max_connections_per_client), 1, 1'000'000)},
      {"http-header-timeout-ms",
       {"OUTBOX_HTTP_HEADER_TIMEOUT_MS"},
       "10000",
       "deadline from a request's first byte to the end of its header (not extended by activity)",
       false,
       Integer(In(&Config::http_header_timeout_ms), 100, 600'000)},
      {"http-body-timeout-ms",
       {"OUTBOX_HTTP_BODY_TIMEOUT_MS"},
       "60000",
       "deadline for reading a request's whole body (not extended by activity); later: 408",
       false,
       Integer(In(&Config::http_body_timeout_ms), 100, 3'600'000)},
      {"http-idle-timeout-ms",
       {"OUTBOX_HTTP_IDLE_TIMEOUT_MS"},
       "30000",
       "how long a keep-alive connection may wait for its next request",
       false,
       Integer(In(&Config::http_idle_timeout_ms), 100, 3'600'000)},
      {"http-body-memory-mb",
       {"OUTBOX_HTTP_BODY_MEMORY_MB"},
       "32",
       "request bodies over 64 KB held at once, in MB (one is always let in; handling a 24 MB "
       "upload takes about four times its size); beyond: 503",
       false,
       Integer(In(&Config::http_body_memory_mb), 1, 65'536)},
      {"max-body-bytes",
       {"OUTBOX_MAX_BODY_BYTES"},
       "10485760",
       "largest request body; larger ones get 413",
       false,
       Integer(In(&Config::max_body_bytes), 1024, 1LL << 30)},
      {"admin-key",
       {"OUTBOX_ADMIN_KEY", "ADMIN_API_KEY"},
       "",
       "admin API key to accept (16+ characters); if unset one is generated on first start",
       true,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (!value.empty() && value.size() < 16) {
           return Invalid(flag, "must be at least 16 characters");
         }
         config.admin_key = value;
         return {};
       }},
      {"log-level",
       {"OUTBOX_LOG_LEVEL"},
       "info",
       "debug, info, warn or error",
       false,
       Choice(In(&Config::log_level), {{"debug", core::LogLevel::kDebug},
                                       {"info", core::LogLevel::kInfo},
                                       {"warn", core::LogLevel::kWarn},
                                       {"error", core::LogLevel::kError}})},
      {"shutdown-timeout-ms",
       {"OUTBOX_SHUTDOWN_TIMEOUT_MS"},
       "8000",
       "how long SIGTERM waits for in-flight deliveries",
       false,
       Integer(In(&Config::shutdown_timeout_ms), 0, 600'000)},
      {"open-signup",
       {"OUTBOX_OPEN_SIGNUP"},
       "false",
       "let anyone get a GoMail key at POST /auth/signup (else it needs the admin key)",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         auto parsed = ParseBool(flag, value);
         if (!parsed.ok()) return parsed.error();
         config.open_signup = *parsed;
         return {};
       }},
      {"admin-email",
       {"OUTBOX_ADMIN_EMAIL"},
       "admin@localhost",
       "email of the admin user created (with a generated password, printed once) on first start",
       false,
       Text(In(&Config::admin_email))},
      {"admin-password",
       {"OUTBOX_ADMIN_PASSWORD"},
       "",
       "password of the admin user created on first start (8+ characters); if unset one is "
       "generated and printed once",
       true,
       Text(In(&Config::admin_password))},
      {"access-token-ttl-ms",
       {"OUTBOX_ACCESS_TOKEN_TTL_MS"},
       "900000",
       "how long a signed-in person's access token is valid (then it is refreshed)",
       false,
       Integer(In(&Config::access_ttl_ms), 1'000, 86'400'000)},
      {"refresh-token-ttl-ms",
       {"OUTBOX_REFRESH_TOKEN_TTL_MS"},
       "2592000000",
       "how long a sign-in session lasts without a new login (its refresh token's life)",
       false,
       Integer(In(&Config::refresh_ttl_ms), 60'000, 31'622'400'000)},
      {"confirm-link-ttl-ms",
       {"OUTBOX_CONFIRM_LINK_TTL_MS"},
       "86400000",
       "how long a mailed confirmation link stays valid",
       false,
       Integer(In(&Config::confirm_ttl_ms), 1'000, 2'592'000'000)},
      {"redirect-hosts",
       {"OUTBOX_REDIRECT_HOSTS"},
       "",
       "comma-separated hosts a /v1/verifications redirect_url may name (\"app.example.com\", "
       "\"*.example.com\"); empty: none",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         config.redirect_hosts.clear();
         std::size_t start = 0;
         while (start <= value.size() && !value.empty()) {
           std::size_t comma = value.find(',', start);
           if (comma == std::string::npos) comma = value.size();
           std::string host = value.substr(start, comma - start);
           while (!host.empty() && host.front() == ' ') host.erase(host.begin());
           while (!host.empty() && host.back() == ' ') host.pop_back();
           const std::string bare = host.rfind("*.", 0) == 0 ? host.substr(2) : host;
           if (bare.empty() || bare.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-") !=
                                   std::string::npos) {
             return Invalid(flag, "\"" + host + "\" is not a lower-case host name");
           }
           config.redirect_hosts.push_back(host);
           start = comma + 1;
         }
         return {};
       }},
      {"otp-ttl-ms",
       {"OUTBOX_OTP_TTL_MS"},
       "600000",
       "how long a GoMail one-time code stays valid",
       false,
       Integer(In(&Config::otp_ttl_ms), 10'000, 86'400'000)},
      {"otp-resend-interval-ms",
       {"OUTBOX_OTP_RESEND_INTERVAL_MS"},
       "30000",
       "shortest time between two one-time codes to the same address (sooner is 429)",
       false,
       Integer(In(&Config::otp_resend_interval_ms), 0, 3'600'000)},
      {"callback-secret",
       {"OUTBOX_CALLBACK_SECRET", "SALT"},
       "",
       "signs status callbacks (Bearer JWT and X-Outbox-Signature HMAC); 16+ characters. If "
       "unset, one is generated on first start, derived from the data directory's secret.key and "
       "printed once",
       true,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (!value.empty() && value.size() < 16) {
           return Invalid(flag, "must be at least 16 characters");
         }
         config.callback_secret = value;
         return {};
       }},
      {"callback-jwt-hours",
       {"OUTBOX_CALLBACK_JWT_HOURS", "JWT_EXP_HRS"},
       "3",
       "how long the JWT sent with a status callback stays valid",
       false,
       Integer(In(&Config::callback_jwt_hours), 1, 8760)},
      {"callback-disable-after",
       {"OUTBOX_CALLBACK_DISABLE_AFTER"},
       "20",
       "consecutive failed callback attempts that disable an endpoint (0: never)",
       false,
       Integer(In(&Config::callback_disable_after), 0, 100'000)},
      {"callback-retry-base-ms",
       {"OUTBOX_CALLBACK_RETRY_BASE_MS"},
       "30000",
       "first status-callback retry delay; doubles per attempt (10 attempts), with jitter",
       false,
       Integer(In(&Config::callback_backoff, &queue::BackoffPolicy::base_ms), 10, 86'400'000)},
      {"max-upload-mb",
       {"OUTBOX_MAX_UPLOAD_MB", "MAX_UPLOAD_SIZE"},
       "25",
       "largest total attachment size of one SES-compatible send, in MB (larger is 413)",
       false,
       Integer(In(&Config::max_upload_mb), 1, 1024)},
      {"queue-wait-ms",
       {"OUTBOX_QUEUE_WAIT_MS", "AWS_SES_QUEUE_WAIT_TIME"},
       "1000",
       "longest pause of an idle delivery worker before it looks for due mail again",
       false,
       Integer(In(&Config::queue_wait_ms), 10, 60'000)},
      {"retention-days",
       {"OUTBOX_RETENTION_DAYS"},
       "30",
       "days finished mail (bodies, events), callbacks and their attempts, removed or expired "
       "tasks, newsletter fires, idempotency records and expired codes are kept before they are "
       "purged; persistent counters are kept (0: keep forever)",
       false,
       Integer(In(&Config::retention_days), 0, 36'500)},
      {"public-url",
       {"OUTBOX_PUBLIC_URL"},
       "",
       "base URL this server is reached at from outside (unsubscribe links); empty: "
       "http://<listen>",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         const bool http = value.rfind("http://", 0) == 0 || value.rfind("https://", 0) == 0;
         if (!value.empty() && (!http || value.size() > 200 ||
                                value.find_first_of(" \t\r\n<>\"'?#") != std::string::npos)) {
           return Invalid(flag,
                          "expected an http:// or https:// URL without query or fragment "
                          "(at most 200 characters), got '" +
                              value + "'");
         }
         config.public_url = value;
         while (!config.public_url.empty() && config.public_url.back() == '/') {
           config.public_url.pop_back();
         }
         return {};
       }},
      {"timezone",
       {"OUTBOX_TIMEZONE"},
       "UTC",
       "IANA time zone newsletter schedules use unless a subscription names its own",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         if (auto zone = sched::TimeZone::Load(value); !zone.ok()) {
           return Invalid(flag, zone.error().message);
         }
         config.timezone = value;
         return {};
       }},
      {"sns-topic-arns",
       {"OUTBOX_SNS_TOPIC_ARNS"},
       "",
       "comma-separated SNS topic ARNs POST /email-status accepts messages from; empty accepts "
       "any topic (then anyone can subscribe it to a topic of theirs: set it in production)",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         config.sns_topic_arns.clear();
         std::stringstream list(value);
         for (std::string arn; std::getline(list, arn, ',');) {
           if (arn.empty()) continue;
           if (arn.rfind("arn:", 0) != 0) {
             return Invalid(
                 flag, "expected ARNs like arn:aws:sns:REGION:ACCOUNT:TOPIC, got '" + arn + "'");
           }
           config.sns_topic_arns.push_back(arn);
         }
         return {};
       }},
      {"sns-cert-hosts",
       {"OUTBOX_SNS_CERT_HOSTS"},
       // hooks::kDefaultSnsCertHostPattern (a literal, so .data() is NUL-terminated).
       hooks::kDefaultSnsCertHostPattern.data(),
       "hosts POST /email-status trusts for SNS signing certificates and SubscribeURLs: "
       "comma-separated, '*' matches within one DNS label; https only, except plain http to a "
       "loopback address named literally (e.g. 127.0.0.1, for tests)",
       false,
       [](Config& config, const std::string& flag, const std::string& value) -> Status {
         // An empty or malformed pattern is kFailedPrecondition whatever the URL; any other
         // answer (matched or not) means the pattern itself is usable.
         auto checked = hooks::CheckSigningCertUrl("https://pattern-check.invalid/", value);
         if (!checked.ok() && checked.error().code == core::ErrorCode::kFailedPrecondition) {
           return Invalid(flag, checked.error().message);
         }
         config.sns_cert_hosts = value;
         return {};
       }},
  };
  return *table;
}

const Setting* FindSetting(const std::string& name) {
  for (const auto& setting : Table()) {
    if (name == setting.name) return &setting;
  }
  return nullptr;
}

// Cross-setting rules that no single value can check.
Status ValidateWhole(const Config& config) {
  if (config.transport == TransportKind::kSmtp && config.smtp.host.empty()) {
    return Invalid("--smtp-host", "required when --transport is smtp");
  }
  if (config.backoff.max_ms < config.backoff.base_ms) {
    return Invalid("--retry-max-ms", "must not be less than --retry-base-ms");
  }
  if (config.smtp.password.empty() != config.smtp.username.empty() &&
      !config.smtp.password.empty()) {
    return Invalid("--smtp-user", "required when --smtp-pass is set");
  }
  return {};
}

}  // namespace

std::map<std::string, std::string> ParseDotEnv(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto start = line.find_first_not_of(" \t");
    if (start == std::string::npos || line[start] == '#') continue;
    line = line.substr(start);
    if (line.rfind("export ", 0) == 0) line = line.substr(7);
    auto equals = line.find('=');
    if (equals == std::string::npos) continue;
    std::string key = line.substr(0, equals);
    while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
    std::string value = line.substr(equals + 1);
    auto value_start = value.find_first_not_of(" \t");
    value = value_start == std::string::npos ? "" : value.substr(value_start);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else {
      auto comment = value.find(" #");
      if (comment != std::string::npos) value = value.substr(0, comment);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    }
    values[key] = value;
  }
  return values;
}

core::Result<LoadedConfig> LoadConfig(const std::vector<std::string>& flags, const EnvLookup& env,
                                      const std::string& dotenv_text) {
  // Collect the flag values first: an unknown flag is an error before anything else.
  std::map<std::string, std::string> from_flags;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    const std::string& arg = flags[i];
    if (arg.rfind("--", 0) != 0) {
      return core::InvalidArgument(arg, "unexpected argument '" + arg + "'");
    }
    std::string name = arg.substr(2);
    std::string value;
    auto equals = name.find('=');
    if (equals != std::string::npos) {
      value = name.substr(equals + 1);
      name = name.substr(0, equals);
    } else if (i + 1 < flags.size()) {
      value = flags[++i];
    } else {
      return core::InvalidArgument("--" + name, "--" + name + ": missing value");
    }
    if (FindSetting(name) == nullptr) {
      return core::InvalidArgument("--" + name, "unknown flag --" + name + " (see --help)");
    }
    from_flags[name] = value;
  }
  const auto dotenv = ParseDotEnv(dotenv_text);

  LoadedConfig loaded;
  for (const auto& setting : Table()) {
    std::string value = setting.default_value;
    std::string source = "default";
    bool found = false;
    if (auto flag = from_flags.find(setting.name); flag != from_flags.end()) {
      value = flag->second;
      source = "flag";
      found = true;
    }
    for (const char* name : setting.env) {
      if (found) break;
      if (auto from_env = env(name); from_env.has_value()) {
        value = *from_env;
        source = std::string("env ") + name;
        found = true;
      }
    }
    for (const char* name : setting.env) {
      if (found) break;
      if (auto from_file = dotenv.find(name); from_file != dotenv.end()) {
        value = from_file->second;
        source = std::string(".env ") + name;
        found = true;
      }
    }
    auto applied = setting.apply(loaded.config, std::string("--") + setting.name, value);
    if (!applied.ok()) {
      auto error = applied.error();
      if (source != "default" && source != "flag") error.message += " (from " + source + ")";
      return error;
    }
    loaded.sources[setting.name] = source;
    loaded.values[setting.name] = value;
  }
  Config& config = loaded.config;
  if (config.default_from.empty() && config.smtp.username.find('@') != std::string::npos) {
    config.default_from = config.smtp.username;
  }
  auto whole = ValidateWhole(config);
  if (!whole.ok()) return whole.error();
  return loaded;
}

std::string Config::DatabasePath() const {
  return (std::filesystem::path(data_dir) / "outbox.db").string();
}

std::string Config::PublicUrl() const {
  if (!public_url.empty()) return public_url;
  const bool ipv6 = listen_host.find(':') != std::string::npos;
  return "http://" + (ipv6 ? "[" + listen_host + "]" : listen_host) + ":" +
         std::to_string(listen_port);
}

std::string ConfigHelp() {
  std::ostringstream out;
  for (const auto& setting : Table()) {
    out << "  --" << setting.name;
    std::string names;
    for (const char* env : setting.env) names += std::string(names.empty() ? "" : ", ") + env;
    out << "  [" << names << "]";
    if (*setting.default_value != '\0') out << "  (default " << setting.default_value << ")";
    out << "\n      " << setting.doc << "\n";
  }
  return out.str();
}

std::vector<service::Setting> EffectiveSettings(const LoadedConfig& loaded) {
  std::vector<service::Setting> settings;
  for (const auto& setting : Table()) {
    auto value = loaded.values.find(setting.name);
    auto source = loaded.sources.find(setting.name);
    service::Setting effective{setting.name, value == loaded.values.end() ? "" : value->second,
                               source == loaded.sources.end() ? "default" : source->second,
                               setting.doc, setting.secret};
    effective.set = !effective.value.empty();
    if (setting.secret) effective.value.clear();
    settings.push_back(std::move(effective));
  }
  return settings;
}

std::string DescribeConfig(const LoadedConfig& loaded) {
  std::ostringstream out;
  for (const service::Setting& setting : EffectiveSettings(loaded)) {
    const std::string text = setting.secret && setting.set ? "****" : setting.value;
    out << setting.name << " = " << text << "  (" << setting.source << ")\n";
  }
  out << "# effective transport: " << (loaded.config.UsesSmtp() ? "smtp" : "capture") << "\n";
  return out.str();
}

}  // namespace app
