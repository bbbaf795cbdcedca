#include "app/config.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <vector>

namespace {

app::EnvLookup EnvFrom(std::map<std::string, std::string> values) {
  return [values = std::move(values)](const std::string& name) -> std::optional<std::string> {
    auto found = values.find(name);
    if (found == values.end()) return std::nullopt;
    return found->second;
  };
}

const app::EnvLookup kNoEnv = EnvFrom({});

}  // namespace

TEST_CASE("defaults: loopback, capture transport, full durability") {
  auto loaded = app::LoadConfig({}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_host == "127.0.0.1");
  CHECK(loaded->config.listen_port == 8080);
  CHECK(loaded->config.data_dir == "./outbox-data");
  CHECK_FALSE(loaded->config.UsesSmtp());
  CHECK(loaded->config.durability == store::Durability::kFull);
  CHECK(loaded->sources.at("listen") == "default");
}

TEST_CASE("GoMail settings: closed signup, 10 min codes, 30 s between resends by default") {
  auto loaded = app::LoadConfig({}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK_FALSE(loaded->config.open_signup);
  CHECK(loaded->config.otp_ttl_ms == 600'000);
  CHECK(loaded->config.otp_resend_interval_ms == 30'000);
  loaded = app::LoadConfig({"--otp-ttl-ms", "60000", "--otp-resend-interval-ms", "0"},
                           EnvFrom({{"OUTBOX_OPEN_SIGNUP", "true"}}), "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.open_signup);
  CHECK(loaded->config.otp_ttl_ms == 60'000);
  CHECK(loaded->config.otp_resend_interval_ms == 0);
}

TEST_CASE("precedence: flag > env > .env > default") {
  const std::string dotenv = "OUTBOX_SMTP_PORT=2500\nOUTBOX_SMTP_HOST=file.example\n";
  auto env = EnvFrom({{"OUTBOX_SMTP_PORT", "2501"}});
  auto loaded = app::LoadConfig({"--smtp-port", "2502"}, env, dotenv);
  REQUIRE(loaded.ok());
  CHECK(loaded->config.smtp.port == 2502);
  CHECK(loaded->sources.at("smtp-port") == "flag");
  CHECK(loaded->config.smtp.host == "file.example");
  CHECK(loaded->sources.at("smtp-host") == ".env OUTBOX_SMTP_HOST");

  auto without_flag = app::LoadConfig({}, env, dotenv);
  REQUIRE(without_flag.ok());
  CHECK(without_flag->config.smtp.port == 2501);
  CHECK(without_flag->sources.at("smtp-port") == "env OUTBOX_SMTP_PORT");
  CHECK(without_flag->config.UsesSmtp());
}

TEST_CASE("GoMail's environment names are aliases") {
  auto env = EnvFrom({{"smtp_server", "mail.example"},
                      {"smtp_port", "465"},
                      {"smtp_user", "sender@example.com"},
                      {"smtp_pass", "secret"}});
  auto loaded = app::LoadConfig({}, env, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.smtp.host == "mail.example");
  CHECK(loaded->config.smtp.port == 465);
  CHECK(loaded->config.smtp.password == "secret");
  CHECK(loaded->config.default_from == "sender@example.com");
  // The native name wins over the alias.
  auto both = app::LoadConfig({}, EnvFrom({{"smtp_port", "465"}, {"OUTBOX_SMTP_PORT", "25"}}), "");
  REQUIRE(both.ok());
  CHECK(both->config.smtp.port == 25);
}

TEST_CASE("the EHLO name reaches the SMTP options") {
  auto loaded = app::LoadConfig({"--smtp-helo-name", "mta1.example.com"}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.smtp.helo_name == "mta1.example.com");
}

TEST_CASE("--flag=value form and listen parsing") {
  auto loaded = app::LoadConfig({"--listen=0.0.0.0:0", "--durability=normal"}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_host == "0.0.0.0");
  CHECK(loaded->config.listen_port == 0);
  CHECK(loaded->config.durability == store::Durability::kNormal);
}

TEST_CASE("invalid values name the setting") {
  struct Case {
    std::vector<std::string> flags;
    std::string field;
  };
  const Case cases[] = {
      {{"--smtp-port", "70000"}, "--smtp-port"},
      {{"--smtp-port", "abc"}, "--smtp-port"},
      {{"--listen", "nohost"}, "--listen"},
      {{"--durability", "sometimes"}, "--durability"},
      {{"--smtp-tls", "maybe"}, "--smtp-tls"},
      {{"--smtp-helo-name", "mail example.com"}, "--smtp-helo-name"},
      {{"--smtp-helo-name", "a\r\nMAIL FROM:<x@y>"}, "--smtp-helo-name"},
      {{"--smtp-sessions", "0"}, "--smtp-sessions"},
      {{"--send-rate", "-1"}, "--send-rate"},
      {{"--admin-key", "short"}, "--admin-key"},
      {{"--transport", "smtp"}, "--smtp-host"},
      {{"--retry-base-ms", "5000", "--retry-max-ms", "1000"}, "--retry-max-ms"},
      {{"--no-such-flag", "1"}, "--no-such-flag"},
      {{"--smtp-port"}, "--smtp-port"},
      {{"--open-signup", "maybe"}, "--open-signup"},
      {{"--otp-ttl-ms", "999"}, "--otp-ttl-ms"},
      {{"--otp-resend-interval-ms", "-1"}, "--otp-resend-interval-ms"},
  };
  for (const auto& c : cases) {
    auto loaded = app::LoadConfig(c.flags, kNoEnv, "");
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().field == c.field);
    CHECK(loaded.error().message.find(c.field) != std::string::npos);
  }
}

TEST_CASE("an invalid value from the environment says where it came from") {
  auto loaded = app::LoadConfig({}, EnvFrom({{"OUTBOX_SMTP_PORT", "0"}}), "");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().message.find("env OUTBOX_SMTP_PORT") != std::string::npos);
}

TEST_CASE(".env parsing: comments, export, quotes") {
  auto values = app::ParseDotEnv(
      "# comment\nexport A=1\nB = \"two words\"\nC='x#y'\nD=plain # trailing\r\n\nbroken\n");
  CHECK(values.at("A") == "1");
  CHECK(values.at("B") == "two words");
  CHECK(values.at("C") == "x#y");
  CHECK(values.at("D") == "plain");
  CHECK(values.count("broken") == 0);
}

TEST_CASE("config check masks secrets") {
  auto loaded = app::LoadConfig({"--smtp-host", "h", "--smtp-user", "u", "--smtp-pass",
                                 "hunter2-secret", "--admin-key", "0123456789abcdef0"},
                                kNoEnv, "");
  REQUIRE(loaded.ok());
  const std::string text = app::DescribeConfig(*loaded);
  CHECK(text.find("hunter2") == std::string::npos);
  CHECK(text.find("0123456789abcdef0") == std::string::npos);
  CHECK(text.find("smtp-pass = ****") != std::string::npos);
  CHECK(text.find("smtp-host = h  (flag)") != std::string::npos);
}

TEST_CASE("effective settings: a secret's value is left out, only whether it is set is told") {
  // Every secret of the table is given a value; none of them may show. (An SMTP password needs
  // a user.)
  std::vector<std::string> flags = {"--smtp-user", "u"};
  for (const service::Setting& setting : app::EffectiveSettings(*app::LoadConfig({}, kNoEnv, ""))) {
    if (setting.secret) {
      flags.push_back("--" + setting.name);
      flags.push_back("leak-" + setting.name + "-0123456789");
    }
  }
  REQUIRE(flags.size() >= 10);  // smtp-pass, admin-key, admin-password, callback-secret
  auto loaded = app::LoadConfig(flags, kNoEnv, "");
  REQUIRE_MESSAGE(loaded.ok(), loaded.error().message);
  const std::vector<service::Setting> settings = app::EffectiveSettings(*loaded);
  for (const service::Setting& setting : settings) {
    CAPTURE(setting.name);
    CHECK(setting.value.find("leak-") == std::string::npos);
    if (setting.secret) {
      CHECK(setting.value.empty());
      CHECK(setting.set);
      CHECK(setting.source == "flag");
    }
  }
  CHECK(app::DescribeConfig(*loaded).find("leak-") == std::string::npos);
  // Unset, a secret says so; a plain setting shows its text and where it came from.
  loaded = app::LoadConfig({"--smtp-host", "relay.example"}, kNoEnv, "");
  REQUIRE(loaded.ok());
  for (const service::Setting& setting : app::EffectiveSettings(*loaded)) {
    if (setting.name == "smtp-pass") CHECK_FALSE(setting.set);
    if (setting.name == "smtp-host") {
      CHECK(setting.value == "relay.example");
      CHECK(setting.source == "flag");
    }
    if (setting.name == "listen") CHECK(setting.source == "default");
  }
}

TEST_CASE("effective settings: every setting named like a secret is marked secret in the table") {
  // The mask is the table's own flag; a new setting whose name says it holds a secret but that
  // forgot the flag would be shown in clear by `config check` and GET /v1/settings.
  const std::vector<std::string> secret_words = {"pass", "secret", "key", "salt", "token", "jwt"};
  for (const service::Setting& setting : app::EffectiveSettings(*app::LoadConfig({}, kNoEnv, ""))) {
    CAPTURE(setting.name);
    const bool named_secret = std::any_of(
        secret_words.begin(), secret_words.end(),
        [&](const std::string& word) { return setting.name.find(word) != std::string::npos; });
    // "…-ttl-ms" settings are lifetimes of tokens, not tokens.
    const bool lifetime =
        setting.name.find("-ttl-") != std::string::npos || setting.name == "callback-jwt-hours";
    if (named_secret && !lifetime) CHECK(setting.secret);
  }
}

TEST_CASE("help lists every flag with its environment names") {
  const std::string help = app::ConfigHelp();
  CHECK(help.find("--smtp-host") != std::string::npos);
  CHECK(help.find("smtp_server") != std::string::npos);
  CHECK(help.find("OUTBOX_DURABILITY") != std::string::npos);
}

TEST_CASE("SNS certificate hosts: Amazon's by default; an unusable pattern stops the start") {
  auto loaded = app::LoadConfig({}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.sns_cert_hosts == "sns.*.amazonaws.com");
  loaded =
      app::LoadConfig({}, EnvFrom({{"OUTBOX_SNS_CERT_HOSTS", "127.0.0.1, sns.*.example"}}), "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.sns_cert_hosts == "127.0.0.1, sns.*.example");
  for (const char* bad : {"", " , ", "sns/evil", "host name"}) {
    CAPTURE(bad);
    auto refused = app::LoadConfig({"--sns-cert-hosts", bad}, kNoEnv, "");
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().field == "--sns-cert-hosts");
  }
}

TEST_CASE("retention: 30 days by default, 0 keeps forever, out-of-range values name the setting") {
  auto loaded = app::LoadConfig({}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.retention_days == 30);
  loaded = app::LoadConfig({}, EnvFrom({{"OUTBOX_RETENTION_DAYS", "0"}}), "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.retention_days == 0);
  loaded = app::LoadConfig({"--retention-days", "7"}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.retention_days == 7);
  for (const char* bad : {"-1", "36501", "1.5", "week"}) {
    CAPTURE(bad);
    loaded = app::LoadConfig({"--retention-days", bad}, kNoEnv, "");
    REQUIRE_FALSE(loaded.ok());
    CHECK(loaded.error().field == "--retention-days");
  }
}

TEST_CASE("seed 002's HTTP_HOST and HTTP_PORT replace the host and port of --listen") {
  // The seed's .env, as its README shows it.
  const std::string dotenv =
      "# Auth Service\nHTTP_HOST=0.0.0.0\nHTTP_PORT=8080\nDB_PORT=5434 # Host port for Postgres\n";
  auto loaded = app::LoadConfig({}, kNoEnv, dotenv);
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_host == "0.0.0.0");
  CHECK(loaded->config.listen_port == 8080);
  CHECK(loaded->sources.at("host") == ".env HTTP_HOST");
  CHECK(loaded->sources.at("port") == ".env HTTP_PORT");

  // env > .env; the native names before the aliases; the flags above all.
  loaded = app::LoadConfig({}, EnvFrom({{"HTTP_HOST", "::1"}, {"HTTP_PORT", "9000"}}), dotenv);
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_host == "::1");
  CHECK(loaded->config.listen_port == 9000);
  loaded = app::LoadConfig({}, EnvFrom({{"OUTBOX_PORT", "9001"}, {"HTTP_PORT", "9000"}}), "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_port == 9001);
  loaded = app::LoadConfig({"--host", "[::]", "--port", "9002"},
                           EnvFrom({{"HTTP_HOST", "10.0.0.1"}, {"HTTP_PORT", "9000"}}), "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_host == "::");
  CHECK(loaded->config.listen_port == 9002);

  // Unset, --listen decides.
  loaded = app::LoadConfig({"--listen", "127.0.0.2:7000"}, kNoEnv, "");
  REQUIRE(loaded.ok());
  CHECK(loaded->config.listen_host == "127.0.0.2");
  CHECK(loaded->config.listen_port == 7000);
}

TEST_CASE("a bad HTTP_HOST or HTTP_PORT is refused, naming where it came from") {
  auto loaded = app::LoadConfig({}, EnvFrom({{"HTTP_HOST", "a host"}}), "");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().field == "--host");
  CHECK(loaded.error().message.find("env HTTP_HOST") != std::string::npos);
  loaded = app::LoadConfig({}, kNoEnv, "HTTP_PORT=70000\n");
  REQUIRE_FALSE(loaded.ok());
  CHECK(loaded.error().field == "--port");
  CHECK(loaded.error().message.find(".env HTTP_PORT") != std::string::npos);
}
