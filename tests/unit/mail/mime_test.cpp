#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "mail/message.h"
#include "mail/mime_encoding.h"
#include "mime_reader.h"

using mail_test::DecodeHeaderValue;
using mail_test::DecodeQuotedPrintable;
using mail_test::Entity;
using mail_test::ParseEntity;

namespace {

mail::Address Addr(std::string_view text) {
  auto parsed = mail::ParseAddress(text, "test");
  REQUIRE_MESSAGE(parsed.ok(), text);
  return *parsed;
}

mail::Message BasicMessage() {
  mail::Message message;
  message.from = Addr("Outbox <noreply@example.com>");
  message.to = {Addr("Jane Doe <jane@example.org>")};
  message.cc = {Addr("cc@example.org")};
  message.bcc = {Addr("Secret Person <hidden@example.net>")};
  message.reply_to = Addr("support@example.com");
  message.subject = "Hello there";
  message.text = "Hi Jane,\nthis is a test.\n";
  message.message_id = "abc123@example.com";
  message.date = 1'700'000'000'000;
  return message;
}

// Lines of the header block as written (folded), without the terminating empty line.
std::vector<std::string> HeaderLines(const std::string& rendered) {
  return mail_test::SplitLines(ParseEntity(rendered).raw_header_block);
}

bool IsAscii(std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) > 0x7E) {
      return false;
    }
  }
  return true;
}

// Every encoded-word in a folded header block, with its length checked by the caller.
std::vector<std::string> EncodedWords(std::string_view header_block) {
  std::vector<std::string> words;
  std::size_t at = 0;
  while ((at = header_block.find("=?", at)) != std::string_view::npos) {
    // "=?" charset "?" encoding "?" text "?=": the end is the "?=" after the third '?'.
    std::size_t question = at + 2;
    for (int i = 0; i < 2; ++i) {
      question = header_block.find('?', question) + 1;
    }
    const std::size_t end = header_block.find("?=", question);
    words.emplace_back(header_block.substr(at, end + 2 - at));
    at = end + 2;
  }
  return words;
}

void CheckLineLimits(const std::string& rendered) {
  CHECK(mail_test::HasOnlyCrlf(rendered));
  CHECK(mail_test::LongestLine(rendered) <= 998);
}

}  // namespace

TEST_CASE("RenderMime writes the standard headers in order") {
  const std::string rendered = mail::RenderMime(BasicMessage());
  const Entity entity = ParseEntity(rendered);
  CHECK(entity.Header("From") == "Outbox <noreply@example.com>");
  CHECK(entity.Header("To") == "Jane Doe <jane@example.org>");
  CHECK(entity.Header("Cc") == "cc@example.org");
  CHECK(entity.Header("Reply-To") == "support@example.com");
  CHECK(entity.Header("Subject") == "Hello there");
  CHECK(entity.Header("Date") == "Tue, 14 Nov 2023 22:13:20 +0000");
  CHECK(entity.Header("Message-ID") == "<abc123@example.com>");
  CHECK(entity.Header("MIME-Version") == "1.0");
  CHECK(entity.Header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(entity.Header("Content-Transfer-Encoding") == "quoted-printable");

  std::vector<std::string> names;
  for (const auto& header : entity.headers) {
    names.push_back(header.first);
  }
  CHECK(names == std::vector<std::string>{"From", "To", "Cc", "Reply-To", "Subject", "Date",
                                          "Message-ID", "MIME-Version", "Content-Type",
                                          "Content-Transfer-Encoding"});
  CheckLineLimits(rendered);
}

TEST_CASE("RenderMime never writes a Bcc header or the Bcc addresses") {
  const std::string rendered = mail::RenderMime(BasicMessage());
  CHECK(ParseEntity(rendered).Count("Bcc") == 0);
  CHECK(rendered.find("hidden@example.net") == std::string::npos);
  CHECK(rendered.find("Secret Person") == std::string::npos);
}

TEST_CASE("RenderMime gives Bcc-only mail an undisclosed-recipients group") {
  mail::Message message = BasicMessage();
  message.to.clear();
  message.cc.clear();
  const Entity entity = ParseEntity(mail::RenderMime(message));
  CHECK(entity.Header("To") == "undisclosed-recipients:;");
  CHECK(entity.Count("Cc") == 0);
  CHECK(entity.Count("Bcc") == 0);
}

TEST_CASE("RenderMime leaves out absent optional headers") {
  mail::Message message = BasicMessage();
  message.cc.clear();
  message.reply_to.reset();
  const Entity entity = ParseEntity(mail::RenderMime(message));
  CHECK(entity.Count("Cc") == 0);
  CHECK(entity.Count("Reply-To") == 0);
  CHECK(entity.Count("To") == 1);
}

TEST_CASE("RenderMime encodes a non-ASCII subject as UTF-8 encoded-words") {
  mail::Message message = BasicMessage();
  message.subject = "Grüße 🎉";
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  const std::string raw_subject = entity.Header("Subject");
  CHECK(raw_subject.starts_with("=?UTF-8?"));
  CHECK(IsAscii(entity.raw_header_block));
  CHECK(DecodeHeaderValue(raw_subject) == "Grüße 🎉");
  for (const std::string& word : EncodedWords(entity.raw_header_block)) {
    CHECK(word.size() <= 75);
  }
}

TEST_CASE("RenderMime splits a long non-ASCII subject into short words on folded lines") {
  mail::Message message = BasicMessage();
  std::string subject;
  for (int i = 0; i < 40; ++i) {
    subject += "Grüße 🎉 ";
  }
  subject += "end";
  message.subject = subject;
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);

  CHECK(DecodeHeaderValue(entity.Header("Subject")) == subject);
  const std::vector<std::string> words = EncodedWords(entity.raw_header_block);
  CHECK(words.size() > 5);
  for (const std::string& word : words) {
    CHECK(word.size() <= 75);
    // No word ends inside a UTF-8 sequence: each decodes to valid UTF-8 on its own.
    bool ok = false;
    CHECK(mail::internal::IsValidUtf8(mail_test::DecodeEncodedWord(word, &ok)));
    CHECK(ok);
  }
  for (const std::string& line : HeaderLines(rendered)) {
    CHECK(line.size() <= 78);
  }
  CheckLineLimits(rendered);
}

TEST_CASE("RenderMime keeps ASCII subjects readable and folds them at spaces") {
  mail::Message message = BasicMessage();
  std::string subject;
  for (int i = 0; i < 30; ++i) {
    subject += "word" + std::to_string(i) + " ";
  }
  subject += " double  spaced\tand tabbed";
  message.subject = subject;
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  CHECK(entity.Header("Subject") == subject);  // unfolding restores it byte for byte
  CHECK(entity.raw_header_block.find("=?") == std::string::npos);
  for (const std::string& line : HeaderLines(rendered)) {
    CHECK(line.size() <= 78);
  }
}

TEST_CASE("RenderMime encodes an ASCII subject that looks like an encoded-word") {
  mail::Message message = BasicMessage();
  message.subject = "=?UTF-8?B?SGk=?= is not what I typed";
  const Entity entity = ParseEntity(mail::RenderMime(message));
  CHECK(DecodeHeaderValue(entity.Header("Subject")) == message.subject);
}

TEST_CASE("RenderMime renders display names as atoms, quoted strings or encoded-words") {
  mail::Message message = BasicMessage();
  message.to = {Addr("Jane Doe <a@example.org>"), Addr("\"Doe, Jane\" <b@example.org>"),
                Addr("\"Say \\\"hi\\\"\" <c@example.org>"), Addr("Zoë Ünal <d@example.org>"),
                Addr("Jane Q. Public <e@example.org>")};
  const std::string rendered = mail::RenderMime(message);
  const std::string to = ParseEntity(rendered).Header("To");
  CHECK(to.find("Jane Doe <a@example.org>") != std::string::npos);
  CHECK(to.find("\"Doe, Jane\" <b@example.org>") != std::string::npos);
  CHECK(to.find(R"("Say \"hi\"" <c@example.org>)") != std::string::npos);
  CHECK(to.find("\"Jane Q. Public\" <e@example.org>") != std::string::npos);
  CHECK(to.find("Zoë") == std::string::npos);
  CHECK(DecodeHeaderValue(to).find("Zoë Ünal <d@example.org>") != std::string::npos);
  CHECK(IsAscii(ParseEntity(rendered).raw_header_block));
}

TEST_CASE("RenderMime keeps ASCII words of a non-ASCII display name plain") {
  // Fewer places where two encoded-words meet: readers disagree on the space between them
  // (RFC 2047 6.2 drops it, Python's address parser keeps it).
  mail::Message message = BasicMessage();
  const std::string name = "Zoë Ünal-Éléonore de la Montagne-Sainte-Geneviève 🎉 (Team)";
  message.to = {mail::Address{name, "zoe@example.org"}};
  const std::string rendered = mail::RenderMime(message);
  const std::string to = ParseEntity(rendered).Header("To");
  CHECK(to.find(" de la ") != std::string::npos);
  CHECK(to.find("\"(Team)\"") != std::string::npos);  // specials: a quoted word
  CHECK(DecodeHeaderValue(to) ==
        "Zoë Ünal-Éléonore de la Montagne-Sainte-Geneviève 🎉 \"(Team)\" "
        "<zoe@example.org>");
  for (const std::string& word : EncodedWords(ParseEntity(rendered).raw_header_block)) {
    CHECK(word.size() <= 75);
  }
  for (const std::string& line : HeaderLines(rendered)) {
    CHECK(line.size() <= 78);
  }
}

TEST_CASE("RenderMime splits a long unspaced non-ASCII display name at character boundaries") {
  mail::Message message = BasicMessage();
  std::string name;
  for (int i = 0; i < 40; ++i) {
    name += "株式会社";
  }
  message.to = {mail::Address{name, "kk@example.jp"}};
  const std::string rendered = mail::RenderMime(message);
  const std::string to = ParseEntity(rendered).Header("To");
  CHECK(DecodeHeaderValue(to) == name + " <kk@example.jp>");
  for (const std::string& word : EncodedWords(ParseEntity(rendered).raw_header_block)) {
    CHECK(word.size() <= 75);
    bool ok = false;
    CHECK(mail::internal::IsValidUtf8(mail_test::DecodeEncodedWord(word, &ok)));
  }
  for (const std::string& line : HeaderLines(rendered)) {
    CHECK(line.size() <= 78);
  }
}

TEST_CASE("RenderMime folds long recipient lists at commas") {
  mail::Message message = BasicMessage();
  message.to.clear();
  std::string expected;
  for (int i = 0; i < 40; ++i) {
    const std::string address = "recipient" + std::to_string(i) + "@example.org";
    message.to.push_back(Addr("Person " + std::to_string(i) + " <" + address + ">"));
    expected +=
        (i == 0 ? "" : ", ") + std::string("Person ") + std::to_string(i) + " <" + address + ">";
  }
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  CHECK(entity.Header("To") == expected);

  // Lines of the To header: the first, then its continuation lines.
  const std::vector<std::string> lines = HeaderLines(rendered);
  std::size_t first = 0;
  while (first < lines.size() && !lines[first].starts_with("To:")) {
    ++first;
  }
  REQUIRE(first < lines.size());
  std::size_t last = first + 1;
  while (last < lines.size() && lines[last].starts_with(" ")) {
    ++last;
  }
  CHECK(last - first > 5);  // actually folded
  for (std::size_t i = first; i < last; ++i) {
    CHECK(lines[i].size() <= 78);
    if (i + 1 < last) {
      CHECK(lines[i].ends_with(","));  // every break follows a comma
    }
  }
}

TEST_CASE("RenderMime adds extra headers after MIME-Version, in order") {
  mail::Message message = BasicMessage();
  message.headers = {{"X-Campaign", "spring"},
                     {"List-Unsubscribe", "<mailto:u@example.com>"},
                     {"X-Greeting", "Grüße"}};
  const Entity entity = ParseEntity(mail::RenderMime(message));
  std::vector<std::string> names;
  for (const auto& header : entity.headers) {
    names.push_back(header.first);
  }
  const std::vector<std::string> expected = {"MIME-Version", "X-Campaign", "List-Unsubscribe",
                                             "X-Greeting", "Content-Type"};
  const auto at = std::find(names.begin(), names.end(), "MIME-Version");
  REQUIRE(at != names.end());
  CHECK(std::vector<std::string>(at, at + 5) == expected);
  CHECK(entity.Header("X-Campaign") == "spring");
  CHECK(entity.Header("List-Unsubscribe") == "<mailto:u@example.com>");
  CHECK(DecodeHeaderValue(entity.Header("X-Greeting")) == "Grüße");
}

TEST_CASE("RenderMime drops extra headers that fail validation (defence in depth)") {
  mail::Message message = BasicMessage();
  message.headers = {{"Bcc", "leak@example.com"},
                     {"X-Evil\r\nBcc", "leak@example.com"},
                     {"Content-Type", "text/html"},
                     {"X-Injected", "a\r\nBcc: leak@example.com"},
                     {"X-Fine", "ok"}};
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  CHECK(rendered.find("leak@example.com") == std::string::npos);
  CHECK(entity.Count("Bcc") == 0);
  CHECK(entity.Count("Content-Type") == 1);
  CHECK(entity.Header("X-Fine") == "ok");
}

TEST_CASE("RenderMime cannot be made to inject headers through unvalidated text") {
  mail::Message message = BasicMessage();
  message.subject = "Hi\r\nBcc: victim@example.com";
  message.to = {mail::Address{"Evil\r\nBcc: victim@example.com", "jane@example.org"}};
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  CHECK(entity.Count("Bcc") == 0);
  for (const std::string& line : HeaderLines(rendered)) {
    CHECK(!line.starts_with("Bcc"));
  }
  CHECK(DecodeHeaderValue(entity.Header("Subject")) == message.subject);
  CheckLineLimits(rendered);
}

TEST_CASE("RenderMime encodes a plain-text body as quoted-printable") {
  mail::Message message = BasicMessage();
  std::string text;
  for (int i = 0; i < 50; ++i) {
    text += "Grüße, naïve café = 100% ";
  }
  text += "trailing space \nFrom the start\n. a dot line\nend";
  message.text = text;
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  CHECK(entity.Header("Content-Transfer-Encoding") == "quoted-printable");
  for (const std::string& line : mail_test::SplitLines(entity.body)) {
    CHECK(line.size() <= 76);
    CHECK(!line.ends_with(" "));
    CHECK(!line.starts_with("From "));
    CHECK(IsAscii(line));
  }
  std::string expected = mail::internal::NormalizeLineEnds(text) + "\r\n";
  CHECK(DecodeQuotedPrintable(entity.body) == expected);
  CheckLineLimits(rendered);
}

TEST_CASE("RenderMime turns bare LF and bare CR in bodies into CRLF") {
  mail::Message message = BasicMessage();
  message.text = "unix\nmac\rdos\r\nmixed\n\rend";
  const std::string rendered = mail::RenderMime(message);
  CHECK(mail_test::HasOnlyCrlf(rendered));
  CHECK(DecodeQuotedPrintable(ParseEntity(rendered).body) ==
        "unix\r\nmac\r\ndos\r\nmixed\r\n\r\nend\r\n");
}

TEST_CASE("RenderMime writes text and HTML as multipart/alternative") {
  mail::Message message = BasicMessage();
  message.text = "Plain version\nwith two lines";
  message.html = "<p>HTML <b>version</b> – Grüße</p>\n";
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  const std::string content_type = entity.Header("Content-Type");
  CHECK(content_type.starts_with("multipart/alternative;"));
  CHECK(entity.Count("Content-Transfer-Encoding") == 0);
  const std::string boundary = mail_test::BoundaryOf(content_type);
  REQUIRE(!boundary.empty());
  CHECK(boundary.size() <= 70);

  // Exactly two delimiter lines and one close delimiter, each on a line of its own.
  const std::vector<std::string> lines = mail_test::SplitLines(entity.body);
  CHECK(std::count(lines.begin(), lines.end(), "--" + boundary) == 2);
  CHECK(std::count(lines.begin(), lines.end(), "--" + boundary + "--") == 1);
  CHECK(lines.back() == "--" + boundary + "--");

  const std::vector<Entity> parts = mail_test::SplitMultipart(entity.body, boundary);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].Header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(parts[0].Header("Content-Transfer-Encoding") == "quoted-printable");
  CHECK(DecodeQuotedPrintable(parts[0].body) == "Plain version\r\nwith two lines");
  CHECK(parts[1].Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(DecodeQuotedPrintable(parts[1].body) == "<p>HTML <b>version</b> – Grüße</p>\r\n");
  for (const Entity& part : parts) {
    CHECK(part.body.find(boundary) == std::string::npos);
  }
  CheckLineLimits(rendered);
}

TEST_CASE("RenderMime boundaries are random and cannot occur in the encoded parts") {
  mail::Message message = BasicMessage();
  // Bodies that try to contain a boundary: QP escapes '=', so "=_" never survives encoding.
  message.text = "--=_outbox_0123456789abcdef0123456789abcdef\n=_outbox_\n";
  message.html = "<p>=_outbox_ --=_</p>";
  const std::string first = mail::RenderMime(message);
  const std::string second = mail::RenderMime(message);
  const std::string boundary = mail_test::BoundaryOf(ParseEntity(first).Header("Content-Type"));
  CHECK(boundary != mail_test::BoundaryOf(ParseEntity(second).Header("Content-Type")));
  const std::vector<Entity> parts = mail_test::SplitMultipart(ParseEntity(first).body, boundary);
  REQUIRE(parts.size() == 2);
  for (const Entity& part : parts) {
    CHECK(part.body.find("=_") == std::string::npos);
  }
  CHECK(DecodeQuotedPrintable(parts[0].body) ==
        "--=_outbox_0123456789abcdef0123456789abcdef\r\n=_outbox_\r\n");
}

TEST_CASE("RenderMime writes a single HTML part when there is no text") {
  mail::Message message = BasicMessage();
  message.text.clear();
  message.html = "<h1>Only HTML</h1>";
  const Entity entity = ParseEntity(mail::RenderMime(message));
  CHECK(entity.Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(DecodeQuotedPrintable(entity.body) == "<h1>Only HTML</h1>\r\n");
}

TEST_CASE("RenderMime writes an empty text/plain part when there is no body") {
  mail::Message message = BasicMessage();
  message.text.clear();
  const std::string rendered = mail::RenderMime(message);
  const Entity entity = ParseEntity(rendered);
  CHECK(entity.Header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(entity.body.empty());
  CHECK(rendered.ends_with("\r\n\r\n"));
}

TEST_CASE("RenderMime keeps every line within 998 octets for pathological input") {
  mail::Message message = BasicMessage();
  message.subject = std::string(5000, 'x');
  message.headers = {{"X-Long", std::string(3000, 'y')}, {std::string(76, 'Z'), "short"}};
  message.to = {mail::Address{std::string(2000, 'n'), "jane@example.org"}};
  message.text = std::string(10000, 'z');
  const std::string rendered = mail::RenderMime(message);
  CheckLineLimits(rendered);
  const Entity entity = ParseEntity(rendered);
  CHECK(DecodeHeaderValue(entity.Header("Subject")) == message.subject);
  CHECK(DecodeHeaderValue(entity.Header("X-Long")) == message.headers[0].second);
  CHECK(DecodeHeaderValue(entity.Header("To")) == std::string(2000, 'n') + " <jane@example.org>");
}

TEST_CASE("RenderMime replaces an unusable Message-ID rather than writing a broken header") {
  mail::Message message = BasicMessage();
  message.message_id = "";
  std::string id = ParseEntity(mail::RenderMime(message)).Header("Message-ID");
  CHECK(id.starts_with("<"));
  CHECK(id.ends_with("@example.com>"));
  CHECK(id.size() > 20);

  message.message_id = "a\r\nBcc: x@y.z";
  id = ParseEntity(mail::RenderMime(message)).Header("Message-ID");
  CHECK(id == "<aBcc:x@y.z>");
}

TEST_CASE("a newsletter's recipient headers + shared part make one complete message") {
  mail::Message message = BasicMessage();
  message.html = "<p>Hi</p>";
  const std::string shared = mail::RenderSharedPart(message);
  const Entity shared_entity = ParseEntity(shared);
  CHECK(shared_entity.Count("To") == 0);
  CHECK(shared_entity.Count("Cc") == 0);
  CHECK(shared_entity.Count("Message-ID") == 0);
  CHECK(shared_entity.Header("Subject") == "Hello there");

  const std::string own =
      mail::RenderRecipientHeaders(Addr("reader@example.org"), "n1@example.com",
                                   {{"List-Unsubscribe", "<https://x.example/unsubscribe/abc>"},
                                    {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"}});
  const Entity entity = ParseEntity(own + shared);
  CHECK(entity.Header("To") == "reader@example.org");
  CHECK(entity.Count("To") == 1);
  CHECK(entity.Header("Message-ID") == "<n1@example.com>");
  CHECK(entity.Header("List-Unsubscribe-Post") == "List-Unsubscribe=One-Click");
  CHECK(entity.Count("From") == 1);
  CHECK(entity.Count("MIME-Version") == 1);
  CHECK(entity.body.find("<p>Hi</p>") != std::string::npos);
  CHECK(entity.Header("Content-Type").rfind("multipart/alternative", 0) == 0);
}

TEST_CASE("a campaign's open HTML part takes each recipient's tail and closes the message") {
  const std::string own = mail::RenderRecipientHeaders(Addr("reader@example.org"), "c1@x", {});
  const std::string image = "<img src=\"https://x.example/t/0123.gif\" alt=\"\">";

  SUBCASE("text and HTML: the tail ends the HTML part and closes the multipart") {
    mail::Message message = BasicMessage();
    message.html = "<p>Hi</p>";
    const mail::OpenHtmlPart part = mail::RenderSharedPartOpenHtml(message);
    CHECK(part.close.starts_with("\r\n--=_outbox_"));
    CHECK(part.close.ends_with("--\r\n"));
    const std::string whole = own + part.shared + mail::RenderHtmlTail(image, part.close);
    const std::string html_start = whole.substr(whole.find("Content-Type: text/html"));
    CHECK(html_start.find("<p>Hi</p>\r\n<img src=3D\"https://x.example/t/0123.gif\" alt=3D\"\">\r\n--") !=
          std::string::npos);
    // With a boundary seed, a second rendering closes the same way (and a random one does not).
    message.boundary_seed = "campaign:1:v1";
    const std::string seeded = mail::RenderSharedPartOpenHtml(message).close;
    CHECK(mail::RenderSharedPartOpenHtml(message).close == seeded);
    CHECK(seeded != part.close);
    // The same message without a tail: only the close is missing from the shared part.
    CHECK(ParseEntity(own + part.shared + part.close).Header("Subject") == "Hello there");
  }
  SUBCASE("HTML alone: the tail follows the HTML and ends the message with a line end") {
    mail::Message message = BasicMessage();
    message.text = "";
    message.html = "<p>Hi</p>\n";
    const mail::OpenHtmlPart part = mail::RenderSharedPartOpenHtml(message);
    CHECK(part.close == "\r\n");
    const std::string whole = own + part.shared + mail::RenderHtmlTail(image, part.close);
    CHECK(whole.ends_with("<p>Hi</p>\r\n<img src=3D\"https://x.example/t/0123.gif\" alt=3D\"\">\r\n"));
  }
  SUBCASE("no HTML: nothing is left open and a tail adds nothing") {
    mail::Message message = BasicMessage();
    message.html = "";
    const mail::OpenHtmlPart part = mail::RenderSharedPartOpenHtml(message);
    CHECK(part.close.empty());
    CHECK(mail::RenderHtmlTail(image, part.close).empty());
    CHECK(part.shared.ends_with("\r\n"));
  }
}
