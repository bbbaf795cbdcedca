#include "service/sent_emails.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <set>
#include <utility>

#include "mail/message.h"

namespace service {
namespace {

constexpr int kMaxPageSize = 100;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Trimmed(const std::string& text) {
  const std::size_t first = text.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

core::Error NotAPerson() {
  return {core::ErrorCode::kPermissionDenied, "only a signed-in person can send these emails",
          "Authorization"};
}

// The request's recipients checked, trimmed and without repeats.
core::Result<std::vector<std::string>> CheckRecipients(const std::vector<std::string>& given) {
  if (given.empty()) return core::InvalidArgument("recipients", "recipients must not be empty");
  if (given.size() > kMaxSentEmailRecipients) {
    return core::InvalidArgument(
        "recipients", "at most " + std::to_string(kMaxSentEmailRecipients) + " recipients");
  }
  std::vector<std::string> recipients;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < given.size(); ++i) {
    const std::string field = "recipients[" + std::to_string(i) + "]";
    const std::string address = Trimmed(given[i]);
    auto parsed = mail::ParseSendableAddress(address, field);
    if (!parsed.ok()) return parsed.error();
    if (!parsed->display_name.empty() || parsed->address != address) {
      return core::InvalidArgument(field, field + " must be a bare address (user@example.com)");
    }
    if (seen.insert(Lower(address)).second) recipients.push_back(address);
  }
  return recipients;
}

// The address part of "Name <address>" or a bare address.
std::string AddressOf(const std::string& mailbox) {
  auto parsed = mail::ParseAddress(mailbox, "from");
  return parsed.ok() ? parsed->address : mailbox;
}

}  // namespace

core::Result<store::SentEmail> SentEmailService::Send(const auth::Principal& sender,
                                                      const SendTemplateRequest& request) {
  if (sender.user_id == 0) return NotAPerson();
  auto recipients = CheckRecipients(request.recipients);
  if (!recipients.ok()) return recipients.error();
  auto tmpl = templates_.GetById(request.template_id);
  if (!tmpl.ok()) {
    if (tmpl.error().code == core::ErrorCode::kNotFound) {
      return core::Error{core::ErrorCode::kNotFound, tmpl.error().message, "template"};
    }
    return tmpl.error();
  }
  auto user = users_.GetUser(sender.user_id);
  if (!user.ok()) {
    if (user.error().code == core::ErrorCode::kNotFound) return NotAPerson();
    return user.error();
  }

  store::SentEmail record;
  record.user_id = user->id;
  record.template_id = tmpl->id;
  std::vector<store::NewEmail> emails;
  emails.reserve(recipients->size());
  for (const std::string& recipient : *recipients) {
    auto rendered = RenderTemplate(*tmpl, {{"recipient", recipient}, {"sender", user->email}});
    if (!rendered.ok()) {
      return core::InvalidArgument("template",
                                   "the template cannot be sent: " + rendered.error().message);
    }
    SendEmailRequest mail;
    mail.from = user->email;
    mail.to = {recipient};
    mail.subject = std::move(rendered->subject);
    mail.text = std::move(rendered->text);
    mail.html = std::move(rendered->html);
    if (!server_sender_.empty() && Lower(AddressOf(server_sender_)) != Lower(user->email)) {
      mail.headers.emplace_back("Sender", server_sender_);
    }
    mail.tags = {"sent-email"};
    auto email = emails_.Prepare(std::move(mail), sender);
    if (!email.ok()) {
      if (email.error().field == "subject" || email.error().field == "text") {
        return core::InvalidArgument("template",
                                     "the template cannot be sent: " + email.error().message);
      }
      return email.error();
    }
    record.recipients.push_back(recipient);
    record.email_ids.push_back(email->id);
    emails.push_back(std::move(*email));
  }
  auto stored = sent_.CreateSentEmail(record, emails, clock_.NowMs());
  if (!stored.ok()) return stored.error();
  wake_();
  return stored;
}

core::Result<store::SentEmail> SentEmailService::Get(const auth::Principal& owner,
                                                     std::int64_t id) {
  if (owner.user_id == 0) return NotAPerson();
  auto record = sent_.GetSentEmail(id);
  if (!record.ok()) return record.error();
  // Another person's record is not theirs to know about.
  if (record->user_id != owner.user_id) return core::NotFound("sent email does not exist");
  return record;
}

core::Result<store::SentEmailPage> SentEmailService::List(const auth::Principal& owner,
                                                          const SentEmailFilter& filter) {
  if (owner.user_id == 0) return NotAPerson();
  if (filter.page < 1) return core::InvalidArgument("page", "page must be at least 1");
  if (filter.page_size < 1 || filter.page_size > kMaxPageSize) {
    return core::InvalidArgument("page_size", "page_size must be from 1 to 100");
  }
  store::SentEmailQuery query;
  query.user_id = owner.user_id;
  query.recipients = filter.recipients;
  query.since = filter.since;
  query.until = filter.until;
  const std::int64_t offset = (std::int64_t{filter.page} - 1) * filter.page_size;
  query.offset = static_cast<int>(std::min<std::int64_t>(offset, std::numeric_limits<int>::max()));
  query.limit = filter.page_size;
  return sent_.ListSentEmails(query);
}

}  // namespace service
