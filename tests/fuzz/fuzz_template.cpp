// Template::Parse on arbitrary text and Render with fuzzed data: the input is the template,
// then a NUL byte, then the JSON data. Never crashes, never recurses without bound, and an
// answer is either a rendering or an error naming a field.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string_view>

#include "tmpl/template.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::size_t split = input.find('\0');
  const std::string_view text = input.substr(0, split);
  auto parsed = tmpl::Template::Parse(text);
  if (!parsed.ok()) return 0;
  (void)parsed->Variables();
  nlohmann::json values = nlohmann::json::object();
  if (split != std::string_view::npos) {
    values = nlohmann::json::parse(input.substr(split + 1), nullptr, /*allow_exceptions=*/false);
  }
  for (auto escape : {tmpl::Escape::kHtml, tmpl::Escape::kNone}) {
    auto rendered = parsed->Render(values, escape);
    if (!rendered.ok() && rendered.error().field.empty()) std::abort();
  }
  return 0;
}
