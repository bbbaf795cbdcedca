#pragma once
// The pure parts of the SMTP transport, declared for the unit tests. Nothing here touches the
// network; smtp_transport.cpp wires them to libcurl.
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mail/transport.h"

namespace mail::internal {

// Collects the server's replies as curl's debug callback reports them (CURLINFO_HEADER_IN:
// one or more reply lines per call). Multi-line replies ("250-a", "250 b") become one entry.
// Only printable ASCII is kept, so replies can go into logs and JSON as they are.
class SmtpReplyLog {
 public:
  void Add(std::string_view lines);
  void Clear();
  // The last complete reply with this code, formatted "550 5.1.1 user unknown" (a multi-line
  // reply's texts joined by spaces); empty if there is none.
  std::string LastReplyWithCode(int code) const;
  // The code of the last reply of `min_code` or more (0 if there is none).
  int LastCodeAtLeast(int min_code) const;
  // Replies recorded since Clear().
  std::size_t Count() const { return replies_.size(); }

 private:
  struct Reply {
    int code = 0;
    std::string text;
  };
  void AddLine(std::string_view line);

  std::vector<Reply> replies_;  // oldest first, bounded
  int pending_code_ = 0;        // a multi-line reply in progress (0: none)
  std::string pending_text_;
};

// "smtp://host:port/helo" or "smtps://..." for implicit TLS. curl takes the URL path as the
// EHLO name; without one it sends the machine's host name.
std::string SmtpUrl(const SmtpOptions& options);
bool UsesImplicitTls(const SmtpOptions& options);

// The ceiling on one whole transaction, a backstop behind the connect, per-reply and stall
// timeouts: four timeouts for connect, greeting, TLS and AUTH, a second per recipient, and
// the upload at no less than 16 kB/s.
long TransferTimeoutMs(int timeout_ms, std::size_t message_bytes, std::size_t recipients);

// True if `address` can go into MAIL FROM / RCPT TO without changing the command: no
// whitespace, controls or angle brackets. An empty address is allowed for the sender (the
// null reverse-path of bounces), never for a recipient.
bool IsSafeEnvelopeAddress(std::string_view address);

// What one message's transaction in a libESMTP session got back (smtp_pipelined.cpp reads it
// from libESMTP's status records). A code of 0 means no reply was read for that step.
struct PipelinedReplies {
  int mail_code = 0;  // reply to MAIL FROM
  std::string mail_text;
  // Replies to RCPT TO, one per recipient in order.
  std::vector<std::pair<int, std::string>> rcpt;
  // The message's last reply: to DATA when it was refused, else to the end of the data (250
  // accepted); 354 if the connection ended while the data was being sent.
  int data_code = 0;
  std::string data_text;
  // Why the session ended early ("" if it ran to QUIT): connect failure, timeout, TLS, ...
  std::string session_error;
  // The server's refusal of the session itself: its greeting or AUTH ("535 5.7.8 ..."); 0 and
  // "" if there was none. It decides for every message the server did not accept.
  int session_code = 0;
  std::string session_reply;
};

// The message's result, by the same table as ClassifySmtpFailure: kSent only with 2xx to MAIL,
// every RCPT and the end of DATA; otherwise the first refusal decides (MAIL, then the first
// refused RCPT, then DATA) as a refused command does for curl (5xx permanent, 4xx and
// 530/534/535/538 transient); with no refusal of its own (the session ended first, or the
// server refused the session itself) transient. Pure.
SendResult ClassifyPipelined(const PipelinedReplies& replies);

// Keeps printable ASCII only and joins lines with a space (libESMTP's reply texts keep the
// CRLFs of multi-line replies). At most 1024 characters.
std::string PrintableReply(std::string_view text);

}  // namespace mail::internal
