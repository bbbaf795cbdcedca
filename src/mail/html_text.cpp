#include "mail/html_text.h"

#include <cctype>
#include <utility>

namespace mail {

std::string HtmlToText(std::string_view html) {
  std::string text;
  std::size_t i = 0;
  while (i < html.size()) {
    const char c = html[i];
    if (c == '<') {
      const std::size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;  // an unterminated tag: drop the rest
      std::string tag;
      for (std::size_t j = i + 1; j < end; ++j) {
        const char t = html[j];
        if (t == '/' && tag.empty()) continue;
        if (!std::isalnum(static_cast<unsigned char>(t))) break;
        tag += static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      }
      static constexpr std::string_view kBlocks[] = {"br", "p",  "div", "h1", "h2", "h3", "h4",
                                                     "h5", "h6", "li",  "tr", "ul", "ol", "table"};
      for (std::string_view block : kBlocks) {
        if (tag == block) {
          text += '\n';
          break;
        }
      }
      i = end + 1;
      continue;
    }
    if (c == '&') {
      static constexpr std::pair<std::string_view, std::string_view> kEntities[] = {
          {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},   {"&quot;", "\""},
          {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "},
      };
      bool decoded = false;
      for (const auto& [entity, replacement] : kEntities) {
        if (html.substr(i, entity.size()) == entity) {
          text += replacement;
          i += entity.size();
          decoded = true;
          break;
        }
      }
      if (decoded) continue;
    }
    text += c;
    ++i;
  }
  // Collapse blank space: one space inside a line, no blank lines at the ends, at most one
  // empty line in between.
  std::string out;
  std::string line;
  int pending_newlines = 0;
  auto flush = [&] {
    std::size_t start = line.find_first_not_of(' ');
    std::size_t stop = line.find_last_not_of(' ');
    if (start == std::string::npos) {
      if (!out.empty()) ++pending_newlines;
    } else {
      if (!out.empty()) out.append(pending_newlines > 1 ? "\n\n" : "\n");
      out += line.substr(start, stop - start + 1);
      pending_newlines = 1;
    }
    line.clear();
  };
  for (char c : text) {
    if (c == '\n') {
      flush();
    } else if (c == ' ' || c == '\t' || c == '\r') {
      if (!line.empty() && line.back() != ' ') line += ' ';
    } else {
      line += c;
    }
  }
  flush();
  return out;
}

}  // namespace mail
