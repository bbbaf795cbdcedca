#pragma once
// Internal to http/: the one cookie a door reads (seed 002's jwt_token) and the Set-Cookie
// header that hands it out. Pure functions.
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
};

// `name=value; Path=/; Max-Age=n; HttpOnly; SameSite=Lax` (+ `; Secure`): the browser keeps it
// for the access token's life, sends it to every path of this server and on top-level
// navigation from other sites, and scripts cannot read it.
std::string SetCookieHeader(const SessionCookie& cookie);

}  // namespace http
