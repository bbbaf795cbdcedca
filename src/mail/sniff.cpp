#include "mail/sniff.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mail/message.h"
#include "mail/mime_encoding.h"

namespace mail {
namespace {

constexpr std::string_view kGif = "image/gif";
constexpr std::string_view kJpeg = "image/jpeg";
constexpr std::string_view kPng = "image/png";
constexpr std::string_view kCsv = "text/csv";
constexpr std::string_view kHtml = "text/html";
constexpr std::string_view kDoc = "application/msword";
constexpr std::string_view kDocx =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
constexpr std::string_view kXls = "application/vnd.ms-excel";
constexpr std::string_view kXlam = "application/vnd.ms-excel.addin.macroEnabled.12";
constexpr std::string_view kXlsm = "application/vnd.ms-excel.sheet.macroEnabled.12";
constexpr std::string_view kXlsx =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
constexpr std::string_view kPdf = "application/pdf";
constexpr std::string_view kPpt = "application/vnd.ms-powerpoint";
constexpr std::string_view kPptx =
    "application/vnd.openxmlformats-officedocument.presentationml.presentation";
constexpr std::string_view kMdb = "application/vnd.ms-access";
constexpr std::string_view kJson = "application/json";
constexpr std::string_view kXml = "application/xml";

struct AllowedExtension {
  std::string_view extension;
  std::string_view type;
};

// The seed's table, except that .jpg maps to the registered image/jpeg rather than the table's
// image/jpg (which AllowedType still accepts as a declared type).
constexpr std::array<AllowedExtension, 18> kAllowed = {{
    {"gif", kGif},
    {"jpeg", kJpeg},
    {"jpg", kJpeg},
    {"png", kPng},
    {"csv", kCsv},
    {"html", kHtml},
    {"doc", kDoc},
    {"docx", kDocx},
    {"xls", kXls},
    {"xlam", kXlam},
    {"xlsm", kXlsm},
    {"xlsx", kXlsx},
    {"pdf", kPdf},
    {"ppt", kPpt},
    {"pptx", kPptx},
    {"mdb", kMdb},
    {"json", kJson},
    {"xml", kXml},
}};

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return out;
}

bool StartsWithIgnoreCase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && Lower(text.substr(0, prefix.size())) == prefix;
}

// The lower-cased text after the last '.' of a file name, empty when there is none.
std::string ExtensionOf(std::string_view filename) {
  const std::size_t dot = filename.rfind('.');
  return dot == std::string_view::npos ? std::string() : Lower(filename.substr(dot + 1));
}

std::optional<std::string_view> TypeForExtension(std::string_view extension) {
  for (const AllowedExtension& allowed : kAllowed) {
    if (allowed.extension == extension) {
      return allowed.type;
    }
  }
  return std::nullopt;
}

// The allow-listed type a declared type names, or nullopt. REQUIRES: `type` is lower case
// (MIME types compare case-insensitively).
std::optional<std::string_view> AllowedType(std::string_view type) {
  if (type == "image/jpg") {
    return kJpeg;
  }
  for (const AllowedExtension& allowed : kAllowed) {
    if (Lower(allowed.type) == type) {
      return allowed.type;
    }
  }
  return std::nullopt;
}

// "Text/CSV; charset=utf-8 " -> "text/csv".
std::string NormalizeDeclaredType(std::string_view declared) {
  declared = declared.substr(0, declared.find(';'));
  const std::size_t begin = declared.find_first_not_of(" \t");
  if (begin == std::string_view::npos) {
    return {};
  }
  const std::size_t end = declared.find_last_not_of(" \t");
  return Lower(declared.substr(begin, end + 1 - begin));
}

bool IsOneOf(std::optional<std::string_view> type, std::initializer_list<std::string_view> set) {
  if (!type) {
    return false;
  }
  for (const std::string_view candidate : set) {
    if (*type == candidate) {
      return true;
    }
  }
  return false;
}

std::uint32_t ReadLittleEndian(std::string_view data, std::size_t at, std::size_t bytes) {
  std::uint32_t value = 0;
  for (std::size_t i = bytes; i > 0; --i) {
    value = (value << 8) | static_cast<unsigned char>(data[at + i - 1]);
  }
  return value;
}

// The entry names listed in a ZIP's central directory (APPNOTE 4.3.12, 4.3.16), or nullopt
// when there is no well-formed one. ZIP64 archives (over 4 GiB or 65535 entries) come back as
// nullopt: no attachment outbox accepts is that large.
std::optional<std::vector<std::string_view>> ZipEntryNames(std::string_view data) {
  constexpr std::size_t kEndRecordSize = 22;
  constexpr std::size_t kMaxCommentSize = 0xFFFF;
  constexpr std::size_t kEntryHeaderSize = 46;
  if (data.size() < kEndRecordSize) {
    return std::nullopt;
  }
  // The end record is followed only by its comment, so search backwards for its signature.
  std::size_t end_record = data.size() - kEndRecordSize;
  const std::size_t lowest = end_record > kMaxCommentSize ? end_record - kMaxCommentSize : 0;
  while (data.substr(end_record, 4) != std::string_view("PK\x05\x06", 4)) {
    if (end_record == lowest) {
      return std::nullopt;
    }
    --end_record;
  }
  const std::uint32_t entries = ReadLittleEndian(data, end_record + 10, 2);
  const std::uint32_t directory_size = ReadLittleEndian(data, end_record + 12, 4);
  const std::uint32_t directory_offset = ReadLittleEndian(data, end_record + 16, 4);
  if (entries == 0xFFFF || directory_offset == 0xFFFFFFFF ||
      std::size_t{directory_offset} + directory_size > end_record) {
    return std::nullopt;
  }
  std::vector<std::string_view> names;
  std::size_t at = directory_offset;
  const std::size_t directory_end = std::size_t{directory_offset} + directory_size;
  for (std::uint32_t i = 0; i < entries; ++i) {
    if (at + kEntryHeaderSize > directory_end ||
        data.substr(at, 4) != std::string_view("PK\x01\x02", 4)) {
      return std::nullopt;
    }
    const std::size_t name_length = ReadLittleEndian(data, at + 28, 2);
    const std::size_t extra_length = ReadLittleEndian(data, at + 30, 2);
    const std::size_t comment_length = ReadLittleEndian(data, at + 32, 2);
    const std::size_t next = at + kEntryHeaderSize + name_length + extra_length + comment_length;
    if (next > directory_end) {
      return std::nullopt;
    }
    names.push_back(data.substr(at + kEntryHeaderSize, name_length));
    at = next;
  }
  return names;
}

// Office Open XML (ECMA-376 part 2): a package with [Content_Types].xml whose main part lives
// under word/, xl/ or ppt/. A ZIP with more than one of those is not an Office file.
std::optional<std::string_view> SniffOfficeOpenXml(std::string_view data,
                                                   std::optional<std::string_view> hint) {
  const auto names = ZipEntryNames(data);
  if (!names) {
    return std::nullopt;
  }
  bool has_content_types = false;
  bool word = false;
  bool excel = false;
  bool powerpoint = false;
  for (const std::string_view name : *names) {
    has_content_types = has_content_types || name == "[Content_Types].xml";
    word = word || name.starts_with("word/");
    excel = excel || name.starts_with("xl/");
    powerpoint = powerpoint || name.starts_with("ppt/");
  }
  if (!has_content_types || word + excel + powerpoint != 1) {
    return std::nullopt;
  }
  if (word) {
    return kDocx;
  }
  if (powerpoint) {
    return kPptx;
  }
  // xlsm and xlam differ from xlsx only inside the compressed [Content_Types].xml.
  return IsOneOf(hint, {kXlsm, kXlam}) ? *hint : kXlsx;
}

bool IsText(std::string_view data) {
  return data.find('\0') == std::string_view::npos && internal::IsValidUtf8(data);
}

std::optional<std::string_view> SniffText(std::string_view data,
                                          std::optional<std::string_view> hint) {
  if (data.starts_with("\xEF\xBB\xBF")) {
    data.remove_prefix(3);
  }
  if (!IsText(data)) {
    return std::nullopt;
  }
  if (IsOneOf(hint, {kCsv, kHtml, kJson, kXml})) {
    return *hint;
  }
  const std::size_t start = data.find_first_not_of(" \t\r\n");
  const std::string_view text = data.substr(start == std::string_view::npos ? data.size() : start);
  if (StartsWithIgnoreCase(text, "<!doctype html") || StartsWithIgnoreCase(text, "<html")) {
    return kHtml;
  }
  if (text.starts_with("<?xml")) {
    return kXml;
  }
  if (text.starts_with("{") || text.starts_with("[")) {
    return kJson;
  }
  return std::nullopt;
}

// `hint` is the type the extension (or, without one, the declared type) claims; it only decides
// between types whose bytes look alike.
std::optional<std::string_view> Sniff(std::string_view data, std::optional<std::string_view> hint) {
  using std::string_view_literals::operator""sv;
  if (data.starts_with("\x89PNG\r\n\x1A\n"sv)) {
    return kPng;
  }
  if (data.starts_with("\xFF\xD8\xFF"sv)) {
    return kJpeg;
  }
  if (data.starts_with("GIF87a"sv) || data.starts_with("GIF89a"sv)) {
    return kGif;
  }
  if (data.starts_with("%PDF-"sv)) {
    return kPdf;
  }
  if (data.starts_with("PK\x03\x04"sv)) {
    return SniffOfficeOpenXml(data, hint);
  }
  if (data.starts_with("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"sv)) {
    // Compound File Binary: Word, Excel and PowerPoint alike (and .msi, .msg, ...).
    return IsOneOf(hint, {kDoc, kXls, kPpt}) ? hint : std::nullopt;
  }
  if (data.starts_with("\x00\x01\x00\x00Standard Jet DB\x00"sv)) {
    return kMdb;
  }
  return SniffText(data, hint);
}

}  // namespace

std::optional<std::string> SniffContentType(std::string_view data, std::string_view filename) {
  const std::optional<std::string_view> type =
      Sniff(data, TypeForExtension(ExtensionOf(internal::SanitizeFileName(filename))));
  return type ? std::optional<std::string>(*type) : std::nullopt;
}

core::Status CheckAttachmentType(std::string_view data, std::string_view filename,
                                 std::string_view declared_type, std::string_view field) {
  // The sanitised name is the one RenderMime sends, and keeps control characters out of the
  // error message.
  const std::string name = internal::SanitizeFileName(filename);
  const auto refuse = [&](const std::string& why) {
    return core::InvalidArgument(std::string(field), "attachment \"" + name + "\": " + why);
  };

  const std::string extension = ExtensionOf(name);
  std::optional<std::string_view> by_extension;
  if (name.find('.') != std::string::npos) {
    by_extension = TypeForExtension(extension);
    if (!by_extension) {
      return refuse("files ending in \"." + extension + "\" are not allowed");
    }
  }
  const std::string declared_normal = NormalizeDeclaredType(declared_type);
  std::optional<std::string_view> declared;
  if (!declared_normal.empty() && declared_normal != "application/octet-stream") {
    declared = AllowedType(declared_normal);
    if (!declared) {
      return refuse(internal::IsValidContentType(declared_normal)
                        ? "the content type " + declared_normal + " is not allowed"
                        : std::string("the declared content type is not allowed"));
    }
  }

  const std::optional<std::string_view> sniffed =
      Sniff(data, by_extension ? by_extension : declared);
  if (!sniffed) {
    return refuse("the content is not one of the allowed file types");
  }
  if (by_extension && *sniffed != *by_extension) {
    return refuse("the content is " + std::string(*sniffed) + ", which does not match the \"." +
                  extension + "\" extension");
  }
  if (declared && *sniffed != *declared) {
    return refuse("the content is " + std::string(*sniffed) + ", not the declared " +
                  std::string(*declared));
  }
  return {};
}

}  // namespace mail
