#pragma once
// Internal to http/: reading the cookies doors read (seed 002's jwt_token, the dashboard's
// outbox_session) and the Set-Cookie header that hands one out. Pure functions.
#include <cstdint>
#include <string>
#include <string_view>

namespace http {

// The value of the first cookie called `name` in a Cookie header ("a=1; b=2"); names compare
// exactly, surrounding double quotes are dropped. "" when there is none.
std::string_view CookieValue(std::string_view cookie_header, std::string_view name);

struct SessionCookie {
  std::string_view name;
  std::string_view value;  // REQUIRES: cookie-safe characters (a JWT is)
  std::int64_t max_age_seconds = 0;
  bool secure = false;  // only sent over https: set when the public URL is https
  // "Lax" (seed 002's: also sent on top-level navigation from other sites) or "Strict" (the
  // dashboard's: never sent on a request another site starts)
  std::string_view same_site = "Lax";
};

// `name=value; Path=/; Max-Age=n; HttpOnly; SameSite=<same_site>` (+ `; Secure`): the browser
// keeps it for max_age_seconds (0 deletes it), sends it to every path of this server, and
// scripts cannot read it.
std::string SetCookieHeader(const SessionCookie& cookie);

}  // namespace http
