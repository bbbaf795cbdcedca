#include "service/templates.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "mail/html_text.h"
#include "tmpl/template.h"

namespace service {
namespace {

constexpr std::size_t kMaxTemplateName = 128;
// Saves racing with an update are retried this often before the update gives up.
constexpr int kUpdateAttempts = 5;

bool NameCharacter(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// Parses one part of a template. Errors are reported under `field` (the html keeps Parse's own
// fields: "template" for syntax, "html" for size).
core::Result<tmpl::Template> ParsePart(std::string_view text, const char* field) {
  core::Result<tmpl::Template> parsed = tmpl::Template::Parse(text);
  if (!parsed.ok() && std::string_view(field) != "html") {
    const core::Error& error = parsed.error();
    return core::Error{error.code, std::string(field) + ": " + error.message, field};
  }
  return parsed;
}

}  // namespace

core::Status ValidateTemplateName(std::string_view name) {
  if (name.empty() || name.size() > kMaxTemplateName ||
      !std::all_of(name.begin(), name.end(), NameCharacter)) {
    return core::InvalidArgument(
        "name", "a template name is 1 to 128 characters of letters, digits, '_', '.' or '-'");
  }
  return {};
}

core::Status ValidateTemplate(const store::Template& tmpl) {
  if (core::Status name = ValidateTemplateName(tmpl.name); !name.ok()) {
    return name;
  }
  if (tmpl.html.empty()) {
    return core::InvalidArgument("html", "html must not be empty");
  }
  if (tmpl.subject.size() > kMaxTemplateSubjectBytes) {
    return core::InvalidArgument("subject", "subject must be at most 998 bytes");
  }
  if (tmpl.subject.find_first_of("\r\n") != std::string::npos) {
    return core::InvalidArgument("subject", "subject must be one line");
  }
  if (auto html = ParsePart(tmpl.html, "html"); !html.ok()) {
    return html.error();
  }
  if (auto subject = ParsePart(tmpl.subject, "subject"); !subject.ok()) {
    return subject.error();
  }
  if (auto text = ParsePart(tmpl.text, "text"); !text.ok()) {
    return text.error();
  }
  return {};
}

core::Result<RenderedTemplate> RenderTemplate(const store::Template& tmpl,
                                              const nlohmann::json& data) {
  RenderedTemplate rendered;
  auto html = ParsePart(tmpl.html, "html");
  if (!html.ok()) {
    return html.error();
  }
  auto html_text = html->Render(data, tmpl::Escape::kHtml);
  if (!html_text.ok()) {
    return html_text.error();
  }
  rendered.html = std::move(*html_text);

  auto subject = ParsePart(tmpl.subject, "subject");
  if (!subject.ok()) {
    return subject.error();
  }
  auto subject_text = subject->Render(data, tmpl::Escape::kNone);
  if (!subject_text.ok()) {
    return subject_text.error();
  }
  if (subject_text->find_first_of("\r\n") != std::string::npos) {
    return core::InvalidArgument("data", "the rendered subject would contain a line break");
  }
  rendered.subject = std::move(*subject_text);

  if (tmpl.text.empty()) {
    rendered.text = mail::HtmlToText(rendered.html);
  } else {
    auto text = ParsePart(tmpl.text, "text");
    if (!text.ok()) {
      return text.error();
    }
    auto text_text = text->Render(data, tmpl::Escape::kNone);
    if (!text_text.ok()) {
      return text_text.error();
    }
    rendered.text = std::move(*text_text);
  }
  return rendered;
}

core::Result<store::Template> TemplateService::Save(const store::Template& tmpl, SaveMode mode) {
  if (core::Status valid = ValidateTemplate(tmpl); !valid.ok()) {
    return valid.error();
  }
  store::Template next = tmpl;
  switch (mode) {
    case SaveMode::kCreateOrUpdate:
      next.version = 0;
      return store_.SaveTemplate(next, clock_.NowMs());
    case SaveMode::kCreate: next.version = 1; return store_.SaveTemplate(next, clock_.NowMs());
    case SaveMode::kUpdate: break;
  }
  // An update follows the version it read, so a template deleted meanwhile is not brought back.
  for (int attempt = 1;; ++attempt) {
    auto current = store_.GetTemplate(tmpl.name, std::nullopt);
    if (!current.ok()) {
      return current.error();
    }
    next.version = current->version + 1;
    auto saved = store_.SaveTemplate(next, clock_.NowMs());
    if (saved.ok() || saved.error().code != core::ErrorCode::kFailedPrecondition ||
        attempt == kUpdateAttempts) {
      return saved;
    }
  }
}

core::Result<store::Template> TemplateService::Get(const std::string& name,
                                                   std::optional<int> version) {
  return store_.GetTemplate(name, version);
}

core::Result<store::TemplatePage> TemplateService::List(int page, int limit) {
  if (page < 1) {
    return core::InvalidArgument("page", "page must be at least 1");
  }
  if (limit < 1 || limit > kMaxTemplatePageSize) {
    return core::InvalidArgument("limit",
                                 "limit must be from 1 to " + std::to_string(kMaxTemplatePageSize));
  }
  // Pages past the end are empty, however far: the offset is capped instead of overflowing.
  const std::int64_t offset = (std::int64_t{page} - 1) * limit;
  return store_.ListTemplates(
      static_cast<int>(std::min<std::int64_t>(offset, std::numeric_limits<int>::max())), limit);
}

core::Result<std::vector<store::Template>> TemplateService::Versions(const std::string& name) {
  return store_.ListTemplateVersions(name);
}

core::Status TemplateService::Delete(const std::string& name) {
  return store_.DeleteTemplate(name);
}

core::Result<RenderedTemplate> TemplateService::Preview(const std::string& name,
                                                        const nlohmann::json& data,
                                                        std::optional<int> version) {
  auto stored = store_.GetTemplate(name, version);
  if (!stored.ok()) {
    return stored.error();
  }
  return RenderTemplate(*stored, data);
}

core::Result<RenderedTemplate> TemplateService::Render(const std::string& name,
                                                       const nlohmann::json& data) {
  auto stored = store_.GetTemplate(name, std::nullopt);
  if (!stored.ok()) {
    if (stored.error().code == core::ErrorCode::kNotFound) {
      return core::Error{core::ErrorCode::kNotFound, stored.error().message, "template"};
    }
    return stored.error();
  }
  return RenderTemplate(*stored, data);
}

}  // namespace service
