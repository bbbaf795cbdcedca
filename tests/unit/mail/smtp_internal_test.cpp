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
