// The template area (store/template_store.h) of the store contract.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "core/random.h"
#include "store_contract.h"

namespace store_contract {
namespace {

store::TemplateQuery Query(int offset, int limit,
                           store::TemplateOrder order = store::TemplateOrder::kByName,
                           bool bodies = false) {
  store::TemplateQuery query;
  query.offset = offset;
  query.limit = limit;
  query.order = order;
  query.bodies = bodies;
  return query;
}

}  // namespace

void RunTemplateContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  const auto save = [&](const std::string& name, const std::string& html, TimeMs now,
                        int expected_version = 0) {
    store::Template tmpl;
    tmpl.name = name;
    tmpl.version = expected_version;
    tmpl.subject = "Subject of " + name;
    tmpl.html = html;
    tmpl.text = "text " + html;
    core::Result<store::Template> saved = store.SaveTemplate(tmpl, now);
    REQUIRE_MESSAGE(saved.ok(), saved.error().message);
    return std::move(saved).value();
  };
  const auto get = [&](const std::string& name, std::optional<int> version = std::nullopt) {
    core::Result<store::Template> tmpl = store.GetTemplate(name, version);
    REQUIRE_MESSAGE(tmpl.ok(), tmpl.error().message);
    return std::move(tmpl).value();
  };
  const auto page = [&](int offset, int limit) {
    core::Result<store::TemplatePage> listed = store.ListTemplates(Query(offset, limit));
    REQUIRE_MESSAGE(listed.ok(), listed.error().message);
    std::vector<std::string> names;
    for (const store::Template& tmpl : listed->templates) {
      CHECK(tmpl.html.empty());
      CHECK(tmpl.text.empty());
      names.push_back(tmpl.name);
    }
    return std::make_pair(names, listed->total);
  };

  SUBCASE("the first save is version 1; each save adds one; the current one is read back") {
    store::Template first = save("welcome", "<p>one</p>", kT0);
    CHECK(first.version == 1);
    CHECK(first.created_at == kT0);
    CHECK(first.updated_at == kT0);
    store::Template second = save("welcome", "<p>two</p>", kT0 + 5);
    CHECK(second.version == 2);
    CHECK(second.created_at == kT0);
    CHECK(second.updated_at == kT0 + 5);

    store::Template current = get("welcome");
    CHECK(current.version == 2);
    CHECK(current.subject == "Subject of welcome");
    CHECK(current.html == "<p>two</p>");
    CHECK(current.text == "text <p>two</p>");
    CHECK(current.created_at == kT0);
    CHECK(current.updated_at == kT0 + 5);

    store::Template old = get("welcome", 1);
    CHECK(old.version == 1);
    CHECK(old.html == "<p>one</p>");
    CHECK(old.created_at == kT0);
    CHECK(old.updated_at == kT0);
    CHECK(get("welcome", 2).html == "<p>two</p>");
  }

  SUBCASE("missing templates and versions are kNotFound; names are case-sensitive") {
    save("welcome", "<p>one</p>", kT0);
    CHECK(store.GetTemplate("Welcome", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("welcome", 2).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("welcome", 0).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("missing", 1).error().code == ErrorCode::kNotFound);
    CHECK(store.ListTemplateVersions("missing").error().code == ErrorCode::kNotFound);
    CheckCode(store.DeleteTemplate("Welcome"), ErrorCode::kNotFound);
  }

  SUBCASE("the expected version: 1 only creates, n only follows n - 1; nothing written else") {
    save("t", "<p>one</p>", kT0, 1);
    store::Template again;
    again.name = "t";
    again.html = "<p>other</p>";
    again.version = 1;
    CHECK(store.SaveTemplate(again, kT0 + 1).error().code == ErrorCode::kAlreadyExists);
    again.version = 3;
    CHECK(store.SaveTemplate(again, kT0 + 1).error().code == ErrorCode::kFailedPrecondition);
    again.name = "missing";
    CHECK(store.SaveTemplate(again, kT0 + 1).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("missing", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(get("t").version == 1);
    CHECK(save("t", "<p>two</p>", kT0 + 2, 2).version == 2);
    CHECK(get("t").html == "<p>two</p>");

    again.name = "";
    again.version = 0;
    CHECK(store.SaveTemplate(again, kT0).error().code == ErrorCode::kInvalidArgument);
    again.name = "t";
    again.version = -1;
    CHECK(store.SaveTemplate(again, kT0).error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("versions are listed oldest first, without bodies") {
    save("t", "<p>one</p>", kT0);
    save("t", "<p>two</p>", kT0 + 1);
    save("t", "<p>three</p>", kT0 + 2);
    core::Result<std::vector<store::Template>> versions = store.ListTemplateVersions("t");
    REQUIRE_MESSAGE(versions.ok(), versions.error().message);
    REQUIRE(versions->size() == 3);
    for (int i = 0; i < 3; ++i) {
      const store::Template& version = (*versions)[static_cast<std::size_t>(i)];
      CHECK(version.name == "t");
      CHECK(version.version == i + 1);
      CHECK(version.subject == "Subject of t");
      CHECK(version.html.empty());
      CHECK(version.created_at == kT0);
      CHECK(version.updated_at == kT0 + i);
    }
  }

  SUBCASE("pages by name with the total") {
    for (const char* name : {"c", "a", "B", "b", "d"}) save(name, "<p>x</p>", kT0);
    save("a", "<p>y</p>", kT0 + 1);  // a new version is not a new template
    CHECK(page(0, 2) == std::make_pair(std::vector<std::string>{"B", "a"}, std::int64_t{5}));
    CHECK(page(2, 2) == std::make_pair(std::vector<std::string>{"b", "c"}, std::int64_t{5}));
    CHECK(page(4, 2) == std::make_pair(std::vector<std::string>{"d"}, std::int64_t{5}));
    CHECK(page(6, 2) == std::make_pair(std::vector<std::string>{}, std::int64_t{5}));
    CHECK(store.ListTemplates(Query(-1, 2)).error().code == ErrorCode::kInvalidArgument);
    core::Result<store::TemplatePage> listed = store.ListTemplates(Query(0, 1));
    REQUIRE(listed.ok());
    CHECK(listed->templates.front().version == 1);
    CHECK(listed->templates.front().subject == "Subject of B");
  }

  SUBCASE("delete removes the template and its versions; a new save starts at version 1") {
    save("t", "<p>one</p>", kT0);
    save("t", "<p>two</p>", kT0 + 1);
    save("u", "<p>u</p>", kT0);
    CheckOk(store.DeleteTemplate("t"));
    CheckCode(store.DeleteTemplate("t"), ErrorCode::kNotFound);
    CHECK(store.GetTemplate("t", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(store.GetTemplate("t", 1).error().code == ErrorCode::kNotFound);
    CHECK(store.ListTemplateVersions("t").error().code == ErrorCode::kNotFound);
    CHECK(page(0, 10) == std::make_pair(std::vector<std::string>{"u"}, std::int64_t{1}));
    store::Template fresh = save("t", "<p>new</p>", kT0 + 9);
    CHECK(fresh.version == 1);
    CHECK(fresh.created_at == kT0 + 9);
    CHECK(store.ListTemplateVersions("t")->size() == 1);
  }

  SUBCASE("ids: assigned at the first save, kept by every version, never reused") {
    store::Template first = save("a", "<p>1</p>", kT0);
    store::Template other = save("b", "<p>b</p>", kT0);
    CHECK(first.id > 0);
    CHECK(other.id > first.id);
    CHECK(save("a", "<p>2</p>", kT0 + 1).id == first.id);
    CHECK(get("a").id == first.id);
    CHECK(get("a", 1).id == first.id);
    CHECK(store.ListTemplateVersions("a")->front().id == first.id);
    core::Result<store::Template> by_id = store.GetTemplateById(first.id);
    REQUIRE(by_id.ok());
    CHECK(by_id->name == "a");
    CHECK(by_id->version == 2);
    CHECK(by_id->html == "<p>2</p>");
    CHECK(by_id->text == "text <p>2</p>");
    CHECK(store.GetTemplateById(other.id + 100).error().code == ErrorCode::kNotFound);
    CheckOk(store.DeleteTemplateById(first.id));
    CHECK(store.GetTemplateById(first.id).error().code == ErrorCode::kNotFound);
    CheckCode(store.DeleteTemplateById(first.id), ErrorCode::kNotFound);
    CHECK(store.ListTemplateVersions("a").error().code == ErrorCode::kNotFound);
    CHECK(save("a", "<p>again</p>", kT0 + 2).id > other.id);
  }

  SUBCASE("a save by id updates that template and may rename it, with its versions") {
    store::Template first = save("old name", "<p>1</p>", kT0);
    save("taken", "<p>t</p>", kT0);
    store::Template renamed = first;
    renamed.name = "new name";
    renamed.version = 0;
    renamed.text = "";
    core::Result<store::Template> saved = store.SaveTemplate(renamed, kT0 + 1);
    REQUIRE_MESSAGE(saved.ok(), saved.error().message);
    CHECK(saved->id == first.id);
    CHECK(saved->version == 2);
    CHECK(saved->created_at == kT0);
    CHECK(store.GetTemplate("old name", std::nullopt).error().code == ErrorCode::kNotFound);
    CHECK(get("new name").version == 2);
    CHECK(get("new name", 1).html == "<p>1</p>");
    CHECK(store.ListTemplateVersions("new name")->size() == 2);

    renamed.name = "taken";
    core::Result<store::Template> clash = store.SaveTemplate(renamed, kT0 + 2);
    REQUIRE_FALSE(clash.ok());
    CHECK(clash.error().code == ErrorCode::kAlreadyExists);
    CHECK(clash.error().field == "name");
    CHECK(get("new name").version == 2);
    renamed.name = "new name";
    renamed.version = 2;
    CHECK(store.SaveTemplate(renamed, kT0 + 2).error().code == ErrorCode::kFailedPrecondition);
    renamed.version = 1;
    CHECK(store.SaveTemplate(renamed, kT0 + 2).error().code == ErrorCode::kAlreadyExists);
    renamed.version = 3;
    CHECK(store.SaveTemplate(renamed, kT0 + 2)->version == 3);
    renamed.id = 999'999;
    renamed.version = 0;
    CHECK(store.SaveTemplate(renamed, kT0 + 3).error().code == ErrorCode::kNotFound);
    renamed.id = -1;
    CHECK(store.SaveTemplate(renamed, kT0 + 3).error().code == ErrorCode::kInvalidArgument);
  }

  SUBCASE("names are any text the service allows: spaces, punctuation, UTF-8") {
    for (const char* name : {"Sample Template 11", "caf\xC3\xA9 & co.", "a%2Fb"}) {
      store::Template saved = save(name, "<p>x</p>", kT0);
      CHECK(get(name).id == saved.id);
    }
  }

  SUBCASE("pages by id with bodies, and text-only templates") {
    for (const char* name : {"c", "a", "b"}) save(name, "", kT0);
    core::Result<store::TemplatePage> listed =
        store.ListTemplates(Query(1, 5, store::TemplateOrder::kById, true));
    REQUIRE(listed.ok());
    CHECK(listed->total == 3);
    REQUIRE(listed->templates.size() == 2);
    CHECK(listed->templates[0].name == "a");
    CHECK(listed->templates[1].name == "b");
    CHECK(listed->templates[0].id < listed->templates[1].id);
    CHECK(listed->templates[0].html.empty());
    CHECK(listed->templates[0].text == "text ");
    CHECK(listed->templates[0].subject == "Subject of a");
  }

  SUBCASE("templates survive reopening, large bodies byte for byte") {
    std::string html(std::size_t{500} * 1024, 'x');
    html += "\xC3\xA9 {{-NAME-}}";
    save("big", html, kT0);
    save("big", html + "!", kT0 + 1);
    opened.reset();
    std::unique_ptr<store::Store> reopened = OpenStore(*backend);
    core::Result<store::Template> current = reopened->GetTemplate("big", std::nullopt);
    REQUIRE(current.ok());
    CHECK(current->version == 2);
    CHECK(current->html == html + "!");
    core::Result<store::Template> first = reopened->GetTemplate("big", 1);
    REQUIRE(first.ok());
    CHECK(first->html == html);
  }
}

}  // namespace store_contract
