// Email templates: the SES-compatible /server/email/{add,list,remove}-template routes in the
// seed's shapes (errors as {"valid": false, "msg", "code"}) and the native /v1/templates. Decode,
// call TemplateService, encode.
#include <algorithm>
#include <climits>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "http/routes.h"
#include "service/templates.h"

namespace http {
namespace {

using core::Result;
using nlohmann::json;

// The SES-compatible API names a template by its file: "welcome-email.html" is "welcome-email".
constexpr std::string_view kFileSuffix = ".html";
// list-templates' `limit`, as the seed documents it.
constexpr int kSesMinLimit = 5;
constexpr int kSesMaxLimit = 50;
constexpr int kSesDefaultLimit = 5;
// The seed's code for removing a template that does not exist.
constexpr const char* kSesNoSuchFileCode = "EML001_400022";
constexpr int kDefaultPageSize = 50;

// "welcome-email.html" -> "welcome-email"; a name without the suffix stays as it is.
std::string NameOfFile(std::string_view file_name) {
  if (file_name.size() > kFileSuffix.size() &&
      file_name.substr(file_name.size() - kFileSuffix.size()) == kFileSuffix) {
    file_name.remove_suffix(kFileSuffix.size());
  }
  return std::string(file_name);
}

// A list-templates body: JSON, or nothing at all for the defaults.
Result<json> OptionalJsonBody(const std::string& body) {
  if (body.empty()) {
    return json::object();
  }
  return ParseJsonBody(body);
}

json TemplateToJson(const store::Template& tmpl, bool bodies) {
  json out = {{"name", tmpl.name},
              {"version", tmpl.version},
              {"subject", tmpl.subject},
              {"created_at", core::FormatRfc3339(tmpl.created_at)},
              {"updated_at", core::FormatRfc3339(tmpl.updated_at)}};
  if (bodies) {
    out["html"] = tmpl.html;
    out["text"] = tmpl.text;
  }
  return out;
}

// A version in a version list: when it was saved is its updated_at.
json VersionToJson(const store::Template& version) {
  return {{"version", version.version},
          {"subject", version.subject},
          {"created_at", core::FormatRfc3339(version.updated_at)}};
}

std::int64_t TotalPages(std::int64_t total, int limit) { return (total + limit - 1) / limit; }

std::string TemplateName(const Context& context) { return context.request.matches[1]; }

// The subject, html and text of a /v1 template body; the name from the path or the body.
Result<store::Template> DecodeTemplate(const json& body, std::string name) {
  store::Template tmpl;
  tmpl.name = std::move(name);
  auto subject = StringMember(body, "subject", false);
  if (!subject.ok()) {
    return subject.error();
  }
  auto html = StringMember(body, "html", true);
  if (!html.ok()) {
    return html.error();
  }
  auto text = StringMember(body, "text", false);
  if (!text.ok()) {
    return text.error();
  }
  tmpl.subject = std::move(*subject);
  tmpl.html = std::move(*html);
  tmpl.text = std::move(*text);
  return tmpl;
}

}  // namespace

void SesAddTemplate(Context& context) {
  const Request& request = context.request;
  if (!request.is_multipart_form_data() || !request.has_file("html")) {
    return context.SesError(
        core::InvalidArgument("html",
                              "Missing .html file: send it as the multipart/form-data "
                              "file field \"html\""));
  }
  const FormPart file = request.get_file_value("html");
  if (file.filename.size() <= kFileSuffix.size() || NameOfFile(file.filename) == file.filename) {
    return context.SesError(
        core::InvalidArgument("html",
                              "the file name must end in .html (the template's name "
                              "is the file name without it)"));
  }
  store::Template tmpl;
  tmpl.name = NameOfFile(file.filename);
  tmpl.html = file.content;
  auto saved = context.services.templates.Save(tmpl, service::SaveMode::kCreateOrUpdate);
  if (!saved.ok()) {
    return context.SesError(saved.error());
  }
  context.Json(200, {{"valid", true}});
}

void SesListTemplates(Context& context) {
  auto body = OptionalJsonBody(context.request.body);
  if (!body.ok()) {
    return context.SesError(body.error());
  }
  auto page = IntegerMember(*body, "page", 1, INT_MAX, 1);
  if (!page.ok()) {
    return context.SesError(page.error());
  }
  auto limit = IntegerMember(*body, "limit", kSesMinLimit, kSesMaxLimit, kSesDefaultLimit);
  if (!limit.ok()) {
    return context.SesError(limit.error());
  }
  auto listed = context.services.templates.List(static_cast<int>(*page), static_cast<int>(*limit));
  if (!listed.ok()) {
    return context.SesError(listed.error());
  }
  json names = json::array();
  for (const store::Template& tmpl : listed->templates) {
    names.push_back(tmpl.name + std::string(kFileSuffix));
  }
  context.Json(200, {{"valid", true},
                     {"templates", std::move(names)},
                     {"count", listed->total},
                     {"total_pages", TotalPages(listed->total, *limit)}});
}

void SesRemoveTemplate(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) {
    return context.SesError(body.error());
  }
  auto file_name = StringMember(*body, "fileName", true);
  if (!file_name.ok()) {
    return context.SesError(file_name.error());
  }
  auto deleted = context.services.templates.Delete(NameOfFile(*file_name));
  if (!deleted.ok()) {
    if (deleted.error().code == core::ErrorCode::kNotFound) {
      return context.SesError(core::NotFound("File does not exist"), kSesNoSuchFileCode);
    }
    return context.SesError(deleted.error());
  }
  context.Json(200, {{"valid", true}});
}

void CreateTemplate(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) {
    return context.Problem(body.error());
  }
  if (auto known = OnlyMembers(*body, {"name", "subject", "html", "text"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto name = StringMember(*body, "name", true);
  if (!name.ok()) {
    return context.Problem(name.error());
  }
  auto tmpl = DecodeTemplate(*body, std::move(*name));
  if (!tmpl.ok()) {
    return context.Problem(tmpl.error());
  }
  auto saved = context.services.templates.Save(*tmpl, service::SaveMode::kCreate);
  if (!saved.ok()) {
    return context.Problem(saved.error());
  }
  context.Json(201, TemplateToJson(*saved, true));
}

void ListTemplates(Context& context) {
  const Request& request = context.request;
  int page = 1;
  int limit = kDefaultPageSize;
  if (request.has_param("page")) {
    auto parsed = QueryInteger(request.get_param_value("page"), "page", 1, INT_MAX);
    if (!parsed.ok()) {
      return context.Problem(parsed.error());
    }
    page = static_cast<int>(*parsed);
  }
  if (request.has_param("limit")) {
    auto parsed =
        QueryInteger(request.get_param_value("limit"), "limit", 1, service::kMaxTemplatePageSize);
    if (!parsed.ok()) {
      return context.Problem(parsed.error());
    }
    limit = static_cast<int>(*parsed);
  }
  auto listed = context.services.templates.List(page, limit);
  if (!listed.ok()) {
    return context.Problem(listed.error());
  }
  json data = json::array();
  for (const store::Template& tmpl : listed->templates) {
    data.push_back(TemplateToJson(tmpl, false));
  }
  context.Json(200, {{"data", std::move(data)},
                     {"page", page},
                     {"limit", limit},
                     {"total", listed->total},
                     {"total_pages", TotalPages(listed->total, limit)}});
}

void GetTemplate(Context& context) {
  std::optional<int> version;
  if (context.request.has_param("version")) {
    auto parsed = QueryInteger(context.request.get_param_value("version"), "version", 1, INT_MAX);
    if (!parsed.ok()) {
      return context.Problem(parsed.error());
    }
    version = static_cast<int>(*parsed);
  }
  auto tmpl = context.services.templates.Get(TemplateName(context), version);
  if (!tmpl.ok()) {
    return context.Problem(tmpl.error());
  }
  context.Json(200, TemplateToJson(*tmpl, true));
}

void UpdateTemplate(Context& context) {
  auto body = ParseJsonBody(context.request.body);
  if (!body.ok()) {
    return context.Problem(body.error());
  }
  if (auto known = OnlyMembers(*body, {"subject", "html", "text"}); !known.ok()) {
    return context.Problem(known.error());
  }
  auto tmpl = DecodeTemplate(*body, TemplateName(context));
  if (!tmpl.ok()) {
    return context.Problem(tmpl.error());
  }
  auto saved = context.services.templates.Save(*tmpl, service::SaveMode::kUpdate);
  if (!saved.ok()) {
    return context.Problem(saved.error());
  }
  context.Json(200, TemplateToJson(*saved, true));
}

void DeleteTemplate(Context& context) {
  if (auto deleted = context.services.templates.Delete(TemplateName(context)); !deleted.ok()) {
    return context.Problem(deleted.error());
  }
  context.response.status = 204;
}

void ListTemplateVersions(Context& context) {
  auto versions = context.services.templates.Versions(TemplateName(context));
  if (!versions.ok()) {
    return context.Problem(versions.error());
  }
  json data = json::array();
  for (const store::Template& version : *versions) {
    data.push_back(VersionToJson(version));
  }
  context.Json(200, {{"name", TemplateName(context)}, {"data", std::move(data)}});
}

void PreviewTemplate(Context& context) {
  auto body = OptionalJsonBody(context.request.body);
  if (!body.ok()) {
    return context.Problem(body.error());
  }
  if (auto known = OnlyMembers(*body, {"data", "version", "subject", "html", "text"});
      !known.ok()) {
    return context.Problem(known.error());
  }
  auto parsed = IntegerMember(*body, "version", 1, INT_MAX, 0);
  if (!parsed.ok()) {
    return context.Problem(parsed.error());
  }
  const std::optional<int> version =
      *parsed == 0 ? std::nullopt : std::optional<int>(static_cast<int>(*parsed));
  const json data = body->value("data", json::object());
  // With any of subject, html and text (a draft being edited, not saved) the body's are rendered
  // instead of a stored version.
  const bool draft = body->contains("html") || body->contains("subject") || body->contains("text");
  if (draft && version) {
    return context.Problem(core::InvalidArgument(
        "version", "a draft (subject, html, text) is previewed without a version"));
  }
  auto rendered = [&]() -> Result<service::RenderedTemplate> {
    if (!draft) {
      return context.services.templates.Preview(TemplateName(context), data, version);
    }
    auto tmpl = DecodeTemplate(*body, TemplateName(context));
    if (!tmpl.ok()) {
      return tmpl.error();
    }
    return context.services.templates.PreviewDraft(*tmpl, data);
  }();
  if (!rendered.ok()) {
    return context.Problem(rendered.error());
  }
  context.Json(
      200, {{"subject", rendered->subject}, {"html", rendered->html}, {"text", rendered->text}});
}

}  // namespace http
