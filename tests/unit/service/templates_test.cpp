#include "service/templates.h"

#include <doctest/doctest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "store/sqlite/sqlite_store.h"
#include "testing/fake_clock.h"
#include "testing/fault_store.h"
#include "testing/temp_dir.h"
#include "tmpl/template.h"

namespace {

using core::ErrorCode;
using nlohmann::json;
using service::SaveMode;

constexpr core::TimeMs kStart = 1'700'000'000'000;

// The seed contract's example template (its "Email Templates" section).
constexpr const char* kSeedHtml =
    R"(<div style="font-size: 14px; line-height: 140%; word-wrap: break-word;">
  <p style="line-height: 140%;">Dear {{-NAME-}},</p>
  <p style="line-height: 140%;"> </p>
  <p style="line-height: 140%;">
    You account balance is ready for {{-BALANCE-}} a/c {{-ACCOUNT-}}. You
    balance is due {{-DATE-}}. If you have any issues making your payment please
    email us at {{-SUPPORT_EMAIL-}}.
  </p>
  <p style="line-height: 140%;"> </p>
  <p style="line-height: 140%;">Thank you</p>
  <p style="line-height: 140%;">Managment.</p>
</div>)";

store::Template Make(std::string name, std::string html, std::string subject = "",
                     std::string text = "") {
  store::Template tmpl;
  tmpl.name = std::move(name);
  tmpl.html = std::move(html);
  tmpl.subject = std::move(subject);
  tmpl.text = std::move(text);
  return tmpl;
}

struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<store::Store> sqlite;
  std::unique_ptr<testing::FaultStore> store;
  testing::FakeClock clock{kStart};
  std::unique_ptr<service::TemplateService> templates;

  Fixture() {
    auto opened = store::OpenSqliteStore({dir.File("outbox.db")});
    REQUIRE(opened.ok());
    sqlite = std::move(*opened);
    store = std::make_unique<testing::FaultStore>(*sqlite);
    templates = std::make_unique<service::TemplateService>(*store, clock);
  }

  store::Template Save(const store::Template& tmpl, SaveMode mode = SaveMode::kCreateOrUpdate) {
    auto saved = templates->Save(tmpl, mode);
    REQUIRE_MESSAGE(saved.ok(), saved.error().message);
    return std::move(*saved);
  }

  core::Error SaveError(const store::Template& tmpl, SaveMode mode = SaveMode::kCreateOrUpdate) {
    auto saved = templates->Save(tmpl, mode);
    REQUIRE_FALSE(saved.ok());
    return saved.error();
  }

  service::RenderedTemplate Preview(const std::string& name, const json& data) {
    auto rendered = templates->Preview(name, data);
    REQUIRE_MESSAGE(rendered.ok(), rendered.error().message);
    return std::move(*rendered);
  }

  bool Exists(const std::string& name) { return templates->Get(name, std::nullopt).ok(); }
};

}  // namespace

TEST_CASE("template names: 1-255 characters of text without control characters or '/'") {
  for (const char* good : {"welcome-email", "a", "Welcome_Email.v2", "0-9", "Sample Template 11",
                           "caf\xC3\xA9 & co. (v2)", "100%", "a.b", "..."}) {
    CHECK_MESSAGE(service::ValidateTemplateName(good).ok(), good);
  }
  CHECK(service::ValidateTemplateName(std::string(255, 'a')).ok());
  std::string wide;
  for (int i = 0; i < 255; ++i) wide += "\xC3\xA9";  // 255 characters, 510 bytes
  CHECK(service::ValidateTemplateName(wide).ok());
  for (const std::string& bad :
       {std::string(), std::string(256, 'a'), wide + "e", std::string("../etc"), std::string("a/b"),
        std::string("."), std::string(".."), std::string(" padded"), std::string("padded "),
        std::string("a\nb"), std::string("a\tb"), std::string("a\x7F"), std::string("a\xC2\x85"),
        std::string("bad \xC3"), std::string("\xED\xA0\x80")}) {
    auto valid = service::ValidateTemplateName(bad);
    REQUIRE_FALSE(valid.ok());
    CHECK(valid.error().code == ErrorCode::kInvalidArgument);
    CHECK(valid.error().field == "name");
  }
}

TEST_CASE("text-only templates: no html, the text rendered, no html part") {
  store::Template tmpl;
  tmpl.name = "text only";
  tmpl.subject = "Hi {{name}}";
  tmpl.text = "Dear {{name}} <b>";
  CHECK(service::ValidateTemplate(tmpl).ok());
  auto rendered = service::RenderTemplate(tmpl, {{"name", "Ada & Bo"}});
  REQUIRE(rendered.ok());
  CHECK(rendered->subject == "Hi Ada & Bo");
  CHECK(rendered->text == "Dear Ada & Bo <b>");
  CHECK(rendered->html.empty());
  tmpl.text.clear();
  auto empty = service::ValidateTemplate(tmpl);
  REQUIRE_FALSE(empty.ok());
  CHECK(empty.error().field == "html");
}

TEST_CASE("template save: each save is a new version; create and update modes") {
  Fixture f;
  store::Template first = f.Save(Make("welcome", "<p>1</p>", "Hi"), SaveMode::kCreate);
  CHECK(first.version == 1);
  CHECK(first.created_at == kStart);
  CHECK(f.SaveError(Make("welcome", "<p>x</p>"), SaveMode::kCreate).code ==
        ErrorCode::kAlreadyExists);

  f.clock.Advance(std::chrono::seconds(1));
  store::Template second = f.Save(Make("welcome", "<p>2</p>"));
  CHECK(second.version == 2);
  CHECK(second.created_at == kStart);
  CHECK(second.updated_at == kStart + 1000);

  store::Template third = f.Save(Make("welcome", "<p>3</p>", "Hello"), SaveMode::kUpdate);
  CHECK(third.version == 3);
  CHECK(f.SaveError(Make("missing", "<p>x</p>"), SaveMode::kUpdate).code == ErrorCode::kNotFound);
  CHECK_FALSE(f.Exists("missing"));

  auto current = f.templates->Get("welcome", std::nullopt);
  REQUIRE(current.ok());
  CHECK(current->html == "<p>3</p>");
  CHECK(current->subject == "Hello");
  auto old = f.templates->Get("welcome", 1);
  REQUIRE(old.ok());
  CHECK(old->html == "<p>1</p>");
  auto versions = f.templates->Versions("welcome");
  REQUIRE(versions.ok());
  CHECK(versions->size() == 3);
}

TEST_CASE("template save: refused before anything is stored") {
  Fixture f;
  struct Case {
    store::Template tmpl;
    ErrorCode code;
    const char* field;
  };
  const Case cases[] = {
      {Make("bad/name", "<p>x</p>"), ErrorCode::kInvalidArgument, "name"},
      {Make("t", ""), ErrorCode::kInvalidArgument, "html"},
      {Make("t", "<p>{{#items}}</p>"), ErrorCode::kInvalidArgument, "template"},
      {Make("t", "<p>{{-NAME}}</p>"), ErrorCode::kInvalidArgument, "template"},
      {Make("t", "<p>{{>partial}}</p>"), ErrorCode::kInvalidArgument, "template"},
      {Make("t", "<p>x</p>", "Hi {{name"), ErrorCode::kInvalidArgument, "subject"},
      {Make("t", "<p>x</p>", "Hi\r\nBcc: x@example.com"), ErrorCode::kInvalidArgument, "subject"},
      {Make("t", "<p>x</p>", std::string(999, 's')), ErrorCode::kInvalidArgument, "subject"},
      {Make("t", "<p>x</p>", "", "{{/x}}"), ErrorCode::kInvalidArgument, "text"},
      {Make("t", std::string(tmpl::kMaxTemplateBytes + 1, 'x')), ErrorCode::kPayloadTooLarge,
       "html"},
      {Make("t", "<p>x</p>", "", std::string(tmpl::kMaxTemplateBytes + 1, 'x')),
       ErrorCode::kPayloadTooLarge, "text"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.field);
    core::Error error = f.SaveError(c.tmpl);
    CHECK(error.code == c.code);
    CHECK(error.field == c.field);
  }
  CHECK(f.store->Calls("SaveTemplate") == 0);
  // Exactly at the limit is fine.
  CHECK(f.Save(Make("t", std::string(tmpl::kMaxTemplateBytes, 'x'))).version == 1);
}

TEST_CASE("template syntax errors name the line and column") {
  Fixture f;
  core::Error error = f.SaveError(Make("t", "<p>\n{{#a}}</p>"));
  CHECK(error.message.find("line 2") != std::string::npos);
  error = f.SaveError(Make("t", "<p>x</p>", "{{#a}}"));
  CHECK(error.message.rfind("subject: ", 0) == 0);
}

TEST_CASE("template preview: the seed's example, html escaped, subject and text verbatim") {
  Fixture f;
  f.Save(Make("welcome-email", kSeedHtml, "Balance for {{-NAME-}}"));
  const json data = {{"NAME", "Ada <b>"},
                     {"BALANCE", "$10"},
                     {"ACCOUNT", "42"},
                     {"DATE", "1 May"},
                     {"SUPPORT_EMAIL", "help@example.com"}};
  service::RenderedTemplate rendered = f.Preview("welcome-email", data);
  CHECK(rendered.subject == "Balance for Ada <b>");
  CHECK(rendered.html.find("Dear Ada &lt;b&gt;,") != std::string::npos);
  CHECK(rendered.html.find("ready for $10 a/c 42") != std::string::npos);
  CHECK(rendered.html.find("{{") == std::string::npos);
  // No text template: the text comes from the rendered HTML, entities decoded.
  CHECK(rendered.text.find("Dear Ada <b>,") != std::string::npos);
  CHECK(rendered.text.find("<p") == std::string::npos);
  CHECK(rendered.text.find("help@example.com") != std::string::npos);

  f.Save(Make("plain", "<p>{{name}}</p>", "", "Hi {{name}} & bye"));
  rendered = f.Preview("plain", {{"name", "<b>Bo</b>"}});
  CHECK(rendered.html == "<p>&lt;b&gt;Bo&lt;/b&gt;</p>");
  CHECK(rendered.text == "Hi <b>Bo</b> & bye");
  CHECK(rendered.subject.empty());
}

TEST_CASE("template preview: missing variables are named; old versions can be previewed") {
  Fixture f;
  f.Save(Make("t", "<p>{{-NAME-}} {{-DATE-}}</p>", "For {{who}}"));
  auto rendered = f.templates->Preview("t", {{"NAME", "Ada"}, {"who", "x"}});
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().code == ErrorCode::kInvalidArgument);
  CHECK(rendered.error().field == "data.DATE");
  rendered = f.templates->Preview("t", {{"NAME", "Ada"}, {"DATE", "now"}});
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().field == "data.who");
  rendered = f.templates->Preview("t", json::array());
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().field == "data");
  // A value with a line break cannot end up in the subject header.
  rendered = f.templates->Preview("t", {{"NAME", "a"}, {"DATE", "b"}, {"who", "x\r\nBcc: y"}});
  REQUIRE_FALSE(rendered.ok());
  CHECK(rendered.error().field == "data");

  f.Save(Make("t", "<p>v2 {{x}}</p>"));
  auto first = f.templates->Preview("t", {{"NAME", "Ada"}, {"DATE", "now"}, {"who", "x"}}, 1);
  REQUIRE_MESSAGE(first.ok(), first.error().message);
  CHECK(first->html == "<p>Ada now</p>");
  CHECK(f.Preview("t", {{"x", 2}}).html == "<p>v2 2</p>");
  CHECK(f.templates->Preview("t", json::object(), 9).error().code == ErrorCode::kNotFound);
  CHECK(f.templates->Preview("nope", json::object()).error().code == ErrorCode::kNotFound);
}

TEST_CASE("template draft preview: renders what is being edited, checks it, stores nothing") {
  Fixture f;
  f.Save(Make("t", "<p>stored {{x}}</p>", "Stored"));
  auto rendered =
      f.templates->PreviewDraft(Make("t", "<p>draft {{x}}</p>", "Hi {{x}}"), {{"x", "<b>"}});
  REQUIRE_MESSAGE(rendered.ok(), rendered.error().message);
  CHECK(rendered->html == "<p>draft &lt;b&gt;</p>");
  CHECK(rendered->subject == "Hi <b>");
  CHECK(f.Preview("t", {{"x", 1}}).html == "<p>stored 1</p>");  // nothing was saved
  CHECK(f.templates->Versions("t")->size() == 1);
  // A draft of a template not stored yet renders too.
  CHECK(f.templates->PreviewDraft(Make("new", "<p>{{x}}</p>"), {{"x", 1}}).ok());
  // Syntax errors are the save's; missing data is the preview's.
  auto broken = f.templates->PreviewDraft(Make("t", "<p>{{#x}}</p>"), {{"x", 1}});
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().code == ErrorCode::kInvalidArgument);
  CHECK(broken.error().field == "template");
  auto subject = f.templates->PreviewDraft(Make("t", "<p>a</p>", "{{#open}}"), json::object());
  REQUIRE_FALSE(subject.ok());
  CHECK(subject.error().field == "subject");
  auto missing = f.templates->PreviewDraft(Make("t", "<p>{{y}}</p>"), json::object());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().field == "data.y");
}

TEST_CASE("template render for senders: the current version; a missing template names it") {
  Fixture f;
  f.Save(Make("receipt", "<p>{{-AMOUNT-}}</p>", "Receipt"));
  auto rendered = f.templates->Render("receipt", {{"AMOUNT", "5 & 6"}});
  REQUIRE_MESSAGE(rendered.ok(), rendered.error().message);
  CHECK(rendered->html == "<p>5 &amp; 6</p>");
  CHECK(rendered->text == "5 & 6");
  CHECK(rendered->subject == "Receipt");
  auto missing = f.templates->Render("Receipt", json::object());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().code == ErrorCode::kNotFound);
  CHECK(missing.error().field == "template");
  auto unfilled = f.templates->Render("receipt", json::object());
  REQUIRE_FALSE(unfilled.ok());
  CHECK(unfilled.error().field == "data.AMOUNT");
}

TEST_CASE("template list: pages by name with the total; bad page or limit refused") {
  Fixture f;
  for (const char* name : {"e", "d", "c", "b", "a"}) f.Save(Make(name, "<p>x</p>"));
  auto page = f.templates->List(2, 2);
  REQUIRE(page.ok());
  REQUIRE(page->templates.size() == 2);
  CHECK(page->templates[0].name == "c");
  CHECK(page->templates[1].name == "d");
  CHECK(page->total == 5);
  page = f.templates->List(1'000'000'000, service::kMaxTemplatePageSize);
  REQUIRE(page.ok());
  CHECK(page->templates.empty());
  CHECK(page->total == 5);
  CHECK(f.templates->List(0, 5).error().field == "page");
  CHECK(f.templates->List(1, 0).error().field == "limit");
  CHECK(f.templates->List(1, service::kMaxTemplatePageSize + 1).error().field == "limit");
}

TEST_CASE("template delete: gone with its versions; a second delete is kNotFound") {
  Fixture f;
  f.Save(Make("t", "<p>1</p>"));
  f.Save(Make("t", "<p>2</p>"));
  CHECK(f.templates->Delete("t").ok());
  CHECK_FALSE(f.Exists("t"));
  CHECK(f.templates->Versions("t").error().code == ErrorCode::kNotFound);
  CHECK(f.templates->Delete("t").error().code == ErrorCode::kNotFound);
  CHECK(f.Save(Make("t", "<p>new</p>")).version == 1);
}

TEST_CASE("template store failures come back as they are; nothing half-saved") {
  Fixture f;
  f.store->FailNthCall("SaveTemplate", 1);
  CHECK(f.SaveError(Make("t", "<p>1</p>")).code == ErrorCode::kUnavailable);
  CHECK_FALSE(f.Exists("t"));
  f.Save(Make("t", "<p>1</p>"));
  f.store->FailNthCall("GetTemplate", 1);
  CHECK(f.templates->Render("t", json::object()).error().code == ErrorCode::kUnavailable);
  f.store->FailNthCall("DeleteTemplate", 1);
  CHECK(f.templates->Delete("t").error().code == ErrorCode::kUnavailable);
  CHECK(f.Exists("t"));
}
