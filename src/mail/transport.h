#pragma once
// Where rendered messages go. Implementations are thread-safe: delivery workers call Send and
// SendBatch concurrently; a Send is one SMTP transaction (or one capture), a SendBatch several
// transactions, on one connection where the transport can.
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/log.h"

namespace mail {

struct Envelope {
  std::string from;                     // MAIL FROM, bare address
  std::vector<std::string> recipients;  // RCPT TO, bare addresses
};

struct SendResult {
  // kTransient: worth retrying (SMTP 4xx, connection refused or dropped, timeouts).
  // kPermanent: retrying will not help (SMTP 5xx on MAIL/RCPT/DATA).
  enum class Kind { kSent, kTransient, kPermanent } kind = Kind::kSent;
  int smtp_code = 0;  // the last SMTP reply code, 0 if none was read
  std::string reply;  // the server's reply text, or the error
};

// What an operator is shown of a transport (GET /v1/stats).
struct TransportState {
  std::string kind;  // Name()
  std::string host;  // "" when there is none (capture)
  int port = 0;
  // The last failure to reach the server at all (refused, timed out, TLS: no SMTP reply was
  // read) since the process started, and when; "" and 0 if there was none.
  std::string last_error;
  core::TimeMs last_error_at = 0;
};

// One message of a SendBatch; both pointers outlive the call.
struct Outgoing {
  const Envelope* envelope = nullptr;
  const std::string* data = nullptr;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual SendResult Send(const Envelope& envelope, const std::string& data) = 0;
  // One result per message, in order. Each result means what Send's would: kSent only once the
  // server accepted that message (250 after its DATA). `progress`, if set, is called on the
  // calling thread while the batch is under way (at least after each message), so the caller
  // can extend its leases on a slow server. The default sends the messages one by one.
  virtual std::vector<SendResult> SendBatch(const std::vector<Outgoing>& batch,
                                            const std::function<void()>& progress = {}) {
    std::vector<SendResult> results;
    results.reserve(batch.size());
    for (const Outgoing& message : batch) {
      results.push_back(Send(*message.envelope, *message.data));
      if (progress) progress();
    }
    return results;
  }
  virtual const char* Name() const = 0;
  // Thread-safe. The default knows only the kind.
  virtual TransportState State() const {
    TransportState state;
    state.kind = Name();
    return state;
  }
};

enum class TlsMode {
  kAuto,      // implicit TLS on port 465, otherwise STARTTLS when the server offers it
  kStartTls,  // STARTTLS required
  kImplicit,  // TLS from the first byte (SMTPS)
  kNone,      // plain text only
};

struct SmtpOptions {
  std::string host;
  int port = 587;
  std::string username;  // AUTH (PLAIN/LOGIN, whichever the server offers) when non-empty
  std::string password;
  TlsMode tls = TlsMode::kAuto;
  bool verify_tls = true;
  int sessions = 4;        // connections kept open and reused
  int timeout_ms = 30000;  // connect and per-command timeout
  std::string helo_name;   // EHLO name; empty: curl's default
};

// SMTP: a Send goes over libcurl and keeps up to options.sessions connections open for the
// next; a SendBatch of several messages runs one libESMTP session (PIPELINING when the server
// offers it) unless TLS is implicit (port 465), which libESMTP lacks: then message by message.
// `clock` times the last connection error (State).
std::unique_ptr<Transport> NewSmtpTransport(const SmtpOptions& options, core::Logger& logger,
                                            const core::Clock& clock);
// Delivers nowhere: the rendered message is already in the store (GET /v1/emails/{id}/raw,
// the dashboard). Always succeeds.
std::unique_ptr<Transport> NewCaptureTransport();

// The single table from (curl result, SMTP reply code) to transient/permanent. Pure.
// curl_code is a CURLcode value; smtp_code the last reply code (0 if none); at_greeting is
// true when the failing reply was the server's greeting on a fresh connection.
SendResult::Kind ClassifySmtpFailure(int curl_code, int smtp_code, bool at_greeting = false);

// The relay's id of an accepted message, from its reply to DATA: the last word of
// "250 Ok 0100018b...-000000" (Amazon SES); "" when the reply has no word after a space. Other
// relays answer differently; a word that is not an id just never matches a provider event. Pure.
std::string ProviderMessageId(std::string_view reply);

}  // namespace mail
