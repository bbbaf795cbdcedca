#include "core/json.h"

#include <string>

namespace core {
namespace {

using nlohmann::json;

// nlohmann's own DOM builder with a depth count in front: start_object / start_array past the
// limit stop the parse (the parser itself keeps its state on the heap, so it never recurses).
class DepthLimitedBuilder {
 public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  DepthLimitedBuilder(json* result, std::size_t max_depth)
      : builder_(*result, /*allow_exceptions_=*/false), max_depth_(max_depth) {}

  bool too_deep() const { return too_deep_; }
  // The top-level object member being read when the limit was hit; empty if none.
  const std::string& deep_member() const { return deep_member_; }

  bool null() { return builder_.null(); }
  bool boolean(bool value) { return builder_.boolean(value); }
  bool number_integer(number_integer_t value) { return builder_.number_integer(value); }
  bool number_unsigned(number_unsigned_t value) { return builder_.number_unsigned(value); }
  bool number_float(number_float_t value, const string_t& text) {
    return builder_.number_float(value, text);
  }
  bool string(string_t& value) { return builder_.string(value); }
  bool binary(binary_t& value) { return builder_.binary(value); }
  bool start_object(std::size_t length) { return Enter() && builder_.start_object(length); }
  bool key(string_t& value) {
    if (depth_ == 1) member_ = value;
    return builder_.key(value);
  }
  bool end_object() {
    --depth_;
    return builder_.end_object();
  }
  bool start_array(std::size_t length) { return Enter() && builder_.start_array(length); }
  bool end_array() {
    --depth_;
    return builder_.end_array();
  }
  template <class Exception>
  bool parse_error(std::size_t position, const std::string& token, const Exception& error) {
    return builder_.parse_error(position, token, error);
  }

 private:
  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    if (depth_ > 1) deep_member_ = member_;
    return false;
  }

  nlohmann::detail::json_sax_dom_parser<json> builder_;
  const std::size_t max_depth_;
  std::size_t depth_ = 0;
  std::string member_;
  std::string deep_member_;
  bool too_deep_ = false;
};

}  // namespace

Result<json> ParseJson(std::string_view text, std::string_view field, JsonSyntax syntax,
                       std::size_t max_depth) {
  const std::string name(field);
  if (text.find('\0') != std::string_view::npos) {
    return InvalidArgument(name, name + " is not valid JSON: it contains a NUL byte");
  }
  json result;
  DepthLimitedBuilder builder(&result, max_depth);
  const bool parsed = json::sax_parse(text.begin(), text.end(), &builder,
                                      json::input_format_t::json, /*strict=*/true,
                                      /*ignore_comments=*/syntax == JsonSyntax::kComments);
  if (builder.too_deep()) {
    const std::string named =
        name == "body" && !builder.deep_member().empty() ? builder.deep_member() : name;
    return InvalidArgument(named, named + " nests deeper than " + std::to_string(max_depth) +
                                      " levels of arrays and objects");
  }
  if (!parsed || result.is_discarded()) {
    return InvalidArgument(name, name + " is not valid JSON");
  }
  return result;
}

Result<json> ParseJsonObject(std::string_view text, std::string_view field, JsonSyntax syntax) {
  auto parsed = ParseJson(text, field, syntax);
  if (!parsed.ok()) return parsed;
  if (!parsed->is_object()) {
    const std::string name(field);
    return InvalidArgument(name, name + " must be a JSON object");
  }
  return parsed;
}

}  // namespace core
