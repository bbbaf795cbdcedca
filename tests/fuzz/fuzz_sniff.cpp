// The attachment checks on arbitrary bytes: the first byte picks the file name, the second the
// declared content type, the rest is the content. SniffContentType and CheckAttachmentType read
// magic bytes, UTF-8 text and a ZIP's central directory (Office Open XML); they never crash, a
// refusal names the field, and an accepted attachment has a type to send (sniffed, or else the
// declared one, as mail/sniff.h promises).
#include <array>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "mail/sniff.h"

namespace {

constexpr std::array<std::string_view, 21> kNames = {
    "a.gif", "a.jpg",  "a.png",  "a.csv",  "a.html", "a.doc",    "a.docx",
    "a.xls", "a.xlsm", "a.xlam", "a.xlsx", "a.pdf",  "a.ppt",    "a.pptx",
    "a.mdb", "a.json", "a.xml",  "noext",  "a.exe",  "../A.PDF", ""};
constexpr std::array<std::string_view, 8> kDeclared = {
    "",
    "application/octet-stream",
    "application/pdf",
    "text/csv; charset=utf-8",
    "image/jpg",
    "application/msword",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    "application/x-msdownload"};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::string_view name = kNames[data[0] % kNames.size()];
  const std::string_view declared = kDeclared[data[1] % kDeclared.size()];
  const std::string_view content(reinterpret_cast<const char*>(data) + 2, size - 2);
  const auto sniffed = mail::SniffContentType(content, name);
  const auto checked = mail::CheckAttachmentType(content, name, declared, "files");
  if (!checked.ok() && checked.error().field != "files") {
    std::abort();
  }
  if (checked.ok() && !sniffed && (declared.empty() || declared == "application/octet-stream")) {
    std::abort();
  }
  return 0;
}
