// Attachments: validation, and RenderMime's multipart/mixed output checked by decoding it with
// the independent reader in mime_reader.h.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "mail/message.h"
#include "mime_reader.h"

using mail_test::DecodeBase64Body;
using mail_test::DecodeQuotedPrintable;
using mail_test::Entity;
using mail_test::MediaTypeOf;
using mail_test::ParameterOf;
using mail_test::ParseEntity;
using mail_test::SplitMultipart;

namespace {

mail::Message BasicMessage() {
  mail::Message message;
  message.from = {"Outbox", "noreply@example.com"};
  message.to = {{"Jane Doe", "jane@example.org"}};
  message.subject = "Your files";
  message.text = "Hi Jane,\nthe files are attached.\n";
  message.message_id = "abc123@example.com";
  message.date = 1'700'000'000'000;
  return message;
}

std::string AllByteValues(int repeat) {
  std::string data;
  for (int r = 0; r < repeat; ++r) {
    for (int b = 0; b < 256; ++b) {
      data.push_back(static_cast<char>(b));
    }
  }
  return data;
}

bool IsAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) <= 0x7E; });
}

// Printable ASCII that a quoted-string carries without escapes and that no reader takes for an
// RFC 2047 encoded-word.
bool IsPlainAscii(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; }) &&
         text.find_first_of("\"\\") == std::string_view::npos &&
         text.find("=?") == std::string_view::npos;
}

// Exactly one form of the name parameter: readers given both `filename` and `filename*` pick
// one by position, and may pick the stand-in (Python's email package does, under one policy).
void CheckOneNameParameter(std::string_view header_value, std::string_view attribute) {
  int forms = 0;
  for (const auto& [key, value] : mail_test::ParametersOf(header_value)) {
    forms += key.starts_with(attribute) ? 1 : 0;
  }
  CHECK(forms == 1);
}

// The rendered message split into its top-level parts; checks the envelope on the way.
std::vector<Entity> MixedParts(const std::string& rendered, std::string* boundary_out = nullptr) {
  CHECK(mail_test::HasOnlyCrlf(rendered));
  CHECK(mail_test::LongestLine(rendered) <= 998);
  const Entity entity = ParseEntity(rendered);
  const std::string content_type = entity.Header("Content-Type");
  CHECK(MediaTypeOf(content_type) == "multipart/mixed");
  CHECK(entity.Count("Content-Type") == 1);
  CHECK(entity.Count("Content-Transfer-Encoding") == 0);
  const std::string boundary = mail_test::BoundaryOf(content_type);
  REQUIRE(!boundary.empty());
  CHECK(boundary.size() <= 70);  // RFC 2046 5.1.1
  if (boundary_out != nullptr) {
    *boundary_out = boundary;
  }
  std::vector<Entity> parts = SplitMultipart(entity.body, boundary);
  // Delimiters only where the parts are separated: the boundary occurs nowhere else.
  for (const Entity& part : parts) {
    CHECK(part.raw_header_block.find(boundary) == std::string::npos);
    CHECK(part.body.find(boundary) == std::string::npos);
  }
  const std::vector<std::string> lines = mail_test::SplitLines(entity.body);
  CHECK(std::count(lines.begin(), lines.end(), "--" + boundary) == static_cast<long>(parts.size()));
  REQUIRE(!lines.empty());
  CHECK(lines.back() == "--" + boundary + "--");
  return parts;
}

// Checks one attachment part and returns its decoded bytes.
std::string AttachmentBytes(const Entity& part, const mail::Attachment& attachment) {
  CHECK(IsAscii(part.raw_header_block));
  CHECK(MediaTypeOf(part.Header("Content-Type")) == attachment.content_type);
  CHECK(MediaTypeOf(part.Header("Content-Disposition")) == "attachment");
  CHECK(ParameterOf(part.Header("Content-Disposition"), "filename") == attachment.filename);
  CheckOneNameParameter(part.Header("Content-Type"), "name");
  CheckOneNameParameter(part.Header("Content-Disposition"), "filename");
  // The Content-Type name is the plain ASCII stand-in for readers without RFC 2231.
  const auto fallback = ParameterOf(part.Header("Content-Type"), "name");
  REQUIRE(fallback.has_value());
  CHECK(IsPlainAscii(*fallback));
  if (IsPlainAscii(attachment.filename)) {
    CHECK(*fallback == attachment.filename);
  }
  CHECK(part.Header("Content-Transfer-Encoding") == "base64");
  const std::vector<std::string> lines = mail_test::SplitLines(part.body);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    CHECK(lines[i].size() <= 76);
    if (i + 1 < lines.size()) {
      CHECK(lines[i].size() == 76);
    }
  }
  return DecodeBase64Body(part.body);
}

}  // namespace

TEST_CASE("RenderMime with attachments: multipart/mixed around the alternative body") {
  mail::Message message = BasicMessage();
  message.html = "<p>Hi Jane, the files are <b>attached</b>.</p>";
  const std::string binary = AllByteValues(3) + "--=_outbox_mixed_" + AllByteValues(1);
  message.attachments = {
      {"résumé 2026.pdf", "application/pdf", "%PDF-1.7\n" + binary},
      {"data.bin", "application/octet-stream", binary},
      {"notes.csv", "text/csv", "a,b\r\n1,2\r\n"},
  };
  const std::string rendered = mail::RenderMime(message);
  std::string outer;
  const std::vector<Entity> parts = MixedParts(rendered, &outer);
  REQUIRE(parts.size() == 4);

  const Entity& body = parts[0];
  CHECK(MediaTypeOf(body.Header("Content-Type")) == "multipart/alternative");
  const std::string inner = mail_test::BoundaryOf(body.Header("Content-Type"));
  REQUIRE(!inner.empty());
  CHECK(inner != outer);
  CHECK(!outer.starts_with(inner));
  CHECK(!inner.starts_with(outer));
  const std::vector<Entity> alternatives = SplitMultipart(body.body, inner);
  REQUIRE(alternatives.size() == 2);
  CHECK(alternatives[0].Header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(DecodeQuotedPrintable(alternatives[0].body) == "Hi Jane,\r\nthe files are attached.\r\n");
  CHECK(alternatives[1].Header("Content-Type") == "text/html; charset=utf-8");
  CHECK(DecodeQuotedPrintable(alternatives[1].body) == message.html);
  for (const Entity& alternative : alternatives) {
    CHECK(alternative.body.find(inner) == std::string::npos);
    CHECK(alternative.body.find(outer) == std::string::npos);
  }

  for (std::size_t i = 0; i < message.attachments.size(); ++i) {
    CAPTURE(i);
    CHECK(AttachmentBytes(parts[i + 1], message.attachments[i]) == message.attachments[i].data);
  }
}

TEST_CASE("RenderMime with attachments keeps a single-part body exactly") {
  mail::Message message = BasicMessage();
  message.text = "No line end at the end";
  message.attachments = {{"a.pdf", "application/pdf", "%PDF-1.4"}};
  const std::vector<Entity> parts = MixedParts(mail::RenderMime(message));
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].Header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(parts[0].Header("Content-Transfer-Encoding") == "quoted-printable");
  CHECK(DecodeQuotedPrintable(parts[0].body) == "No line end at the end");
  CHECK(AttachmentBytes(parts[1], message.attachments[0]) == "%PDF-1.4");
}

TEST_CASE("RenderMime sends attachment-only mail with an empty text part first") {
  mail::Message message = BasicMessage();
  message.text.clear();
  message.attachments = {{"empty.csv", "text/csv", ""}, {"one.csv", "text/csv", "x"}};
  const std::vector<Entity> parts = MixedParts(mail::RenderMime(message));
  REQUIRE(parts.size() == 3);
  CHECK(parts[0].Header("Content-Type") == "text/plain; charset=utf-8");
  CHECK(parts[0].body.empty());
  CHECK(AttachmentBytes(parts[1], message.attachments[0]).empty());
  CHECK(AttachmentBytes(parts[2], message.attachments[1]) == "x");
}

TEST_CASE("RenderMime writes ASCII names plainly and others with RFC 2231 and a fallback") {
  mail::Message message = BasicMessage();
  message.attachments = {{"report 2026.pdf", "application/pdf", "x"},
                         {"résumé 2026.pdf", "application/pdf", "x"}};
  const std::vector<Entity> parts = MixedParts(mail::RenderMime(message));
  REQUIRE(parts.size() == 3);
  CHECK(parts[1].Header("Content-Type") == "application/pdf; name=\"report 2026.pdf\"");
  CHECK(parts[1].Header("Content-Disposition") == "attachment; filename=\"report 2026.pdf\"");
  CHECK(parts[2].Header("Content-Disposition") ==
        "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9%202026.pdf");
  CHECK(parts[2].Header("Content-Type") == "application/pdf; name=\"r_sum_ 2026.pdf\"");
}

TEST_CASE("RenderMime round-trips special and long attachment names") {
  std::string long_name;
  while (long_name.size() + 2 + 4 <= 255) {
    long_name += "é";
  }
  long_name += ".pdf";
  REQUIRE(long_name.size() <= 255);
  const std::vector<std::string> names = {
      "say \"hi\".pdf",     "=?UTF-8?B?SGk=?=.pdf",    "semi;colon=equals.pdf",
      "100% done'n it.pdf", "  spaced  .pdf",          "日本語のファイル名.docx",
      "emoji 🎉.png",        "(parens) [brackets].xml", long_name,
      std::string(255, 'a')};
  mail::Message message = BasicMessage();
  for (const std::string& name : names) {
    REQUIRE(mail::ValidateAttachment({name, "application/pdf", ""}, "attachments").ok());
    message.attachments.push_back({name, "application/pdf", name});
  }
  const std::string rendered = mail::RenderMime(message);
  const std::vector<Entity> parts = MixedParts(rendered);
  REQUIRE(parts.size() == names.size() + 1);
  for (std::size_t i = 0; i < names.size(); ++i) {
    CAPTURE(names[i]);
    CHECK(AttachmentBytes(parts[i + 1], message.attachments[i]) == names[i]);
  }
  CHECK(mail_test::LongestLine(rendered) <= 998);
}

TEST_CASE("RenderMime uses fresh boundaries that binary content cannot contain") {
  mail::Message message = BasicMessage();
  message.html = "<p>--=_outbox_mixed_</p>";
  message.attachments = {{"a.bin", "application/octet-stream", AllByteValues(4)}};
  std::string first;
  std::string second;
  MixedParts(mail::RenderMime(message), &first);
  MixedParts(mail::RenderMime(message), &second);
  CHECK(first != second);
}

TEST_CASE("RenderMime cannot be made to inject headers through unvalidated attachments") {
  mail::Message message = BasicMessage();
  message.attachments = {
      {"../../etc/passwd\r\nBcc: victim@example.com", "text/html\r\nBcc: victim@example.com", "x"},
      {"", "", "y"},
      {"C:\\fakepath\\..", "not a type", "z"},
  };
  const std::string rendered = mail::RenderMime(message);
  const std::vector<Entity> parts = MixedParts(rendered);
  REQUIRE(parts.size() == 4);
  for (const std::string& line : mail_test::SplitLines(rendered)) {
    CHECK(!line.starts_with("Bcc"));
  }
  CHECK(ParameterOf(parts[1].Header("Content-Disposition"), "filename") ==
        "passwdBcc: victim@example.com");
  CHECK(MediaTypeOf(parts[1].Header("Content-Type")) == "application/octet-stream");
  CHECK(ParameterOf(parts[2].Header("Content-Disposition"), "filename") == "attachment");
  CHECK(ParameterOf(parts[3].Header("Content-Disposition"), "filename") == "attachment");
  CHECK(DecodeBase64Body(parts[3].body) == "z");
}

TEST_CASE("BaseFileName strips directories of either kind") {
  CHECK(mail::BaseFileName("a.pdf") == "a.pdf");
  CHECK(mail::BaseFileName("/tmp/a.pdf") == "a.pdf");
  CHECK(mail::BaseFileName("C:\\fakepath\\résumé.pdf") == "résumé.pdf");
  CHECK(mail::BaseFileName("dir/sub\\a.pdf") == "a.pdf");
  CHECK(mail::BaseFileName("dir/").empty());
  CHECK(mail::BaseFileName("").empty());
}

TEST_CASE("ValidateAttachment accepts ordinary names and types") {
  for (const std::string& name :
       {std::string("a.pdf"), std::string("résumé 2026.pdf"), std::string("say \"hi\".csv"),
        std::string(".hidden"), std::string(255, 'x')}) {
    CAPTURE(name);
    CHECK(mail::ValidateAttachment({name, "application/pdf", "data"}, "attachments[0]").ok());
  }
  CHECK(mail::ValidateAttachment({"a.bin", "", ""}, "f").ok());
  CHECK(mail::ValidateAttachment({"a.xlsm", "application/vnd.ms-excel.sheet.macroEnabled.12", ""},
                                 "f")
            .ok());
}

TEST_CASE("ValidateAttachment refuses bad names and types, naming the field") {
  const std::vector<std::string> bad_names = {"",
                                              std::string(256, 'x'),
                                              "a\r.pdf",
                                              "a\n.pdf",
                                              std::string("a\0.pdf", 6),
                                              "a\t.pdf",
                                              "a\x7F.pdf",
                                              "dir/a.pdf",
                                              "dir\\a.pdf",
                                              ".",
                                              "..",
                                              "bad \xC3.pdf",
                                              "overlong \xC0\xAF.pdf"};
  for (const std::string& name : bad_names) {
    CAPTURE(name);
    const core::Status status =
        mail::ValidateAttachment({name, "application/pdf", ""}, "attachments[2]");
    REQUIRE(!status.ok());
    CHECK(status.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(status.error().field == "attachments[2]");
  }
  for (const std::string& type :
       {std::string("pdf"), std::string("application/"), std::string("/pdf"),
        std::string("application/pdf; name=x"), std::string("text/html\r\nBcc: x"),
        std::string("application/p df"), "application/" + std::string(250, 'x')}) {
    CAPTURE(type);
    const core::Status status = mail::ValidateAttachment({"a.pdf", type, ""}, "attachments[0]");
    REQUIRE(!status.ok());
    CHECK(status.error().field == "attachments[0]");
  }
}
