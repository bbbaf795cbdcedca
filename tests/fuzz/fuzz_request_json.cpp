// The JSON request decoders of the three route families on arbitrary bodies. The first byte
// picks one: the native /v1/emails decoder (ParseJsonBody, then DecodeSendEmail), GoMail's
// (ParseGoMailJson, then the /task/ and content-type validators) or the SES seed's JSON with
// comments. Every refusal must name the field at fault, since that is what the 4xx shows.
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
void CheckNamesField(const core::Result<T>& result) {
  if (!result.ok() && result.error().field.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: {
      auto json = http::ParseJsonBody(body);
      CheckNamesField(json);
      if (json.ok()) CheckNamesField(http::DecodeSendEmail(*json));
      break;
    }
    case 1: {
      auto json = service::ParseGoMailJson(body);
      if (json.ok()) {
        CheckNamesField(service::ParseGoMailTask(*json));
        CheckNamesField(service::ParseContentTypeBody(*json));
      }
      break;
    }
    default: {
      auto json = http::ParseSesJsonBody(body);
      CheckNamesField(json);
      if (json.ok()) {
        CheckNamesField(http::StringMember(*json, "name", /*required=*/true));
        (void)http::OnlyMembers(*json, {"name", "html", "subject", "text"});
      }
      break;
    }
  }
  return 0;
}
