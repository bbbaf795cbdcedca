#include "service/accounts.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "auth/auth.h"
#include "core/log.h"
#include "core/random.h"
#include "hooks/url.h"
#include "mail/message.h"

namespace service {
namespace {

constexpr std::size_t kMaxNameBytes = 200;
constexpr std::size_t kMaxUserAgentBytes = 256;
constexpr char kWrongCredentials[] = "email or password is wrong";
constexpr std::size_t kLinkTokenChars = 43;  // [A-Za-z0-9]: ~256 bits
// The sender of link mail when no --default-from is configured (fine for the capture transport;
// a relay wants a real address).
constexpr char kFallbackFrom[] = "outbox@localhost";

// Whether `host` is one of `allowed`: "example.com" exactly, "*.example.com" any subdomain.
bool RedirectHostAllowed(const std::string& host, const std::vector<std::string>& allowed) {
  for (const std::string& entry : allowed) {
    if (entry.rfind("*.", 0) == 0) {
      const std::string suffix = entry.substr(1);
      if (host.size() > suffix.size() &&
          host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0) {
        return true;
      }
    } else if (host == entry) {
      return true;
    }
  }
  return false;
}

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string UserTarget(std::int64_t id) { return "user:" + std::to_string(id); }

core::Status CheckName(const std::string& value, const char* field) {
  if (value.size() > kMaxNameBytes) {
    return core::InvalidArgument(field, std::string(field) + " must be at most 200 bytes");
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7F) {
      return core::InvalidArgument(field, std::string(field) +
                                              " must not contain control "
                                              "characters");
    }
  }
  return {};
}

core::Error Throttled(core::TimeMs locked_until, core::TimeMs now) {
  core::Error error{core::ErrorCode::kResourceExhausted,
                    "too many failed sign-ins; try again later", "email"};
  error.retry_after_seconds = std::max<long long>(1, (locked_until - now + 999) / 1000);
  return error;
}

core::Error WrongRefresh(const std::string& message) {
  return {core::ErrorCode::kUnauthenticated, message, "refresh_token"};
}

}  // namespace

store::LoginThrottle AfterFailure(const store::LoginThrottle& current, int free, int lock,
                                  const LoginLimits& limits, core::TimeMs now) {
  store::LoginThrottle next = current;
  if (next.failures == 0 || now - next.window_started_at >= limits.window_ms) {
    next.failures = 0;
    next.window_started_at = now;
  }
  ++next.failures;
  if (next.failures >= lock) {
    next.locked_until = now + limits.lock_ms;
  } else if (next.failures > free) {
    const int doublings = std::min(next.failures - free - 1, 30);
    next.locked_until = now + std::min<core::TimeMs>(1000LL << doublings, limits.lock_ms);
  }
  return next;
}

std::string ActorOf(const auth::Principal& principal) {
  return principal.user_id != 0 ? principal.key_id : "key:" + principal.key_id;
}

AccountService::AccountService(store::UserStore& users, store::SessionStore& sessions,
                               store::VerificationStore& verifications, store::AuditStore& audit,
                               EmailService& emails, const auth::SessionTokens& tokens,
                               const core::Clock& clock, std::function<void()> wake_callbacks,
                               AccountOptions options)
    : users_(users),
      sessions_(sessions),
      verifications_(verifications),
      audit_(audit),
      emails_(emails),
      tokens_(tokens),
      clock_(clock),
      wake_callbacks_(std::move(wake_callbacks)),
      options_(std::move(options)),
      dummy_hash_(auth::HashPassword(auth::GeneratePassword(), options_.password)) {}

core::Result<std::optional<std::string>> AccountService::EnsureAdminUser(
    const std::string& email, const std::string& password) {
  auto count = users_.CountUsers("");
  if (!count.ok()) return count.error();
  if (*count > 0) return std::optional<std::string>();
  NewUser admin;
  admin.email = email;
  admin.name = "Administrator";
  admin.role = auth::Role::kAdmin;
  admin.password = password;
  auto created = CreateUser(admin, "cli", {});
  if (!created.ok()) return created.error();
  if (created->generated_password.empty()) return std::optional<std::string>();
  return std::optional<std::string>(created->generated_password);
}

core::Result<CreatedUser> AccountService::CreateUser(const NewUser& request,
                                                     const std::string& actor,
                                                     const Client& client) {
  if (request.email.empty()) return core::InvalidArgument("email", "email is required");
  auto address = mail::ParseSendableAddress(request.email, "email");
  if (!address.ok()) return address.error();
  if (!address->display_name.empty() || address->address != request.email) {
    return core::InvalidArgument("email", "email must be a bare address (user@example.com)");
  }
  if (!auth::IsPersonRole(request.role)) {
    return core::InvalidArgument("role", "role must be admin, manager, customer or viewer");
  }
  for (const auto& [value, field] :
       {std::pair{&request.name, "name"}, std::pair{&request.first_name, "first_name"},
        std::pair{&request.last_name, "last_name"}, std::pair{&request.username, "username"}}) {
    if (auto checked = CheckName(*value, field); !checked.ok()) return checked.error();
  }
  CreatedUser created;
  std::string password = request.password;
  if (password.empty()) {
    password = created.generated_password = auth::GeneratePassword();
  } else if (auto rules = auth::CheckPasswordRules(password); !rules.ok()) {
    return rules.error();
  }
  const core::TimeMs now = clock_.NowMs();
  store::User user;
  user.email = request.email;
  user.name = request.name;
  user.first_name = request.first_name;
  user.last_name = request.last_name;
  user.username = request.username;
  user.role = std::string(auth::RoleName(request.role));
  user.password_hash = auth::HashPassword(password, options_.password);
  user.created_at = now;
  if (request.confirmed) user.confirmed_at = now;
  auto stored = users_.CreateUser(user);
  if (!stored.ok()) {
    if (stored.error().code == core::ErrorCode::kAlreadyExists) {
      return core::Error{core::ErrorCode::kAlreadyExists, "a user with this email exists", "email"};
    }
    return stored.error();
  }
  created.user = std::move(*stored);
  Record(actor, "user_created", UserTarget(created.user.id), client,
         {{"email", created.user.email}, {"role", created.user.role}});
  return created;
}

core::Result<store::UserPage> AccountService::ListUsers(const store::UserQuery& query) {
  return users_.ListUsers(query);
}

core::Result<store::User> AccountService::GetUser(std::int64_t id) { return users_.GetUser(id); }

core::Result<store::User> AccountService::SetRole(std::int64_t id, auth::Role role,
                                                  const std::string& actor, const Client& client) {
  if (!auth::IsPersonRole(role)) {
    return core::InvalidArgument("role", "role must be admin, manager, customer or viewer");
  }
  auto before = users_.GetUser(id);
  if (!before.ok()) return before.error();
  store::UserChange change;
  change.role = std::string(auth::RoleName(role));
  auto user = users_.UpdateUser(id, change, clock_.NowMs());
  if (!user.ok()) return user.error();
  if (before->role != user->role) {
    Record(actor, "role_changed", UserTarget(id), client,
           {{"from", before->role}, {"to", user->role}});
  }
  return user;
}

core::Result<store::User> AccountService::SetDisabled(std::int64_t id, bool disabled,
                                                      const std::string& actor,
                                                      const Client& client) {
  const core::TimeMs now = clock_.NowMs();
  store::UserChange change;
  change.disabled_at = disabled ? std::optional<core::TimeMs>(now) : std::nullopt;
  auto user = users_.UpdateUser(id, change, now);
  if (!user.ok()) return user.error();
  Record(actor, disabled ? "user_disabled" : "user_enabled", UserTarget(id), client);
  return user;
}

core::Status AccountService::DeleteUser(std::int64_t id, const std::string& actor,
                                        const Client& client) {
  auto user = users_.GetUser(id);
  if (!user.ok()) return user.error();
  if (auto deleted = users_.DeleteUser(id); !deleted.ok()) return deleted.error();
  Record(actor, "user_deleted", UserTarget(id), client, {{"email", user->email}});
  return {};
}

core::Result<std::string> AccountService::ResetPassword(std::int64_t id,
                                                        const std::string& password,
                                                        const std::string& actor,
                                                        const Client& client) {
  std::string generated;
  std::string chosen = password;
  if (chosen.empty()) {
    chosen = generated = auth::GeneratePassword();
  } else if (auto rules = auth::CheckPasswordRules(chosen); !rules.ok()) {
    return rules.error();
  }
  const core::TimeMs now = clock_.NowMs();
  store::UserChange change;
  change.password_hash = auth::HashPassword(chosen, options_.password);
  auto user = users_.UpdateUser(id, change, now);
  if (!user.ok()) return user.error();
  auto ended = sessions_.RevokeUserSessions(id, now, "password");
  if (!ended.ok()) return ended.error();
  Record(actor, "password_reset", UserTarget(id), client, {{"sessions_ended", *ended}});
  return generated;
}

core::Result<store::LoginThrottle> AccountService::Throttle(const std::string& key,
                                                            const store::ThrottleUpdate& update) {
  return users_.UpdateLoginThrottle(key, update);
}

core::Result<SignedIn> AccountService::Login(const std::string& email, const std::string& password,
                                             SessionKind kind, const Client& client) {
  const core::TimeMs now = clock_.NowMs();
  const LoginLimits& limits = options_.limits;
  const std::string account_name = Lower(email.substr(0, 254));
  const std::string account_key = "account:" + account_name;
  const std::string address_key = "address:" + client.address;
  const auto unchanged = [](const store::LoginThrottle& current) { return current; };
  for (const std::string* key : {&account_key, &address_key}) {
    auto state = Throttle(*key, unchanged);
    if (!state.ok()) return state.error();
    if (state->locked_until > now) return Throttled(state->locked_until, now);
  }

  auto user = email.empty() || email.size() > 254
                  ? core::Result<store::User>(core::NotFound("no such user"))
                  : users_.FindUserByEmail(email);
  if (!user.ok() && user.error().code != core::ErrorCode::kNotFound) return user.error();
  // The same work for an unknown email as for a known one.
  const bool matches =
      auth::VerifyPassword(password, user.ok() ? user->password_hash : dummy_hash_) && user.ok();
  if (!matches || user->disabled_at.has_value()) {
    // The wait runs from the failure's answer, not from the request's start: the password hash
    // alone can take longer than the first wait on a busy machine.
    const core::TimeMs failed_at = clock_.NowMs();
    struct Counted {
      const std::string* key;
      int free, lock;
    };
    for (const Counted counted :
         {Counted{&account_key, limits.account_free, limits.account_lock},
          Counted{&address_key, limits.address_free, limits.address_lock}}) {
      auto state = Throttle(*counted.key, [&](const store::LoginThrottle& current) {
        return AfterFailure(current, counted.free, counted.lock, limits, failed_at);
      });
      if (!state.ok()) return state.error();
    }
    // Whoever failed is unknown: the actor stays anonymous, the account is the target.
    Record("", "login_failed", user.ok() ? UserTarget(user->id) : account_name, client,
           {{"reason", !matches ? "wrong email or password" : "disabled"}});
    return core::Error{core::ErrorCode::kUnauthenticated, kWrongCredentials, "password"};
  }
  auto cleared =
      Throttle(account_key, [](const store::LoginThrottle&) { return store::LoginThrottle{}; });
  if (!cleared.ok()) return cleared.error();
  if (!user->confirmed_at.has_value()) {
    return core::Error{core::ErrorCode::kPermissionDenied,
                       "the email address is not confirmed yet: follow the link in the "
                       "confirmation mail",
                       "email"};
  }
  auto signed_in = OpenSession(*user, kind, client);
  if (!signed_in.ok()) return signed_in.error();
  Record(UserTarget(user->id), "login", "session:" + signed_in->session.id, client);
  return signed_in;
}

core::Result<SignedIn> AccountService::OpenSession(const store::User& user, SessionKind kind,
                                                   const Client& client) {
  const core::TimeMs now = clock_.NowMs();
  SignedIn out;
  out.user = user;
  store::Session& session = out.session;
  session.id = core::RandomUuid();
  session.user_id = user.id;
  session.created_at = session.last_used_at = now;
  session.expires_at = now + options_.refresh_ttl_ms;
  session.address = client.address;
  session.user_agent = client.user_agent.substr(0, kMaxUserAgentBytes);
  std::string refresh_hash;
  switch (kind) {
    case SessionKind::kRefreshable:
      out.refresh_token = auth::GenerateRefreshToken();
      refresh_hash = auth::HashKey(out.refresh_token);
      break;
    case SessionKind::kAccessOnly: session.expires_at = now + options_.access_ttl_ms; break;
    case SessionKind::kDrfToken:
      session.kind = "token";
      out.token = auth::GenerateDrfToken();
      session.token_hash = auth::HashKey(out.token);
      break;
    case SessionKind::kCookie:
      session.kind = "cookie";
      session.expires_at = now + options_.cookie_idle_ms;
      out.token = core::RandomToken(48);
      session.token_hash = auth::HashKey(out.token);
      out.csrf_token = tokens_.CsrfToken(session.id);
      out.expires_in_ms = options_.cookie_idle_ms;
      break;
  }
  if (auto created = sessions_.CreateSession(session, refresh_hash); !created.ok()) {
    return created.error();
  }
  if (kind != SessionKind::kDrfToken && kind != SessionKind::kCookie) {
    out.access_token = tokens_.Issue(session, now, options_.access_ttl_ms);
    out.expires_in_ms = options_.access_ttl_ms;
  }
  return out;
}

core::Result<SignedIn> AccountService::Refresh(const std::string& refresh_token,
                                               const Client& client) {
  if (refresh_token.empty()) {
    return core::InvalidArgument("refresh_token", "refresh_token is required");
  }
  if (refresh_token.size() > 256) return WrongRefresh("invalid refresh token");
  const core::TimeMs now = clock_.NowMs();
  SignedIn out;
  out.refresh_token = auth::GenerateRefreshToken();
  auto rotated = sessions_.RotateRefreshToken(auth::HashKey(refresh_token),
                                              auth::HashKey(out.refresh_token), now);
  if (!rotated.ok()) return rotated.error();
  switch (rotated->outcome) {
    case store::RefreshOutcome::kRotated: break;
    case store::RefreshOutcome::kReused:
      Record(UserTarget(rotated->session.user_id), "refresh_reused",
             "session:" + rotated->session.id, client);
      return WrongRefresh("refresh token was already used: the session is ended");
    case store::RefreshOutcome::kUnknown: return WrongRefresh("invalid refresh token");
    case store::RefreshOutcome::kDead: return WrongRefresh("session ended");
  }
  auto principal = auth::PrincipalOfSession(users_, rotated->session, now, "session ended");
  if (!principal.ok()) return WrongRefresh(principal.error().message);
  auto user = users_.GetUser(rotated->session.user_id);
  if (!user.ok()) return user.error();
  out.user = std::move(*user);
  out.session = std::move(rotated->session);
  out.access_token = tokens_.Issue(out.session, now, options_.access_ttl_ms);
  out.expires_in_ms = options_.access_ttl_ms;
  return out;
}

core::Status AccountService::Logout(const auth::Principal& principal, const Client& client) {
  if (principal.session_id.empty()) {
    return core::Error{core::ErrorCode::kPermissionDenied,
                       "only a signed-in person can log out; an API key has no session",
                       "Authorization"};
  }
  auto revoked = sessions_.RevokeSession(principal.session_id, clock_.NowMs(), "logout");
  if (!revoked.ok()) return revoked.error();
  Record(ActorOf(principal), "logout", "session:" + principal.session_id, client);
  return {};
}

core::Result<std::vector<store::Session>> AccountService::ListSessions(std::int64_t user_id) {
  return sessions_.ListLiveSessions(user_id, clock_.NowMs());
}

core::Status AccountService::EndSession(std::int64_t user_id, const std::string& session_id,
                                        const auth::Principal& principal, const Client& client) {
  auto session = sessions_.GetSession(session_id);
  if (!session.ok() || session->user_id != user_id) return core::NotFound("no such session");
  auto revoked = sessions_.RevokeSession(session_id, clock_.NowMs(), "ended");
  if (!revoked.ok()) return revoked.error();
  Record(ActorOf(principal), "session_ended", "session:" + session_id, client);
  return {};
}

core::Result<store::User> AccountService::Register(const NewUser& request, const Client& client) {
  NewUser customer = request;
  customer.role = auth::Role::kCustomer;
  customer.confirmed = false;
  if (customer.password.empty()) return core::InvalidArgument("password", "password is required");
  auto created = CreateUser(customer, "", client);
  if (!created.ok()) return created.error();
  store::Verification link;
  link.purpose = "signup";
  link.user_id = created->user.id;
  link.email = created->user.email;
  if (auto mailed = MailLink(link, created->user.name, "", {}); !mailed.ok()) {
    // Nothing half done: without its link the account could never be confirmed.
    (void)users_.DeleteUser(created->user.id);
    return mailed.error();
  }
  return created->user;
}

core::Result<store::Verification> AccountService::MailLink(store::Verification verification,
                                                           const std::string& greeting_name,
                                                           const std::string& template_name,
                                                           const nlohmann::json& data) {
  const core::TimeMs now = clock_.NowMs();
  const std::string token = core::RandomToken(kLinkTokenChars);
  verification.id = core::TimeOrderedId("ver_", now);
  verification.token_hash = auth::HashKey(token);
  verification.created_at = now;
  verification.expires_at = now + options_.confirm_ttl_ms;
  const std::string link = public_url_ + "/api/v1/confirm?token=" + token;
  SendEmailRequest mail;
  mail.from = options_.default_from.empty() ? kFallbackFrom : options_.default_from;
  mail.to = {verification.email};
  mail.tags = {verification.purpose == "signup" ? "confirmation" : "verification"};
  mail.redact_when_done = true;
  if (!template_name.empty()) {
    mail.template_name = template_name;
    mail.template_data = data;
    mail.template_data["link"] = link;
    mail.template_data["email"] = verification.email;
  } else {
    mail.subject = "Confirm your email address";
    mail.text = "Hello" + (greeting_name.empty() ? std::string() : " " + greeting_name) +
                ",\r\n\r\nplease confirm your email address by opening this link:\r\n\r\n" + link +
                "\r\n\r\nThe link works once and expires in " +
                std::to_string(options_.confirm_ttl_ms / 3'600'000) +
                " hours. If you did not ask for it, ignore this mail.\r\n";
  }
  if (auto stored = verifications_.CreateVerification(verification); !stored.ok()) {
    return stored.error();
  }
  const auth::Principal system{"system:accounts", auth::Role::kAdmin};
  auto sent = emails_.Send(std::move(mail), system, std::nullopt);
  if (!sent.ok()) return sent.error();
  return verification;
}

core::Status AccountService::ResendConfirmation(const std::string& email, const Client& client) {
  if (email.empty()) return core::InvalidArgument("email", "email is required");
  auto user = users_.FindUserByEmail(email);
  if (!user.ok()) {
    return user.error().code == core::ErrorCode::kNotFound ? core::Status() : user.error();
  }
  if (user->confirmed_at.has_value() || user->disabled_at.has_value()) return {};
  auto latest = verifications_.LatestVerification("signup", email);
  if (!latest.ok()) return latest.error();
  const core::TimeMs now = clock_.NowMs();
  if (latest->has_value() && now - (*latest)->created_at < options_.confirm_resend_ms) {
    core::Error error{core::ErrorCode::kResourceExhausted,
                      "a confirmation link was sent moments ago; wait before asking again",
                      "email"};
    error.retry_after_seconds =
        ((*latest)->created_at + options_.confirm_resend_ms - now + 999) / 1000;
    return error;
  }
  store::Verification link;
  link.purpose = "signup";
  link.user_id = user->id;
  link.email = user->email;
  if (auto mailed = MailLink(link, user->name, "", {}); !mailed.ok()) return mailed.error();
  Record("", "confirmation_resent", UserTarget(user->id), client);
  return {};
}

core::Result<LinkState> AccountService::InspectLink(const std::string& token) {
  if (token.empty() || token.size() > 256) return LinkState::kUnknown;
  auto found = verifications_.FindVerificationByTokenHash(auth::HashKey(token));
  if (!found.ok()) {
    if (found.error().code == core::ErrorCode::kNotFound) return LinkState::kUnknown;
    return found.error();
  }
  if (found->confirmed_at.has_value()) return LinkState::kUsed;
  if (clock_.NowMs() >= found->expires_at) return LinkState::kExpired;
  return LinkState::kValid;
}

core::Result<Confirmed> AccountService::ConfirmLink(const std::string& token,
                                                    const Client& client) {
  if (token.empty() || token.size() > 256) return core::NotFound("unknown confirmation link");
  const std::string hash = auth::HashKey(token);
  auto found = verifications_.FindVerificationByTokenHash(hash);
  if (!found.ok()) return found.error();
  const core::TimeMs now = clock_.NowMs();
  std::optional<store::NewCallback> callback;
  if (found->purpose == "app" && !found->callback_url.empty()) {
    const nlohmann::json payload = {{"event", "VERIFIED"},
                                    {"verificationId", found->id},
                                    {"email", found->email},
                                    {"confirmedAt", core::FormatRfc3339(now)}};
    callback = store::NewCallback{found->owner, found->callback_url, "VERIFIED",
                                  found->id,    payload.dump(),      now};
  }
  auto confirmed =
      verifications_.ConfirmVerification(hash, now, callback, options_.callback_attempts);
  if (!confirmed.ok()) return confirmed.error();
  if (callback && wake_callbacks_) wake_callbacks_();
  const bool signup = confirmed->user_id != 0;
  Record(signup ? UserTarget(confirmed->user_id) : confirmed->owner, "email_confirmed",
         signup ? UserTarget(confirmed->user_id) : "verification:" + confirmed->id, client);
  Confirmed out{std::move(*confirmed), ""};
  if (!out.verification.redirect_url.empty()) {
    const char separator = out.verification.redirect_url.find('?') == std::string::npos ? '?' : '&';
    out.redirect_to =
        out.verification.redirect_url + separator + "verification=" + out.verification.id;
  }
  return out;
}

core::Result<store::Verification> AccountService::CreateAppVerification(
    const auth::Principal& principal, const AppVerificationRequest& request) {
  if (request.email.empty()) return core::InvalidArgument("email", "email is required");
  auto address = mail::ParseSendableAddress(request.email, "email");
  if (!address.ok()) return address.error();
  if (!address->display_name.empty() || address->address != request.email) {
    return core::InvalidArgument("email", "email must be a bare address (user@example.com)");
  }
  if (request.redirect_url.empty()) {
    return core::InvalidArgument("redirect_url", "redirect_url is required");
  }
  auto url = hooks::ParseHttpUrl(request.redirect_url, "redirect_url");
  if (!url.ok()) return url.error();
  if (!RedirectHostAllowed(url->host, options_.redirect_hosts)) {
    return core::InvalidArgument(
        "redirect_url", "redirect_url's host " + url->host + " is not in --redirect-hosts");
  }
  if (!request.data.is_object()) return core::InvalidArgument("data", "data must be an object");
  store::Verification verification;
  verification.purpose = "app";
  verification.owner = principal.key_id;
  verification.email = request.email;
  verification.redirect_url = request.redirect_url;
  verification.callback_url = principal.callback_url;
  return MailLink(verification, "", request.template_name, request.data);
}

core::Result<store::Verification> AccountService::GetAppVerification(
    const auth::Principal& principal, const std::string& id) {
  auto found = verifications_.GetVerification(id);
  if (!found.ok()) return found.error();
  if (found->purpose != "app" ||
      (principal.role != auth::Role::kAdmin && found->owner != principal.key_id)) {
    return core::NotFound("no such verification");
  }
  return found;
}

void AccountService::Record(const std::string& actor, const std::string& action,
                            const std::string& target, const Client& client,
                            const nlohmann::json& detail) {
  store::AuditEntry entry;
  entry.at = clock_.NowMs();
  entry.actor = actor;
  entry.action = action;
  entry.target = target;
  entry.address = client.address;
  entry.detail = detail.dump();
  // The action happened whether or not its record could be written; a store that cannot append
  // fails the next write of the action's caller too, which is where it is reported.
  (void)audit_.AppendAudit(entry);
}

core::Result<store::AuditPage> AccountService::ListAudit(const store::AuditQuery& query) {
  return audit_.ListAudit(query);
}

}  // namespace service
