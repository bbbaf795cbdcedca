#include "mail/mime_parts.h"

#include <doctest/doctest.h>

#include <string>

#include "mail/message.h"

using mail::DecodeHeaderValue;
using mail::MessageParts;
using mail::ReadMessageParts;
using mail::ReplaceHeader;

namespace {

std::string HeaderOf(const MessageParts& parts, std::string_view name) {
  for (const auto& [header, value] : parts.headers) {
    if (header == name) return value;
  }
  return "<absent>";
}

// A multipart/mixed nested `depth` times around a text part.
std::string Nested(int depth) {
  std::string head = "Subject: deep\r\n";
  std::string tail;
  for (int i = 0; i < depth; ++i) {
    const std::string boundary = "b" + std::to_string(i);
    head +=
        "Content-Type: multipart/mixed; boundary=" + boundary + "\r\n\r\n--" + boundary + "\r\n";
    tail = "\r\n--" + boundary + "--\r\n" + tail;
  }
  return head + "Content-Type: text/plain\r\n\r\nbottom" + tail;
}

}  // namespace

TEST_CASE("ReadMessageParts reads back what RenderMime writes") {
  mail::Message message;
  message.from = {"Grüße Team", "team@example.com"};
  message.to = {{"", "ada@example.com"}};
  message.subject = "Über 50 € = ok";
  message.text = "Hello Ada,\nline two ü";
  message.html = "<p>Hello <b>Ada</b> ü</p>";
  message.message_id = "em_1@example.com";
  message.attachments = {{"report.pdf", "application/pdf", std::string("%PDF-1.4\0\xff", 10)},
                         {"naïve résumé.csv", "text/csv", "a,b\n1,2\n"}};
  const MessageParts parts = ReadMessageParts(mail::RenderMime(message));
  CHECK(!parts.truncated);
  CHECK(HeaderOf(parts, "Subject") == "Über 50 € = ok");
  CHECK(HeaderOf(parts, "From") == "Grüße Team <team@example.com>");
  CHECK(HeaderOf(parts, "Message-ID") == "<em_1@example.com>");
  REQUIRE(parts.text.has_value());
  CHECK(parts.text->content == "Hello Ada,\r\nline two ü");
  CHECK(parts.text->charset == "utf-8");
  REQUIRE(parts.html.has_value());
  CHECK(parts.html->content == "<p>Hello <b>Ada</b> ü</p>");
  REQUIRE(parts.attachments.size() == 2);
  CHECK(parts.attachments[0].filename == "report.pdf");
  CHECK(parts.attachments[0].content_type == "application/pdf");
  CHECK(parts.attachments[0].data == std::string("%PDF-1.4\0\xff", 10));
  CHECK(parts.attachments[1].filename == "naïve résumé.csv");
  CHECK(parts.attachments[1].data == "a,b\n1,2\n");
}

TEST_CASE("a single-part message is its text, or its HTML; no Content-Type means text") {
  auto text = ReadMessageParts("Subject: hi\n\nplain body\n");
  REQUIRE(text.text.has_value());
  CHECK(text.text->content == "plain body\n");
  CHECK(text.text->charset.empty());
  CHECK(!text.html.has_value());

  auto html = ReadMessageParts(
      "Content-Type: text/html; charset=\"ISO-8859-1\"\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
      "<p>caf=E9 soft=\r\nbreak =ZZ</p>");
  REQUIRE(html.html.has_value());
  // Bytes stay in their charset; the label says which.
  CHECK(html.html->content == "<p>caf\xe9 softbreak =ZZ</p>");
  CHECK(html.html->charset == "iso-8859-1");
}

TEST_CASE("base64 bodies are decoded leniently") {
  auto parts = ReadMessageParts(
      "Content-Type: text/plain\r\nContent-Transfer-Encoding: BASE64\r\n\r\n"
      "aGVs\r\nbG8g d29y*bGQ=\r\nignored");
  REQUIRE(parts.text.has_value());
  CHECK(parts.text->content == "hello world");
}

TEST_CASE("inline images with a Content-ID and further text parts are attachments") {
  auto parts = ReadMessageParts(
      "Content-Type: multipart/related; boundary=\"rel\"\r\n\r\n"
      "preamble\r\n"
      "--rel\r\nContent-Type: text/html\r\n\r\n<img src=\"cid:logo@x\">\r\n"
      "--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@x>\r\n"
      "Content-Transfer-Encoding: base64\r\n\r\niVBORw==\r\n"
      "--rel\r\nContent-Type: text/html\r\n\r\nsecond\r\n"
      "--rel\r\nContent-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nnot opened\r\n"
      "--rel--\r\nepilogue\r\n");
  REQUIRE(parts.html.has_value());
  CHECK(parts.html->content == "<img src=\"cid:logo@x\">");
  REQUIRE(parts.attachments.size() == 3);
  CHECK(parts.attachments[0].content_type == "image/png");
  CHECK(parts.attachments[0].content_id == "logo@x");
  CHECK(parts.attachments[0].data == "\x89PNG");
  CHECK(parts.attachments[1].data == "second");
  CHECK(parts.attachments[2].content_type == "message/rfc822");
  CHECK(parts.attachments[2].data == "Subject: inner\r\n\r\nnot opened");
}

TEST_CASE("file names: RFC 2231 continuations and charsets, encoded-words, Content-Type name") {
  auto parts = ReadMessageParts(
      "Content-Type: multipart/mixed; boundary=x\n\n"
      "--x\nContent-Disposition: attachment; filename*0*=UTF-8''%E2%82%AC; "
      "filename*1=\"-rate.txt\"\n\n1\n"
      "--x\nContent-Disposition: attachment; filename=\"=?UTF-8?Q?caf=C3=A9?= "
      "=?UTF-8?B?LnR4dA==?=\"\n\n2\n"
      "--x\nContent-Type: application/zip; name=\"a;b.zip\"\n\n3\n"
      "--x\nContent-Disposition: attachment; filename*=iso-8859-1'en'%E9t%E9.txt\n\n4\n"
      "--x--\n");
  REQUIRE(parts.attachments.size() == 4);
  CHECK(parts.attachments[0].filename == "€-rate.txt");
  CHECK(parts.attachments[1].filename == "café.txt");
  CHECK(parts.attachments[2].filename == "a;b.zip");
  CHECK(parts.attachments[3].filename == "été.txt");
  CHECK(!parts.text.has_value());
}

TEST_CASE("DecodeHeaderValue joins adjacent encoded-words and leaves unknown charsets alone") {
  CHECK(DecodeHeaderValue("=?utf-8?q?a_b?= =?UTF-8?B?w7w=?= c") == "a bü c");
  CHECK(DecodeHeaderValue("x =?koi8-r?B?8tXT08vJyg==?= y") == "x =?koi8-r?B?8tXT08vJyg==?= y");
  CHECK(DecodeHeaderValue("=?ISO-8859-1?Q?=E9?=") == "é");
  CHECK(DecodeHeaderValue("plain  =?broken") == "plain  =?broken");
  CHECK(DecodeHeaderValue("") == "");
}

TEST_CASE("headers are unfolded; lines that are not fields are skipped") {
  auto parts = ReadMessageParts("Subject: one\r\n two\r\nnot a field\r\nX-A:b\r\n\r\nbody");
  REQUIRE(parts.headers.size() == 2);
  CHECK(parts.headers[0].second == "one two");
  CHECK(parts.headers[1] == std::pair<std::string, std::string>("X-A", "b"));
  CHECK(parts.text->content == "body");
}

TEST_CASE("malformed input never fails: no headers, no body, no boundary, no closing delimiter") {
  for (const char* raw :
       {"", "\r\n", "no colon at all", ":\n\n", "Content-Type: multipart/mixed\n\nx",
        "Content-Type: multipart/mixed; boundary=\"\"\n\nx",
        "Content-Type: multipart/mixed; boundary=q\n\n--q",
        "Content-Type: multipart/mixed; boundary=q\n\n--q\n",
        "Content-Type: multipart/mixed; boundary=q\n\n--qq\nnot a part\n",
        "Content-Type: ;;;=;\"\n\n", "Content-Transfer-Encoding: base64\n\n===="}) {
    CAPTURE(raw);
    const MessageParts parts = ReadMessageParts(raw);
    CHECK(!parts.truncated);
  }
  auto open =
      ReadMessageParts("Content-Type: multipart/mixed; boundary=q\n\n--q\n\ntext to the end");
  REQUIRE(open.text.has_value());
  CHECK(open.text->content == "text to the end");
}

TEST_CASE("nesting past the depth limit is left out, and said so") {
  auto shallow = ReadMessageParts(Nested(5), {.max_depth = 5});
  CHECK(!shallow.truncated);
  REQUIRE(shallow.text.has_value());
  CHECK(shallow.text->content == "bottom");
  auto deep = ReadMessageParts(Nested(6), {.max_depth = 5});
  CHECK(deep.truncated);
  CHECK(!deep.text.has_value());
  // Ten thousand levels: bounded recursion, no crash.
  auto very_deep = ReadMessageParts(Nested(10'000));
  CHECK(very_deep.truncated);
}

TEST_CASE("parts past the limit are left out, and said so") {
  std::string raw = "Content-Type: multipart/mixed; boundary=z\r\n\r\n";
  for (int i = 0; i < 100'000; ++i) raw += "--z\r\nContent-Type: image/gif\r\n\r\nx\r\n";
  raw += "--z--\r\n";
  auto parts = ReadMessageParts(raw);
  CHECK(parts.truncated);
  CHECK(parts.attachments.size() == mail::ReadLimits{}.max_parts - 1);
}

TEST_CASE("large inputs take linear time: near-delimiters, long lines, a huge body") {
  // Lines that start like the boundary but are not delimiters, 8 MB of them.
  std::string raw = "Content-Type: multipart/mixed; boundary=abc\r\n\r\n--abc\r\n\r\n";
  raw.reserve(9'000'000);
  while (raw.size() < 8'000'000) raw += "--abcd\r\n-";
  raw += "\r\n--abc--\r\n";
  auto parts = ReadMessageParts(raw);
  REQUIRE(parts.text.has_value());
  CHECK(parts.text->content.size() > 7'000'000);
  // One 8 MB header line full of parameter separators and quotes.
  std::string header = "Content-Type: text/plain";
  while (header.size() < 8'000'000) header += "; a=\"b;c\"";
  CHECK(ReadMessageParts(header + "\r\n\r\nx").text->content == "x");
}

TEST_CASE("ReplaceHeader swaps one field with its continuation lines, or adds it") {
  CHECK(ReplaceHeader("A: 1\r\nMessage-ID:\r\n <old@x>\r\nB: 2\r\n\r\nMessage-ID: body",
                      "Message-ID",
                      "<new@x>") == "A: 1\r\nMessage-ID: <new@x>\r\nB: 2\r\n\r\nMessage-ID: body");
  CHECK(ReplaceHeader("A: 1\r\n\r\nbody", "Date", "now") == "A: 1\r\nDate: now\r\n\r\nbody");
  CHECK(ReplaceHeader("message-id: <a>\n\nb", "Message-ID", "<c>") == "Message-ID: <c>\r\n\nb");
}

TEST_CASE("AttachmentDisposition: an ASCII stand-in and the exact name, never a path") {
  CHECK(mail::AttachmentDisposition("report.pdf") ==
        "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf");
  CHECK(mail::AttachmentDisposition("../../etc/pa\"ss\r\nwd €.txt") ==
        "attachment; filename=\"pa_sswd _.txt\"; filename*=UTF-8''pa%22sswd%20%E2%82%AC.txt");
  CHECK(mail::AttachmentDisposition("") ==
        "attachment; filename=\"attachment\"; filename*=UTF-8''attachment");
}

TEST_CASE("InlineContentIdImages turns cid: references to the message's images into data: URIs") {
  const std::vector<mail::ReadAttachment> attachments = {
      {"logo.png", "image/png", "logo@x", "\x89PNG"},
      {"doc.pdf", "application/pdf", "doc@x", "%PDF"},
      {"bad", "image/x\"y", "bad@x", "z"}};
  CHECK(mail::InlineContentIdImages(
            "<img src=\"cid:logo@x\"><img src='cid:logo@x'>"
            "<img src=\"cid:doc@x\"><img src=\"cid:bad@x\"><img src=\"cid:none\">cid:",
            attachments) ==
        "<img src=\"data:image/png;base64,iVBORw==\"><img src='data:image/png;base64,iVBORw=='>"
        "<img src=\"cid:doc@x\"><img src=\"cid:bad@x\"><img src=\"cid:none\">cid:");
  CHECK(mail::InlineContentIdImages("no images", {}) == "no images");
}
