#pragma once
// The one validated, immutable configuration. It is filled from a single declarative table
// (config.cpp) that also produces --help and `outbox config check`. Precedence: command-line
// flags > environment (OUTBOX_* and the seeds' aliases) > ./.env > defaults.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/log.h"
#include "core/result.h"
#include "mail/transport.h"
#include "queue/retry.h"
#include "service/health.h"
#include "store/sqlite/sqlite_store.h"

namespace app {

enum class TransportKind { kAuto, kCapture, kSmtp };

struct Config {
  std::string listen_host = "127.0.0.1";
  int listen_port = 8080;
  std::string data_dir = "./outbox-data";
  store::Durability durability = store::Durability::kFull;
  TransportKind transport = TransportKind::kAuto;
  mail::SmtpOptions smtp;
  double send_rate = 0;    // messages per second over the transport, 0 = unlimited
  double domain_rate = 0;  // messages per second to one recipient domain, 0 = unlimited
  std::string default_from;
  int max_attempts = 5;
  queue::BackoffPolicy backoff;
  core::TimeMs lease_ms = 60'000;
  int http_io_threads = 2;
  int http_threads = 16;
  int http_max_connections = 4096;
  int http_max_connections_per_client = 256;
  int http_header_timeout_ms = 10'000;
  int http_body_timeout_ms = 60'000;
  int http_idle_timeout_ms = 30'000;
  int http_body_memory_mb = 32;
  std::size_t max_body_bytes = 10 << 20;
  std::string admin_key;
  core::LogLevel log_level = core::LogLevel::kInfo;
  core::TimeMs shutdown_timeout_ms = 8'000;
  bool open_signup = false;  // GoMail /auth/signup and /v1/auth/signup without the admin key
  std::string admin_email = "admin@localhost";  // the first admin user
  std::string admin_password;                   // theirs; empty: generated and printed once
  core::TimeMs access_ttl_ms = 900'000;
  core::TimeMs refresh_ttl_ms = 2'592'000'000;
  core::TimeMs confirm_ttl_ms = 86'400'000;
  std::vector<std::string> redirect_hosts;  // where /v1/verifications links may lead
  core::TimeMs otp_ttl_ms = 600'000;
  core::TimeMs otp_resend_interval_ms = 30'000;
  std::string public_url;       // no trailing '/'; empty: http://<listen>
  std::string callback_secret;  // SALT; empty: generated and kept in the store
  int callback_jwt_hours = 3;
  int callback_disable_after = 20;
  queue::BackoffPolicy callback_backoff{30'000, 3'600'000};
  int max_upload_mb = 25;
  core::TimeMs queue_wait_ms = 1'000;
  int retention_days = 30;  // finished mail, callbacks, tasks... kept this long; 0 = forever
  std::string timezone = "UTC";
  // Hosts SNS certificate and SubscribeURL URLs may name (hooks::CheckSigningCertUrl syntax).
  std::string sns_cert_hosts = "sns.*.amazonaws.com";
  std::vector<std::string> sns_topic_arns;  // empty: any topic

  // <data_dir>/outbox.db
  std::string DatabasePath() const;
  // The base of links in mail: public_url, or the listen address.
  std::string PublicUrl() const;

  // The transport actually used: kAuto resolves to SMTP when a host is set.
  bool UsesSmtp() const {
    return transport == TransportKind::kSmtp ||
           (transport == TransportKind::kAuto && !smtp.host.empty());
  }
};

// Where each setting's value came from, for `config check`.
struct LoadedConfig {
  Config config;
  std::map<std::string, std::string> values;   // setting name -> the text it was given
  std::map<std::string, std::string> sources;  // "flag", "env NAME", ".env NAME" or "default"
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// Pure: builds the config from flags (e.g. {"--smtp-port", "2525"} or {"--smtp-port=2525"}),
// an environment lookup and the text of a .env file. An unknown flag or an invalid value is
// kInvalidArgument whose field names the setting (e.g. "--smtp-port").
core::Result<LoadedConfig> LoadConfig(const std::vector<std::string>& flags, const EnvLookup& env,
                                      const std::string& dotenv_text);

// Parses KEY=VALUE lines (comments with #, optional `export `, single or double quotes).
std::map<std::string, std::string> ParseDotEnv(const std::string& text);

// The flag reference generated from the table.
std::string ConfigHelp();
// Every setting of the table, in its order, with the text it was given and its source; a
// setting the table marks secret has its value left out (only whether it is set is told).
std::vector<service::Setting> EffectiveSettings(const LoadedConfig& loaded);
// One line per setting: name, effective value (secrets masked) and source.
std::string DescribeConfig(const LoadedConfig& loaded);

}  // namespace app
