#include "http/message.h"

#include <doctest/doctest.h>

#include <string>

namespace {

const char* kType = "multipart/form-data; boundary=XyZ";

std::string Part(const std::string& disposition, const std::string& content,
                 const std::string& type = "") {
  std::string part = "--XyZ\r\nContent-Disposition: " + disposition + "\r\n";
  if (!type.empty()) part += "Content-Type: " + type + "\r\n";
  return part + "\r\n" + content + "\r\n";
}

}  // namespace

TEST_CASE("ParseMultipartForm reads fields and files, in any parameter order") {
  const std::string body =
      Part("form-data; name=\"email\"", "a@example.com") +
      Part("form-data; filename=\"r.pdf\"; name=files", "%PDF-1\r\n\r\nx", "application/pdf") +
      Part("form-data; name=\"files\"; filename=\"b.txt\"", "") + "--XyZ--\r\n";
  http::FormParts parts;
  REQUIRE(http::ParseMultipartForm(kType, body, parts));
  REQUIRE(parts.size() == 3);
  CHECK(parts.find("email")->second.content == "a@example.com");
  CHECK(parts.find("email")->second.filename.empty());
  auto [first, last] = parts.equal_range("files");
  REQUIRE(std::distance(first, last) == 2);
  CHECK(first->second.filename == "r.pdf");
  CHECK(first->second.content == "%PDF-1\r\n\r\nx");
  CHECK(first->second.content_type == "application/pdf");
  CHECK(std::next(first)->second.filename == "b.txt");
  CHECK(std::next(first)->second.content.empty());
}

TEST_CASE("ParseMultipartForm takes a quoted boundary and a preamble") {
  http::FormParts parts;
  const std::string body = "preamble\r\n" + Part("form-data; name=a", "1") + "--XyZ--";
  REQUIRE(http::ParseMultipartForm("multipart/form-data; boundary=\"XyZ\"", body, parts));
  CHECK(parts.find("a")->second.content == "1");
}

TEST_CASE("ParseMultipartForm refuses bodies not in the form, and too many parts") {
  http::FormParts parts;
  CHECK_FALSE(http::ParseMultipartForm("multipart/form-data", "--XyZ--", parts));
  CHECK_FALSE(http::ParseMultipartForm(kType, "no delimiter", parts));
  CHECK_FALSE(http::ParseMultipartForm(kType, Part("form-data; name=a", "1"), parts));  // no end
  CHECK_FALSE(http::ParseMultipartForm(kType, "--XyZ\r\nno blank line\r\n--XyZ--", parts));
  std::string many;
  for (int i = 0; i < 5; ++i) many += Part("form-data; name=a", "1");
  http::FormParts capped;
  CHECK_FALSE(http::ParseMultipartForm(kType, many + "--XyZ--", capped, 4));
  http::FormParts enough;
  CHECK(http::ParseMultipartForm(kType, many + "--XyZ--", enough, 5));
}

TEST_CASE("A Content-Disposition broken by a bare line feed leaves the part without a name") {
  http::FormParts parts;
  const std::string body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\nb\"\r\n\r\nx\r\n"
      "--XyZ--";
  REQUIRE(http::ParseMultipartForm(kType, body, parts));
  CHECK(parts.count("") == 1);
  CHECK(parts.count("files") == 0);
}

TEST_CASE("ParseQuery and DecodePercent") {
  const http::Params params = http::ParseQuery("a=1&b=x%20y+z&&c&a=2&%41=%zz");
  CHECK(params.count("a") == 2);
  CHECK(params.find("b")->second == "x y z");
  CHECK(params.find("c")->second.empty());
  CHECK(params.find("A")->second == "%zz");
  CHECK(http::DecodePercent("/v1/templates/a%2Fb+c", false) == "/v1/templates/a/b+c");
  CHECK(http::DecodePercent("%", false) == "%");
  CHECK(http::DecodePercent("%4", false) == "%4");
}

TEST_CASE("Headers compare names without case; set_header replaces") {
  http::Request request;
  request.headers.emplace("content-type", "text/plain");
  CHECK(request.get_header_value("Content-Type") == "text/plain");
  CHECK_FALSE(request.is_multipart_form_data());
  request.headers.emplace("Content-Type", "x");
  CHECK(request.get_header_value("CONTENT-TYPE") == "text/plain");  // the first one
  http::Response response;
  response.set_header("X-A", "1");
  response.set_header("x-a", "2");
  CHECK(response.headers.size() == 1);
  CHECK(response.headers.find("X-A")->second == "2");
}
