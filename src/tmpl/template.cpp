#include "tmpl/template.h"

#include <algorithm>
#include <charconv>
#include <kainjow/mustache.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <system_error>
#include <utility>

// How this uses kainjow::mustache, and why.
//
// kainjow resolves every tag by calling basic_context::get(name) with nothing but the tag's name,
// and its parse tree is private. We need more at lookup time: a boolean prints as "true" in
// {{flag}} but must stay a boolean in {{#flag}}; only inverted sections may name absent data; a
// section's cost must be charged before it repeats. So Parse scans the template itself (it has
// to anyway, for {{-NAME-}} and Variables()) and writes a canonical Mustache text in which each
// tag's name is the index of its entry in our tag table: "Dear {{-NAME-}}" becomes "Dear {{0}}".
// At render time kainjow does the parsing of that canonical text, the section iteration, the
// standalone-line rules and the escaping; our Lookup context turns each index back into the
// tag's name and kind and resolves it with kainjow's own name lookup. kainjow never sees a
// user-written tag, so every syntax error is reported by our scanner, with its position.

namespace tmpl {
namespace {

namespace mustache = kainjow::mustache;

enum class TagKind { kVariable, kRawVariable, kSection, kInvertedSection };

// Each section pass is charged this on top of its literal text, so nested loops over empty
// bodies still exhaust the render budget instead of spinning.
constexpr std::size_t kPassCost = 16;
constexpr std::size_t kMaxQuotedName = 40;

struct TagInfo {
  std::string name;
  TagKind kind = TagKind::kVariable;
  std::string enclosing_section;   // innermost section around the tag, "" at top level
  std::size_t own_text_bytes = 0;  // sections: literal text directly inside, charged per pass
};

// The canonical text's tag prefix for each kind.
std::string_view Sigil(TagKind kind) {
  switch (kind) {
    case TagKind::kVariable: return "";
    case TagKind::kRawVariable: return "&";
    case TagKind::kSection: return "#";
    case TagKind::kInvertedSection: return "^";
  }
  return "";
}

std::string_view Trim(std::string_view text) {
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) {
    return {};
  }
  return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// "." or [A-Za-z0-9_]+ segments joined by single dots.
bool IsName(std::string_view name) {
  if (name == ".") {
    return true;
  }
  if (name.empty() || name.front() == '.' || name.back() == '.') {
    return false;
  }
  char previous = '\0';
  for (const char c : name) {
    if (c == '.' ? previous == '.' : !IsNameChar(c)) {
      return false;
    }
    previous = c;
  }
  return true;
}

// A name for a message; tags can be long, so long ones are cut.
std::string Quoted(std::string_view name) {
  if (name.size() > kMaxQuotedName) {
    return "\"" + std::string(name.substr(0, kMaxQuotedName)) + "...\"";
  }
  return "\"" + std::string(name) + "\"";
}

// "line L, column C" for a byte offset into text; both 1-based, columns count bytes.
std::string Where(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const auto line = 1 + std::count(before.begin(), before.end(), '\n');
  const std::size_t last_newline = before.rfind('\n');
  const std::size_t column =
      last_newline == std::string_view::npos ? offset + 1 : offset - last_newline;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

core::Error SyntaxError(std::string_view text, std::size_t offset, const std::string& problem) {
  return core::InvalidArgument("template", Where(text, offset) + ": " + problem);
}

// A tag's meaning: `sigil` is '!' for a comment, '/' for a section end, else that of an opening
// tag ('\0' for a plain or triple variable, '-' for a seed placeholder).
struct ParsedTag {
  char sigil = '\0';
  TagKind kind = TagKind::kVariable;
  std::string_view name;
};

// Classifies a tag from its trimmed content (between "{{" and "}}", or "{{{" and "}}}"). The
// error message says what is wrong; the caller adds where.
core::Result<ParsedTag> ClassifyTag(std::string_view content, bool triple) {
  if (content.empty()) {
    return core::InvalidArgument("template", "empty tag");
  }
  ParsedTag tag{.sigil = triple ? '\0' : content.front(), .kind = TagKind::kVariable, .name = {}};
  switch (tag.sigil) {
    case '!': return tag;
    case '>': return core::InvalidArgument("template", "partials ({{>name}}) are not supported");
    case '=':
      return core::InvalidArgument("template", "set-delimiter tags ({{=...=}}) are not supported");
    case '-':
      if (content.size() < 2 || content.back() != '-') {
        return core::InvalidArgument("template", "malformed placeholder " +
                                                     Quoted("{{" + std::string(content) + "}}") +
                                                     " (placeholders are written {{-NAME-}})");
      }
      tag.name = Trim(content.substr(1, content.size() - 2));
      break;
    case '&': tag.kind = TagKind::kRawVariable; break;
    case '#': tag.kind = TagKind::kSection; break;
    case '^': tag.kind = TagKind::kInvertedSection; break;
    case '/': break;
    default:
      tag.sigil = '\0';
      tag.kind = triple ? TagKind::kRawVariable : TagKind::kVariable;
      tag.name = content;
      break;
  }
  if (tag.sigil == '&' || tag.sigil == '#' || tag.sigil == '^' || tag.sigil == '/') {
    tag.name = Trim(content.substr(1));
  }
  if (!IsName(tag.name)) {
    return core::InvalidArgument("template",
                                 "invalid name " + Quoted(tag.name) +
                                     " (names are letters, digits and '_', dotted for nesting)");
  }
  return tag;
}

core::Result<mustache::data> ToData(const nlohmann::json& value, std::size_t depth) {
  if (depth > kMaxDataDepth) {
    return core::InvalidArgument(
        "data", "data is nested more than " + std::to_string(kMaxDataDepth) + " levels deep");
  }
  switch (value.type()) {
    case nlohmann::json::value_t::object: {
      mustache::data object(mustache::data::type::object);
      for (const auto& [key, member] : value.items()) {
        auto converted = ToData(member, depth + 1);
        if (!converted) {
          return converted.error();
        }
        object[key] = std::move(converted).value();
      }
      return object;
    }
    case nlohmann::json::value_t::array: {
      // basic_data has no way to move a list in, so the items are copied once here.
      mustache::list items;
      items.reserve(value.size());
      for (const auto& item : value) {
        auto converted = ToData(item, depth + 1);
        if (!converted) {
          return converted.error();
        }
        items.push_back(std::move(converted).value());
      }
      return mustache::data(items);
    }
    case nlohmann::json::value_t::string:
      return mustache::data(value.get_ref<const std::string&>());
    case nlohmann::json::value_t::boolean: return mustache::data(value.get<bool>());
    case nlohmann::json::value_t::null:
      // An empty list: falsy in sections and prints nothing, as null should.
      return mustache::data(mustache::data::type::list);
    default:  // numbers (and binary, which parsed JSON never holds): their JSON text
      return mustache::data(value.dump());
  }
}

std::string EscapeHtml(const std::string& text) {
  // kainjow's own html_escape writes &apos;, which HTML 4 (still what some mail clients parse
  // by) does not define; &#39; works everywhere.
  std::string escaped;
  escaped.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&': escaped += "&amp;"; break;
      case '<': escaped += "&lt;"; break;
      case '>': escaped += "&gt;"; break;
      case '"': escaped += "&quot;"; break;
      case '\'': escaped += "&#39;"; break;
      default: escaped += c; break;
    }
  }
  return escaped;
}

// The context kainjow renders the canonical text against: one render's context stack, the
// resolution of tag indices, and the render's first error and byte budget.
class Lookup final : public mustache::basic_context<std::string> {
 public:
  Lookup(const std::vector<TagInfo>& tags, const mustache::data& root)
      : tags_(tags), frames_(&root) {}

  void push(const mustache::data* item) override { frames_.push(item); }
  void pop() override { frames_.pop(); }
  const mustache::data* get(const std::string& index) const override;
  const mustache::data* get_partial(const std::string& /*name*/) const override {
    return nullptr;  // the canonical text has no partials
  }

  const std::optional<core::Error>& error() const { return error_; }

 private:
  // After the first error every lookup answers "skip": nullptr hides a section (and prints
  // nothing for a variable), a true value hides an inverted section. So kainjow finishes the
  // render quickly, without exceptions unwinding through it.
  const mustache::data* Skip(const TagInfo* tag) const {
    return tag != nullptr && tag->kind == TagKind::kInvertedSection ? &true_ : nullptr;
  }
  const mustache::data* Fail(const TagInfo* tag, core::Error error) const {
    error_ = std::move(error);
    return Skip(tag);
  }
  const mustache::data* Missing(const TagInfo& tag) const;
  // False (and the render failed) once the budget is spent.
  bool Charge(std::size_t bytes) const;

  const std::vector<TagInfo>& tags_;
  mustache::context<std::string> frames_;
  const mustache::data true_{true};
  const mustache::data true_text_{"true"};
  const mustache::data false_text_{"false"};
  // get() is const in kainjow's interface, yet it is the only place a render can report back.
  mutable std::size_t charged_ = 0;
  mutable std::optional<core::Error> error_;
};

const mustache::data* Lookup::get(const std::string& index) const {
  std::size_t i = 0;
  const char* end = index.data() + index.size();
  const auto parsed = std::from_chars(index.data(), end, i);
  if (parsed.ec != std::errc() || parsed.ptr != end || i >= tags_.size()) {
    return Fail(nullptr, core::Internal("template tag " + Quoted(index) + " is not in its table"));
  }
  const TagInfo& tag = tags_[i];
  if (error_) {
    return Skip(&tag);
  }
  const mustache::data* value = frames_.get(tag.name);
  switch (tag.kind) {
    case TagKind::kVariable:
    case TagKind::kRawVariable:
      if (value == nullptr) {
        return Missing(tag);
      }
      if (value->is_bool()) {
        return value->is_true() ? &true_text_ : &false_text_;
      }
      if (value->is_string() && !Charge(value->string_value().size())) {
        return nullptr;
      }
      return value;
    case TagKind::kSection: {
      if (value == nullptr) {
        return Missing(tag);
      }
      std::size_t passes = 1;
      if (value->is_list()) {
        passes = value->list_value().size();
      } else if (value->is_false()) {
        passes = 0;
      }
      return Charge(passes * (tag.own_text_bytes + kPassCost)) ? value : nullptr;
    }
    case TagKind::kInvertedSection:
      if (value == nullptr || value->is_false() || value->is_empty_list()) {
        return Charge(tag.own_text_bytes + kPassCost) ? value : &true_;
      }
      return value;
  }
  return Fail(&tag, core::Internal("unknown template tag kind"));
}

const mustache::data* Lookup::Missing(const TagInfo& tag) const {
  std::string message = "data has no value for template variable " + Quoted(tag.name);
  if (!tag.enclosing_section.empty()) {
    message += " (used in section " + Quoted(tag.enclosing_section) + ")";
  }
  return Fail(&tag, core::InvalidArgument("data." + tag.name, std::move(message)));
}

bool Lookup::Charge(std::size_t bytes) const {
  charged_ += bytes;
  if (charged_ <= kMaxRenderedBytes) {
    return true;
  }
  error_ = core::Error{core::ErrorCode::kPayloadTooLarge,
                       "the rendered template would exceed " + std::to_string(kMaxRenderedBytes) +
                           " bytes with this data",
                       "data"};
  return false;
}

}  // namespace

struct Template::Compiled {
  // The template as canonical Mustache: the literal text unchanged, comments dropped, and each
  // tag naming its index into `tags`: {{i}}, {{&i}}, {{#i}}..{{/i}}, {{^i}}..{{/i}}.
  std::string canonical;
  std::vector<TagInfo> tags;
  std::vector<std::string> variables;
};

Template::Template(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}

core::Result<Template> Template::Parse(std::string_view text) {
  if (text.size() > kMaxTemplateBytes) {
    return core::Error{core::ErrorCode::kPayloadTooLarge,
                       "the template is " + std::to_string(text.size()) + " bytes; the limit is " +
                           std::to_string(kMaxTemplateBytes),
                       "html"};
  }
  auto compiled = std::make_shared<Compiled>();
  struct OpenSection {
    std::size_t tag;
    std::size_t offset;
  };
  std::vector<OpenSection> open;
  const auto add_text = [&](std::string_view literal) {
    compiled->canonical += literal;
    if (!open.empty()) {
      compiled->tags[open.back().tag].own_text_bytes += literal.size();
    }
  };

  std::size_t position = 0;
  while (position < text.size()) {
    const std::size_t start = text.find("{{", position);
    if (start == std::string_view::npos) {
      add_text(text.substr(position));
      break;
    }
    add_text(text.substr(position, start - position));
    // As in Mustache (and kainjow), "{{{" always opens a triple tag, even after literal text.
    const bool triple = text.substr(start, 3) == "{{{";
    const std::string_view closer = triple ? "}}}" : "}}";
    const std::size_t body = start + (triple ? 3 : 2);
    const std::size_t end = text.find(closer, body);
    if (end == std::string_view::npos) {
      return SyntaxError(text, start, "unclosed tag (no \"" + std::string(closer) + "\")");
    }
    position = end + closer.size();
    const auto tag = ClassifyTag(Trim(text.substr(body, end - body)), triple);
    if (!tag) {
      return SyntaxError(text, start, tag.error().message);
    }
    const std::string_view name = tag->name;
    if (tag->sigil == '!') {
      continue;
    }
    if (tag->sigil == '/') {
      if (open.empty()) {
        return SyntaxError(text, start,
                           Quoted("{{/" + std::string(name) + "}}") + " closes no open section");
      }
      const OpenSection section = open.back();
      const std::string& open_name = compiled->tags[section.tag].name;
      if (name != open_name) {
        return SyntaxError(text, start,
                           Quoted("{{/" + std::string(name) + "}}") + " does not close section " +
                               Quoted(open_name) + " (opened at " + Where(text, section.offset) +
                               ")");
      }
      compiled->canonical += "{{/" + std::to_string(section.tag) + "}}";
      open.pop_back();
      continue;
    }

    const TagKind kind = tag->kind;
    const bool is_section = kind == TagKind::kSection || kind == TagKind::kInvertedSection;
    if (is_section && open.size() >= kMaxSectionDepth) {
      return SyntaxError(text, start,
                         "sections nested more than " + std::to_string(kMaxSectionDepth) + " deep");
    }
    const std::size_t index = compiled->tags.size();
    compiled->tags.push_back(TagInfo{
        .name = std::string(name),
        .kind = kind,
        .enclosing_section = open.empty() ? "" : compiled->tags[open.back().tag].name,
    });
    if (open.empty() && name != ".") {
      compiled->variables.emplace_back(name);
    }
    compiled->canonical += "{{";
    compiled->canonical += Sigil(kind);
    compiled->canonical += std::to_string(index) + "}}";
    if (is_section) {
      open.push_back(OpenSection{.tag = index, .offset = start});
    }
  }
  if (!open.empty()) {
    return SyntaxError(
        text, open.back().offset,
        "section " + Quoted(compiled->tags[open.back().tag].name) + " is never closed");
  }

  std::vector<std::string>& variables = compiled->variables;
  std::sort(variables.begin(), variables.end());
  variables.erase(std::unique(variables.begin(), variables.end()), variables.end());
  return Template(std::move(compiled));
}

std::vector<std::string> Template::Variables() const { return compiled_->variables; }

core::Result<std::string> Template::Render(const nlohmann::json& data, Escape escape) const {
  if (!data.is_object()) {
    return core::InvalidArgument("data", "data must be a JSON object");
  }
  auto root = ToData(data, 0);
  if (!root) {
    return root.error();
  }
  // kainjow's render() and set_custom_escape() are non-const, so a parsed kainjow object cannot be
  // shared by concurrent renders of one Template: each render parses the canonical text anew.
  mustache::mustache view(compiled_->canonical);
  if (!view.is_valid()) {
    return core::Internal("kainjow rejected the canonical template: " + view.error_message());
  }
  if (escape == Escape::kHtml) {
    view.set_custom_escape(EscapeHtml);
  } else {
    view.set_custom_escape([](const std::string& value) { return value; });
  }
  Lookup lookup(compiled_->tags, *root);
  std::ostringstream out;
  view.render(lookup, out);
  if (lookup.error()) {
    return *lookup.error();
  }
  if (!view.is_valid()) {
    return core::Internal("kainjow failed to render: " + view.error_message());
  }
  return std::move(out).str();
}

}  // namespace tmpl
