#include "tmpl/template.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Json = nlohmann::json;
using tmpl::Escape;
using tmpl::Template;

Template MustParse(std::string_view text) {
  auto parsed = Template::Parse(text);
  INFO("parse error: ", parsed.ok() ? std::string() : parsed.error().message);
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

// The rendered text, or "<error field: message>" so mismatches show what went wrong.
std::string Render(std::string_view text, const Json& data, Escape escape = Escape::kHtml) {
  const auto rendered = MustParse(text).Render(data, escape);
  if (!rendered.ok()) {
    return "<error " + rendered.error().field + ": " + rendered.error().message + ">";
  }
  return *rendered;
}

// The error of a template that must not parse.
core::Error ParseError(std::string_view text) {
  const auto parsed = Template::Parse(text);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error();
}

// The error of a render that must fail.
core::Error RenderError(std::string_view text, const Json& data) {
  const auto rendered = MustParse(text).Render(data, Escape::kHtml);
  REQUIRE_FALSE(rendered.ok());
  return rendered.error();
}

bool Contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("seed {{-NAME-}} placeholders are filled from data") {
  CHECK(Render("Dear {{-NAME-}}, you owe {{-BALANCE-}}.", {{"NAME", "Ann"}, {"BALANCE", "$5"}}) ==
        "Dear Ann, you owe $5.");
  CHECK(Render("{{- NAME -}}", {{"NAME", "spaces inside are ignored"}}) ==
        "spaces inside are ignored");
  CHECK(Render("{{-user.name-}}", {{"user", {{"name", "dotted"}}}}) == "dotted");
}

TEST_CASE("the seed contract's example template renders") {
  const std::string html = R"(<p style="line-height: 140%;">Dear {{-NAME-}},</p>
<p style="line-height: 140%;">
  You account balance is ready for {{-BALANCE-}} a/c {{-ACCOUNT-}}. You
  balance is due {{-DATE-}}. If you have any issues making your payment please
  email us at {{-SUPPORT_EMAIL-}}.
</p>)";
  const Template page = MustParse(html);
  CHECK(page.Variables() == Names{"ACCOUNT", "BALANCE", "DATE", "NAME", "SUPPORT_EMAIL"});
  const Json data = {{"NAME", "Ann"},
                     {"BALANCE", "R 120.00"},
                     {"ACCOUNT", "0042"},
                     {"DATE", "2024-03-01"},
                     {"SUPPORT_EMAIL", "help@example.com"}};
  const auto rendered = page.Render(data, Escape::kHtml);
  REQUIRE(rendered.ok());
  CHECK(Contains(*rendered, "Dear Ann,</p>"));
  CHECK(Contains(*rendered, "ready for R 120.00 a/c 0042. You\n  balance is due 2024-03-01."));
  CHECK(Contains(*rendered, "email us at help@example.com."));
  CHECK_FALSE(Contains(*rendered, "{{"));
}

TEST_CASE("mustache variables, with and without inner spaces") {
  CHECK(Render("Hello {{name}}!", {{"name", "World"}}) == "Hello World!");
  CHECK(Render("Hello {{ name }}!", {{"name", "World"}}) == "Hello World!");
  CHECK(Render("{{a}}{{-B-}}{{a}}", {{"a", "x"}, {"B", "y"}}) == "xyx");
  CHECK(Render("no tags at all", Json::object()) == "no tags at all");
  CHECK(Render("", Json::object()).empty());
  CHECK(Render("a{{! a comment, {braces} and all }}b", Json::object()) == "ab");
}

TEST_CASE("placeholders mixed with text containing '-' and braces") {
  const Json data = {{"NAME", "Ann"}};
  CHECK(Render("a-b -}} {-NAME-} { {{-NAME-}} } -{{-NAME-}}- x}}y", data) ==
        "a-b -}} {-NAME-} { Ann } -Ann- x}}y");
  CHECK(Render("{{-NAME-}}-}}", data) == "Ann-}}");
  CHECK(Render("}}{{-NAME-}}{", data) == "}}Ann{");
  CHECK(Render("<style>p{margin:0}a{b:c}}</style>{{-NAME-}}", data) ==
        "<style>p{margin:0}a{b:c}}</style>Ann");
  CHECK(Render("--{{-NAME-}}--{{NAME}}--", data) == "--Ann--Ann--");
}

TEST_CASE("HTML escaping") {
  const Json data = {{"v", R"(<a href="x">Tom & Jerry's</a>)"}};
  const std::string escaped = "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;";
  const std::string raw = R"(<a href="x">Tom & Jerry's</a>)";

  SUBCASE("kHtml escapes {{x}} and {{-X-}}, not {{{x}}} or {{&x}}") {
    CHECK(Render("{{v}}", data) == escaped);
    CHECK(Render("{{-v-}}", data) == escaped);
    CHECK(Render("{{{v}}}", data) == raw);
    CHECK(Render("{{{ v }}}", data) == raw);
    CHECK(Render("{{&v}}", data) == raw);
  }
  SUBCASE("kNone inserts every value verbatim") {
    CHECK(Render("{{v}}|{{-v-}}|{{{v}}}|{{&v}}", data, Escape::kNone) ==
          raw + "|" + raw + "|" + raw + "|" + raw);
  }
  SUBCASE("the template's own text is never escaped") {
    CHECK(Render("<b>&amp; \"'</b>{{v}}", {{"v", "&"}}) == "<b>&amp; \"'</b>&amp;");
  }
  SUBCASE("already-escaped values are escaped again") {
    CHECK(Render("{{v}}", {{"v", "&amp;"}}) == "&amp;amp;");
  }
  SUBCASE("UTF-8 passes through") { CHECK(Render("{{v}}", {{"v", "Zoë — 日本"}}) == "Zoë — 日本"); }
}

TEST_CASE("numbers, booleans and null render as their JSON text or nothing") {
  CHECK(Render("{{n}}", {{"n", 3}}) == "3");
  CHECK(Render("{{n}}", {{"n", -12}}) == "-12");
  CHECK(Render("{{n}}", {{"n", 2.5}}) == "2.5");
  CHECK(Render("{{-N-}}", {{"N", 1000000}}) == "1000000");
  CHECK(Render("{{t}} {{f}}", {{"t", true}, {"f", false}}) == "true false");
  CHECK(Render("[{{n}}]", {{"n", nullptr}}) == "[]");
  CHECK(Render("[{{o}}][{{a}}]", {{"o", {{"k", "v"}}}, {"a", {1, 2}}}) == "[][]");
}

TEST_CASE("sections") {
  SUBCASE("a list repeats the section with each item as context") {
    const Json data = {{"items", {{{"name", "a"}}, {{"name", "b"}}}}};
    CHECK(Render("{{#items}}<li>{{name}}</li>{{/items}}", data) == "<li>a</li><li>b</li>");
  }
  SUBCASE("standalone section lines disappear") {
    const Json data = {{"items", {"x", "y"}}};
    CHECK(Render("<ul>\n{{#items}}\n  <li>{{.}}</li>\n{{/items}}\n</ul>\n", data) ==
          "<ul>\n  <li>x</li>\n  <li>y</li>\n</ul>\n");
  }
  SUBCASE("booleans keep their truth in sections") {
    CHECK(Render("{{#f}}shown{{/f}}{{^f}}hidden{{/f}}", {{"f", true}}) == "shown");
    CHECK(Render("{{#f}}shown{{/f}}{{^f}}hidden{{/f}}", {{"f", false}}) == "hidden");
  }
  SUBCASE("empty list and null are falsy; \"\", 0 and {} are not") {
    const std::string text = "{{#v}}yes{{/v}}{{^v}}no{{/v}}";
    CHECK(Render(text, {{"v", Json::array()}}) == "no");
    CHECK(Render(text, {{"v", nullptr}}) == "no");
    CHECK(Render(text, {{"v", ""}}) == "yes");
    CHECK(Render(text, {{"v", 0}}) == "yes");
    CHECK(Render(text, {{"v", Json::object()}}) == "yes");
  }
  SUBCASE("an object section and dotted names reach nested values") {
    const Json data = {{"user", {{"name", "Ann"}, {"plan", {{"tier", "pro"}}}}}};
    CHECK(Render("{{#user}}{{name}} ({{plan.tier}}){{/user}}", data) == "Ann (pro)");
    CHECK(Render("{{user.name}} {{user.plan.tier}}", data) == "Ann pro");
  }
  SUBCASE("names inside a section fall back to enclosing contexts") {
    const Json data = {{"shop", "Acme"}, {"items", {{{"name", "a"}}, {{"name", "b"}}}}};
    CHECK(Render("{{#items}}{{name}}@{{shop}} {{/items}}", data) == "a@Acme b@Acme ");
  }
  SUBCASE("numbers and booleans in lists") {
    CHECK(Render("{{#v}}{{.}},{{/v}}", {{"v", {1, 2.5, true}}}) == "1,2.5,true,");
  }
  SUBCASE("an inverted section may name absent data") {
    CHECK(Render("{{^premium}}Upgrade now{{/premium}}", Json::object()) == "Upgrade now");
  }
  SUBCASE("a hidden section's names need not be present") {
    CHECK(Render("{{#show}}{{absent}}{{/show}}done", {{"show", false}}) == "done");
  }
}

TEST_CASE("a variable missing from data is refused, naming it") {
  SUBCASE("mustache variable") {
    const core::Error error = RenderError("Hi {{name}}", {{"other", "x"}});
    CHECK(error.code == core::ErrorCode::kInvalidArgument);
    CHECK(error.field == "data.name");
    CHECK(Contains(error.message, "\"name\""));
  }
  SUBCASE("seed placeholder") {
    const core::Error error = RenderError("Dear {{-NAME-}} {{-DATE-}}", {{"NAME", "Ann"}});
    CHECK(error.code == core::ErrorCode::kInvalidArgument);
    CHECK(error.field == "data.DATE");
    CHECK(Contains(error.message, "\"DATE\""));
  }
  SUBCASE("raw variable and section") {
    CHECK(RenderError("{{{html}}}", Json::object()).field == "data.html");
    CHECK(RenderError("{{#items}}x{{/items}}", Json::object()).field == "data.items");
  }
  SUBCASE("dotted name with a missing leaf") {
    const core::Error error = RenderError("{{user.email}}", {{"user", {{"name", "Ann"}}}});
    CHECK(error.field == "data.user.email");
  }
  SUBCASE("inside a section, the message names the section") {
    const core::Error error =
        RenderError("{{#items}}{{price}}{{/items}}", {{"items", {{{"name", "a"}}}}});
    CHECK(error.field == "data.price");
    CHECK(Contains(error.message, "\"price\""));
    CHECK(Contains(error.message, "\"items\""));
  }
  SUBCASE("the first missing variable is the one reported") {
    CHECK(RenderError("{{a}}{{b}}", Json::object()).field == "data.a");
  }
  SUBCASE("null is present, not missing") { CHECK(Render("[{{v}}]", {{"v", nullptr}}) == "[]"); }
}

TEST_CASE("data must be a JSON object") {
  const Template page = MustParse("{{x}}");
  for (const Json& data : {Json::array({1}), Json("text"), Json(3), Json(nullptr)}) {
    const auto rendered = page.Render(data, Escape::kHtml);
    REQUIRE_FALSE(rendered.ok());
    CHECK(rendered.error().code == core::ErrorCode::kInvalidArgument);
    CHECK(rendered.error().field == "data");
  }
}

TEST_CASE("Variables lists the top-level names of both syntaxes, sorted and unique") {
  CHECK(MustParse("").Variables().empty());
  CHECK(MustParse("{{b}} {{-A-}} {{b}} {{{c}}} {{&d}}").Variables() == Names{"A", "b", "c", "d"});
  CHECK(MustParse("{{#items}}{{name}}{{.}}{{/items}}{{^vip}}x{{/vip}}").Variables() ==
        Names{"items", "vip"});
  CHECK(MustParse("{{user.name}} {{user.email}} {{.}}").Variables() ==
        Names{"user.email", "user.name"});
  CHECK(MustParse("{{#a}}{{#b}}{{c}}{{/b}}{{/a}}{{! not a name }}").Variables() == Names{"a"});
}

TEST_CASE("syntax errors name the problem and where it is") {
  const auto check = [](std::string_view text, std::string_view problem, std::string_view where) {
    const core::Error error = ParseError(text);
    INFO(text, " -> ", error.message);
    CHECK(error.code == core::ErrorCode::kInvalidArgument);
    CHECK(error.field == "template");
    CHECK(Contains(error.message, problem));
    CHECK(Contains(error.message, where));
  };
  check("Hi {{name", "unclosed tag", "line 1, column 4");
  check("Hi {{{name}}", "unclosed tag", "line 1, column 4");
  check("<p>\n  {{#items}}\n{{x}}", "\"items\"", "line 2, column 3");
  check("<p>\n  {{#items}}\n{{x}}", "never closed", "line 2, column 3");
  check("{{/items}}", "closes no open section", "line 1, column 1");
  check("{{#a}}{{#b}}\n{{/a}}{{/b}}", "does not close section \"b\"", "line 2, column 1");
  check("{{> header}}", "partials", "line 1, column 1");
  check("{{=<% %>=}}", "set-delimiter", "line 1, column 1");
  check("{{}}", "empty tag", "line 1, column 1");
  check("ab{{   }}", "empty tag", "line 1, column 3");
  check("{{first name}}", "invalid name \"first name\"", "line 1, column 1");
  check("{{first-name}}", "invalid name", "line 1, column 1");
  check("{{a..b}}", "invalid name", "line 1, column 1");
  check("{{.a}}", "invalid name", "line 1, column 1");
  check("{{#}}x{{/}}", "invalid name", "line 1, column 1");
  check("x\n\n   {{-NAME}}", "malformed placeholder", "line 3, column 4");
  check("{{NAME-}}", "invalid name", "line 1, column 1");
  check("{{-}}", "malformed placeholder", "line 1, column 1");
  check("{{--}}", "invalid name", "line 1, column 1");
  check("{{{-NAME-}}}", "invalid name", "line 1, column 1");
}

TEST_CASE("error messages quote long names only in part") {
  const std::string name(1000, 'x');
  const core::Error error = ParseError("{{" + name + " y}}");
  CHECK(error.message.size() < 200);
}

TEST_CASE("templates above 500 KB are refused with kPayloadTooLarge on field html") {
  CHECK(tmpl::kMaxTemplateBytes == 512'000);
  const std::string at_limit(tmpl::kMaxTemplateBytes, 'a');
  CHECK(Template::Parse(at_limit).ok());
  const auto too_big = Template::Parse(at_limit + "a");
  REQUIRE_FALSE(too_big.ok());
  CHECK(too_big.error().code == core::ErrorCode::kPayloadTooLarge);
  CHECK(too_big.error().field == "html");
  CHECK(Contains(too_big.error().message, "512000"));
}

TEST_CASE("nesting is bounded") {
  const auto nested = [](std::size_t depth) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) {
      text += "{{#a}}";
    }
    for (std::size_t i = 0; i < depth; ++i) {
      text += "{{/a}}";
    }
    return text;
  };
  SUBCASE("sections up to kMaxSectionDepth deep parse and render") {
    CHECK(Render(nested(tmpl::kMaxSectionDepth) + "ok", {{"a", true}}) == "ok");
  }
  SUBCASE("deeper sections are a syntax error") {
    const core::Error error = ParseError(nested(tmpl::kMaxSectionDepth + 1));
    CHECK(error.field == "template");
    CHECK(Contains(error.message, "nested"));
  }
  SUBCASE("deeply nested data is refused") {
    Json data = "leaf";
    for (std::size_t i = 0; i < tmpl::kMaxDataDepth + 1; ++i) {
      data = Json::array({data});
    }
    const core::Error error = RenderError("{{x}}", {{"x", data}});
    CHECK(error.code == core::ErrorCode::kInvalidArgument);
    CHECK(error.field == "data");
  }
}

TEST_CASE("output is bounded: nested loops over data cannot blow up") {
  Json items = Json::array();
  for (int i = 0; i < 1000; ++i) {
    items.push_back(i);
  }
  const Json data = {{"a", items}};
  SUBCASE("text repeated past the limit") {
    const core::Error error = RenderError("{{#a}}{{#a}}{{#a}}0123456789{{/a}}{{/a}}{{/a}}", data);
    CHECK(error.code == core::ErrorCode::kPayloadTooLarge);
    CHECK(error.field == "data");
  }
  SUBCASE("empty loop bodies count too") {
    const core::Error error = RenderError("{{#a}}{{#a}}{{#a}}{{#a}}{{/a}}{{/a}}{{/a}}{{/a}}", data);
    CHECK(error.code == core::ErrorCode::kPayloadTooLarge);
  }
  SUBCASE("large values count") {
    const Json big = {{"v", std::string(tmpl::kMaxRenderedBytes / 4, 'x')}};
    CHECK(RenderError("{{v}}{{v}}{{v}}{{v}}{{v}}", big).code == core::ErrorCode::kPayloadTooLarge);
  }
  SUBCASE("an ordinary loop is fine") {
    const auto rendered = MustParse("{{#a}}<li>{{.}}</li>{{/a}}").Render(data, Escape::kHtml);
    REQUIRE(rendered.ok());
    CHECK(Contains(*rendered, "<li>999</li>"));
  }
}

TEST_CASE("one Template renders many times, with either escaping") {
  const Template page = MustParse("{{v}}");
  const auto html = page.Render({{"v", "a&b"}}, Escape::kHtml);
  const auto text = page.Render({{"v", "a&b"}}, Escape::kNone);
  const Template copy = page;  // NOLINT(performance-unnecessary-copy-initialization): tested
  const auto again = copy.Render({{"v", "<"}}, Escape::kHtml);
  REQUIRE(html.ok());
  REQUIRE(text.ok());
  REQUIRE(again.ok());
  CHECK(*html == "a&amp;b");
  CHECK(*text == "a&b");
  CHECK(*again == "&lt;");
}

TEST_CASE("concurrent renders of one Template do not interfere") {
  const Template page = MustParse("{{#items}}<{{name}}>{{/items}}");
  std::vector<std::string> results(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < results.size(); ++t) {
    threads.emplace_back([&page, &results, t] {
      const Escape escape = t % 2 == 0 ? Escape::kHtml : Escape::kNone;
      for (int round = 0; round < 50; ++round) {
        const auto rendered =
            page.Render({{"items", {{{"name", "a&" + std::to_string(t)}}}}}, escape);
        results[t] = rendered.ok() ? *rendered : "<error>";
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  CHECK(results == std::vector<std::string>{"<a&amp;0>", "<a&1>", "<a&amp;2>", "<a&3>"});
}
