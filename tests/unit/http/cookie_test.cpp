#include "http/cookie.h"

#include <doctest/doctest.h>

TEST_CASE("CookieValue finds the named cookie among others") {
  CHECK(http::CookieValue("jwt_token=abc.def.ghi", "jwt_token") == "abc.def.ghi");
  CHECK(http::CookieValue("a=1; jwt_token=x.y.z; b=2", "jwt_token") == "x.y.z");
  CHECK(http::CookieValue("a=1;jwt_token=\"q\"", "jwt_token") == "q");
  CHECK(http::CookieValue("jwt_token=first; jwt_token=second", "jwt_token") == "first");
}

TEST_CASE("CookieValue is empty when the cookie is absent or only a prefix matches") {
  CHECK(http::CookieValue("", "jwt_token").empty());
  CHECK(http::CookieValue("jwt_token_old=1; xjwt_token=2", "jwt_token").empty());
  CHECK(http::CookieValue("JWT_TOKEN=1", "jwt_token").empty());
  CHECK(http::CookieValue("jwt_token", "jwt_token").empty());
  CHECK(http::CookieValue(";;  ; ", "jwt_token").empty());
}

TEST_CASE("SetCookieHeader: HttpOnly, Path=/, Max-Age, SameSite=Lax, Secure only for https") {
  CHECK(http::SetCookieHeader({"jwt_token", "t", 900, false}) ==
        "jwt_token=t; Path=/; Max-Age=900; HttpOnly; SameSite=Lax");
  CHECK(http::SetCookieHeader({"jwt_token", "t", 60, true}) ==
        "jwt_token=t; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure");
}
