#include "mail/smtp_internal.h"

#include <curl/curl.h>

#include <algorithm>
#include <climits>

namespace mail::internal {
namespace {

// Enough for the replies of one transaction; older ones only matter for the reply matching
// CURLINFO_RESPONSE_CODE, which is always among the latest.
constexpr std::size_t kMaxReplies = 16;
// RFC 5321 limits a reply line to 512 octets; a long multi-line reply (EHLO) is cut here.
constexpr std::size_t kMaxReplyText = 1024;
constexpr int kDefaultTimeoutMs = 30000;
constexpr double kMinUploadBytesPerMs = 16.0;  // 16 kB/s
constexpr double kPerRecipientMs = 1000.0;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void AppendPrintable(std::string_view text, std::string& out) {
  for (const char c : text) {
    if (out.size() >= kMaxReplyText) {
      return;
    }
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
                            (c >= 'a' && c <= 'z') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

}  // namespace

void SmtpReplyLog::Add(std::string_view lines) {
  while (!lines.empty()) {
    const std::size_t end = lines.find('\n');
    AddLine(lines.substr(0, end));
    if (end == std::string_view::npos) {
      break;
    }
    lines.remove_prefix(end + 1);
  }
}

void SmtpReplyLog::AddLine(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) {
    line.remove_suffix(1);
  }
  // "NNN text", "NNN-text" or a bare "NNN"; anything else is not a reply line.
  if (line.size() < 3 || !IsDigit(line[0]) || !IsDigit(line[1]) || !IsDigit(line[2])) {
    return;
  }
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') {
    return;
  }
  const int code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
  std::string_view text = line.size() > 4 ? line.substr(4) : std::string_view();
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }

  if (pending_code_ != code) {
    pending_text_.clear();
  }
  pending_code_ = code;
  if (!text.empty()) {
    if (!pending_text_.empty()) {
      AppendPrintable(" ", pending_text_);
    }
    AppendPrintable(text, pending_text_);
  }
  if (line.size() > 3 && line[3] == '-') {
    return;  // more lines follow
  }

  if (replies_.size() == kMaxReplies) {
    replies_.erase(replies_.begin());
  }
  replies_.push_back(Reply{code, std::move(pending_text_)});
  pending_text_.clear();
  pending_code_ = 0;
}

void SmtpReplyLog::Clear() {
  replies_.clear();
  pending_code_ = 0;
  pending_text_.clear();
}

std::string SmtpReplyLog::LastReplyWithCode(int code) const {
  for (auto it = replies_.rbegin(); it != replies_.rend(); ++it) {
    if (it->code != code) {
      continue;
    }
    std::string reply = std::to_string(code);
    if (!it->text.empty()) {
      reply.append(" ").append(it->text);
    }
    return reply;
  }
  return {};
}

int SmtpReplyLog::LastCodeAtLeast(int min_code) const {
  for (auto it = replies_.rbegin(); it != replies_.rend(); ++it) {
    if (it->code >= min_code) return it->code;
  }
  return 0;
}

bool UsesImplicitTls(const SmtpOptions& options) {
  return options.tls == TlsMode::kImplicit ||
         (options.tls == TlsMode::kAuto && options.port == 465);
}

std::string SmtpUrl(const SmtpOptions& options) {
  std::string host = options.host;
  // A bare IPv6 literal needs brackets in a URL.
  if (host.find(':') != std::string::npos && !host.starts_with("[")) {
    host = "[" + host + "]";
  }
  return std::string(UsesImplicitTls(options) ? "smtps://" : "smtp://") + host + ":" +
         std::to_string(options.port) + "/" + PercentEncode(options.helo_name);
}

long TransferTimeoutMs(int timeout_ms, std::size_t message_bytes, std::size_t recipients) {
  const double base = timeout_ms > 0 ? timeout_ms : kDefaultTimeoutMs;
  const double total = 4.0 * base + kPerRecipientMs * static_cast<double>(recipients) +
                       static_cast<double>(message_bytes) / kMinUploadBytesPerMs;
  return total >= static_cast<double>(LONG_MAX) ? LONG_MAX : static_cast<long>(total);
}

bool IsSafeEnvelopeAddress(std::string_view address) {
  return std::none_of(address.begin(), address.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7F || c == '<' || c == '>';
  });
}

std::string PrintableReply(std::string_view text) {
  std::string out;
  bool space = false;
  for (const char c : text) {
    if (out.size() >= kMaxReplyText) break;
    if (c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) {
      out.push_back(' ');
      space = false;
    }
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  return out;
}

namespace {

// "550 5.1.1 user unknown", or just "550" when the server gave no text.
std::string ReplyLine(int code, const std::string& text) {
  if (text.empty()) return std::to_string(code);
  // libESMTP's text starts after the code ("5.1.1 ..."); keep the code in front as curl did.
  return std::to_string(code) + " " + text;
}

SendResult Refused(int code, const std::string& text) {
  // CURLE_SEND_ERROR is the table's row for a refused MAIL FROM, RCPT TO or DATA.
  return SendResult{ClassifySmtpFailure(CURLE_SEND_ERROR, code), code, ReplyLine(code, text)};
}

}  // namespace

SendResult ClassifyPipelined(const PipelinedReplies& replies) {
  const auto accepted = [](int code) { return code >= 200 && code <= 299; };
  const bool all_rcpts =
      !replies.rcpt.empty() && std::all_of(replies.rcpt.begin(), replies.rcpt.end(),
                                           [&](const auto& rcpt) { return accepted(rcpt.first); });
  if (accepted(replies.mail_code) && all_rcpts && accepted(replies.data_code)) {
    return SendResult{SendResult::Kind::kSent, replies.data_code,
                      ReplyLine(replies.data_code, replies.data_text)};
  }
  if (replies.session_code != 0) {
    // The server refused the session (greeting, AUTH): configuration or the server's state, not
    // the message, whatever it then answered to MAIL or RCPT (the greeting and AUTH rows).
    std::string reply = replies.session_reply;
    if (!replies.session_error.empty()) reply += " (" + replies.session_error + ")";
    return SendResult{SendResult::Kind::kTransient, replies.session_code, std::move(reply)};
  }
  if (replies.mail_code >= 400) return Refused(replies.mail_code, replies.mail_text);
  for (const auto& [code, text] : replies.rcpt) {
    if (code >= 400) return Refused(code, text);
  }
  if (replies.data_code >= 400) return Refused(replies.data_code, replies.data_text);
  // Nothing refused the message: the session ended before it was accepted (connection lost,
  // timeout, TLS trouble). Worth retrying.
  std::string reply = replies.session_error.empty()
                          ? "the session ended before the server accepted the message"
                          : replies.session_error;
  if (replies.data_code != 0) {
    reply += " (last reply: " + ReplyLine(replies.data_code, replies.data_text) + ")";
  }
  return SendResult{SendResult::Kind::kTransient, replies.data_code, std::move(reply)};
}

}  // namespace mail::internal
