#include "hooks/url_guard.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

bool Forbidden(std::string_view text) {
  const auto address = hooks::ParseIpAddress(text);
  REQUIRE_MESSAGE(address.ok(), text);
  return hooks::IsForbiddenCallbackAddress(*address);
}

// A resolver that answers every name with `addresses` (IP literals), without DNS.
hooks::HostResolver FakeResolver(std::vector<std::string> addresses) {
  return [addresses = std::move(addresses)](
             const std::string&) -> core::Result<std::vector<hooks::IpAddress>> {
    std::vector<hooks::IpAddress> out;
    out.reserve(addresses.size());
    for (const std::string& text : addresses) {
      out.push_back(*hooks::ParseIpAddress(text));
    }
    return out;
  };
}

// "ok", or the message of a rejection naming the field "callback_url".
std::string Check(std::string_view url) {
  const core::Status status = hooks::CheckCallbackUrl(url, "callback_url");
  if (status.ok()) {
    return "ok";
  }
  if (status.error().field != "callback_url") {
    return "<field '" + status.error().field + "'>";
  }
  return status.error().message;
}

}  // namespace

TEST_CASE("IsForbiddenCallbackAddress refuses metadata, link-local, unspecified, multicast") {
  for (const std::string_view text : {"169.254.169.254",
                                      "169.254.0.1",
                                      "169.254.255.255",
                                      "100.100.100.200",
                                      "0.0.0.0",
                                      "0.1.2.3",
                                      "224.0.0.1",
                                      "239.255.255.250",
                                      "240.0.0.1",
                                      "255.255.255.255",
                                      "::",
                                      "fe80::1",
                                      "febf:ffff::1",
                                      "fd00:ec2::254",
                                      "ff02::1",
                                      "ff05::1:3",
                                      "::ffff:169.254.169.254",
                                      "::ffff:0.0.0.0",
                                      "::ffff:224.0.0.1",
                                      "::ffff:100.100.100.200",
                                      "64:ff9b::a9fe:a9fe"}) {
    CAPTURE(text);
    CHECK(Forbidden(text));
  }
}

TEST_CASE("IsForbiddenCallbackAddress allows loopback, private and public addresses") {
  for (const std::string_view text :
       {"127.0.0.1",       "127.1.2.3",     "10.0.0.5",         "172.16.0.1",
        "192.168.1.10",    "100.64.0.1",    "100.100.100.201",  "169.253.255.255",
        "169.255.0.0",     "8.8.8.8",       "223.255.255.255",  "::1",
        "fc00::1",         "fd00:ec2::253", "fec0::1",          "fe7f::1",
        "fec0::",          "2001:db8::1",   "::ffff:127.0.0.1", "::ffff:10.1.2.3",
        "64:ff9b::808:808"}) {
    CAPTURE(text);
    CHECK_FALSE(Forbidden(text));
  }
}

TEST_CASE("IsForbiddenCallbackAddress on socket addresses") {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  REQUIRE(inet_pton(AF_INET, "169.254.169.254", &v4.sin_addr) == 1);
  CHECK(hooks::IsForbiddenCallbackAddress(reinterpret_cast<const sockaddr*>(&v4)));
  REQUIRE(inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr) == 1);
  CHECK_FALSE(hooks::IsForbiddenCallbackAddress(reinterpret_cast<const sockaddr*>(&v4)));

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  REQUIRE(inet_pton(AF_INET6, "::ffff:169.254.169.254", &v6.sin6_addr) == 1);
  CHECK(hooks::IsForbiddenCallbackAddress(reinterpret_cast<const sockaddr*>(&v6)));
  REQUIRE(inet_pton(AF_INET6, "::1", &v6.sin6_addr) == 1);
  CHECK_FALSE(hooks::IsForbiddenCallbackAddress(reinterpret_cast<const sockaddr*>(&v6)));

  sockaddr_un local{};
  local.sun_family = AF_UNIX;
  CHECK(hooks::IsForbiddenCallbackAddress(reinterpret_cast<const sockaddr*>(&local)));
  CHECK(hooks::IsForbiddenCallbackAddress(static_cast<const sockaddr*>(nullptr)));
}

TEST_CASE("ParseIpAddress and FormatIpAddress") {
  CHECK(hooks::FormatIpAddress(*hooks::ParseIpAddress("10.0.0.1")) == "10.0.0.1");
  CHECK(hooks::FormatIpAddress(*hooks::ParseIpAddress("FD00:EC2:0::254")) == "fd00:ec2::254");
  CHECK(*hooks::ParseIpAddress("1.2.3.4") == hooks::IpAddress::V4(1, 2, 3, 4));
  CHECK_FALSE(hooks::ParseIpAddress("127.1").ok());
  CHECK_FALSE(hooks::ParseIpAddress("[::1]").ok());
  CHECK_FALSE(hooks::ParseIpAddress("localhost").ok());
}

TEST_CASE("ResolveCallbackUrl refuses a host if any of its addresses is forbidden") {
  // DNS rebinding-style answer: one harmless address, one metadata address.
  const auto mixed = hooks::ResolveCallbackUrl("https://hooks.example.com/cb", "return_api",
                                               FakeResolver({"93.184.216.34", "169.254.169.254"}));
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().code == core::ErrorCode::kInvalidArgument);
  CHECK(mixed.error().field == "return_api");
  CHECK(mixed.error().message.find("169.254.169.254") != std::string::npos);

  const auto v6 = hooks::ResolveCallbackUrl("https://hooks.example.com/cb", "return_api",
                                            FakeResolver({"2001:db8::1", "fe80::1"}));
  CHECK_FALSE(v6.ok());

  const auto fine = hooks::ResolveCallbackUrl("https://hooks.example.com:8443/cb", "return_api",
                                              FakeResolver({"93.184.216.34", "10.0.0.2"}));
  REQUIRE(fine.ok());
  CHECK(fine->url.host == "hooks.example.com");
  CHECK(fine->url.port == 8443);
  CHECK(fine->addresses.size() == 2);

  const auto none =
      hooks::ResolveCallbackUrl("https://hooks.example.com/", "return_api", FakeResolver({}));
  REQUIRE_FALSE(none.ok());
  CHECK(none.error().field == "return_api");
}

TEST_CASE("ResolveCallbackUrl passes resolver failures on under the caller's field") {
  const hooks::HostResolver failing = [](const std::string&) {
    return core::Result<std::vector<hooks::IpAddress>>(core::Unavailable("DNS timed out"));
  };
  const auto result = hooks::ResolveCallbackUrl("http://hooks.example.com/", "webhook", failing);
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == core::ErrorCode::kUnavailable);
  CHECK(result.error().field == "webhook");

  bool called = false;
  const hooks::HostResolver spy = [&](const std::string&) {
    called = true;
    return core::Result<std::vector<hooks::IpAddress>>(std::vector<hooks::IpAddress>{});
  };
  const auto bad = hooks::ResolveCallbackUrl("ftp://hooks.example.com/", "webhook", spy);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().field == "webhook");
  CHECK_FALSE(called);  // a bad URL is refused before any lookup
}

TEST_CASE("CheckCallbackUrl with the system resolver: literals and localhost only") {
  CHECK(Check("http://127.0.0.1:8080/cb") == "ok");
  CHECK(Check("http://localhost:3000/task-tracking-1") == "ok");
  CHECK(Check("http://[::1]:8080/cb") == "ok");
  CHECK(Check("https://10.1.2.3/cb") == "ok");
  CHECK(Check("http://169.254.169.254/latest/meta-data/") != "ok");
  CHECK(Check("http://[::ffff:169.254.169.254]/") != "ok");
  CHECK(Check("http://[::ffff:a9fe:a9fe]/") != "ok");
  CHECK(Check("http://[fd00:ec2::254]/") != "ok");
  CHECK(Check("http://[fe80::1]/") != "ok");
  CHECK(Check("http://0.0.0.0:8080/") != "ok");
  CHECK(Check("http://[::]:8080/") != "ok");
  CHECK(Check("http://100.100.100.200/") != "ok");
  CHECK(Check("http://255.255.255.255/") != "ok");
  CHECK(Check("http://224.0.0.251/") != "ok");
  // Legacy numeric spellings are resolved the way the HTTP client will read them.
  CHECK(Check("http://2852039166/") != "ok");   // 169.254.169.254
  CHECK(Check("http://0/") != "ok");            // 0.0.0.0
  CHECK(Check("http://0x7f.1:8080/") == "ok");  // 127.0.0.1
  CHECK(Check("ftp://127.0.0.1/") == "URL scheme must be http or https");
  CHECK(Check("http://user@127.0.0.1/") ==
        "URL must not contain credentials ('@' before the host)");
}
