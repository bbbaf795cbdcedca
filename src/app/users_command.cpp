#include "app/users_command.h"

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>

#include "auth/key_file.h"
#include "auth/roles.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "service/accounts.h"
#include "service/email_service.h"
#include "service/templates.h"
#include "store/sqlite/sqlite_store.h"

namespace app {
namespace {

constexpr int kOk = 0;
constexpr int kFailure = 1;
constexpr int kUsage = 2;

const char kUsageText[] =
    "usage: outbox users <command> [--data-dir DIR ...]\n"
    "  add EMAIL [--role R] [--name N] [--password-stdin]\n"
    "                          create a confirmed user (role: admin, manager, customer, viewer;\n"
    "                          default customer); prints the generated password unless one is\n"
    "                          read from standard input\n"
    "  list [--role R]         id, email, role, confirmed, disabled\n"
    "  set-role EMAIL ROLE\n"
    "  reset-password EMAIL [--password-stdin]\n"
    "                          ends the user's sessions; prints the generated password unless\n"
    "                          one is read from standard input\n"
    "  disable EMAIL           refuses sign-in and ends every session of the user\n"
    "  enable EMAIL\n";

int Fail(const core::Error& error) {
  std::cerr << "outbox: " << error.message << "\n";
  return kFailure;
}

int UsageError(const std::string& message) {
  std::cerr << "outbox: " << message << "\n" << kUsageText;
  return kUsage;
}

// Removes `--name value` (or `--name=value`) from args; nullopt when absent. A flag without a
// value sets `missing`.
std::optional<std::string> TakeFlag(std::vector<std::string>& args, const std::string& name,
                                    bool& missing) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      if (it + 1 == args.end()) {
        missing = true;
        return std::nullopt;
      }
      std::string value = *(it + 1);
      args.erase(it, it + 2);
      return value;
    }
    if (it->rfind(name + "=", 0) == 0) {
      std::string value = it->substr(name.size() + 1);
      args.erase(it);
      return value;
    }
  }
  return std::nullopt;
}

bool TakeSwitch(std::vector<std::string>& args, const std::string& name) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (*it == name) {
      args.erase(it);
      return true;
    }
  }
  return false;
}

std::string ReadPassword() {
  std::string line;
  std::getline(std::cin, line);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

std::optional<auth::Role> PersonRole(const std::string& name) {
  const auto role = auth::ParseRole(name);
  if (role && auth::IsPersonRole(*role)) return role;
  return std::nullopt;
}

// The services of a running server that the commands need, over a store opened beside it.
struct Accounts {
  std::unique_ptr<core::Clock> clock = core::NewSystemClock();
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::TemplateService> templates;
  std::unique_ptr<service::EmailService> emails;
  std::unique_ptr<auth::SessionTokens> tokens;
  std::unique_ptr<service::AccountService> service;
};

core::Result<std::unique_ptr<Accounts>> OpenAccounts(const Config& config) {
  auto accounts = std::make_unique<Accounts>();
  if (!std::filesystem::exists(config.DatabasePath())) {
    return core::FailedPrecondition("no database at " + config.DatabasePath() +
                                    " (start the server once, or run `outbox migrate`)");
  }
  store::SqliteOptions options{config.DatabasePath(), config.durability};
  options.exclusive = false;
  auto opened = store::OpenSqliteStore(options);
  if (!opened.ok()) return opened.error();
  accounts->store = std::move(*opened);
  auto secrets = auth::LoadServerSecrets(
      (std::filesystem::path(config.data_dir) / auth::kKeyFileName).string(), *accounts->store);
  if (!secrets.ok()) return secrets.error();
  accounts->templates =
      std::make_unique<service::TemplateService>(*accounts->store, *accounts->clock);
  accounts->emails = std::make_unique<service::EmailService>(
      service::ServiceOptions{config.default_from, config.max_attempts}, *accounts->store,
      *accounts->store, *accounts->templates, *accounts->clock, [] {});
  accounts->tokens = std::make_unique<auth::SessionTokens>(*accounts->store, *accounts->store,
                                                           *accounts->clock, secrets->sessions);
  accounts->service = std::make_unique<service::AccountService>(
      *accounts->store, *accounts->store, *accounts->store, *accounts->store, *accounts->emails,
      *accounts->tokens, *accounts->clock, nullptr, service::AccountOptions{});
  return accounts;
}

}  // namespace

int UsersCommand(
    std::vector<std::string> args,
    const std::function<core::Result<LoadedConfig>(const std::vector<std::string>&)>& load) {
  if (args.empty() || args[0].rfind("-", 0) == 0) return UsageError("which users command?");
  const std::string command = args[0];
  args.erase(args.begin());
  std::vector<std::string> operands;
  while (!args.empty() && args[0].rfind("-", 0) != 0) {
    operands.push_back(args[0]);
    args.erase(args.begin());
  }
  bool missing = false;
  const std::optional<std::string> role_flag = TakeFlag(args, "--role", missing);
  const std::optional<std::string> name_flag = TakeFlag(args, "--name", missing);
  const bool password_stdin = TakeSwitch(args, "--password-stdin");
  if (missing) return UsageError("a flag is missing its value");
  auto loaded = load(args);
  if (!loaded.ok()) return UsageError(loaded.error().message);

  const std::size_t wanted = command == "list" ? 0 : command == "set-role" ? 2 : 1;
  if (operands.size() != wanted) return UsageError("wrong number of arguments for " + command);
  std::optional<auth::Role> role;
  if (role_flag) {
    role = PersonRole(*role_flag);
    if (!role) return UsageError("--role must be admin, manager, customer or viewer");
  }
  auto accounts = OpenAccounts(loaded->config);
  if (!accounts.ok()) return Fail(accounts.error());
  service::AccountService& service = *(*accounts)->service;
  const service::Client cli;

  if (command == "list") {
    store::UserQuery query;
    query.role = role ? std::string(auth::RoleName(*role)) : "";
    query.limit = 1000;
    std::printf("%-6s %-40s %-9s %-9s %s\n", "id", "email", "role", "confirmed", "disabled");
    do {
      auto page = service.ListUsers(query);
      if (!page.ok()) return Fail(page.error());
      for (const store::User& user : page->users) {
        std::printf("%-6lld %-40s %-9s %-9s %s\n", static_cast<long long>(user.id),
                    user.email.c_str(), user.role.c_str(), user.confirmed_at ? "yes" : "no",
                    user.disabled_at ? "yes" : "no");
      }
      query.cursor = page->next_cursor;
    } while (!query.cursor.empty());
    return kOk;
  }
  if (command == "add") {
    service::NewUser user;
    user.email = operands[0];
    user.name = name_flag.value_or("");
    user.role = role.value_or(auth::Role::kCustomer);
    if (password_stdin) user.password = ReadPassword();
    if (password_stdin && user.password.empty()) return UsageError("no password on stdin");
    auto created = service.CreateUser(user, "cli", cli);
    if (!created.ok()) return Fail(created.error());
    std::printf("outbox: user %lld %s (%s) created\n", static_cast<long long>(created->user.id),
                created->user.email.c_str(), created->user.role.c_str());
    if (!created->generated_password.empty()) {
      std::printf("password (shown once): %s\n", created->generated_password.c_str());
    }
    return kOk;
  }
  if (command != "set-role" && command != "reset-password" && command != "disable" &&
      command != "enable") {
    return UsageError("unknown users command '" + command + "'");
  }
  auto found = (*accounts)->store->FindUserByEmail(operands[0]);
  if (!found.ok()) return Fail(found.error());
  if (command == "set-role") {
    const auto new_role = PersonRole(operands[1]);
    if (!new_role) return UsageError("the role must be admin, manager, customer or viewer");
    auto user = service.SetRole(found->id, *new_role, "cli", cli);
    if (!user.ok()) return Fail(user.error());
    std::printf("outbox: %s is now %s\n", user->email.c_str(), user->role.c_str());
    return kOk;
  }
  if (command == "reset-password") {
    const std::string chosen = password_stdin ? ReadPassword() : "";
    if (password_stdin && chosen.empty()) return UsageError("no password on stdin");
    auto generated = service.ResetPassword(found->id, chosen, "cli", cli);
    if (!generated.ok()) return Fail(generated.error());
    std::printf("outbox: password of %s changed; their sessions are ended\n", found->email.c_str());
    if (!generated->empty()) std::printf("password (shown once): %s\n", generated->c_str());
    return kOk;
  }
  auto user = service.SetDisabled(found->id, command == "disable", "cli", cli);
  if (!user.ok()) return Fail(user.error());
  std::printf("outbox: %s %s\n", user->email.c_str(),
              command == "disable" ? "disabled; their sessions are ended" : "enabled");
  return kOk;
}

}  // namespace app
