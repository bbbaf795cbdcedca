#pragma once
// Email templates: the SES-compatible API's {{-NAME-}} placeholders and Mustache tags, rendered
// with kainjow::mustache (Debian's libkainjow-mustache-dev) behind this small interface. Pure: no
// I/O, no clock.
//
// One grammar covers both syntaxes. A name is "." (the current section item) or segments of
// [A-Za-z0-9_] joined by '.', where "a.b" means key b inside object a; so data keys containing
// '.', '-' or spaces cannot be named. Whitespace inside the braces is ignored.
//   {{-NAME-}}            seed placeholder, the same as {{NAME}}. '-' is not a name character,
//                         so a tag starting with '-' is always a placeholder: "{{-NAME}}" is an
//                         error, never a Mustache variable called "-NAME".
//   {{name}}              variable, HTML-escaped under Escape::kHtml
//   {{{name}}} {{&name}}  variable, never escaped
//   {{#name}}..{{/name}}  section; {{^name}}..{{/name}} inverted section
//   {{! comment }}        dropped
// Refused by Parse: partials {{>name}} and set-delimiter tags {{=<% %>=}}. Every "{{" in the text
// starts a tag, so a literal "{{" can only come from a variable's value.
#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tmpl {

// The seed contract's template limit, "max size 500kb": 500 * 1024 bytes.
inline constexpr std::size_t kMaxTemplateBytes = std::size_t{500} * 1024;
// Sections nested deeper than this are refused by Parse; it also bounds render recursion.
inline constexpr std::size_t kMaxSectionDepth = 32;
// `data` nested deeper than this (objects and arrays) is refused by Render.
inline constexpr std::size_t kMaxDataDepth = 64;
// Render refuses (kPayloadTooLarge, field "data") once the section passes and variable values it
// would produce exceed this many bytes, before doing the work: a small template looping over
// nested lists must not turn one request into gigabytes of output. Counted before escaping.
inline constexpr std::size_t kMaxRenderedBytes = std::size_t{10} * 1024 * 1024;

enum class Escape {
  kHtml,  // & < > " ' become &amp; &lt; &gt; &quot; &#39; (HTML bodies)
  kNone,  // values inserted verbatim (subject lines, text/plain parts)
};

// A parsed template: an immutable value, cheap to copy, safe to render from many threads.
class Template {
 public:
  // Errors: kPayloadTooLarge (field "html") above kMaxTemplateBytes; kInvalidArgument (field
  // "template") for a syntax error: unclosed tag, bad name, unclosed/unopened/mismatched section,
  // nesting deeper than kMaxSectionDepth, partial or set-delimiter tag. The message names the
  // problem and its "line L, column C" (1-based, columns in bytes).
  static core::Result<Template> Parse(std::string_view text);

  // The names looked up in the data's top level: every variable and section name (inverted ones
  // included) outside all sections, spelled as written ("user.name"), sorted and unique. Names
  // inside a section are not listed: they may belong to the section's items. "." is not listed.
  std::vector<std::string> Variables() const;

  // Renders with Mustache semantics and these choices:
  //  - strings are inserted as they are; numbers and booleans as their JSON text ("3", "2.5",
  //    "true"); null as nothing; objects and arrays used as variables as nothing;
  //  - false, null and [] are falsy (a section is skipped, an inverted one shown); a non-empty
  //    array repeats a section once per item; any other value ("" and 0 included) shows it once
  //    with that value as the innermost context;
  //  - names resolve in the innermost section item first, then outwards (Mustache lookup).
  // Every variable and section name the render reaches must resolve, else kInvalidArgument with
  // field "data.<name>" naming it; names in sections that are not shown are not reached. Only an
  // inverted section's name may be absent, since absence is what it tests.
  // Other errors: `data` not an object or nested deeper than kMaxDataDepth: kInvalidArgument,
  // field "data"; output above kMaxRenderedBytes: kPayloadTooLarge, field "data".
  // Cost: re-parses the template (kainjow's render is non-const; see template.cpp) and copies
  // `data` once: linear in template, data and output size.
  core::Result<std::string> Render(const nlohmann::json& data, Escape escape) const;

 private:
  struct Compiled;
  explicit Template(std::shared_ptr<const Compiled> compiled);

  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace tmpl
