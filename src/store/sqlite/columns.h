#pragma once
// How store values become column values and back: JSON text columns and bare, lower-cased
// addresses (the form the recipient filter compares).
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace store::sqlite {

// Below any priority an `int` can hold: where a walk over the distinct priorities of the
// jobs_runnable index starts.
inline constexpr std::int64_t kBeforeAnyPriority = std::numeric_limits<std::int64_t>::min();

// ASCII lower-casing, as SQLite's lower() does (CHECKs compare stored addresses with it).
std::string LowerAscii(std::string text);

// "Ada <Ada@Example.org>" -> "ada@example.org"; a bare address is only trimmed and lower-cased.
std::string BareAddress(std::string_view address);

// Compact JSON text. Invalid UTF-8 is replaced rather than thrown on: a durable write must not
// fail on it, and the HTTP layer has already validated the fields it cares about.
std::string DumpJson(const nlohmann::json& value);

// kInternal (naming `column`) if the stored text is not JSON, or not an array of strings.
core::Result<nlohmann::json> ParseJsonColumn(const std::string& text, std::string_view column);
core::Result<std::vector<std::string>> ParseStringList(const std::string& text,
                                                       std::string_view column);

// A listing's cursor that is the decimal id of the last row of the previous page; "" is the start
// (nullopt). Anything else is kInvalidArgument, so a mangled cursor cannot silently restart a
// listing.
core::Result<std::optional<std::int64_t>> ParseIdCursor(const std::string& cursor);

}  // namespace store::sqlite
