#include "mail/transport.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "testing/fake_clock.h"
#include "testing/recording_transport.h"

using Kind = mail::SendResult::Kind;

TEST_CASE("Capture transport accepts everything without delivering") {
  const auto transport = mail::NewCaptureTransport();
  CHECK(std::string(transport->Name()) == "capture");
  const mail::SendResult result =
      transport->Send(mail::Envelope{"a@example.com", {"b@example.com"}}, "Subject: x\r\n\r\n");
  CHECK(result.kind == Kind::kSent);
  CHECK(result.smtp_code == 250);
  CHECK(result.reply == "250 captured (not delivered)");
  CHECK(transport->State().kind == "capture");
  CHECK(transport->State().host.empty());
}

// These never reach the network: the envelope is refused before a session is used. Port 9 on
// a TEST-NET address would be a transient connection failure, not kPermanent, if it tried.
TEST_CASE("SMTP transport refuses unsafe envelopes before connecting") {
  const auto logger = core::NewNullLogger();
  mail::SmtpOptions options;
  options.host = "192.0.2.1";
  options.port = 9;
  options.timeout_ms = 1;
  const testing::FakeClock clock;
  const auto transport = mail::NewSmtpTransport(options, *logger, clock);
  CHECK(std::string(transport->Name()) == "smtp");

  const std::vector<mail::Envelope> bad = {
      {"a@example.com", {}},
      {"a@example.com", {""}},
      {"a@example.com", {"b@example.com>\r\nRCPT TO:<c@example.com"}},
      {"a@example.com\r\nRSET", {"b@example.com"}},
      {"a@example.com", {"b@example.com", "with space@example.com"}},
  };
  for (const mail::Envelope& envelope : bad) {
    const mail::SendResult result = transport->Send(envelope, "Subject: x\r\n\r\n");
    CHECK(result.kind == Kind::kPermanent);
    CHECK(result.smtp_code == 0);
    CHECK(!result.reply.empty());
  }
  // A refused envelope is not a connection error.
  const mail::TransportState state = transport->State();
  CHECK(state.kind == "smtp");
  CHECK(state.host == "192.0.2.1");
  CHECK(state.port == 9);
  CHECK(state.last_error.empty());
  CHECK(state.last_error_at == 0);
}

TEST_CASE("Recording transport records sends and plays back scripted results") {
  testing::RecordingTransport transport;
  transport.QueueResult({Kind::kTransient, 451, "451 try later"});
  transport.FailNext(1, Kind::kPermanent, 550, "550 no such user");

  const mail::Envelope envelope{"a@example.com", {"b@example.com", "c@example.com"}};
  CHECK(transport.Send(envelope, "one").kind == Kind::kTransient);
  const mail::SendResult second = transport.Send(envelope, "two");
  CHECK(second.kind == Kind::kPermanent);
  CHECK(second.reply == "550 no such user");
  const mail::SendResult third = transport.Send(envelope, "three");
  CHECK(third.kind == Kind::kSent);
  CHECK(third.smtp_code == 250);

  const auto deliveries = transport.deliveries();
  REQUIRE(deliveries.size() == 3);
  CHECK(deliveries[0].data == "one");
  CHECK(deliveries[2].data == "three");
  CHECK(deliveries[1].envelope.recipients == envelope.recipients);
  CHECK(transport.send_count() == 3);
}

TEST_CASE("Recording transport is safe under concurrent senders") {
  testing::RecordingTransport transport;
  transport.FailNext(10, Kind::kTransient, 421, "421 busy");
  std::vector<std::thread> threads;
  threads.reserve(4);
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        const mail::Envelope envelope{"a@example.com", {"b@example.com"}};
        if (transport.Send(envelope, std::to_string(i)).kind != Kind::kSent) {
          ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(transport.send_count() == 400);
  CHECK(failures[0] + failures[1] + failures[2] + failures[3] == 10);
}
