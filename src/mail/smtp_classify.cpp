// The one place that decides whether a failed SMTP delivery is worth retrying, and what an
// accepting reply says about the message.
#include <curl/curl.h>

#include <array>

#include "mail/transport.h"

namespace mail {
namespace {

using Kind = SendResult::Kind;

constexpr int kAnyCurlCode = -1;

struct Row {
  int curl_code;  // a CURLcode, or kAnyCurlCode
  int smtp_min;   // inclusive range of the last SMTP reply code; 0 means "no reply read"
  int smtp_max;
  Kind kind;
};

// First matching row wins. A rejection in the server's greeting (before EHLO) is checked
// before the table: a 5xx there means "not accepting from this client now" (an overloaded
// or blocklisting server), which says nothing about the message, so it is retried.
//
// clang-format off
// | curl result              | SMTP reply     | kind      | why
// |--------------------------|----------------|-----------|-------------------------------------
// | CURLE_OK                 | any            | sent      | curl only succeeds after 250 to DATA
// | any                      | 4xx            | transient | the server itself asks for a retry
// | any                      | 530, 534, 535, | transient | authentication / TLS policy (RFC 4954):
// |                          | 538            |           | the operator's configuration, not the
// |                          |                |           | message; it goes out once fixed
// | SEND_ERROR               | 5xx            | permanent | curl's code for a refused MAIL FROM,
// |                          |                |           | RCPT TO or DATA: the message's fault
// | WEIRD_SERVER_REPLY       | 5xx            | permanent | curl's code for a refused end of DATA
// |                          |                |           | (spam, size, content policy)
// | LOGIN_DENIED, others     | 5xx            | transient | replies to AUTH, STARTTLS, HELO:
// |                          |                |           | configuration, not the message
// | COULDNT_CONNECT, timeout,| none, 2xx, 3xx | transient | network, server or TLS trouble;
// | SEND/RECV_ERROR, TLS ... |                |           | nothing says the message is at fault
// | anything else            | anything else  | transient | never drop mail on an unknown error
// clang-format on
constexpr std::array<Row, 8> kTable = {{
    {CURLE_OK, 0, 999, Kind::kSent},
    {kAnyCurlCode, 400, 499, Kind::kTransient},
    {kAnyCurlCode, 530, 530, Kind::kTransient},
    {kAnyCurlCode, 534, 535, Kind::kTransient},
    {kAnyCurlCode, 538, 538, Kind::kTransient},
    {CURLE_SEND_ERROR, 500, 599, Kind::kPermanent},
    {CURLE_WEIRD_SERVER_REPLY, 500, 599, Kind::kPermanent},
    {kAnyCurlCode, 0, 999, Kind::kTransient},
}};

}  // namespace

SendResult::Kind ClassifySmtpFailure(int curl_code, int smtp_code, bool at_greeting) {
  if (at_greeting && curl_code != CURLE_OK) return Kind::kTransient;
  for (const Row& row : kTable) {
    if ((row.curl_code == kAnyCurlCode || row.curl_code == curl_code) &&
        smtp_code >= row.smtp_min && smtp_code <= row.smtp_max) {
      return row.kind;
    }
  }
  return Kind::kTransient;  // codes outside 0-999: unexpected, so retry
}

std::string ProviderMessageId(std::string_view reply) {
  const auto space = reply.find_last_of(' ');
  if (space == std::string_view::npos || space + 1 >= reply.size()) return "";
  return std::string(reply.substr(space + 1));
}

}  // namespace mail
