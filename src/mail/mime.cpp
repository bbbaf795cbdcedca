// RFC 5322 / MIME rendering of a Message.
//
// Header lines are built from "pieces": strings that must not be broken, each one after the
// first starting with the whitespace in front of it. Folding inserts CRLF before a piece's
// whitespace, so unfolding (deleting CRLF) restores the value exactly. Pieces are grouped;
// a group (one mailbox, one word) stays on one line when it fits, which is how address lists
// end up folded at their commas.
//
// Defence in depth: RenderMime's contract says its input was validated, but a missed check
// upstream must not become header injection. Text that could carry a line break (subject,
// display names, extra header values) goes out as encoded-words whenever it has any byte
// outside printable ASCII; addresses and the Message-ID lose such bytes; extra headers that
// fail ValidateExtraHeader are left out; attachment names lose directories and control
// characters, and a malformed attachment content type becomes application/octet-stream.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/random.h"
#include "mail/message.h"
#include "mail/mime_encoding.h"

namespace mail {
namespace {

using Group = std::vector<std::string>;

constexpr std::size_t kFoldColumn = 78;            // RFC 5322 2.1.1 SHOULD
constexpr std::size_t kMaxLineLength = 998;        // RFC 5322 2.1.1 MUST
constexpr std::size_t kMaxEncodedWordLength = 75;  // RFC 2047 2
// An encoded display name must fit after the longest address header prefix, "Reply-To: ".
constexpr std::size_t kDisplayNameWordLength = kFoldColumn - 10;
// Plain text pieces longer than this are encoded instead so the 998 limit holds after any
// header name outbox accepts (at most 76 characters).
constexpr std::size_t kMaxPlainPieceLength = 900;
static_assert(76 + 2 + kMaxPlainPieceLength + 1 < kMaxLineLength,
              "name, \": \", the longest plain piece and a comma fit on one line");

bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

// " " + text, built by appending: g++ 12 -O2 reports a bogus -Wrestrict for
// `"literal" + std::string` (GCC bug 105329).
std::string Spaced(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 1);
  out.push_back(' ');
  out.append(text);
  return out;
}

// Printable ASCII, space and tab: what may appear in a header as is.
bool IsPlainHeaderText(std::string_view text) {
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c > 0x7E) {
      return false;
    }
  }
  // A literal "=?" could be taken for an encoded-word by the reader (RFC 2047 5).
  return text.find("=?") == std::string_view::npos;
}

void AppendFolded(std::string& out, std::string_view name, const std::vector<Group>& groups) {
  out += name;
  out += ':';
  std::size_t column = name.size() + 1;
  bool line_has_text = false;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const Group& group = groups[g];
    std::size_t group_length = g == 0 ? 1 : 0;  // the space after "Name:"
    for (const std::string& piece : group) {
      group_length += piece.size();
    }
    // Pieces other than the very first start with whitespace, so a break may precede them.
    if (line_has_text && column + group_length > kFoldColumn) {
      out += "\r\n";
      column = 0;
      line_has_text = false;
    }
    for (std::size_t p = 0; p < group.size(); ++p) {
      const std::string& piece = group[p];
      if (g == 0 && p == 0) {
        out += ' ';
        column += 1;
      } else if (line_has_text && column + piece.size() > kFoldColumn) {
        out += "\r\n";
        column = 0;
      }
      out += piece;
      column += piece.size();
      line_has_text = true;
    }
  }
  out += "\r\n";
}

// Each encoded-word is a group of its own; the whitespace between two encoded-words is not
// part of the decoded text, so the words carry every space of the original inside them.
std::vector<Group> EncodedGroups(std::string_view text, std::size_t first_max_length,
                                 std::size_t max_length) {
  std::vector<Group> groups;
  for (std::string& word : internal::EncodeWords(text, first_max_length, max_length)) {
    groups.push_back({groups.empty() ? std::move(word) : Spaced(word)});
  }
  return groups;
}

// Unstructured text (RFC 5322 3.2.5): the subject and extra header values.
std::vector<Group> UnstructuredGroups(std::string_view name, std::string_view text) {
  std::vector<Group> groups;
  bool plain = IsPlainHeaderText(text);
  for (std::size_t start = 0; plain && start < text.size();) {
    std::size_t end = start;
    while (end < text.size() && IsWhitespace(text[end])) {
      ++end;
    }
    while (end < text.size() && !IsWhitespace(text[end])) {
      ++end;
    }
    if (end - start > kMaxPlainPieceLength) {
      plain = false;
    }
    groups.push_back({std::string(text.substr(start, end - start))});
    start = end;
  }
  if (plain) {
    return groups;
  }
  // The first word shares its line with "Name: ".
  const std::size_t prefix = name.size() + 2;
  return EncodedGroups(text, prefix < kFoldColumn ? kFoldColumn - prefix : 0,
                       kMaxEncodedWordLength);
}

// For the Message-ID: visible ASCII other than the angle brackets that delimit it.
std::string KeepVisibleAscii(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c < 0x7F && c != '<' && c != '>') {
      out.push_back(ch);
    }
  }
  return out;
}

// Addresses may carry UTF-8 (RFC 6531); only ASCII controls, space and angle brackets go.
std::string SanitizeAddress(std::string_view address) {
  std::string out;
  for (const char ch : address) {
    const auto c = static_cast<unsigned char>(ch);
    if (c > 0x20 && c != 0x7F && c != '<' && c != '>') {
      out.push_back(ch);
    }
  }
  return out;
}

// Words of atext separated by single spaces can go out as they are (RFC 5322 phrase).
bool IsAtomPhrase(std::string_view name) {
  if (name.empty() || name.front() == ' ' || name.back() == ' ') {
    return false;
  }
  if (name.find("  ") != std::string_view::npos) {
    return false;
  }
  for (const char c : name) {
    if (c != ' ' && !internal::IsAtext(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

std::string QuoteString(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

// A display name that cannot go out as plain ASCII: split at spaces, ASCII words stay atoms
// (or quoted strings), and each run of words that need encoding becomes encoded-words with
// the run's inner spaces inside them. Keeping plain words plain leaves fewer places where two
// encoded-words meet, and readers disagree there: RFC 2047 6.2 drops the whitespace between
// them, Python's address parser keeps it.
Group EncodedPhrase(std::string_view name) {
  const auto needs_encoding = [](std::string_view word) {
    return !IsPlainHeaderText(word) || word.find('\t') != std::string_view::npos ||
           word.size() > kMaxPlainPieceLength;
  };
  std::vector<std::pair<std::string, bool>> segments;  // text, encode?
  for (std::size_t start = 0; start < name.size();) {
    std::size_t end = name.find(' ', start);
    if (end == std::string_view::npos) {
      end = name.size();
    }
    const std::string_view word = name.substr(start, end - start);
    start = end + 1;
    if (word.empty()) {
      continue;
    }
    const bool encode = needs_encoding(word);
    if (encode && !segments.empty() && segments.back().second) {
      segments.back().first += Spaced(word);
    } else {
      segments.emplace_back(std::string(word), encode);
    }
  }
  Group group;
  for (const auto& [text, encode] : segments) {
    std::vector<std::string> words;
    if (encode) {
      words = internal::EncodeWords(text, kDisplayNameWordLength, kDisplayNameWordLength);
    } else {
      words.push_back(IsAtomPhrase(text) ? text : QuoteString(text));
    }
    for (std::string& word : words) {
      group.push_back(group.empty() ? std::move(word) : Spaced(word));
    }
  }
  return group;
}

Group MailboxGroup(const Address& mailbox) {
  const std::string address = SanitizeAddress(mailbox.address);
  const std::string_view name = mailbox.display_name;
  if (name.empty()) {
    return {address};
  }

  Group group;
  if (IsPlainHeaderText(name) && name.find('\t') == std::string_view::npos &&
      name.size() <= kMaxPlainPieceLength) {
    if (IsAtomPhrase(name)) {
      for (std::size_t start = 0; start < name.size();) {
        const std::size_t space = name.find(' ', start);
        const std::size_t end = space == std::string_view::npos ? name.size() : space;
        const std::string_view atom = name.substr(start, end - start);
        group.push_back(start == 0 ? std::string(atom) : Spaced(atom));
        start = end + 1;
      }
    } else {
      group.push_back(QuoteString(name));
    }
  } else {
    group = EncodedPhrase(name);
  }
  group.push_back(" <" + address + ">");
  return group;
}

void AppendAddressList(std::string& out, std::string_view name, const std::vector<Address>& list) {
  if (list.empty()) {
    return;
  }
  std::vector<Group> groups;
  for (const Address& mailbox : list) {
    Group group = MailboxGroup(mailbox);
    if (!groups.empty()) {
      groups.back().back() += ',';
      group.front() = Spaced(group.front());
    }
    groups.push_back(std::move(group));
  }
  AppendFolded(out, name, groups);
}

std::string MessageIdFor(const Message& message) {
  std::string id = KeepVisibleAscii(message.message_id);
  if (!id.empty() && id.size() <= kMaxPlainPieceLength) {
    return id;
  }
  // Only reachable when the caller broke the contract; a fresh id beats an invalid header.
  const std::size_t at = message.from.address.rfind('@');
  const std::string domain = at == std::string::npos
                                 ? std::string()
                                 : KeepVisibleAscii(message.from.address.substr(at + 1));
  return core::RandomHex(16) + "@" + (domain.empty() ? "outbox.invalid" : domain);
}

std::string BodyPartHeaders(std::string_view subtype) {
  return "Content-Type: text/" + std::string(subtype) +
         "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n";
}

std::string EncodeBody(std::string_view body) {
  return internal::EncodeQuotedPrintable(internal::NormalizeLineEnds(body));
}

// QP and base64 output never contain "=_" ('=' is followed by hex digits or CRLF in QP and is
// only trailing padding in base64), and part header lines start with a field name or with
// whitespace, so a delimiter line "--=_outbox_..." cannot occur inside any part. The two kinds
// differ in the character after "=_outbox_" ('m' is no hex digit), so neither boundary is a
// prefix of the other.
std::string NewBoundary(std::string_view kind, const std::string& seed) {
  std::string boundary = "=_outbox_";
  boundary += kind;
  boundary += seed.empty() ? core::RandomHex(16)
                           : core::Sha256Hex(seed + "/" + std::string(kind)).substr(0, 32);
  return boundary;
}

// The message body as a MIME entity: its Content-* headers, the empty line and the content,
// which ends without a line end unless the last encoded line is a multipart close delimiter.
std::string BodyEntity(const Message& message) {
  const bool has_text = !message.text.empty();
  const bool has_html = !message.html.empty();
  if (has_text && has_html) {
    const std::string boundary = NewBoundary("", message.boundary_seed);
    std::string out =
        "Content-Type: multipart/alternative;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
    out += "--" + boundary + "\r\n" + BodyPartHeaders("plain") + "\r\n";
    out += EncodeBody(message.text);
    out += "\r\n--" + boundary + "\r\n" + BodyPartHeaders("html") + "\r\n";
    out += EncodeBody(message.html);
    out += "\r\n--" + boundary + "--\r\n";
    return out;
  }
  return BodyPartHeaders(has_html ? "html" : "plain") + "\r\n" +
         EncodeBody(has_html ? message.html : message.text);
}

// A name that can go out as a quoted-string as it is: printable ASCII without the characters
// quoted-strings escape (clients differ in unescaping) and without "=?", which some clients
// decode as an RFC 2047 encoded-word even inside a parameter.
bool IsPlainFileName(std::string_view name) {
  return IsPlainHeaderText(name) && name.find_first_of("\"\\\t") == std::string_view::npos;
}

// The plain ASCII stand-in for readers that ignore RFC 2231: every character that is not plain
// becomes one '_' (a UTF-8 sequence counts as one character).
std::string AsciiFallbackName(std::string_view name) {
  std::string out;
  for (std::size_t pos = 0; pos < name.size();) {
    const std::size_t length = std::max<std::size_t>(1, internal::Utf8SequenceLength(name, pos));
    const char c = name[pos];
    const bool plain = length == 1 && c >= 0x20 && c < 0x7F && c != '"' && c != '\\' &&
                       !(c == '=' && name.substr(pos + 1, 1) == "?");
    out.push_back(plain ? c : '_');
    pos += length;
  }
  return out;
}

// "Name: value; p1; p2", folded before a parameter when the line would pass 78 columns. A
// parameter is never split, so a line is at most about 20 + 3 * 255 octets.
void AppendParameterHeader(std::string& out, std::string_view name, std::string_view value,
                           const std::vector<std::string>& parameters) {
  std::vector<Group> groups = {{std::string(value)}};
  for (const std::string& parameter : parameters) {
    groups.back().back() += ';';
    groups.push_back({Spaced(parameter)});
  }
  AppendFolded(out, name, groups);
}

// One attachment as a MIME entity, ending without a line end like BodyEntity.
//
// A name that is not plain goes out as RFC 2231 `filename*` in Content-Disposition and as the
// ASCII fallback in Content-Type's `name`, never both forms in one header: readers that see
// `filename` and `filename*` together pick one by position (Python's email package takes the
// first under one policy and the other under another), while readers without RFC 2231 look at
// `name` when Content-Disposition has no plain `filename`.
// Appended to `out` directly: an attachment runs to 25 MB, and a copy of its encoding is 33 MB.
void AppendAttachmentEntity(std::string& out, const Attachment& attachment) {
  const std::string name = internal::SanitizeFileName(attachment.filename);
  const std::string content_type = internal::IsValidContentType(attachment.content_type)
                                       ? attachment.content_type
                                       : "application/octet-stream";
  const bool plain = IsPlainFileName(name);
  AppendParameterHeader(out, "Content-Type", content_type,
                        {"name=" + QuoteString(plain ? name : AsciiFallbackName(name))});
  AppendParameterHeader(out, "Content-Disposition", "attachment",
                        {plain ? "filename=" + QuoteString(name)
                               : "filename*=" + internal::EncodeRfc2231Value(name)});
  out += "Content-Transfer-Encoding: base64\r\n\r\n";
  internal::AppendBase64Lines(attachment.data, out);
}

}  // namespace

std::string FormatRfc5322Date(core::TimeMs time) {
  using std::chrono::days;
  using std::chrono::milliseconds;
  using std::chrono::seconds;
  static constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::chrono::sys_time<milliseconds> point{milliseconds{time}};
  const auto day = std::chrono::floor<days>(point);
  const std::chrono::year_month_day date{day};
  const std::chrono::weekday weekday{day};
  const std::chrono::hh_mm_ss clock{std::chrono::floor<seconds>(point - day)};
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02d:%02d:%02d +0000",
                kWeekdays[weekday.c_encoding()], static_cast<unsigned>(date.day()),
                kMonths[static_cast<unsigned>(date.month()) - 1], static_cast<int>(date.year()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return buffer;
}

namespace {

void AppendExtraHeaders(std::string& out,
                        const std::vector<std::pair<std::string, std::string>>& headers) {
  for (const auto& [name, value] : headers) {
    if (!ValidateExtraHeader(name, value, "headers")) {
      continue;
    }
    AppendFolded(out, name, UnstructuredGroups(name, value));
  }
}

// The whole message, or (without recipient headers) all of it but To, Cc and Message-ID.
std::string Render(const Message& message, bool recipient_headers) {
  std::string out;
  std::size_t attachment_bytes = 0;
  for (const Attachment& attachment : message.attachments) {
    attachment_bytes += attachment.data.size() / 3 * 4 + attachment.data.size() / 28 + 512;
  }
  out.reserve(1024 + 2 * (message.text.size() + message.html.size()) + attachment_bytes);

  AppendAddressList(out, "From", {message.from});
  if (recipient_headers) {
    if (message.to.empty() && message.cc.empty()) {
      // Bcc-only mail: an empty group keeps the header RFC 5322 requires without naming anyone.
      out += "To: undisclosed-recipients:;\r\n";
    }
    AppendAddressList(out, "To", message.to);
    AppendAddressList(out, "Cc", message.cc);
  }
  if (message.reply_to) {
    AppendAddressList(out, "Reply-To", {*message.reply_to});
  }
  AppendFolded(out, "Subject", UnstructuredGroups("Subject", message.subject));
  out += "Date: " + FormatRfc5322Date(message.date) + "\r\n";
  if (recipient_headers) {
    out += "Message-ID: <" + MessageIdFor(message) + ">\r\n";
  }
  out += "MIME-Version: 1.0\r\n";
  AppendExtraHeaders(out, message.headers);

  if (message.attachments.empty()) {
    out += BodyEntity(message);
    if (!out.ends_with("\r\n")) {
      out += "\r\n";
    }
    return out;
  }
  const std::string boundary = NewBoundary("mixed_", message.boundary_seed);
  out += "Content-Type: multipart/mixed;\r\n boundary=\"" + boundary + "\"\r\n\r\n";
  out += "--" + boundary + "\r\n" + BodyEntity(message);
  for (const Attachment& attachment : message.attachments) {
    out += "\r\n--" + boundary + "\r\n";
    AppendAttachmentEntity(out, attachment);
  }
  out += "\r\n--" + boundary + "--\r\n";
  return out;
}

}  // namespace

std::string RenderMime(const Message& message) { return Render(message, true); }

std::string RenderSharedPart(const Message& message) { return Render(message, false); }

OpenHtmlPart RenderSharedPartOpenHtml(const Message& message) {
  std::string shared = Render(message, false);
  if (message.html.empty()) {
    return {std::move(shared), ""};
  }
  // The HTML part is the message's last: with a text part, the close delimiter follows it
  // ("\r\n--boundary--\r\n", the last "\r\n--" of the message); alone, the line end Render
  // ended it with.
  const std::size_t cut = message.text.empty() ? shared.size() - 2 : shared.rfind("\r\n--");
  std::string close = shared.substr(cut);
  shared.resize(cut);
  return {std::move(shared), std::move(close)};
}

std::string RenderHtmlTail(std::string_view html, std::string_view close) {
  if (close.empty()) {
    return "";
  }
  return "\r\n" + EncodeBody(html) + std::string(close);
}

std::string RenderRecipientHeaders(
    const Address& to, std::string_view message_id,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string out;
  AppendAddressList(out, "To", {to});
  Message identified;
  identified.message_id = message_id;
  out += "Message-ID: <" + MessageIdFor(identified) + ">\r\n";
  AppendExtraHeaders(out, headers);
  return out;
}

}  // namespace mail
