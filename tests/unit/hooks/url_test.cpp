#include "hooks/url.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace {

hooks::HttpUrl Parse(std::string_view url) {
  auto parsed = hooks::ParseHttpUrl(url, "return_api");
  REQUIRE_MESSAGE(parsed.ok(), parsed.error().message);
  return *parsed;
}

// "ok", or the message of a kInvalidArgument rejection naming the field.
std::string Refusal(std::string_view url) {
  const auto parsed = hooks::ParseHttpUrl(url, "return_api");
  if (parsed.ok()) {
    return "ok";
  }
  if (parsed.error().code != core::ErrorCode::kInvalidArgument ||
      parsed.error().field != "return_api") {
    return "<wrong code or field>";
  }
  return parsed.error().message;
}

}  // namespace

TEST_CASE("ParseHttpUrl splits scheme, host, port and target") {
  const hooks::HttpUrl url = Parse("HTTPS://Api.Example.COM:8443/hooks/a?x=1#frag");
  CHECK(url.scheme == "https");
  CHECK(url.host == "api.example.com");
  CHECK(url.port == 8443);
  CHECK(url.explicit_port);
  CHECK(url.target == "/hooks/a?x=1");
  CHECK_FALSE(url.ipv6_literal);

  const hooks::HttpUrl plain = Parse("http://api.server.com");
  CHECK(plain.port == 80);
  CHECK_FALSE(plain.explicit_port);
  CHECK(plain.target == "/");
  CHECK(Parse("https://a.example").port == 443);
  CHECK(Parse("http://a.example?q=1").target == "/?q=1");
  CHECK(Parse("http://my_service:3000/cb").host == "my_service");
  CHECK(Parse("http://127.0.0.1:65535/").port == 65535);
}

TEST_CASE("ParseHttpUrl reads bracketed IPv6 literals") {
  const hooks::HttpUrl url = Parse("http://[::1]:8080/cb");
  CHECK(url.host == "::1");
  CHECK(url.ipv6_literal);
  CHECK(url.port == 8080);
  CHECK(Parse("http://[::FFFF:127.0.0.1]/").host == "::ffff:127.0.0.1");
  CHECK(Refusal("http://[::1/") == "URL has an unterminated IPv6 literal");
  CHECK(Refusal("http://[::1]x/") == "URL has text after the IPv6 literal");
  CHECK(Refusal("http://[fe80::1%25eth0]/") == "URL has a malformed IPv6 literal");
  CHECK(Refusal("http://[v1.abc]/") == "URL has a malformed IPv6 literal");
  CHECK(Refusal("http://[]/") == "URL has a malformed IPv6 literal");
}

TEST_CASE("ParseHttpUrl refuses other schemes and credentials") {
  CHECK(Refusal("ftp://example.com/") == "URL scheme must be http or https");
  CHECK(Refusal("file:///etc/passwd") == "URL scheme must be http or https");
  CHECK(Refusal("gopher://127.0.0.1:6379/") == "URL scheme must be http or https");
  CHECK(Refusal("example.com/cb") == "URL must start with http:// or https://");
  CHECK(Refusal("http:/example.com") == "URL must start with http:// or https://");
  CHECK(Refusal("https://sns.us-east-1.amazonaws.com@evil.com/") ==
        "URL must not contain credentials ('@' before the host)");
  CHECK(Refusal("http://user:pw@example.com/") ==
        "URL must not contain credentials ('@' before the host)");
  // An '@' after the authority is just part of the path.
  CHECK(Parse("http://example.com/a@b").host == "example.com");
}

TEST_CASE("ParseHttpUrl refuses hosts that parsers read differently") {
  CHECK(Refusal("") == "URL is empty");
  CHECK(Refusal("http://") == "URL has no host");
  CHECK(Refusal("http://:80/") == "URL has no host");
  for (const std::string_view url :
       {"http://exa mple.com/", "http://example.com\\@evil.com/", "http://example.com/\tx",
        "http://ex\xc3\xa4mple.com/", "http://example.com/\"", "http://ex%61mple.com/",
        "http://example.com./", "http://.example.com/", "http://a..b/", "http://-*.com/"}) {
    CAPTURE(url);
    CHECK(Refusal(url) != "ok");
  }
  CHECK(Refusal("http://" + std::string(2048, 'a')) == "URL is longer than 2048 bytes");
}

TEST_CASE("ParseHttpUrl refuses bad ports") {
  for (const std::string_view url :
       {"http://example.com:/", "http://example.com:0/", "http://example.com:65536/",
        "http://example.com:123456/", "http://example.com:-1/", "http://example.com:8a/",
        "http://example.com:80:81/", "http://[::1]:/"}) {
    CAPTURE(url);
    CHECK(Refusal(url) == "URL port must be a number from 1 to 65535");
  }
}
