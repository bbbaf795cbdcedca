#pragma once
// One-time codes by mail: a code is mailed to a recipient (replacing their previous one, at most
// once per resend interval) and verified once, within its lifetime, before five wrong attempts
// lock it (auth/otp.h). GoMail's generateOtp task and /task/verify and the native /v1/otp
// routes all call this one implementation.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "auth/principal.h"
#include "core/clock.h"
#include "core/result.h"
#include "service/email_service.h"
#include "store/access_store.h"

namespace service {

// Pure: a GoMail user id or a code's recipient must be a bare e-mail address (JSON string);
// returns it lower-cased. kInvalidArgument naming `field` otherwise.
core::Result<std::string> NormalizeUserId(const nlohmann::json& value, const std::string& field);

struct OtpOptions {
  core::TimeMs ttl_ms = 600'000;
  core::TimeMs resend_interval_ms = 30'000;
  std::string default_from;  // empty: codes are refused with kUnavailable
};

struct OtpSent {
  std::string email_id;  // the mail carrying the code
  core::TimeMs expires_at = 0;
};

class OtpService {
 public:
  // `secret` keys the codes' stored hashes (ServerSecrets::otp: from the key file, not the
  // database, so a copy of the stored hashes cannot be brute-forced).
  // REQUIRES: `secret` non-empty.
  OtpService(const OtpOptions& options, store::AccessStore& store, EmailService& emails,
             const core::Clock& clock, std::string secret)
      : options_(options),
        store_(store),
        emails_(emails),
        clock_(clock),
        secret_(std::move(secret)) {}
  OtpService(const OtpService&) = delete;
  OtpService& operator=(const OtpService&) = delete;

  // Mails a new code of `length` digits (4-8) to `recipient`, a bare, lower-cased address
  // (NormalizeUserId), as an email of `principal` with `max_attempts` and the metadata
  // {"task": task_name}. The code belongs to `principal`'s key: only its Verify sees it. The
  // stored mail is redacted once delivered or given up. kResourceExhausted if the key's previous
  // code for the recipient was sent less than the resend interval ago; kUnavailable without a
  // configured sender.
  core::Result<OtpSent> Send(const std::string& recipient, int length, int max_attempts,
                             const std::string& task_name, const auth::Principal& principal);
  // Whether `code` is the one `principal`'s key issued to the recipient (single use, locked
  // after 5 failures, expired -> false). Another key's codes are never seen, counted or spent.
  core::Result<bool> Verify(const auth::Principal& principal, const std::string& recipient,
                            const std::string& code);

 private:
  const OtpOptions options_;
  store::AccessStore& store_;
  EmailService& emails_;
  const core::Clock& clock_;
  const std::string secret_;
};

}  // namespace service
