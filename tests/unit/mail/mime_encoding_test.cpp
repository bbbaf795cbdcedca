#include "mail/mime_encoding.h"

#include <doctest/doctest.h>

#include <string>

#include "mime_reader.h"

using mail::internal::EncodeQuotedPrintable;
using mail::internal::EncodeWords;
using mail::internal::IsValidUtf8;
using mail::internal::NormalizeLineEnds;
using mail::internal::Utf8SequenceLength;

namespace {

std::string DecodeWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    bool ok = false;
    out += mail_test::DecodeEncodedWord(word, &ok);
    CHECK(ok);
  }
  return out;
}

}  // namespace

TEST_CASE("Utf8SequenceLength and IsValidUtf8") {
  CHECK(Utf8SequenceLength("a", 0) == 1);
  CHECK(Utf8SequenceLength("ü", 0) == 2);
  CHECK(Utf8SequenceLength("€", 0) == 3);
  CHECK(Utf8SequenceLength("🎉", 0) == 4);
  CHECK(Utf8SequenceLength("\xF0\x9F\x8E", 0) == 0);      // truncated
  CHECK(Utf8SequenceLength("\xC0\x80", 0) == 0);          // overlong NUL
  CHECK(Utf8SequenceLength("\xED\xA0\x80", 0) == 0);      // surrogate
  CHECK(Utf8SequenceLength("\xF4\x90\x80\x80", 0) == 0);  // past U+10FFFF
  CHECK(Utf8SequenceLength("\x80", 0) == 0);              // lone continuation byte
  CHECK(IsValidUtf8("Grüße 🎉"));
  CHECK(IsValidUtf8(""));
  CHECK(!IsValidUtf8("ok\xFF"));
}

TEST_CASE("NormalizeLineEnds") {
  CHECK(NormalizeLineEnds("a\nb\rc\r\nd\n\re") == "a\r\nb\r\nc\r\nd\r\n\r\ne");
  CHECK(NormalizeLineEnds("\r\n\r\n") == "\r\n\r\n");
  CHECK(NormalizeLineEnds("\r") == "\r\n");
  CHECK(NormalizeLineEnds("") == "");
}

TEST_CASE("EncodeQuotedPrintable escapes what it must and nothing else") {
  CHECK(EncodeQuotedPrintable("plain text") == "plain text");
  CHECK(EncodeQuotedPrintable("a=b") == "a=3Db");
  CHECK(EncodeQuotedPrintable("ü") == "=C3=BC");
  CHECK(EncodeQuotedPrintable("tail \r\ntab\t") == "tail=20\r\ntab=09");
  CHECK(EncodeQuotedPrintable("From here\r\nFrom") == "=46rom here\r\nFrom");
  CHECK(EncodeQuotedPrintable("bare\rcr") == "bare=0Dcr");
  CHECK(EncodeQuotedPrintable("") == "");
}

TEST_CASE("EncodeQuotedPrintable soft-breaks long lines at 76 octets") {
  const std::string exact(76, 'a');
  CHECK(EncodeQuotedPrintable(exact) == exact);  // a last line may use all 76
  const std::string over(77, 'a');
  CHECK(EncodeQuotedPrintable(over) == std::string(75, 'a') + "=\r\naa");

  std::string text;
  for (int i = 0; i < 500; ++i) {
    text += (i % 7 == 0) ? "é" : (i % 11 == 0 ? " " : "x");
  }
  text += "\r\n" + std::string(300, '=') + "\r\n";
  const std::string encoded = EncodeQuotedPrintable(text);
  for (const std::string& line : mail_test::SplitLines(encoded)) {
    CHECK(line.size() <= 76);
  }
  CHECK(mail_test::DecodeQuotedPrintable(encoded) == text);
  CHECK(encoded.find("=_") == std::string::npos);
}

TEST_CASE("EncodeWords round-trips and respects the length limits") {
  const std::string text = "Grüße 🎉 and a fairly long tail of ASCII words to force several words";
  const std::vector<std::string> words = EncodeWords(text, 40, 75);
  REQUIRE(words.size() > 1);
  CHECK(words.front().size() <= 40);
  for (const std::string& word : words) {
    CHECK(word.size() <= 75);
    bool ok = false;
    CHECK(IsValidUtf8(mail_test::DecodeEncodedWord(word, &ok)));
  }
  CHECK(DecodeWords(words) == text);
}

TEST_CASE("EncodeWords picks the shorter of B and Q") {
  // Mostly ASCII: Q is shorter and stays readable.
  const std::vector<std::string> mostly_ascii = EncodeWords("Gruss aus Koeln, Zoë", 75, 75);
  CHECK(mostly_ascii.front().starts_with("=?UTF-8?Q?"));
  // Mostly multi-byte: B is shorter.
  const std::vector<std::string> emoji = EncodeWords("🎉🎉🎉🎉🎉", 75, 75);
  CHECK(emoji.front().starts_with("=?UTF-8?B?"));
  CHECK(DecodeWords(mostly_ascii) == "Gruss aus Koeln, Zoë");
  CHECK(DecodeWords(emoji) == "🎉🎉🎉🎉🎉");
}

TEST_CASE("EncodeWords never splits a UTF-8 sequence, even at the minimum length") {
  std::string text;
  for (int i = 0; i < 30; ++i) {
    text += "🎉ü";
  }
  for (const std::size_t limit : {0u, 24u, 25u, 26u, 27u, 30u, 75u}) {
    CAPTURE(limit);
    const std::vector<std::string> words = EncodeWords(text, limit, limit);
    for (const std::string& word : words) {
      CHECK(word.size() <= std::max<std::size_t>(limit, 24));
      bool ok = false;
      CHECK(IsValidUtf8(mail_test::DecodeEncodedWord(word, &ok)));
    }
    CHECK(DecodeWords(words) == text);
  }
}

TEST_CASE("EncodeWords carries control characters and spaces inside the words") {
  const std::string text = "  a\r\nb\tc  ";
  const std::vector<std::string> words = EncodeWords(text, 75, 75);
  for (const std::string& word : words) {
    CHECK(word.find_first_of("\r\n\t ") == std::string::npos);
  }
  CHECK(DecodeWords(words) == text);
  CHECK(EncodeWords("", 75, 75).empty());
}

TEST_CASE("EncodeBase64Lines: RFC 4648 vectors, 76-character CRLF lines, no final line end") {
  using mail::internal::EncodeBase64Lines;
  CHECK(EncodeBase64Lines("").empty());
  CHECK(EncodeBase64Lines("f") == "Zg==");
  CHECK(EncodeBase64Lines("fo") == "Zm8=");
  CHECK(EncodeBase64Lines("foo") == "Zm9v");
  CHECK(EncodeBase64Lines("foobar") == "Zm9vYmFy");
  CHECK(EncodeBase64Lines(std::string(57, 'a')).size() == 76);  // exactly one full line

  std::string data;
  for (int i = 0; i < 1000; ++i) {
    data.push_back(static_cast<char>(i * 37 % 256));
  }
  for (const std::size_t size : {0u, 1u, 56u, 57u, 58u, 114u, 115u, 1000u}) {
    CAPTURE(size);
    const std::string bytes = data.substr(0, size);
    const std::string encoded = EncodeBase64Lines(bytes);
    const std::vector<std::string> lines = mail_test::SplitLines(encoded);
    for (std::size_t i = 0; i < lines.size(); ++i) {
      CHECK(lines[i].size() == (i + 1 < lines.size() ? 76u : lines[i].size()));
      CHECK(lines[i].size() <= 76);
    }
    CHECK(!encoded.ends_with("\r\n"));
    CHECK(encoded.find("=_") == std::string::npos);
    CHECK(mail_test::DecodeBase64Body(encoded) == bytes);
  }
}

TEST_CASE("EncodeRfc2231Value percent-encodes all but attr-chars") {
  using mail::internal::EncodeRfc2231Value;
  CHECK(EncodeRfc2231Value("") == "UTF-8''");
  CHECK(EncodeRfc2231Value("a-Z_0.pdf") == "UTF-8''a-Z_0.pdf");
  CHECK(EncodeRfc2231Value("résumé 2026.pdf") == "UTF-8''r%C3%A9sum%C3%A9%202026.pdf");
  CHECK(EncodeRfc2231Value("a*b'c%d\"e;f=g") == "UTF-8''a%2Ab%27c%25d%22e%3Bf%3Dg");
  CHECK(EncodeRfc2231Value("!#$&+^`|~") == "UTF-8''!#$&+^`|~");
  CHECK(mail_test::DecodeExtendedValue(EncodeRfc2231Value("日本語 🎉\r\n")) == "日本語 🎉\r\n");
}
