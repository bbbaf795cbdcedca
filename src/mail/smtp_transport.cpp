// SMTP delivery: single messages over libcurl's easy interface (below), batches over libESMTP
// (smtp_pipelined.cpp, see SendBatch).
//
// Connection reuse: a curl easy handle keeps its connection open after a transfer and reuses
// it for the next transfer to the same URL, so the transport keeps a pool of
// options.sessions sessions, each owning one easy handle. A Send checks one session out,
// runs one SMTP transaction on it (MAIL FROM, RCPT TO..., DATA) and returns it; idle sessions
// are reused most-recently-used first, so a light load rides on one warm connection and the
// others age out (curl drops connections idle for more than 118 s, CURLOPT_MAXAGE_CONN).
//
// Reply capture: with CURLOPT_VERBOSE on, curl hands every server reply line to the debug
// callback as CURLINFO_HEADER_IN; the session's SmtpReplyLog keeps them and the result
// carries the one matching CURLINFO_RESPONSE_CODE (curl's last reply code of this transfer,
// which excludes the QUIT it sends after a refused command). Credentials travel as
// HEADER_OUT and are never looked at or logged.
//
// After any failed transaction the session's handle is destroyed, closing its connection, so
// a session left in an unknown state (mid-DATA, TLS broken, timed out) is never reused; the
// next Send on that session opens a fresh connection.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <mutex>
#include <string_view>
#include <vector>

#include "mail/smtp_internal.h"
#include "mail/smtp_pipelined.h"
#include "mail/transport.h"

namespace mail {
namespace {

using Kind = SendResult::Kind;

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// curl_global_init is not safe to race with other curl calls, so it runs once, before the
// first handle exists. It is never undone: other modules (webhooks) share libcurl for the
// life of the process.
CURLcode InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result;
}

const char* KindName(Kind kind) {
  switch (kind) {
    case Kind::kSent: return "sent";
    case Kind::kTransient: return "transient";
    case Kind::kPermanent: return "permanent";
  }
  return "unknown";
}

struct Upload {
  std::string_view data;
  std::size_t offset = 0;
};

std::size_t ReadUpload(char* buffer, std::size_t size, std::size_t count, void* user) {
  auto* upload = static_cast<Upload*>(user);
  const std::size_t length = std::min(size * count, upload->data.size() - upload->offset);
  std::memcpy(buffer, upload->data.data() + upload->offset, length);
  upload->offset += length;
  return length;
}

int RecordReplies(CURL* /*handle*/, curl_infotype type, char* data, std::size_t size, void* user) {
  if (type != CURLINFO_HEADER_IN) {
    return 0;
  }
  try {
    static_cast<internal::SmtpReplyLog*>(user)->Add(std::string_view(data, size));
  } catch (...) {  // NOLINT(bugprone-empty-catch): only bad_alloc; the reply text is optional
  }
  return 0;
}

long UseSslLevel(const SmtpOptions& options) {
  switch (options.tls) {
    case TlsMode::kNone: return CURLUSESSL_NONE;
    case TlsMode::kStartTls:
    case TlsMode::kImplicit: return CURLUSESSL_ALL;
    case TlsMode::kAuto: break;
  }
  return internal::UsesImplicitTls(options) ? CURLUSESSL_ALL : CURLUSESSL_TRY;
}

long TimeoutSeconds(int timeout_ms) {
  return std::max<long>(1, (static_cast<long>(timeout_ms) + 999) / 1000);
}

// One SMTP connection's worth of state: an easy handle (null until first use and after a
// failure) and what its callbacks write into. Used by one Send at a time.
class SmtpSession {
 public:
  SmtpSession(const SmtpOptions& options, const std::string& url) : options_(options), url_(url) {}
  SmtpSession(const SmtpSession&) = delete;
  SmtpSession& operator=(const SmtpSession&) = delete;

  SendResult Send(const Envelope& envelope, const std::string& data, CURLcode& curl_code) {
    replies_.Clear();
    error_[0] = '\0';
    fresh_connection_ = !handle_;
    if (!handle_) {
      curl_code = Open();
      if (curl_code != CURLE_OK) {
        return Failed(curl_code, 0);
      }
    }
    CurlSlist recipients;
    for (const std::string& recipient : envelope.recipients) {
      curl_slist* head = recipients.release();
      curl_slist* appended = curl_slist_append(head, ("<" + recipient + ">").c_str());
      recipients.reset(appended != nullptr ? appended : head);
      if (appended == nullptr) {
        curl_code = CURLE_OUT_OF_MEMORY;
        return Failed(curl_code, 0);
      }
    }
    Upload upload{data};
    const std::string from = "<" + envelope.from + ">";
    CURL* handle = handle_.get();
    curl_code = curl_easy_setopt(handle, CURLOPT_MAIL_FROM, from.c_str());
    if (curl_code == CURLE_OK) {
      curl_code = curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, recipients.get());
    }
    if (curl_code == CURLE_OK) {
      curl_code = curl_easy_setopt(handle, CURLOPT_READDATA, &upload);
    }
    if (curl_code == CURLE_OK) {
      curl_code =
          curl_easy_setopt(handle, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(data.size()));
    }
    if (curl_code == CURLE_OK) {
      curl_code = curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS,
                                   internal::TransferTimeoutMs(options_.timeout_ms, data.size(),
                                                               envelope.recipients.size()));
    }
    long smtp_code = 0;
    if (curl_code == CURLE_OK) {
      curl_code = curl_easy_perform(handle);
      // Reset by curl at the start of every transfer, so this is never a previous message's.
      if (curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &smtp_code) != CURLE_OK) {
        smtp_code = 0;
      }
    }
    // The list and the upload die with this call; the handle must not point at them.
    curl_easy_setopt(handle, CURLOPT_MAIL_RCPT, static_cast<curl_slist*>(nullptr));
    curl_easy_setopt(handle, CURLOPT_READDATA, static_cast<void*>(nullptr));

    const int code = static_cast<int>(smtp_code);
    if (curl_code != CURLE_OK) {
      return Failed(curl_code, code);
    }
    const std::string reply = replies_.LastReplyWithCode(code);
    return SendResult{ClassifySmtpFailure(curl_code, code), code,
                      reply.empty() ? std::to_string(code) : reply};
  }

  // Closes the connection (if any) so the next Send starts from a fresh one.
  void Discard() { handle_.reset(); }

 private:
  CURLcode Open() {
    if (const CURLcode init = InitCurlOnce(); init != CURLE_OK) {
      return init;
    }
    CurlEasy handle(curl_easy_init());
    if (!handle) {
      return CURLE_FAILED_INIT;
    }
    CURL* h = handle.get();
    const int timeout_ms = options_.timeout_ms > 0 ? options_.timeout_ms : 30000;
    const long timeout_s = TimeoutSeconds(timeout_ms);
    // Stop at the first option that fails; the rest would be set on a handle we discard.
    CURLcode code = CURLE_OK;
    const auto check = [&code](CURLcode result) {
      if (code == CURLE_OK) {
        code = result;
      }
    };
    check(curl_easy_setopt(h, CURLOPT_URL, url_.c_str()));
    check(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "smtp,smtps"));
    check(curl_easy_setopt(h, CURLOPT_USE_SSL, UseSslLevel(options_)));
    check(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L));
    check(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L));
    if (!options_.username.empty()) {
      // curl picks the mechanism from the server's EHLO (PLAIN or LOGIN on typical relays).
      check(curl_easy_setopt(h, CURLOPT_USERNAME, options_.username.c_str()));
      check(curl_easy_setopt(h, CURLOPT_PASSWORD, options_.password.c_str()));
    }
    check(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_ms)));
    // Per reply; curl's default is 120 s, which let a stuck AUTH hang a worker for two minutes.
    check(curl_easy_setopt(h, CURLOPT_SERVER_RESPONSE_TIMEOUT, timeout_s));
    // An upload that stalls (under 1 byte/s) for a whole timeout is abandoned.
    check(curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L));
    check(curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, timeout_s));
    // Signals for timeouts are unsafe with threads.
    check(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
    // Kept-open connections notice a vanished peer before the next transaction.
    check(curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L));
    check(curl_easy_setopt(h, CURLOPT_UPLOAD, 1L));
    check(curl_easy_setopt(h, CURLOPT_READFUNCTION, ReadUpload));
    check(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_.data()));
    // VERBOSE only switches the debug callback on; nothing is printed.
    check(curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, RecordReplies));
    check(curl_easy_setopt(h, CURLOPT_DEBUGDATA, &replies_));
    check(curl_easy_setopt(h, CURLOPT_VERBOSE, 1L));
    if (code == CURLE_OK) {
      handle_ = std::move(handle);
    }
    return code;
  }

  SendResult Failed(CURLcode curl_code, int smtp_code) {
    Discard();
    SendResult result;
    // On a fresh connection the first reply is the greeting; failing on it is not about the
    // message.
    const bool at_greeting = fresh_connection_ && replies_.Count() == 1;
    result.kind = ClassifySmtpFailure(curl_code, smtp_code, at_greeting);
    result.smtp_code = smtp_code;
    std::string server_reply = replies_.LastReplyWithCode(smtp_code);
    if (smtp_code >= 400 && !server_reply.empty()) {
      result.reply = std::move(server_reply);  // the server said why: "550 5.1.1 ..."
      return result;
    }
    result.reply = "curl error " + std::to_string(curl_code) + ": " +
                   (error_[0] != '\0' ? std::string(error_.data()) : curl_easy_strerror(curl_code));
    if (!server_reply.empty()) {
      result.reply += " (last reply: " + server_reply + ")";
    }
    return result;
  }

  const SmtpOptions& options_;
  const std::string& url_;
  CurlEasy handle_;
  internal::SmtpReplyLog replies_;
  bool fresh_connection_ = false;  // this Send opened the connection
  std::array<char, CURL_ERROR_SIZE> error_{};
};

class SmtpTransport final : public Transport {
 public:
  SmtpTransport(const SmtpOptions& options, core::Logger& logger, const core::Clock& clock)
      : options_(options), url_(internal::SmtpUrl(options)), logger_(logger), clock_(clock) {
    const int sessions = std::max(1, options.sessions);
    // Reserved up front so returning a session to the pool never allocates (or throws).
    idle_.reserve(static_cast<std::size_t>(sessions));
    for (int i = 0; i < sessions; ++i) {
      idle_.push_back(std::make_unique<SmtpSession>(options_, url_));
    }
  }
  SmtpTransport(const SmtpTransport&) = delete;
  SmtpTransport& operator=(const SmtpTransport&) = delete;

  SendResult Send(const Envelope& envelope, const std::string& data) override {
    if (!SafeEnvelope(envelope)) return InvalidEnvelope();
    std::unique_ptr<SmtpSession> session = Checkout();
    SendResult result;
    CURLcode curl_code = CURLE_OK;
    try {
      result = session->Send(envelope, data, curl_code);
    } catch (const std::exception& error) {
      session->Discard();
      result = SendResult{Kind::kTransient, 0, std::string("internal error: ") + error.what()};
    }
    Return(std::move(session));
    Log(result, curl_code, envelope.recipients.size());
    if (result.kind != Kind::kSent && result.smtp_code == 0 && curl_code != CURLE_OK) {
      std::lock_guard<std::mutex> lock(mutex_);
      last_error_ = result.reply;
      last_error_at_ = clock_.NowMs();
    }
    return result;
  }

  // Two or more messages go through one libESMTP session (pipelined when offered) on one of
  // the pool's session slots, so at most options.sessions connections are open at a time; the
  // slot's idle curl connection is closed first. Messages with one recipient and those with
  // several run as separate sessions: the latter need every RCPT accepted before DATA.
  std::vector<SendResult> SendBatch(const std::vector<Outgoing>& batch,
                                    const std::function<void()>& progress) override {
    if (batch.size() < 2 || !internal::CanPipeline(options_)) {
      return Transport::SendBatch(batch, progress);
    }
    std::vector<SendResult> results(batch.size());
    std::vector<std::size_t> single;
    std::vector<std::size_t> several;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (!SafeEnvelope(*batch[i].envelope)) {
        results[i] = InvalidEnvelope();
      } else {
        (batch[i].envelope->recipients.size() == 1 ? single : several).push_back(i);
      }
    }
    std::unique_ptr<SmtpSession> slot = Checkout();
    slot->Discard();
    for (const auto* group : {&single, &several}) {
      if (group->empty()) continue;
      std::vector<Outgoing> part;
      part.reserve(group->size());
      for (const std::size_t i : *group) part.push_back(batch[i]);
      std::string session_error;
      std::vector<SendResult> sent;
      try {
        sent = internal::SendPipelined(options_, part, group == &several, progress, session_error);
      } catch (const std::exception& error) {
        session_error = std::string("internal error: ") + error.what();
        sent.assign(part.size(), SendResult{Kind::kTransient, 0, session_error});
      }
      for (std::size_t k = 0; k < group->size(); ++k) {
        Log(sent[k], CURLE_OK, part[k].envelope->recipients.size());
        results[(*group)[k]] = std::move(sent[k]);
      }
      // Nothing at all was read from the server: that is a failure to reach it (State).
      if (!session_error.empty() && results[group->front()].smtp_code == 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        last_error_ = session_error;
        last_error_at_ = clock_.NowMs();
      }
    }
    Return(std::move(slot));
    return results;
  }

  const char* Name() const override { return "smtp"; }

  TransportState State() const override {
    std::lock_guard<std::mutex> lock(mutex_);
    return {Name(), options_.host, options_.port, last_error_, last_error_at_};
  }

 private:
  static bool SafeEnvelope(const Envelope& envelope) {
    return internal::IsSafeEnvelopeAddress(envelope.from) && !envelope.recipients.empty() &&
           std::all_of(envelope.recipients.begin(), envelope.recipients.end(),
                       [](const std::string& recipient) {
                         return !recipient.empty() && internal::IsSafeEnvelopeAddress(recipient);
                       });
  }

  // Upstream validation failed; sending would at best fail and at worst inject commands.
  static SendResult InvalidEnvelope() {
    return SendResult{Kind::kPermanent, 0,
                      "invalid envelope: no recipients or a malformed address"};
  }

  std::unique_ptr<SmtpSession> Checkout() {
    std::unique_lock<std::mutex> lock(mutex_);
    available_.wait(lock, [this] { return !idle_.empty(); });
    std::unique_ptr<SmtpSession> session = std::move(idle_.back());
    idle_.pop_back();
    return session;
  }

  void Return(std::unique_ptr<SmtpSession> session) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      idle_.push_back(std::move(session));
    }
    available_.notify_one();
  }

  void Log(const SendResult& result, CURLcode curl_code, std::size_t recipients) noexcept {
    try {
      const nlohmann::json fields = {{"transport", "smtp"},
                                     {"host", options_.host},
                                     {"recipients", recipients},
                                     {"kind", KindName(result.kind)},
                                     {"curl_code", static_cast<int>(curl_code)},
                                     {"smtp_code", result.smtp_code},
                                     {"reply", result.reply}};
      if (result.kind == Kind::kSent) {
        logger_.Debug("smtp message accepted", fields);
      } else {
        logger_.Warn("smtp send failed", fields);
      }
    } catch (...) {  // NOLINT(bugprone-empty-catch): a failed log line must not fail delivery
    }
  }

  const SmtpOptions options_;
  const std::string url_;
  core::Logger& logger_;
  const core::Clock& clock_;
  mutable std::mutex mutex_;  // guards idle_ and the last error
  std::condition_variable available_;
  std::string last_error_;
  core::TimeMs last_error_at_ = 0;
  // Declared last: sessions refer to options_ and url_ and close their connections first.
  std::vector<std::unique_ptr<SmtpSession>> idle_;
};

}  // namespace

std::unique_ptr<Transport> NewSmtpTransport(const SmtpOptions& options, core::Logger& logger,
                                            const core::Clock& clock) {
  // Here rather than at first use: the app builds transports before starting worker threads.
  InitCurlOnce();
  return std::make_unique<SmtpTransport>(options, logger, clock);
}

}  // namespace mail
