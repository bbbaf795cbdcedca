#pragma once
// People: accounts, sign-in sessions, sign-up confirmed by a mailed link, and the audit trail.
// Every door that signs people in (the native /v1/auth routes, seed 001's and seed 002's) calls
// this one service; they differ only in how they encode what it returns.
//
// Sign-in guessing is slowed per account and per client address (LoginLimits): after a few
// failures each further one makes the key wait (1 s, 2 s, 4 s, ...), and after more it is
// locked for a while; a locked key is refused with kResourceExhausted and a retry time before
// any password is checked. An unknown email and a wrong password take the same time (a
// password hash is verified either way) and give the same answer.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "auth/password.h"
#include "auth/principal.h"
#include "auth/roles.h"
#include "auth/sessions.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/email_service.h"
#include "store/audit_store.h"
#include "store/session_store.h"
#include "store/user_store.h"
#include "store/verification_store.h"

namespace service {

struct LoginLimits {
  core::TimeMs window_ms = 15 * 60'000;  // failures older than this are forgotten
  core::TimeMs lock_ms = 15 * 60'000;    // how long a key is locked
  int account_free = 3;   // failures per account before each further one makes it wait
  int account_lock = 10;  // failures per account that lock it
  int address_free = 10;  // the same per client address (shared by everyone behind a NAT)
  int address_lock = 50;
};

// Pure: a throttle's state after one more failure at `now`: the count (restarted when the
// window has passed), and a lock of 2^(failures - free - 1) s once over `free` (at most lock_ms),
// or lock_ms from `lock` failures on.
store::LoginThrottle AfterFailure(const store::LoginThrottle& current, int free, int lock,
                                  const LoginLimits& limits, core::TimeMs now);

struct AccountOptions {
  core::TimeMs access_ttl_ms = 15 * 60'000;
  core::TimeMs refresh_ttl_ms = 30LL * 86'400'000;
  core::TimeMs confirm_ttl_ms = 86'400'000;          // confirmation links
  core::TimeMs cookie_idle_ms = 30 * 60'000;         // a dashboard sign-in unused this long ends
  core::TimeMs cookie_absolute_ms = 12 * 3'600'000;  // and ends this long after it began
  core::TimeMs confirm_resend_ms = 60'000;           // at most one link per address this often
  std::string default_from;  // the sender of link mail; "" for outbox@localhost
  auth::PasswordParams password;
  LoginLimits limits;
  // Hosts a verification's redirect_url may name: "example.com" (exactly) or "*.example.com"
  // (any subdomain). Empty: no redirect is allowed.
  std::vector<std::string> redirect_hosts;
  int callback_attempts = 10;  // of the VERIFIED callback
};

// Where a request came from, for throttling, sessions and the audit trail.
struct Client {
  std::string address;     // the peer's IP address
  std::string user_agent;  // as sent (cut to 256 bytes where stored)
};

// Who acts, for the audit trail: "user:<id>", "key:<id>" or "cli".
std::string ActorOf(const auth::Principal& principal);

struct NewUser {
  std::string email;
  std::string password;  // "" to generate one (returned once by CreateUser)
  std::string name;
  std::string first_name, last_name;  // seed 004
  std::string username;               // seed 001
  auth::Role role = auth::Role::kCustomer;
  bool confirmed = true;  // false: the address must be confirmed by a mailed link
};

struct CreatedUser {
  store::User user;
  std::string generated_password;  // "" unless NewUser::password was empty
};

// What kind of credential a login hands out.
enum class SessionKind {
  kRefreshable,  // an access token and a refresh token (the native API, seed 004)
  kAccessOnly,   // an access token only (seed 002's login)
  kDrfToken,     // one opaque token (seed 001's login)
  kCookie,       // one opaque token for the dashboard's HttpOnly cookie, with an idle expiry
};

struct SignedIn {
  store::User user;
  store::Session session;
  std::string access_token;        // "" for kDrfToken
  std::string refresh_token;       // "" unless kRefreshable
  std::string token;               // kDrfToken's and kCookie's token; "" otherwise
  std::string csrf_token;          // kCookie: what its state-changing requests repeat
  core::TimeMs expires_in_ms = 0;  // the access token's life; kCookie: the idle expiry
};

// POST /v1/verifications: a link for an application's own user.
struct AppVerificationRequest {
  std::string email;
  std::string redirect_url;   // where the confirmed link leads (an allowed host)
  std::string template_name;  // "" for outbox's own mail; else rendered with data + link, email
  nlohmann::json data = nlohmann::json::object();
};

// What a confirmed link leads to.
struct Confirmed {
  store::Verification verification;
  std::string redirect_to;  // purpose "app": redirect_url with ?verification=<id>; else ""
};

// What a confirmation link's page shows before anything is confirmed.
enum class LinkState { kValid, kUsed, kExpired, kUnknown };

class AccountService {
 public:
  AccountService(store::UserStore& users, store::SessionStore& sessions,
                 store::VerificationStore& verifications, store::AuditStore& audit,
                 EmailService& emails, const auth::SessionTokens& tokens, const core::Clock& clock,
                 std::function<void()> wake_callbacks, AccountOptions options);
  AccountService(const AccountService&) = delete;
  AccountService& operator=(const AccountService&) = delete;

  // The base of links in mail (no trailing '/'). Set once, before serving.
  void SetPublicUrl(std::string url) { public_url_ = std::move(url); }
  const std::string& public_url() const { return public_url_; }
  core::TimeMs cookie_absolute_ms() const { return options_.cookie_absolute_ms; }

  // First start: when there is no user at all, creates the admin `email` with `password`, or a
  // generated one when it is "" (returned, to be shown once); nullopt otherwise.
  core::Result<std::optional<std::string>> EnsureAdminUser(const std::string& email,
                                                           const std::string& password);

  // Users ----------------------------------------------------------------------------------
  // Checks the email (a sendable address, at most 254 bytes), password rules, names (at most
  // 200 bytes, no control characters) and that the role is a person's. kAlreadyExists (field
  // "email") when the address is taken.
  core::Result<CreatedUser> CreateUser(const NewUser& user, const std::string& actor,
                                       const Client& client);
  core::Result<store::UserPage> ListUsers(const store::UserQuery& query);
  core::Result<store::User> GetUser(std::int64_t id);
  // kFailedPrecondition when it would leave no enabled admin.
  core::Result<store::User> SetRole(std::int64_t id, auth::Role role, const std::string& actor,
                                    const Client& client);
  // Disabling ends every session of the user. kFailedPrecondition for the last enabled admin.
  core::Result<store::User> SetDisabled(std::int64_t id, bool disabled, const std::string& actor,
                                        const Client& client);
  core::Status DeleteUser(std::int64_t id, const std::string& actor, const Client& client);
  // Sets `password` ("" generates one, returned) and ends the user's sessions.
  core::Result<std::string> ResetPassword(std::int64_t id, const std::string& password,
                                          const std::string& actor, const Client& client);

  // Sessions -------------------------------------------------------------------------------
  // kUnauthenticated "email or password is wrong" for an unknown email, a wrong password or a
  // disabled user (field "password"); kPermissionDenied (field "email") when the address is
  // not confirmed yet; kResourceExhausted with retry_after_seconds while throttled.
  core::Result<SignedIn> Login(const std::string& email, const std::string& password,
                               SessionKind kind, const Client& client);
  // Rotates a refresh token: a new access and refresh token, the old refresh token dead. A
  // refresh token that was rotated already ends its whole session (it was stolen, or the
  // client is broken). kUnauthenticated (field "refresh_token") for every refusal.
  core::Result<SignedIn> Refresh(const std::string& refresh_token, const Client& client);
  // Ends the principal's session: its access and refresh tokens are refused from now on.
  core::Status Logout(const auth::Principal& principal, const Client& client);
  // The user's live sessions, newest first.
  core::Result<std::vector<store::Session>> ListSessions(std::int64_t user_id);
  // Ends one of the user's own sessions; kNotFound for another user's or an unknown one.
  core::Status EndSession(std::int64_t user_id, const std::string& session_id,
                          const auth::Principal& principal, const Client& client);

  // Sign-up with a confirmation link ------------------------------------------------------
  // Creates an unconfirmed customer (CreateUser's checks) and mails a single-use link to
  // <public_url>/api/v1/confirm?token=... (valid confirm_ttl_ms); the mail is in the queue when
  // this returns.
  core::Result<store::User> Register(const NewUser& user, const Client& client);
  // Mails a new link to an unconfirmed account. kResourceExhausted when the last link to the
  // address went out less than confirm_resend_ms ago. Answers ok for an unknown or already
  // confirmed address too (nothing is sent), so the answer does not tell who has an account.
  core::Status ResendConfirmation(const std::string& email, const Client& client);
  // What a link's page shows; reads only, so a mail scanner fetching the link confirms nothing.
  core::Result<LinkState> InspectLink(const std::string& token);
  // Confirms the link, once: a sign-up's account, or an application's verification (whose
  // owner's callback URL then gets a signed VERIFIED callback, queued in the same write).
  // kNotFound for an unknown token, kFailedPrecondition when used, kDeadlineExceeded when
  // expired.
  core::Result<Confirmed> ConfirmLink(const std::string& token, const Client& client);

  // Applications' own users --------------------------------------------------------------
  // Mails a link to `email` for the principal's application (its callback URL hears of the
  // confirmation). kInvalidArgument naming email, redirect_url (not http(s), or a host not in
  // redirect_hosts), template or data.
  core::Result<store::Verification> CreateAppVerification(const auth::Principal& principal,
                                                          const AppVerificationRequest& request);
  // kNotFound for an unknown id, or one of another key's (admins see every one).
  core::Result<store::Verification> GetAppVerification(const auth::Principal& principal,
                                                       const std::string& id);

  // Audit ----------------------------------------------------------------------------------
  // Records an action (errors are logged by the caller's store; an audit failure does not undo
  // the action it describes).
  void Record(const std::string& actor, const std::string& action, const std::string& target,
              const Client& client, const nlohmann::json& detail = nlohmann::json::object());
  core::Result<store::AuditPage> ListAudit(const store::AuditQuery& query);

 private:
  core::Result<SignedIn> OpenSession(const store::User& user, SessionKind kind,
                                     const Client& client);
  // Stores a link to `verification.email` (its token_hash, times and id are set here) and queues
  // its mail: the template's when named, else outbox's own text. Returns it as stored.
  core::Result<store::Verification> MailLink(store::Verification verification,
                                             const std::string& greeting_name,
                                             const std::string& template_name,
                                             const nlohmann::json& data);
  core::Result<store::LoginThrottle> Throttle(const std::string& key,
                                              const store::ThrottleUpdate& update);

  store::UserStore& users_;
  store::SessionStore& sessions_;
  store::VerificationStore& verifications_;
  store::AuditStore& audit_;
  EmailService& emails_;
  const auth::SessionTokens& tokens_;
  const core::Clock& clock_;
  const std::function<void()> wake_callbacks_;
  const AccountOptions options_;
  std::string public_url_;
  const std::string dummy_hash_;  // verified for unknown emails, so they take as long
};

}  // namespace service
