#pragma once
// The GoMail-compatible API (see README "GoMail-compatible routes"): signing users up and off
// (their keys are HS256 JWTs, auth::UserKeys, stored hashed as role-client API keys), tasks
// (message, generateOtp) turned into emails through EmailService and OtpService, subscriptions
// and their content types (through NewsletterService), one-time code verification and the job
// counters. Routes decode JSON, call one function here and encode the answer in GoMail's
// {"status", "msg"} shape.
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "auth/auth.h"
#include "auth/user_keys.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/email_service.h"
#include "service/newsletters.h"
#include "service/otp.h"
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

// Pure: validates a /task/subscriptionContent body ({"content_type", "subject", "content"}, all
// non-empty strings). kInvalidArgument naming what is wrong.
core::Result<store::ContentType> ParseContentTypeBody(const nlohmann::json& body);

// Pure: the text with commas that directly precede '}' or ']' (outside strings) removed, so the
// README's examples, which carry trailing commas, parse.
std::string DropTrailingCommas(std::string_view json_text);

// Pure: a GoMail request body (trailing commas tolerated) as a JSON object, else
// kInvalidArgument.
core::Result<nlohmann::json> ParseGoMailJson(std::string_view body);

struct GoMailOptions {
  std::string default_from;  // empty: message tasks are refused with kUnavailable
};

struct GoMailMetrics {
  std::int64_t executed = 0;  // successful + failed (final outcomes; retries not counted)
  std::int64_t successful = 0;
  std::int64_t failed = 0;
};

class GoMailService {
 public:
  GoMailService(const GoMailOptions& options, store::AccessStore& store, store::JobQueue& jobs,
                EmailService& emails, NewsletterService& newsletters, OtpService& otp,
                const auth::UserKeys& user_keys, const auth::Authenticator& api_keys,
                const core::Clock& clock)
      : options_(options),
        store_(store),
        jobs_(jobs),
        emails_(emails),
        newsletters_(newsletters),
        otp_(otp),
        user_keys_(user_keys),
        api_keys_(api_keys),
        clock_(clock) {}
  GoMailService(const GoMailService&) = delete;
  GoMailService& operator=(const GoMailService&) = delete;

  // Issues the key of a new user (auth::UserKeys signs it): kInvalidArgument for a bad id,
  // kAlreadyExists if registered.
  core::Result<std::string> Signup(const nlohmann::json& body);
  // Deletes the user's keys; by the user's own key or an admin key (else kPermissionDenied).
  // kNotFound if the user is not registered.
  core::Status Deregister(const nlohmann::json& body, const auth::Principal& principal);
  // Enqueues a task; client keys only (kPermissionDenied for others). subscribe stores the
  // subscription (creating its content type from subject/content if it does not exist, else
  // kInvalidArgument naming the missing fields); unsubscribe removes it and succeeds also when
  // there was none (GoMail answers before its worker looks). generateOtp mails a code
  // (OtpService).
  core::Status Enqueue(const GoMailTask& task, const auth::Principal& principal);
  // /task/subscriptionContent, client keys only like tasks: POST creates a content type
  // (kAlreadyExists if it exists), PUT replaces its subject and content (kNotFound if missing).
  core::Status CreateContentType(const nlohmann::json& body, const auth::Principal& principal);
  core::Status UpdateContentType(const nlohmann::json& body, const auth::Principal& principal);
  // Whether the code is right for the codes `principal`'s key issued (OtpService::Verify).
  core::Result<bool> Verify(const nlohmann::json& body, const auth::Principal& principal);
  core::Result<GoMailMetrics> Metrics();

 private:
  core::Status SendMessage(const GoMailTask& task, const auth::Principal& principal);
  core::Status SendOtp(const GoMailTask& task, const auth::Principal& principal);
  core::Status Subscribe(const GoMailTask& task);
  core::Status Unsubscribe(const GoMailTask& task);

  const GoMailOptions options_;
  store::AccessStore& store_;
  store::JobQueue& jobs_;  // for the job counters of Metrics
  EmailService& emails_;
  NewsletterService& newsletters_;
  OtpService& otp_;
  const auth::UserKeys& user_keys_;
  const auth::Authenticator& api_keys_;
  const core::Clock& clock_;
};

}  // namespace service
