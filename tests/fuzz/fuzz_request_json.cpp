// The JSON request decoders of the three route families on arbitrary bodies. The first byte
// picks one: the native /v1/emails decoder (ParseJsonBody, then DecodeSendEmail), GoMail's
// (ParseGoMailJson, then the /task/ and content-type validators) or the SES seed's JSON with
// comments. Every refusal must be kInvalidArgument with a message, since that is what the 400
// shows. (The field can be empty: a member named "" is refused as unknown field "".)
//
// DecodeSendEmail is local to the route file, so this file includes it to reach it; the target
// also links outbox_http, which then does not pull in its own copy of that object.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/email_routes.cpp"  // NOLINT(bugprone-suspicious-include)
#include "service/gomail_service.h"

namespace {

template <typename T>
void CheckRefusal(const core::Result<T>& result) {
  if (result.ok()) return;
  if (result.error().code != core::ErrorCode::kInvalidArgument) std::abort();
  if (result.error().message.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto json = http::ParseJsonBody(body);
      CheckRefusal(json);
      if (json.ok()) CheckRefusal(http::DecodeSendEmail(*json));
      break;
    }
    case 1: {
      auto json = service::ParseGoMailJson(body);
      if (json.ok()) {
        CheckRefusal(service::ParseGoMailTask(*json));
        CheckRefusal(service::ParseContentTypeBody(*json));
      }
      break;
    }
    default: {
      auto json = http::ParseSesJsonBody(body);
      CheckRefusal(json);
      if (json.ok()) {
        CheckRefusal(http::StringMember(*json, "name", /*required=*/true));
        (void)http::OnlyMembers(*json, {"name", "html", "subject", "text"});
      }
      break;
    }
  }
  return 0;
}
