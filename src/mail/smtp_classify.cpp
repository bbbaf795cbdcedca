// The one place that decides whether a failed SMTP delivery is worth retrying.
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

// First matching row wins.
//
// | curl result             | SMTP reply       | kind       | why |
// |-------------------------|------------------|------------|----------------------------------------|
// | CURLE_OK                | any              | sent       | curl only succeeds after 250 to DATA
// | | any                     | 4xx              | transient  | the server itself asks for a retry
// | | any                     | 530, 534, 535,   | transient  | authentication / TLS policy (RFC
// 4954):| |                         | 538              |            | the operator's configuration,
// not the  | |                         |                  |            | message; it goes out once
// fixed        | | CURLE_SEND_ERROR        | 5xx              | permanent  | curl's code for a
// refused MAIL FROM,   | |                         |                  |            | RCPT TO or
// DATA: the message's fault   | | CURLE_WEIRD_SERVER_REPLY| 5xx              | permanent  | curl's
// code for a refused end of DATA  | |                         |                  |            |
// (spam, size, content policy). curl     | |                         |                  | | reports
// a 5xx greeting the same way;   | |                         |                  |            | the
// two cannot be told apart here, and | |                         |                  |            |
// the end of DATA is the common case     | | CURLE_LOGIN_DENIED,     | 5xx              | transient
// | (catch-all) replies to AUTH, STARTTLS, | | USE_SSL_FAILED,         |                  | | HELO:
// configuration, not the message   | | REMOTE_ACCESS_DENIED    |                  |            | |
// | COULDNT_CONNECT,        | none, 2xx, 3xx   | transient  | (catch-all) the network, the server
// or | | COULDNT_RESOLVE_HOST,   |                  |            | TLS failed mid-way; nothing says
// the   | | OPERATION_TIMEDOUT,     |                  |            | message is at fault | |
// SEND_ERROR, RECV_ERROR, |                  |            | | | GOT_NOTHING,            | | | | |
// SSL_CONNECT_ERROR,      |                  |            | | | PEER_FAILED_VERIFICATION| | | | |
// WEIRD_SERVER_REPLY, ... |                  |            | | | anything else           | anything
// else    | transient  | never drop mail on an unknown error    |
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

SendResult::Kind ClassifySmtpFailure(int curl_code, int smtp_code) {
  for (const Row& row : kTable) {
    if ((row.curl_code == kAnyCurlCode || row.curl_code == curl_code) &&
        smtp_code >= row.smtp_min && smtp_code <= row.smtp_max) {
      return row.kind;
    }
  }
  return Kind::kTransient;  // codes outside 0-999: unexpected, so retry
}

}  // namespace mail
