// Several messages in one SMTP session over libESMTP, which pipelines (RFC 2920) when the
// server's EHLO offers PIPELINING: MAIL FROM, RCPT TO and DATA of a message go out together
// and their replies are read in order, so a message costs two round trips (envelope, then
// content) instead of curl's four; without PIPELINING it sends one command at a time.
//
// One session is one connection: connect, EHLO, STARTTLS and AUTH as configured, every message
// of the batch, QUIT. A message is reported sent only when the server answered its end of
// DATA with 2xx (libESMTP's message transfer status); every other result is decided by
// ClassifyPipelined from the replies libESMTP recorded. Messages after a dropped connection
// have no replies and are transient, so a drop mid-batch loses nothing.
//
// libESMTP keeps no state between sessions; it is thread-safe for separate sessions.
#include "mail/smtp_pipelined.h"

// OpenSSL first: libesmtp.h declares smtp_starttls_set_ctx only when ssl.h was included.
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
// clang-format off
#include <auth-client.h>
#include <libesmtp.h>
// clang-format on

#include <array>
#include <climits>
#include <cstdarg>
#include <memory>
#include <mutex>
#include <string_view>

#include "mail/smtp_internal.h"

namespace mail::internal {
namespace {

struct SessionDeleter {
  void operator()(smtp_session_t session) const { smtp_destroy_session(session); }
};
using EsmtpSession = std::unique_ptr<std::remove_pointer_t<smtp_session_t>, SessionDeleter>;

struct AuthDeleter {
  void operator()(auth_context_t context) const { auth_destroy_context(context); }
};
using AuthContext = std::unique_ptr<std::remove_pointer_t<auth_context_t>, AuthDeleter>;

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtx = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// The message content, handed to libESMTP in one piece; it splits lines and dot-stuffs.
struct Source {
  const std::string* data = nullptr;
  std::size_t offset = 0;
};

// libESMTP's message callback: len == nullptr asks to rewind. *ctx stays null (libESMTP would
// free() it); the position lives in `arg`.
const char* ReadMessage(void** /*ctx*/, int* len, void* arg) {
  auto* source = static_cast<Source*>(arg);
  if (len == nullptr) {
    source->offset = 0;
    return nullptr;
  }
  const std::size_t left = source->data->size() - source->offset;
  const std::size_t chunk = std::min<std::size_t>(left, INT_MAX);
  *len = static_cast<int>(chunk);
  if (chunk == 0) return nullptr;
  const char* out = source->data->data() + source->offset;
  source->offset += chunk;
  return out;
}

struct Credentials {
  const std::string* username = nullptr;
  const std::string* password = nullptr;
};

int Interact(auth_client_request_t request, char** result, int fields, void* arg) {
  const auto* credentials = static_cast<const Credentials*>(arg);
  for (int i = 0; i < fields; ++i) {
    if ((request[i].flags & AUTH_USER) != 0) {
      result[i] = const_cast<char*>(credentials->username->c_str());
    } else if ((request[i].flags & AUTH_PASS) != 0) {
      result[i] = const_cast<char*>(credentials->password->c_str());
    } else {
      return 0;  // a mechanism that wants more than a user name and password
    }
  }
  return 1;
}

// The server's refusal of the session itself, from libESMTP's protocol monitor: a refused
// greeting (a reply before anything was written) or a refused AUTH (replies between an AUTH
// command and its end). libESMTP goes on to MAIL FROM after a refused AUTH (RFC 4954 lets a
// client try unauthenticated); ClassifyPipelined then keeps every message the server did not
// accept transient, whatever it answered to MAIL or RCPT ("554 relay access denied" is the
// login's fault, not the message's). Lines written are only looked at for their verb: AUTH
// lines carry the credentials.
//
// A refused AUTH inside TLS also ends the connection at once (shutdown of the TLS socket), so
// nothing goes out unauthenticated: what curl does. Over plain text libESMTP gives no handle
// on the socket, and a server that takes mail without AUTH gets it.
struct SessionMonitor {
  SmtpReplyLog refusals;  // only replies of 400 and more
  bool written = false;   // anything written yet
  bool in_auth = false;   // between AUTH and its final reply
  bool mail_sent = false;
  SSL* tls = nullptr;  // the session's TLS, once STARTTLS succeeded
};

void Monitor(const char* buffer, int length, int writing, void* arg) {
  auto* monitor = static_cast<SessionMonitor*>(arg);
  if (monitor->mail_sent || length <= 0) return;
  const std::string_view text(buffer, static_cast<std::size_t>(length));
  if (writing != 0) {
    monitor->written = true;
    if (text.starts_with("AUTH ")) monitor->in_auth = true;
    if (text.find("MAIL FROM") != std::string_view::npos) monitor->mail_sent = true;
    return;
  }
  if (text.size() < 3 || text[0] < '1' || text[0] > '5') return;
  if (text[0] == '2') monitor->in_auth = false;
  if (text[0] < '4' || (monitor->written && !monitor->in_auth)) return;
  try {
    monitor->refusals.Add(text);
  } catch (...) {  // NOLINT(bugprone-empty-catch): only bad_alloc; the text is optional
  }
  if (monitor->in_auth && monitor->tls != nullptr) {
    const int fd = SSL_get_fd(monitor->tls);
    if (fd >= 0) shutdown(fd, SHUT_RDWR);
  }
}

struct EventState {
  const SmtpOptions* options = nullptr;
  const std::function<void()>* progress = nullptr;
  SessionMonitor* monitor = nullptr;
  bool tls_refused = false;  // a certificate check failed: the session ends at STARTTLS
};

// The certificate checks libESMTP delegates. With verify_tls off every certificate is taken
// (as curl's VERIFYPEER/VERIFYHOST 0). With it on, libESMTP has verified the chain against the
// system CAs; its host name match knows no IP addresses, so a mismatch is checked again here
// with OpenSSL's own matcher (names and IP addresses, as curl does).
void OnEvent(smtp_session_t /*session*/, int event, void* arg, ...) {
  auto* state = static_cast<EventState*>(arg);
  const bool verify = state->options->verify_tls;
  va_list args;
  va_start(args, arg);
  switch (event) {
    case SMTP_EV_INVALID_PEER_CERTIFICATE: {
      (void)va_arg(args, long);
      int* ok = va_arg(args, int*);
      *ok = verify ? 0 : 1;
      if (!*ok) state->tls_refused = true;
      break;
    }
    case SMTP_EV_NO_PEER_CERTIFICATE: {
      int* ok = va_arg(args, int*);
      *ok = verify ? 0 : 1;
      if (!*ok) state->tls_refused = true;
      break;
    }
    case SMTP_EV_WRONG_PEER_CERTIFICATE: {
      int* ok = va_arg(args, int*);
      (void)va_arg(args, const char*);
      SSL* ssl = va_arg(args, SSL*);
      int matches = 0;
      if (verify && ssl != nullptr) {
        X509* cert = SSL_get0_peer_certificate(ssl);
        const std::string& host = state->options->host;
        matches =
            cert != nullptr && (X509_check_ip_asc(cert, host.c_str(), 0) == 1 ||
                                X509_check_host(cert, host.c_str(), host.size(), 0, nullptr) == 1);
      }
      *ok = verify ? matches : 1;
      if (!*ok) state->tls_refused = true;
      break;
    }
    case SMTP_EV_STARTTLS_OK: state->monitor->tls = va_arg(args, SSL*); break;
    case SMTP_EV_MESSAGESENT:
    case SMTP_EV_RCPTSTATUS:
      try {
        if (*state->progress) (*state->progress)();
      } catch (...) {  // NOLINT(bugprone-empty-catch): must not unwind through libESMTP's C code
      }
      break;
    case SMTP_EV_NO_CLIENT_CERTIFICATE: {
      int* ok = va_arg(args, int*);
      *ok = 1;  // outbox never presents one
      break;
    }
    default: break;
  }
  va_end(args);
}

enum starttls_option StartTlsOption(const SmtpOptions& options) {
  switch (options.tls) {
    case TlsMode::kNone: return Starttls_DISABLED;
    case TlsMode::kStartTls: return Starttls_REQUIRED;
    case TlsMode::kAuto:
    case TlsMode::kImplicit: break;  // implicit never gets here (UsesImplicitTls)
  }
  return Starttls_ENABLED;
}

std::string EsmtpError(const char* what) {
  std::array<char, 256> buffer{};
  const int code = smtp_errno();
  const char* text = smtp_strerror(code, buffer.data(), buffer.size());
  return std::string(what) + ": " + (text != nullptr ? text : "unknown libESMTP error") + " (" +
         std::to_string(code) + ")";
}

void SetTimeouts(smtp_session_t session, int timeout_ms) {
  const long ms = timeout_ms > 0 ? timeout_ms : 30000;
  for (const int which :
       {Timeout_GREETING, Timeout_ENVELOPE, Timeout_DATA, Timeout_TRANSFER, Timeout_DATA2}) {
    smtp_set_timeout(session, which | Timeout_OVERRIDE_RFC2822_MINIMUM, ms);
  }
}

std::once_flag auth_init_once;

// The reply text as the server sent it: libESMTP takes an enhanced status code ("5.1.1", when
// the server offers ENHANCEDSTATUSCODES) out of the text; it goes back in front.
std::string StatusText(const smtp_status_t& status) {
  std::string text = PrintableReply(status.text != nullptr ? status.text : "");
  if (status.enh_class > 0) {
    std::string enhanced = std::to_string(status.enh_class) + "." +
                           std::to_string(status.enh_subject) + "." +
                           std::to_string(status.enh_detail);
    text = text.empty() ? enhanced : enhanced + " " + text;
  }
  return text;
}

}  // namespace

bool CanPipeline(const SmtpOptions& options) { return !UsesImplicitTls(options); }

std::vector<SendResult> SendPipelined(const SmtpOptions& options,
                                      const std::vector<Outgoing>& batch,
                                      bool require_all_recipients,
                                      const std::function<void()>& progress,
                                      std::string& session_error) {
  session_error.clear();
  std::vector<SendResult> results;
  const auto fail_all = [&](std::string error) {
    session_error = error;
    results.assign(batch.size(), SendResult{SendResult::Kind::kTransient, 0, std::move(error)});
    return results;
  };
  EsmtpSession session(smtp_create_session());
  if (!session) return fail_all(EsmtpError("libESMTP session"));
  smtp_session_t s = session.get();

  // The host as libESMTP parses "host:port": an IPv6 literal in brackets.
  std::string host = options.host;
  if (host.find(':') != std::string::npos && !host.starts_with("[")) host = "[" + host + "]";
  const std::string server = host + ":" + std::to_string(options.port);
  if (smtp_set_server(s, server.c_str()) == 0) return fail_all(EsmtpError("server address"));
  if (!options.helo_name.empty()) smtp_set_hostname(s, options.helo_name.c_str());
  SetTimeouts(s, options.timeout_ms);
  smtp_option_require_all_recipients(s, require_all_recipients ? 1 : 0);

  SessionMonitor monitor;
  EventState events{&options, &progress, &monitor};
  smtp_set_monitorcb(s, Monitor, &monitor, 0);
  smtp_set_eventcb(s, OnEvent, &events);
  SslCtx ctx;
  if (options.tls != TlsMode::kNone) {
    ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx) return fail_all("TLS: SSL_CTX_new failed");
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_default_verify_paths(ctx.get());
    smtp_starttls_set_ctx(s, ctx.get());  // takes its own reference
  }
  smtp_starttls_enable(s, StartTlsOption(options));

  Credentials credentials{&options.username, &options.password};
  AuthContext auth;
  if (!options.username.empty()) {
    std::call_once(auth_init_once, [] { auth_client_init(); });
    auth.reset(auth_create_context());
    if (!auth) return fail_all("AUTH: no libESMTP auth context");
    auth_set_mechanism_flags(auth.get(), AUTH_PLUGIN_PLAIN, 0);
    auth_set_interact_cb(auth.get(), Interact, &credentials);
    smtp_auth_set_context(s, auth.get());
  }

  std::vector<Source> sources(batch.size());
  std::vector<smtp_message_t> messages(batch.size());
  std::vector<std::vector<smtp_recipient_t>> recipients(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    smtp_message_t message = smtp_add_message(s);
    if (message == nullptr) return fail_all(EsmtpError("libESMTP message"));
    // The stored message is sent as it is: libESMTP adds a Date or Message-Id only when the
    // headers lack one, and outbox renders both.
    smtp_set_reverse_path(message, batch[i].envelope->from.c_str());
    for (const std::string& recipient : batch[i].envelope->recipients) {
      smtp_recipient_t added = smtp_add_recipient(message, recipient.c_str());
      if (added == nullptr) return fail_all(EsmtpError("libESMTP recipient"));
      recipients[i].push_back(added);
    }
    sources[i].data = batch[i].data;
    smtp_set_messagecb(message, ReadMessage, &sources[i]);
    messages[i] = message;
  }

  const bool finished = smtp_start_session(s) != 0;
  if (events.tls_refused) {
    // libESMTP quits politely after a refused certificate and may call that a success.
    session_error = "TLS: the server's certificate was not accepted";
  } else if (!finished) {
    session_error = EsmtpError("SMTP session");
  }
  const int session_code = monitor.refusals.LastCodeAtLeast(400);
  const std::string session_reply =
      session_code != 0 ? monitor.refusals.LastReplyWithCode(session_code) : "";
  if (session_error.empty() && session_code != 0) session_error = "the server refused the session";
  results.reserve(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    PipelinedReplies replies;
    replies.session_error = session_error;
    replies.session_code = session_code;
    replies.session_reply = session_reply;
    if (const smtp_status_t* status = smtp_reverse_path_status(messages[i]); status != nullptr) {
      replies.mail_code = status->code;
      replies.mail_text = StatusText(*status);
    }
    for (smtp_recipient_t recipient : recipients[i]) {
      const smtp_status_t* status = smtp_recipient_status(recipient);
      if (status == nullptr) {
        replies.rcpt.emplace_back(0, "");
      } else {
        replies.rcpt.emplace_back(status->code, StatusText(*status));
      }
    }
    if (const smtp_status_t* status = smtp_message_transfer_status(messages[i]);
        status != nullptr) {
      replies.data_code = status->code;
      replies.data_text = StatusText(*status);
    }
    results.push_back(ClassifyPipelined(replies));
  }
  return results;
}

}  // namespace mail::internal
