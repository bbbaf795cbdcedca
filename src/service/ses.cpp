#include "service/ses.h"

#include <algorithm>
#include <cctype>

#include "core/json.h"
#include "core/log.h"
#include "core/random.h"
#include "tmpl/template.h"

namespace service {
namespace {

using core::Result;
using nlohmann::json;

core::Status Required(const std::string& value, const char* field) {
  if (value.empty()) return core::InvalidArgument(field, std::string(field) + " is required");
  return {};
}

// "Acme Billing" -> "\"Acme Billing\" <billing@acme.test>". Quotes, backslashes, angle
// brackets and line breaks are refused rather than escaped: a display name never needs them.
Result<std::string> SenderAddress(const SesSendRequest& request) {
  if (request.short_name.find_first_of(std::string("\"\\<>\r\n\0", 7)) != std::string::npos) {
    return core::InvalidArgument("shortName",
                                 "shortName must not contain quotes, backslashes, < > or line "
                                 "breaks");
  }
  if (request.send_email.find_first_of("<> \"") != std::string::npos) {
    return core::InvalidArgument("sendEmail", "sendEmail must be a bare address");
  }
  return "\"" + request.short_name + "\" <" + request.send_email + ">";
}

// The pixel goes before </body> when there is one, else at the end.
std::string WithPixel(std::string html, const std::string& url) {
  const std::string pixel = "<img src=\"" + url +
                            "\" width=\"1\" height=\"1\" alt=\"\" "
                            "style=\"display:block;border:0;width:1px;height:1px\">";
  std::string lower = html;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto body_end = lower.rfind("</body>");
  html.insert(body_end == std::string::npos ? html.size() : body_end, pixel);
  return html;
}

std::string MaskedKey(const std::string& hint) {
  return hint.empty() ? std::string() : "obx_" + std::string(34, 'x') + hint;
}

}  // namespace

json RecordToJson(const store::EmailRecord& record) {
  const store::Email& email = record.email;
  return {{"email_id", email.id},
          {"email", email.to.empty() ? std::string() : email.to.front()},
          {"send_email", email.from},
          {"subject", email.subject},
          {"data", record.tracking.data},
          {"open", record.opened_at.has_value()},
          {"status", store::EmailStatusName(email.status)},
          {"created_at", core::FormatRfc3339(email.created_at)},
          {"updated_at", core::FormatRfc3339(email.updated_at)},
          {"attachments", record.tracking.attachments},
          {"api_key", MaskedKey(record.key_hint)}};
}

Result<std::string> SesService::Send(const auth::Principal& sender, SesSendRequest request) {
  for (auto [value, field] :
       {std::pair{&request.short_name, "shortName"}, std::pair{&request.email, "email"},
        std::pair{&request.send_email, "sendEmail"}, std::pair{&request.reply_email, "replyEmail"},
        std::pair{&request.subject, "subject"}, std::pair{&request.data, "data"},
        std::pair{&request.text, "text"}, std::pair{&request.template_name, "template"}}) {
    if (auto present = Required(*value, field); !present.ok()) return present.error();
  }
  auto parsed_data = core::ParseJsonObject(request.data, "data");
  if (!parsed_data.ok()) return parsed_data.error();
  json data = std::move(*parsed_data);
  auto from = SenderAddress(request);
  if (!from.ok()) return from.error();
  auto rendered = templates_.Render(request.template_name, data);
  if (!rendered.ok()) return rendered.error();
  auto text = tmpl::Template::Parse(request.text);
  if (!text.ok()) return core::InvalidArgument("text", text.error().message);
  auto text_body = text->Render(data, tmpl::Escape::kNone);
  if (!text_body.ok()) return text_body.error();

  store::EmailTracking tracking;
  tracking.template_name = request.template_name;
  tracking.data = data.dump();
  tracking.callback_url = sender.callback_url;
  tracking.open_token = core::RandomHex(16);

  SendEmailRequest email;
  email.from = *from;
  email.to = {request.email};
  email.reply_to = request.reply_email;
  email.subject = request.subject;
  email.html = WithPixel(rendered->html, public_url_ + "/t/" + tracking.open_token + ".gif");
  email.text = *text_body;
  email.attachments = std::move(request.files);  // uploads run to 25 MB: moved, not copied
  email.tags = {"ses"};
  email.metadata = {{"template", request.template_name}};
  email.tracking = std::move(tracking);
  auto accepted = emails_.Send(std::move(email), sender, std::nullopt);
  if (!accepted.ok()) {
    core::Error error = accepted.error();
    // The seed's names for the fields EmailService reports.
    if (error.field == "to" || error.field.rfind("to[", 0) == 0) error.field = "email";
    if (error.field == "from") error.field = "sendEmail";
    if (error.field == "reply_to") error.field = "replyEmail";
    if (error.field.rfind("attachments", 0) == 0) error.field = "files";
    return error;
  }
  return accepted->email_id;
}

Result<std::vector<store::EmailRecord>> SesService::Records(const auth::Principal& sender,
                                                            const std::vector<std::string>& ids) {
  if (ids.empty() || ids.size() > kMaxRecordIds) {
    return core::InvalidArgument("email_ids", "email_ids must hold 1 to 20 ids");
  }
  return store_.GetEmailRecords(sender.key_id, ids);
}

Result<std::vector<store::EmailRecord>> SesService::RecordPage(const auth::Principal& sender,
                                                               int page, int amount) {
  if (page < 1 || page > kMaxRecordPageNumber) {
    return core::InvalidArgument(
        "page", "page must be an integer from 1 to " + std::to_string(kMaxRecordPageNumber));
  }
  if (amount < 1 || amount > kMaxRecordPage) {
    return core::InvalidArgument("amount", "amount must be 1 to 50");
  }
  return store_.ListEmailRecords(sender.key_id, (page - 1) * amount, amount);
}

std::optional<store::StatusCallback> SesStatusCallback(const store::TrackedEmailChange& change) {
  using Kind = store::TrackedEmailChange::Kind;
  std::string status;
  json extra;  // members added to "data" beside "email_data"
  switch (change.kind) {
    case Kind::kFirstAttempt: status = "PROCESSING"; break;
    case Kind::kSent:
      status = "SENT";
      extra = {{"aws_data", {{"reply", change.reply}}}};
      break;
    case Kind::kFailed:
      status = "ERROR";
      extra = {{"error", {{"message", change.reply}}}};
      break;
    case Kind::kOpened: status = "OPEN"; break;
    case Kind::kProviderEvent: {
      if (change.provider_event == nullptr) return std::nullopt;
      status = change.provider_event->event;
      auto aws = core::ParseJson(change.provider_event->aws_data, "aws_data");
      extra = {{"aws_data", aws.ok() ? std::move(*aws) : json()}};
      break;
    }
  }
  const store::Email& email = change.email;
  auto parsed_data = core::ParseJson(change.tracking.data, "data");
  const json data = parsed_data.ok() ? std::move(*parsed_data) : json();
  json body = {{"status", status},
               {"email_id", email.id},
               {"data",
                {{"email_data",
                  {{"email", email.to.empty() ? "" : email.to.front()},
                   {"send_email", email.from},
                   {"subject", email.subject},
                   {"data", data.is_discarded() ? json::object() : data},
                   {"open", change.opened}}}}}};
  for (const auto& [key, value] : extra.items()) body["data"][key] = value;
  return store::StatusCallback{status, body.dump()};
}

bool SesService::Opened(const std::string& token) {
  // Repeat opens change nothing; the pixel answers the same either way.
  auto opened = store_.MarkOpened(token, clock_.NowMs());
  return opened.ok() || opened.error().code != core::ErrorCode::kNotFound;
}

}  // namespace service
