// ParseCsv (the customers' import) must never crash on arbitrary files, and the lines it names
// must be real lines of the file, in order.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "service/customer_import.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto records = service::ParseCsv(text);
  if (!records.ok()) return 0;
  const auto lines = static_cast<std::int64_t>(std::count(text.begin(), text.end(), '\n') +
                                               std::count(text.begin(), text.end(), '\r') + 1);
  std::int64_t last = 0;
  for (const service::CsvRecord& record : *records) {
    if (record.line <= last || record.line > lines || record.fields.empty()) std::abort();
    last = record.line;
  }
  return 0;
}
