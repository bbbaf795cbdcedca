#include "mail/sniff.h"

#include <doctest/doctest.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace {

using namespace std::string_literals;

constexpr std::string_view kDocx =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
constexpr std::string_view kXlsx =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr std::string_view kXlsm = "application/vnd.ms-excel.sheet.macroEnabled.12";
constexpr std::string_view kXlam = "application/vnd.ms-excel.addin.macroEnabled.12";
constexpr std::string_view kPptx =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";

const std::string kPng = "\x89PNG\r\n\x1A\n\0\0\0\rIHDR"s;
const std::string kJpeg = "\xFF\xD8\xFF\xE0\0\x10JFIF\0"s;
const std::string kGif = "GIF89a\x01\0\x01\0\x80\0\0"s;
const std::string kPdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n"s;
const std::string kOle = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"s + std::string(504, '\0');
const std::string kMdb = "\0\x01\0\0Standard Jet DB\0"s + std::string(100, '\0');
const std::string kExe = "MZ\x90\0\x03\0\0\0\x04\0\0\0\xFF\xFF\0\0"s;
const std::string kWebp = "RIFF\x24\0\0\0WEBPVP8 "s;

void AppendLittleEndian(std::string& out, std::uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) {
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
  }
}

// A stored (uncompressed) ZIP with these entries, each holding "x": local headers, the
// central directory and the end record, as APPNOTE 4.3 lays them out. CRCs are left zero.
std::string MakeZip(const std::vector<std::string>& names, const std::string& comment = "") {
  std::string zip;
  std::vector<std::uint32_t> offsets;
  for (const std::string& name : names) {
    offsets.push_back(static_cast<std::uint32_t>(zip.size()));
    zip += "PK\x03\x04"s;
    AppendLittleEndian(zip, 20, 2);  // version needed
    AppendLittleEndian(zip, 0, 2);   // flags
    AppendLittleEndian(zip, 0, 2);   // stored
    AppendLittleEndian(zip, 0, 4);   // time, date
    AppendLittleEndian(zip, 0, 4);   // crc
    AppendLittleEndian(zip, 1, 4);   // compressed size
    AppendLittleEndian(zip, 1, 4);   // size
    AppendLittleEndian(zip, static_cast<std::uint32_t>(name.size()), 2);
    AppendLittleEndian(zip, 0, 2);  // extra length
    zip += name + "x";
  }
  const auto directory_offset = static_cast<std::uint32_t>(zip.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    zip += "PK\x01\x02"s;
    AppendLittleEndian(zip, 20, 2);  // version made by
    AppendLittleEndian(zip, 20, 2);  // version needed
    AppendLittleEndian(zip, 0, 2);   // flags
    AppendLittleEndian(zip, 0, 2);   // stored
    AppendLittleEndian(zip, 0, 4);   // time, date
    AppendLittleEndian(zip, 0, 4);   // crc
    AppendLittleEndian(zip, 1, 4);   // compressed size
    AppendLittleEndian(zip, 1, 4);   // size
    AppendLittleEndian(zip, static_cast<std::uint32_t>(names[i].size()), 2);
    AppendLittleEndian(zip, 0, 2);  // extra length
    AppendLittleEndian(zip, 0, 2);  // comment length
    AppendLittleEndian(zip, 0, 2);  // disk
    AppendLittleEndian(zip, 0, 2);  // internal attributes
    AppendLittleEndian(zip, 0, 4);  // external attributes
    AppendLittleEndian(zip, offsets[i], 4);
    zip += names[i];
  }
  const auto directory_size = static_cast<std::uint32_t>(zip.size() - directory_offset);
  zip += "PK\x05\x06"s;
  AppendLittleEndian(zip, 0, 2);  // this disk
  AppendLittleEndian(zip, 0, 2);  // directory disk
  AppendLittleEndian(zip, static_cast<std::uint32_t>(names.size()), 2);
  AppendLittleEndian(zip, static_cast<std::uint32_t>(names.size()), 2);
  AppendLittleEndian(zip, directory_size, 4);
  AppendLittleEndian(zip, directory_offset, 4);
  AppendLittleEndian(zip, static_cast<std::uint32_t>(comment.size()), 2);
  return zip + comment;
}

const std::string kDocxZip =
    MakeZip({"[Content_Types].xml", "_rels/.rels", "word/document.xml", "docProps/core.xml"});
const std::string kXlsxZip =
    MakeZip({"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/worksheets/s1.xml"});
const std::string kPptxZip =
    MakeZip({"_rels/.rels", "ppt/presentation.xml", "[Content_Types].xml"}, "a comment");

std::optional<std::string> Type(std::string_view type) { return std::string(type); }

core::Status Check(const std::string& data, std::string_view filename, std::string_view declared) {
  return mail::CheckAttachmentType(data, filename, declared, "files[1]");
}

}  // namespace

TEST_CASE("SniffContentType recognises each allowed type with its extension") {
  using mail::SniffContentType;
  CHECK(SniffContentType(kPng, "a.png") == Type("image/png"));
  CHECK(SniffContentType(kJpeg, "a.jpg") == Type("image/jpeg"));
  CHECK(SniffContentType(kJpeg, "a.jpeg") == Type("image/jpeg"));
  CHECK(SniffContentType(kGif, "a.gif") == Type("image/gif"));
  CHECK(SniffContentType("GIF87a\x01\0"s, "a.gif") == Type("image/gif"));
  CHECK(SniffContentType(kPdf, "a.pdf") == Type("application/pdf"));
  CHECK(SniffContentType(kDocxZip, "a.docx") == Type(kDocx));
  CHECK(SniffContentType(kXlsxZip, "a.xlsx") == Type(kXlsx));
  CHECK(SniffContentType(kXlsxZip, "a.xlsm") == Type(kXlsm));
  CHECK(SniffContentType(kXlsxZip, "a.XLAM") == Type(kXlam));
  CHECK(SniffContentType(kPptxZip, "a.pptx") == Type(kPptx));
  CHECK(SniffContentType(kOle, "a.doc") == Type("application/msword"));
  CHECK(SniffContentType(kOle, "a.xls") == Type("application/vnd.ms-excel"));
  CHECK(SniffContentType(kOle, "a.ppt") == Type("application/vnd.ms-powerpoint"));
  CHECK(SniffContentType(kMdb, "a.mdb") == Type("application/vnd.ms-access"));
  CHECK(SniffContentType("a,b\n1,\"é\"\n", "a.csv") == Type("text/csv"));
  CHECK(SniffContentType("\xEF\xBB\xBF"
                         "a;b\r\n",
                         "a.csv") == Type("text/csv"));
  CHECK(SniffContentType("<p>hi</p>", "a.html") == Type("text/html"));
  CHECK(SniffContentType("{\"a\": 1}", "a.json") == Type("application/json"));
  CHECK(SniffContentType("<a/>", "a.xml") == Type("application/xml"));
  CHECK(SniffContentType("", "empty.csv") == Type("text/csv"));
}

TEST_CASE("SniffContentType without an extension: bytes decide where they can") {
  using mail::SniffContentType;
  CHECK(SniffContentType(kPng, "") == Type("image/png"));
  CHECK(SniffContentType(kPdf, "noext") == Type("application/pdf"));
  CHECK(SniffContentType(kDocxZip, "") == Type(kDocx));
  CHECK(SniffContentType(kXlsxZip, "") == Type(kXlsx));
  CHECK(SniffContentType(kMdb, "") == Type("application/vnd.ms-access"));
  CHECK(SniffContentType("  <!DOCTYPE html><html></html>", "") == Type("text/html"));
  CHECK(SniffContentType("<HTML><body>", "") == Type("text/html"));
  CHECK(SniffContentType("<?xml version=\"1.0\"?><a/>", "") == Type("application/xml"));
  CHECK(SniffContentType("\n[1, 2]", "") == Type("application/json"));
  // OLE files and plain text need the extension to say what they are.
  CHECK(SniffContentType(kOle, "") == std::nullopt);
  CHECK(SniffContentType("a,b\n1,2\n", "") == std::nullopt);
  // Directories in the name do not count.
  CHECK(SniffContentType(kOle, "C:\\docs.xls\\letter") == std::nullopt);
}

TEST_CASE("SniffContentType refuses everything outside the seed's table") {
  using mail::SniffContentType;
  CHECK(SniffContentType(kExe, "setup.exe") == std::nullopt);
  CHECK(SniffContentType(kExe, "setup.pdf") == std::nullopt);
  CHECK(SniffContentType(kWebp, "a.webp") == std::nullopt);
  CHECK(SniffContentType("just text", "a.txt") == std::nullopt);
  CHECK(SniffContentType("text with a \0 NUL"s, "a.csv") == std::nullopt);
  CHECK(SniffContentType("latin-1 caf\xE9", "a.csv") == std::nullopt);
  CHECK(SniffContentType(kOle, "a.msi") == std::nullopt);
  CHECK(SniffContentType("\0\x01\0\0Standard ACE DB\0"s, "a.mdb") == std::nullopt);  // .accdb
  // ZIPs that are not Office Open XML.
  CHECK(SniffContentType(MakeZip({"readme.txt", "word/x.xml"}), "a.docx") == std::nullopt);
  CHECK(SniffContentType(MakeZip({"[Content_Types].xml", "other/x.xml"}), "a.docx") ==
        std::nullopt);
  CHECK(SniffContentType(MakeZip({"[Content_Types].xml", "word/a.xml", "xl/b.xml"}), "a.docx") ==
        std::nullopt);
  CHECK(SniffContentType(MakeZip({}), "a.docx") == std::nullopt);
  CHECK(SniffContentType("", "a.pdf") == std::nullopt);
}

TEST_CASE("SniffContentType survives truncated and corrupt ZIPs") {
  for (std::size_t size = 0; size < kDocxZip.size(); ++size) {
    CAPTURE(size);
    CHECK(mail::SniffContentType(kDocxZip.substr(0, size), "a.docx") == std::nullopt);
  }
  // Every single corrupted byte either still parses or is refused; none reads out of bounds.
  for (std::size_t at = 0; at < kDocxZip.size(); ++at) {
    std::string corrupt = kDocxZip;
    corrupt[at] = static_cast<char>(0xFF);
    const auto type = mail::SniffContentType(corrupt, "a.docx");
    CHECK((type == std::nullopt || type == Type(kDocx)));
  }
}

TEST_CASE("CheckAttachmentType accepts matching content, extension and declared type") {
  CHECK(Check(kPdf, "a.pdf", "application/pdf").ok());
  CHECK(Check(kPdf, "a.pdf", "").ok());
  CHECK(Check(kPdf, "a.pdf", "application/octet-stream").ok());
  CHECK(Check(kPdf, "Report.PDF", "Application/PDF").ok());
  CHECK(Check(kPdf, "", "").ok());
  CHECK(Check(kJpeg, "photo.jpg", "image/jpg").ok());  // the seed's spelling
  CHECK(Check(kJpeg, "photo.jpeg", "image/jpeg").ok());
  CHECK(Check("a,b\n", "a.csv", "text/csv; charset=utf-8").ok());
  CHECK(Check("a,b\n", "data", "text/csv").ok());  // no extension: the declared type decides
  CHECK(Check(kOle, "letter", "application/msword").ok());
  CHECK(Check(kOle, "sheet.xls", "application/vnd.ms-excel").ok());
  CHECK(Check(kXlsxZip, "a.xlsm", "application/vnd.ms-excel.sheet.macroenabled.12").ok());
  CHECK(Check(kXlsxZip, "a.xlam", std::string(kXlam)).ok());
  CHECK(Check(kDocxZip, "C:\\fakepath\\résumé 2026.docx", std::string(kDocx)).ok());
}

TEST_CASE("CheckAttachmentType refuses disallowed and contradicting attachments") {
  struct Case {
    std::string data;
    std::string filename;
    std::string declared;
  };
  const std::vector<Case> cases = {
      {kExe, "invoice.pdf", "application/pdf"},  // an .exe renamed .pdf
      {kExe, "invoice.pdf", ""},
      {kExe, "setup.exe", ""},
      {kPdf, "invoice.pdf.exe", "application/pdf"},  // allowed content, refused extension
      {kPng, "a.pdf", ""},                           // content contradicts the extension
      {kPng, "a.png", "application/pdf"},            // content contradicts the declared type
      {kPng, "", "application/pdf"},
      {kPdf, "a.pdf", "image/png"},
      {kDocxZip, "a.xlsx", ""},
      {kXlsxZip, "a.xlsx", std::string(kXlsm)},  // extension and declared type disagree
      {kOle, "a.pdf", ""},
      {kOle, "", ""},  // OLE: nothing says which Office format
      {kOle, "letter", "application/pdf"},
      {"a,b\n", "", ""},  // text without extension or declared type
      {"a,b\n", "a.csv", "text/plain"},
      {"a,b\n", "a.csv", "application/vnd.ms-excel"},
      {"hello", "a.txt", "text/plain"},
      {kWebp, "a.webp", "image/webp"},
      {kWebp, "a.png", "image/png"},
      {"", "a.pdf", "application/pdf"},
      {kPdf, "a.", ""},
      {kPdf, "a.pdf", "application/pdf\r\nBcc: x"},
      {"MZ text\0"s, "a.csv", "text/csv"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.filename);
    CAPTURE(c.declared);
    const core::Status status = Check(c.data, c.filename, c.declared);
    REQUIRE(!status.ok());
    CHECK(status.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(status.error().field == "files[1]");
    CHECK(status.error().message.find('\r') == std::string::npos);
  }
}

TEST_CASE("CheckAttachmentType names the file in its error") {
  const core::Status status = Check(kExe, "C:\\Users\\me\\invoice.pdf", "application/pdf");
  REQUIRE(!status.ok());
  CHECK(status.error().message.find("invoice.pdf") != std::string::npos);
  CHECK(status.error().message.find("Users") == std::string::npos);
}
