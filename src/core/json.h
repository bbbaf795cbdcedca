#pragma once
// The one way outbox decodes JSON it did not write itself: request bodies of every route family,
// SNS messages, template data, JWT parts and JSON read back from the store all go through
// ParseJson, so every decoder has the same nesting limit and the same idea of where a document
// ends.
#include <nlohmann/json.hpp>
#include <string_view>

#include "core/result.h"

namespace core {

// Deeper than this is refused before anything walks the value: nlohmann's dump, the template
// renderer and the comparison operators recurse once per level, so a 50,000-deep array would
// overflow the stack. No document outbox accepts needs more than a handful of levels.
inline constexpr std::size_t kMaxJsonDepth = 64;

enum class JsonSyntax {
  kStrict,    // RFC 8259
  kComments,  // RFC 8259 plus // and /* */ comments (the SES-compatible routes' clients send them)
};

// Parses `text` as exactly one JSON value. Refused, as kInvalidArgument naming `field`: text
// that is not JSON, a NUL byte anywhere (nlohmann's lexer would take it as the end of input and
// accept whatever follows), anything but whitespace (and comments under kComments) after the
// value, and nesting deeper than `max_depth`. When `field` is "body" and the value is an
// object, a too-deep member is named instead of "body". Never throws; parsing is iterative, so
// the depth check itself is safe on any input. The caller bounds the size (a route's body limit).
// Only content outbox signed itself may pass a `max_depth` above kMaxJsonDepth.
[[nodiscard]] Result<nlohmann::json> ParseJson(std::string_view text, std::string_view field,
                                               JsonSyntax syntax = JsonSyntax::kStrict,
                                               std::size_t max_depth = kMaxJsonDepth);

// ParseJson, then requires an object ("<field> must be a JSON object").
[[nodiscard]] Result<nlohmann::json> ParseJsonObject(std::string_view text, std::string_view field,
                                                     JsonSyntax syntax = JsonSyntax::kStrict);

}  // namespace core
