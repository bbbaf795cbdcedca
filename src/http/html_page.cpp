#include "http/html_page.h"

namespace http {

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

void HtmlPage(Context& context, int status, std::string_view title, const std::string& body_html) {
  const std::string escaped_title = HtmlEscape(title);
  context.response.status = status;
  context.response.set_header("Cache-Control", "no-store");
  context.response.set_header("Referrer-Policy", "no-referrer");
  context.response.set_header("Content-Security-Policy", kPageContentSecurityPolicy);
  context.response.set_header("X-Frame-Options", "DENY");
  context.response.set_header("X-Content-Type-Options", "nosniff");
  context.response.set_content(
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width\"><title>" +
          escaped_title + "</title></head><body><h1>" + escaped_title + "</h1>" + body_html +
          "</body></html>",
      "text/html; charset=utf-8");
}

}  // namespace http
