#pragma once
// The plain-text alternative of an HTML body, for messages written only in HTML (GoMail
// message tasks, newsletters, templates without a text part).
#include <string>
#include <string_view>

namespace mail {

// Pure: the text of `html`: tags dropped, block ends (p, div, br, headings, list items, table
// rows) as line breaks, the common entities decoded, runs of blank space collapsed (one space
// inside a line, at most one empty line between blocks, none at the ends).
std::string HtmlToText(std::string_view html);

}  // namespace mail
