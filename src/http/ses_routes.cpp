// /server/email/add, the email records and the open-tracking pixel: decode the seed's
// form-data and JSON, call SesService, encode in the seed's shapes.
#include "http/routes.h"
#include "service/ses.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

// A transparent 1x1 GIF.
constexpr unsigned char kPixel[] = {
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b};

json Records(const std::vector<store::EmailRecord>& records) {
  json result = json::array();
  for (const auto& record : records) result.push_back(service::RecordToJson(record));
  return {{"valid", true}, {"result", std::move(result)}};
}

}  // namespace

void SesSendEmail(Context& context) {
  Request& request = context.request;
  if (!request.is_multipart_form_data()) {
    return context.SesError(core::InvalidArgument("body", "send the email as multipart/form-data"));
  }
  // A raw CR or LF in a part's Content-Disposition (a file name with a line break) makes that
  // line unreadable, so ParseMultipartForm gives the part no name; refused here, not dropped.
  if (request.files.count("") != 0) {
    return context.SesError(core::InvalidArgument(
        "files", "a file name must not contain CR or LF (a form part has no readable name)"));
  }
  const auto field = [&](const char* name) {
    return request.has_file(name) ? request.get_file_value(name).content : std::string();
  };
  service::SesSendRequest send;
  send.short_name = field("shortName");
  send.email = field("email");
  send.send_email = field("sendEmail");
  send.reply_email = field("replyEmail");
  send.subject = field("subject");
  send.data = field("data");
  send.text = field("text");
  send.template_name = field("template");
  const auto [first, last] = request.files.equal_range("files");
  for (auto file = first; file != last; ++file) {
    // Moved, not copied: an upload runs to 25 MB.
    send.files.push_back({mail::BaseFileName(file->second.filename), file->second.content_type,
                          std::move(file->second.content)});
  }
  auto queued = context.services.ses.Send(*context.principal, std::move(send));
  if (!queued.ok()) return context.SesError(queued.error());
  context.Json(200, {{"queue_id", *queued}, {"valid", true}});
}

void SesFetchSpecificRecords(Context& context) {
  auto body = ParseSesJsonBody(context.request.body);
  if (!body.ok()) return context.SesError(body.error());
  auto ids = body->find("email_ids");
  if (ids == body->end() || !ids->is_array() ||
      !std::all_of(ids->begin(), ids->end(), [](const json& id) { return id.is_string(); })) {
    return context.SesError(
        core::InvalidArgument("email_ids", "email_ids must be an array of queue ids"));
  }
  auto records =
      context.services.ses.Records(*context.principal, ids->get<std::vector<std::string>>());
  if (!records.ok()) return context.SesError(records.error());
  context.Json(200, Records(*records));
}

void SesFetchApiRecords(Context& context) {
  auto body = ParseSesJsonBody(context.request.body);
  if (!body.ok()) return context.SesError(body.error());
  auto page = IntegerMember(*body, "page", 1, service::kMaxRecordPageNumber, 1);
  if (!page.ok()) return context.SesError(page.error());
  auto amount = IntegerMember(*body, "amount", 1, service::kMaxRecordPage, 20);
  if (!amount.ok()) return context.SesError(amount.error());
  auto records = context.services.ses.RecordPage(*context.principal, static_cast<int>(*page),
                                                 static_cast<int>(*amount));
  if (!records.ok()) return context.SesError(records.error());
  context.Json(200, Records(*records));
}

void TrackingPixel(Context& context) {
  // A tracked SES-compatible email's pixel, else a campaign recipient's.
  if (!context.services.ses.Opened(context.request.matches[1])) {
    context.services.campaigns.Opened(context.request.matches[1]);
  }
  context.response.set_header("Cache-Control", "no-store, max-age=0");
  context.response.set_content(std::string(std::begin(kPixel), std::end(kPixel)), "image/gif");
}

}  // namespace http
