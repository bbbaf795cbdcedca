#pragma once
// The GoMail-compatible API (see README "GoMail-compatible routes"): user keys (HS256 JWTs
// stored hashed as "client" API keys), tasks (message, generateOtp) turned into emails through
// EmailService, subscriptions and their content types (through NewsletterService), one-time code
// verification and the job counters. Routes decode JSON, call one
// function here and encode the answer in GoMail's {"status", "msg"} shape.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/email_service.h"
#include "service/newsletters.h"
#include "store/access_store.h"
#include "store/job_queue.h"

namespace service {

inline constexpr int kMaxGoMailRetries = 49;  // max_attempts = retries + 1 <= 50

enum class TaskType { kMessage, kGenerateOtp, kSubscribe, kUnsubscribe };

// A validated /task/ request.
struct GoMailTask {
  std::string task;  // the caller's description
  TaskType type = TaskType::kMessage;
  int retries = 0;
  std::string user_id;                  // recipient address
  int length = 0;                       // generateOtp
  std::string subject, content;         // message; subscribe (optional: creates the type)
  std::string frequency, content_type;  // subscribe, unsubscribe
};

// Pure: validates a /task/ body per GoMail's table. kInvalidArgument naming what is wrong.
core::Result<GoMailTask> ParseGoMailTask(const nlohmann::json& body);

// Pure: a content type name is 1-128 characters of [A-Za-z0-9_.-].
inline constexpr std::size_t kMaxContentTypeName = 128;
core::Status ValidateContentTypeName(const std::string& name);

// Pure: validates a /task/subscriptionContent body ({"content_type", "subject", "content"}, all
// non-empty strings). kInvalidArgument naming what is wrong.
core::Result<store::ContentType> ParseContentTypeBody(const nlohmann::json& body);

// Pure: a GoMail user id must be a bare e-mail address; returns it lower-cased.
core::Result<std::string> NormalizeUserId(const nlohmann::json& value, const std::string& field);

// Pure: the text alternative of an HTML body (tags dropped, block ends as line breaks, the
// common entities decoded, runs of blank space collapsed).
std::string HtmlToText(std::string_view html);

// Pure: the text with commas that directly precede '}' or ']' (outside strings) removed, so the
// README's examples, which carry trailing commas, parse.
std::string DropTrailingCommas(std::string_view json_text);

// Pure: a GoMail request body (trailing commas tolerated) as a JSON object, else
// kInvalidArgument.
core::Result<nlohmann::json> ParseGoMailJson(std::string_view body);

struct GoMailOptions {
  bool open_signup = false;
  core::TimeMs otp_ttl_ms = 600'000;
  core::TimeMs otp_resend_interval_ms = 30'000;
  std::string default_from;  // empty: message tasks are refused with kUnavailable
};

struct OtpSent {
  std::string email_id;  // the mail carrying the code
  core::TimeMs expires_at = 0;
};

struct GoMailMetrics {
  std::int64_t executed = 0;  // successful + failed (final outcomes; retries not counted)
  std::int64_t successful = 0;
  std::int64_t failed = 0;
};

class GoMailService {
 public:
  // Loads (creating on first start) the JWT and OTP secrets from the store's settings.
  static core::Result<std::unique_ptr<GoMailService>> Create(
      const GoMailOptions& options, store::AccessStore& store, store::JobQueue& jobs,
      EmailService& emails, NewsletterService& newsletters,
      const auth::Authenticator& authenticator, const core::Clock& clock);
  GoMailService(const GoMailService&) = delete;
  GoMailService& operator=(const GoMailService&) = delete;

  bool open_signup() const { return options_.open_signup; }

  // An Authorization header (bare or "Bearer ") to a principal. Tokens shaped like a JWT must
  // also verify as HS256 with this server's secret. kUnauthenticated otherwise.
  core::Result<auth::Principal> Authenticate(std::string_view authorization) const;

  // Issues the key of a new user: kInvalidArgument for a bad id, kAlreadyExists if registered.
  core::Result<std::string> Signup(const nlohmann::json& body);
  // Deletes the user's keys; by the user's own key or an admin key (else kPermissionDenied).
  // kNotFound if the user is not registered.
  core::Status Deregister(const nlohmann::json& body, const auth::Principal& principal);
  // Enqueues a task; client keys only (kPermissionDenied for others). subscribe stores the
  // subscription (creating its content type from subject/content if it does not exist, else
  // kInvalidArgument naming the missing fields); unsubscribe removes it and succeeds also when
  // there was none (GoMail answers before its worker looks).
  core::Status Enqueue(const GoMailTask& task, const auth::Principal& principal);
  // /task/subscriptionContent, client keys only like tasks: POST creates a content type
  // (kAlreadyExists if it exists), PUT replaces its subject and content (kNotFound if missing).
  core::Status CreateContentType(const nlohmann::json& body, const auth::Principal& principal);
  core::Status UpdateContentType(const nlohmann::json& body, const auth::Principal& principal);
  // Whether the code is right (single use, locked after 5 failures, expired -> false).
  core::Result<bool> Verify(const nlohmann::json& body);

  // The one-time code operations behind generateOtp and /task/verify, also used by /v1/otp.
  // `recipient` is a bare, lower-cased address (NormalizeUserId); `length` 4-8. The code
  // replaces the recipient's previous one; kResourceExhausted if one was sent less than the
  // resend interval ago; kUnavailable without a configured sender.
  core::Result<OtpSent> SendCode(const std::string& recipient, int length, int max_attempts,
                                 const std::string& task_name, const auth::Principal& principal);
  core::Result<bool> VerifyCode(const std::string& recipient, const std::string& code);
  core::Result<GoMailMetrics> Metrics();

 private:
  GoMailService(const GoMailOptions& options, store::AccessStore& store, store::JobQueue& jobs,
                EmailService& emails, NewsletterService& newsletters,
                const auth::Authenticator& authenticator, const core::Clock& clock,
                std::string jwt_secret, std::string otp_secret)
      : options_(options),
        store_(store),
        jobs_(jobs),
        emails_(emails),
        newsletters_(newsletters),
        authenticator_(authenticator),
        clock_(clock),
        jwt_secret_(std::move(jwt_secret)),
        otp_secret_(std::move(otp_secret)) {}

  core::Status SendMessage(const GoMailTask& task, const auth::Principal& principal);
  core::Status SendOtp(const GoMailTask& task, const auth::Principal& principal);
  core::Status Subscribe(const GoMailTask& task);
  core::Status Unsubscribe(const GoMailTask& task);

  const GoMailOptions options_;
  store::AccessStore& store_;
  store::JobQueue& jobs_;  // for the job counters of Metrics
  EmailService& emails_;
  NewsletterService& newsletters_;
  const auth::Authenticator& authenticator_;
  const core::Clock& clock_;
  const std::string jwt_secret_;
  const std::string otp_secret_;
};

}  // namespace service
