#include <curl/curl.h>
#include <doctest/doctest.h>

#include "mail/transport.h"

using Kind = mail::SendResult::Kind;
using mail::ClassifySmtpFailure;

TEST_CASE("ClassifySmtpFailure: curl success means the message was accepted") {
  CHECK(ClassifySmtpFailure(CURLE_OK, 250) == Kind::kSent);
  CHECK(ClassifySmtpFailure(CURLE_OK, 0) == Kind::kSent);
}

TEST_CASE("ClassifySmtpFailure: 4xx replies are transient whatever curl says") {
  for (const int code : {421, 450, 451, 452, 454, 499}) {
    CAPTURE(code);
    CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, code) == Kind::kTransient);
    CHECK(ClassifySmtpFailure(CURLE_WEIRD_SERVER_REPLY, code) == Kind::kTransient);
    CHECK(ClassifySmtpFailure(CURLE_LOGIN_DENIED, code) == Kind::kTransient);
  }
}

TEST_CASE("ClassifySmtpFailure: authentication failures are configuration, so transient") {
  // 530 can answer MAIL FROM ("authentication required"): still the operator's to fix.
  for (const int code : {530, 534, 535, 538}) {
    CAPTURE(code);
    CHECK(ClassifySmtpFailure(CURLE_LOGIN_DENIED, code) == Kind::kTransient);
    CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, code) == Kind::kTransient);
  }
}

TEST_CASE("ClassifySmtpFailure: 5xx to MAIL FROM, RCPT TO or DATA is permanent") {
  // curl reports a refused MAIL/RCPT/DATA command as CURLE_SEND_ERROR.
  for (const int code : {500, 501, 550, 551, 552, 553, 554, 556}) {
    CAPTURE(code);
    CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, code) == Kind::kPermanent);
  }
}

TEST_CASE("ClassifySmtpFailure: 5xx to the end of DATA is permanent") {
  // curl reports a refused end of data as CURLE_WEIRD_SERVER_REPLY.
  CHECK(ClassifySmtpFailure(CURLE_WEIRD_SERVER_REPLY, 554) == Kind::kPermanent);
  CHECK(ClassifySmtpFailure(CURLE_WEIRD_SERVER_REPLY, 552) == Kind::kPermanent);
  CHECK(ClassifySmtpFailure(CURLE_WEIRD_SERVER_REPLY, 550) == Kind::kPermanent);
}

TEST_CASE("ClassifySmtpFailure: 5xx to AUTH, STARTTLS or HELO is transient") {
  CHECK(ClassifySmtpFailure(CURLE_LOGIN_DENIED, 504) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_LOGIN_DENIED, 554) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_USE_SSL_FAILED, 554) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_REMOTE_ACCESS_DENIED, 501) == Kind::kTransient);
}

TEST_CASE("ClassifySmtpFailure: connection, timeout and TLS errors are transient") {
  for (const CURLcode code :
       {CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_OPERATION_TIMEDOUT,
        CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SSL_CONNECT_ERROR,
        CURLE_PEER_FAILED_VERIFICATION, CURLE_USE_SSL_FAILED, CURLE_WEIRD_SERVER_REPLY,
        CURLE_LOGIN_DENIED, CURLE_URL_MALFORMAT, CURLE_OUT_OF_MEMORY, CURLE_FAILED_INIT}) {
    CAPTURE(code);
    CHECK(ClassifySmtpFailure(code, 0) == Kind::kTransient);
    // A connection lost after some 2xx/3xx replies is no verdict on the message either.
    CHECK(ClassifySmtpFailure(code, 250) == Kind::kTransient);
    CHECK(ClassifySmtpFailure(code, 354) == Kind::kTransient);
  }
}

TEST_CASE("ClassifySmtpFailure: anything unexpected is transient") {
  CHECK(ClassifySmtpFailure(CURLE_ABORTED_BY_CALLBACK, 550) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_RECV_ERROR, 550) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(9999, 0) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, 600) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, 1000) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, -1) == Kind::kTransient);
  CHECK(ClassifySmtpFailure(CURLE_SEND_ERROR, 199) == Kind::kTransient);
}

TEST_CASE("ClassifySmtpFailure: a 5xx greeting is transient (regression: was permanent)") {
  // curl reports a refused greeting like a refused end of DATA; the transport tells them apart.
  CHECK(mail::ClassifySmtpFailure(CURLE_WEIRD_SERVER_REPLY, 554, /*at_greeting=*/true) ==
        mail::SendResult::Kind::kTransient);
  CHECK(mail::ClassifySmtpFailure(CURLE_WEIRD_SERVER_REPLY, 554, /*at_greeting=*/false) ==
        mail::SendResult::Kind::kPermanent);
}

TEST_CASE("ProviderMessageId: the last word of an accepting reply") {
  CHECK(mail::ProviderMessageId("250 Ok 0100018b2c-4f5e-000000") == "0100018b2c-4f5e-000000");
  CHECK(mail::ProviderMessageId("250 2.0.0 Ok: queued as 4Xb1") == "4Xb1");
  CHECK(mail::ProviderMessageId("250 captured (not delivered)") == "delivered)");
  CHECK(mail::ProviderMessageId("250") == "");
  CHECK(mail::ProviderMessageId("250 Ok ") == "");
  CHECK(mail::ProviderMessageId("") == "");
}
