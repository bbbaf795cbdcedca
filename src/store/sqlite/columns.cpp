#include "store/sqlite/columns.h"

#include <charconv>

#include "core/json.h"
namespace store::sqlite {

std::string BareAddress(std::string_view address) {
  const std::size_t open = address.rfind('<');
  if (open != std::string_view::npos) {
    const std::size_t close = address.find('>', open);
    if (close != std::string_view::npos) {
      address = address.substr(open + 1, close - open - 1);
    }
  }
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!address.empty() && is_space(address.front())) {
    address.remove_prefix(1);
  }
  while (!address.empty() && is_space(address.back())) {
    address.remove_suffix(1);
  }
  return LowerAscii(std::string(address));
}

std::string LowerAscii(std::string text) {
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c - 'A' + 'a');
    }
  }
  return text;
}

std::string DumpJson(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

core::Result<nlohmann::json> ParseJsonColumn(const std::string& text, std::string_view column) {
  auto value = core::ParseJson(text, column);
  if (!value.ok()) return core::Internal("corrupt JSON in " + std::string(column));
  return value;
}

core::Result<std::vector<std::string>> ParseStringList(const std::string& text,
                                                       std::string_view column) {
  core::Result<nlohmann::json> value = ParseJsonColumn(text, column);
  if (!value.ok()) {
    return value.error();
  }
  if (!value->is_array()) {
    return core::Internal("expected a JSON array in " + std::string(column));
  }
  std::vector<std::string> strings;
  strings.reserve(value->size());
  for (const nlohmann::json& element : *value) {
    if (!element.is_string()) {
      return core::Internal("expected strings in " + std::string(column));
    }
    strings.push_back(element.get<std::string>());
  }
  return strings;
}

core::Result<std::optional<std::int64_t>> ParseIdCursor(const std::string& cursor) {
  if (cursor.empty()) {
    return std::optional<std::int64_t>();
  }
  std::int64_t id = 0;
  const char* first = cursor.data();
  const char* last = cursor.data() + cursor.size();
  const auto [end, error] = std::from_chars(first, last, id);
  if (error != std::errc() || end != last || id <= 0) {
    return core::InvalidArgument("cursor", "not a cursor this listing returned");
  }
  return std::optional<std::int64_t>(id);
}

}  // namespace store::sqlite
