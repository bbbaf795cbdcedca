#pragma once
// Internal to http/: the small HTML pages people open from links in mail (unsubscribe, confirm
// an address). Such a URL carries a secret token, so a page is never cached or sent as a
// Referer, loads nothing from anywhere, runs no script and cannot be framed.
#include <string>
#include <string_view>

#include "http/routes.h"

namespace http {

// `text` with & < > " ' replaced by character references: safe in element content and in
// quoted attribute values.
std::string HtmlEscape(std::string_view text);

// The Content-Security-Policy of these pages: nothing may load, forms post only to this
// server, no <base>, no framing.
inline constexpr char kPageContentSecurityPolicy[] =
    "default-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

// Answers `status` with a page titled `title` (plain text, escaped here) around `body_html`
// (REQUIRES: HTML whose variable parts were escaped with HtmlEscape), with Cache-Control:
// no-store, Referrer-Policy: no-referrer, the policy above, X-Frame-Options: DENY and
// X-Content-Type-Options: nosniff.
void HtmlPage(Context& context, int status, std::string_view title, const std::string& body_html);

}  // namespace http
