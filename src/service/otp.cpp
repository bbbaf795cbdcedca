#include "service/otp.h"

#include <algorithm>
#include <cctype>

#include "auth/otp.h"
#include "mail/message.h"

namespace service {
namespace {

// "10 minutes", "45 seconds": how long a code lives, for the mail.
std::string Duration(core::TimeMs ms) {
  if (ms >= 60'000 && ms % 60'000 == 0) {
    const auto minutes = ms / 60'000;
    return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
  }
  const auto seconds = std::max<core::TimeMs>(1, ms / 1000);
  return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
}

}  // namespace

core::Result<std::string> NormalizeUserId(const nlohmann::json& value, const std::string& field) {
  if (value.is_null())
    return core::InvalidArgument(field, field + " is required (an email address)");
  if (!value.is_string())
    return core::InvalidArgument(field, field + " must be a string (an email address)");
  const std::string text = value.get<std::string>();
  auto parsed = mail::ParseAddress(text, field);
  if (!parsed.ok() || !parsed->display_name.empty() || parsed->address != text) {
    return core::InvalidArgument(field, field + " must be a valid email address");
  }
  std::string address = parsed->address;
  for (char& c : address) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return address;
}

core::Result<OtpSent> OtpService::Send(const std::string& recipient, int length, int max_attempts,
                                       const std::string& task_name,
                                       const auth::Principal& principal) {
  if (options_.default_from.empty()) {
    return core::Unavailable(
        "no sender is configured: set --default-from (or an --smtp-user that is an address)");
  }
  const core::TimeMs now = clock_.NowMs();
  const std::string code = auth::GenerateOtp(length);
  store::OtpRecord record;
  record.owner = principal.key_id;
  record.recipient = recipient;
  record.code_hash = auth::HashOtp(code, recipient, secret_);
  record.expires_at = now + options_.ttl_ms;
  record.created_at = now;
  record.last_sent_at = now;
  auto stored = store_.PutOtp(record, options_.resend_interval_ms);
  if (!stored.ok()) return stored.error();

  const std::string validity = Duration(options_.ttl_ms);
  SendEmailRequest request;
  request.to = {recipient};
  request.subject = "Your verification code";
  request.text = "Your verification code is " + code + ".\n\nIt expires in " + validity +
                 ". If you did not ask for it, ignore this message.\n";
  request.html = "<p>Your verification code is <b>" + code + "</b>.</p><p>It expires in " +
                 validity + ". If you did not ask for it, ignore this message.</p>";
  request.max_attempts = max_attempts;
  request.tags = {"otp"};
  request.metadata = {{"task", task_name}};
  request.redact_when_done = true;
  auto sent = emails_.Send(std::move(request), principal, std::nullopt);
  if (!sent.ok()) return sent.error();
  return OtpSent{sent->email_id, record.expires_at};
}

core::Result<bool> OtpService::Verify(const auth::Principal& principal,
                                      const std::string& recipient, const std::string& code) {
  const core::TimeMs now = clock_.NowMs();
  auth::OtpCheck check = auth::OtpCheck::kNone;
  auto verified =
      store_.VerifyOtp(principal.key_id, recipient, [&](const store::OtpRecord* record) {
        if (record == nullptr) {
          check = auth::CheckOtp(nullptr, code, recipient, secret_, now);
        } else {
          auth::OtpState state{record->code_hash, record->expires_at, record->failed_attempts,
                               record->used};
          check = auth::CheckOtp(&state, code, recipient, secret_, now);
        }
        switch (check) {
          case auth::OtpCheck::kVerified: return store::OtpWrite::kMarkUsed;
          case auth::OtpCheck::kWrong: return store::OtpWrite::kCountFailure;
          default: return store::OtpWrite::kNothing;
        }
      });
  if (!verified.ok()) return verified.error();
  return check == auth::OtpCheck::kVerified;
}

}  // namespace service
