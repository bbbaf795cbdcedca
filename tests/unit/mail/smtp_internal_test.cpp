#include "mail/smtp_internal.h"

#include <doctest/doctest.h>

#include <climits>
#include <string>

using mail::internal::SmtpReplyLog;

TEST_CASE("SmtpReplyLog keeps single-line replies") {
  SmtpReplyLog log;
  log.Add("220 mx.example.com ESMTP\r\n");
  log.Add("250 OK\r\n");
  log.Add("550 5.1.1 user unknown\r\n");
  CHECK(log.LastReplyWithCode(550) == "550 5.1.1 user unknown");
  CHECK(log.LastReplyWithCode(220) == "220 mx.example.com ESMTP");
  CHECK(log.LastReplyWithCode(421).empty());
}

TEST_CASE("SmtpReplyLog joins multi-line replies and returns the latest match") {
  SmtpReplyLog log;
  log.Add("250 first\r\n");
  log.Add("550-5.1.1 The email account that you tried to reach does not exist.\r\n");
  log.Add("550-5.1.1 Please try double-checking the recipient's email address\r\n");
  log.Add("550 5.1.1 for typos.\r\n");
  log.Add("250 second\r\n");
  CHECK(log.LastReplyWithCode(550) ==
        "550 5.1.1 The email account that you tried to reach does not exist. 5.1.1 Please try "
        "double-checking the recipient's email address 5.1.1 for typos.");
  CHECK(log.LastReplyWithCode(250) == "250 second");
}

TEST_CASE("SmtpReplyLog accepts several lines in one chunk and lines without CRLF") {
  SmtpReplyLog log;
  log.Add("250-mx.example.com\r\n250-SIZE 1000\r\n250 HELP\r\n");
  CHECK(log.LastReplyWithCode(250) == "250 mx.example.com SIZE 1000 HELP");
  log.Add("334 ");
  CHECK(log.LastReplyWithCode(334) == "334");
  log.Add("221");
  CHECK(log.LastReplyWithCode(221) == "221");
}

TEST_CASE("SmtpReplyLog ignores non-reply lines and cleans bytes for logs") {
  SmtpReplyLog log;
  log.Add("garbage\r\n");
  log.Add("55 short\r\n");
  log.Add("550x not a reply\r\n");
  CHECK(log.LastReplyWithCode(550).empty());
  log.Add("554 bad \x01\xff bytes\r\n");
  CHECK(log.LastReplyWithCode(554) == "554 bad ?? bytes");
}

TEST_CASE("SmtpReplyLog bounds what it keeps and forgets on Clear") {
  SmtpReplyLog log;
  log.Add("421 oldest\r\n");
  for (int i = 0; i < 100; ++i) {
    log.Add("250 OK\r\n");
  }
  CHECK(log.LastReplyWithCode(421).empty());
  log.Add("250 " + std::string(5000, 'x') + "\r\n");
  CHECK(log.LastReplyWithCode(250).size() < 1100);
  log.Clear();
  CHECK(log.LastReplyWithCode(250).empty());
}

TEST_CASE("SmtpUrl picks the scheme from the TLS mode and port") {
  mail::SmtpOptions options;
  options.host = "smtp.example.com";
  options.port = 587;
  CHECK(mail::internal::SmtpUrl(options) == "smtp://smtp.example.com:587/");
  options.port = 465;
  CHECK(mail::internal::SmtpUrl(options) == "smtps://smtp.example.com:465/");
  options.tls = mail::TlsMode::kStartTls;
  CHECK(mail::internal::SmtpUrl(options) == "smtp://smtp.example.com:465/");
  options.tls = mail::TlsMode::kImplicit;
  options.port = 2465;
  CHECK(mail::internal::SmtpUrl(options) == "smtps://smtp.example.com:2465/");
  options.tls = mail::TlsMode::kNone;
  options.port = 25;
  CHECK(mail::internal::SmtpUrl(options) == "smtp://smtp.example.com:25/");
}

TEST_CASE("SmtpUrl brackets IPv6 literals and escapes the EHLO name") {
  mail::SmtpOptions options;
  options.host = "::1";
  options.port = 25;
  options.helo_name = "outbox.example.com";
  CHECK(mail::internal::SmtpUrl(options) == "smtp://[::1]:25/outbox.example.com");
  options.host = "[::1]";
  options.helo_name = "a b/c?";
  CHECK(mail::internal::SmtpUrl(options) == "smtp://[::1]:25/a%20b%2Fc%3F");
}

TEST_CASE("TransferTimeoutMs grows with recipients and size, and saturates") {
  CHECK(mail::internal::TransferTimeoutMs(30000, 0, 1) == 121000);
  CHECK(mail::internal::TransferTimeoutMs(30000, 16'000'000, 1) == 1'121'000);
  CHECK(mail::internal::TransferTimeoutMs(30000, 0, 10) == 130000);
  CHECK(mail::internal::TransferTimeoutMs(0, 0, 0) == 120000);  // default timeout
  CHECK(mail::internal::TransferTimeoutMs(INT_MAX, SIZE_MAX, SIZE_MAX) == LONG_MAX);
}

TEST_CASE("IsSafeEnvelopeAddress refuses anything that could change an SMTP command") {
  CHECK(mail::internal::IsSafeEnvelopeAddress("user@example.com"));
  CHECK(mail::internal::IsSafeEnvelopeAddress("用户@例子.广告"));
  CHECK(mail::internal::IsSafeEnvelopeAddress(""));  // null reverse-path
  CHECK(!mail::internal::IsSafeEnvelopeAddress("a@b.c>\r\nRCPT TO:<x@y.z"));
  CHECK(!mail::internal::IsSafeEnvelopeAddress("a@b.c SIZE=1"));
  CHECK(!mail::internal::IsSafeEnvelopeAddress("<a@b.c>"));
  CHECK(!mail::internal::IsSafeEnvelopeAddress(std::string("a\0@b.c", 6)));
}

// ---------------------------------------------------------------- ClassifyPipelined

namespace {

using mail::SendResult;
using mail::internal::ClassifyPipelined;
using mail::internal::PipelinedReplies;

PipelinedReplies Accepted() {
  PipelinedReplies replies;
  replies.mail_code = 250;
  replies.mail_text = "2.1.0 Ok";
  replies.rcpt = {{250, "2.1.5 Ok"}};
  replies.data_code = 250;
  replies.data_text = "2.0.0 Ok: queued as 4ABC";
  return replies;
}

}  // namespace

TEST_CASE("ClassifyPipelined: sent only with 2xx to MAIL, every RCPT and the end of DATA") {
  const SendResult sent = ClassifyPipelined(Accepted());
  CHECK(sent.kind == SendResult::Kind::kSent);
  CHECK(sent.smtp_code == 250);
  CHECK(sent.reply == "250 2.0.0 Ok: queued as 4ABC");

  PipelinedReplies no_data = Accepted();
  no_data.data_code = 0;  // the connection ended before the reply to the data
  no_data.data_text.clear();
  no_data.session_error = "SMTP session: connection closed";
  const SendResult lost = ClassifyPipelined(no_data);
  CHECK(lost.kind == SendResult::Kind::kTransient);
  CHECK(lost.smtp_code == 0);
  CHECK(lost.reply == "SMTP session: connection closed");

  PipelinedReplies mid_data = Accepted();
  mid_data.data_code = 354;  // dropped while the content went out
  mid_data.data_text = "End data with <CR><LF>.<CR><LF>";
  const SendResult dropped = ClassifyPipelined(mid_data);
  CHECK(dropped.kind == SendResult::Kind::kTransient);
  CHECK(dropped.smtp_code == 354);
  CHECK(dropped.reply ==
        "the session ended before the server accepted the message (last reply: 354 End data "
        "with <CR><LF>.<CR><LF>)");

  PipelinedReplies none;  // the session never got as far as this message (greeting, TLS)
  none.rcpt = {{0, ""}};
  CHECK(ClassifyPipelined(none).kind == SendResult::Kind::kTransient);
}

TEST_CASE("ClassifyPipelined: the first refusal decides, by the curl table's rules") {
  PipelinedReplies mail = Accepted();
  mail.mail_code = 553;
  mail.mail_text = "5.7.1 sender rejected";
  mail.data_code = 554;  // DATA then fails too; MAIL's reply is the reason
  CHECK(ClassifyPipelined(mail).kind == SendResult::Kind::kPermanent);
  CHECK(ClassifyPipelined(mail).reply == "553 5.7.1 sender rejected");

  PipelinedReplies rcpt = Accepted();
  rcpt.rcpt = {{250, "ok"}, {450, "4.2.1 mailbox busy"}, {550, "5.1.1 unknown"}};
  rcpt.data_code = 0;  // require_all_recipients: no DATA was sent
  const SendResult busy = ClassifyPipelined(rcpt);
  CHECK(busy.kind == SendResult::Kind::kTransient);
  CHECK(busy.smtp_code == 450);
  CHECK(busy.reply == "450 4.2.1 mailbox busy");

  rcpt.rcpt = {{550, "5.1.1 unknown"}};
  rcpt.data_code = 554;
  rcpt.data_text = "5.5.1 Error: no valid recipients";
  CHECK(ClassifyPipelined(rcpt).kind == SendResult::Kind::kPermanent);
  CHECK(ClassifyPipelined(rcpt).smtp_code == 550);

  PipelinedReplies data = Accepted();
  data.data_code = 452;
  data.data_text = "4.3.1 insufficient storage";
  CHECK(ClassifyPipelined(data).kind == SendResult::Kind::kTransient);
  data.data_code = 552;
  data.data_text = "5.3.4 message too big";
  CHECK(ClassifyPipelined(data).kind == SendResult::Kind::kPermanent);
  CHECK(ClassifyPipelined(data).reply == "552 5.3.4 message too big");

  PipelinedReplies auth = Accepted();
  auth.mail_code = 530;  // authentication required: configuration, not the message
  CHECK(ClassifyPipelined(auth).kind == SendResult::Kind::kTransient);
}

TEST_CASE("PrintableReply joins the lines of a multi-line reply and drops controls") {
  CHECK(mail::internal::PrintableReply("first\r\nsecond\r\n") == "first second");
  CHECK(mail::internal::PrintableReply(std::string("a\x01") + "b") == "a?b");
  CHECK(mail::internal::PrintableReply(std::string(5000, 'x')).size() == 1024);
}

TEST_CASE("ClassifyPipelined: the server refusing the session (greeting, AUTH) is transient") {
  PipelinedReplies replies;
  replies.rcpt = {{0, ""}};
  replies.session_code = 535;
  replies.session_reply = "535 5.7.8 Authentication credentials invalid";
  replies.session_error = "the server refused the session";
  const SendResult result = ClassifyPipelined(replies);
  CHECK(result.kind == SendResult::Kind::kTransient);
  CHECK(result.smtp_code == 535);
  CHECK(result.reply ==
        "535 5.7.8 Authentication credentials invalid (the server refused the session)");
  replies.session_code = 554;  // greeting
  CHECK(ClassifyPipelined(replies).kind == SendResult::Kind::kTransient);
}

TEST_CASE("SmtpReplyLog::LastCodeAtLeast finds the last refusal") {
  SmtpReplyLog log;
  log.Add("220 hi\r\n250-a\r\n250 b\r\n");
  CHECK(log.LastCodeAtLeast(400) == 0);
  log.Add("535 5.7.8 no\r\n334 go on\r\n");
  CHECK(log.LastCodeAtLeast(400) == 535);
}
