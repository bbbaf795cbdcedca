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

// Saves racing with an update are retried this often before the update gives up.
constexpr int kUpdateAttempts = 5;

// C0, DEL and (as UTF-8) C1 controls.
bool HasControlCharacter(std::string_view text) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F) return true;
    if (c == 0xC2 && i + 1 < text.size()) {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (next >= 0x80 && next <= 0x9F) return true;
    }
  }
  return false;
}

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF); a multipart
// file name is not checked by any decoder before it gets here.
bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    char32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
      code = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      code = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      code = c & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if ((length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) ||
        (length == 4 && (code < 0x10000 || code > 0x10FFFF))) {
      return false;
    }
    i += length;
  }
  return true;
}

std::size_t CountCharacters(std::string_view utf8) {
  return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

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
  if (name.empty() || !IsValidUtf8(name) || CountCharacters(name) > kMaxTemplateNameCharacters ||
      HasControlCharacter(name) || name.find('/') != std::string_view::npos || name == "." ||
      name == ".." || IsSpace(name.front()) || IsSpace(name.back())) {
    return core::InvalidArgument(
        "name",
        "a template name is 1 to 255 characters of UTF-8 text without control characters or "
        "'/', not \".\" or \"..\", and without spaces at either end");
  }
  return {};
}

core::Status ValidateTemplate(const store::Template& tmpl) {
  if (core::Status name = ValidateTemplateName(tmpl.name); !name.ok()) {
    return name;
  }
  if (tmpl.html.empty() && tmpl.text.empty()) {
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
  rendered.html = std::move(*html_text);  // "" for a text-only template

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
      next.id = 0;
      next.version = 0;
      return store_.SaveTemplate(next, clock_.NowMs());
    case SaveMode::kCreate:
      next.id = 0;
      next.version = 1;
      return store_.SaveTemplate(next, clock_.NowMs());
    case SaveMode::kUpdate: break;
  }
  // An update follows the version it read, so a template deleted meanwhile is not brought back.
  for (int attempt = 1;; ++attempt) {
    auto current = tmpl.id != 0 ? store_.GetTemplateById(tmpl.id)
                                : store_.GetTemplate(tmpl.name, std::nullopt);
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

core::Result<store::Template> TemplateService::GetById(std::int64_t id) {
  return store_.GetTemplateById(id);
}

core::Result<store::TemplatePage> TemplateService::List(int page, int limit,
                                                        store::TemplateOrder order, bool bodies) {
  if (page < 1) {
    return core::InvalidArgument("page", "page must be at least 1");
  }
  if (limit < 1 || limit > kMaxTemplatePageSize) {
    return core::InvalidArgument("limit",
                                 "limit must be from 1 to " + std::to_string(kMaxTemplatePageSize));
  }
  // Pages past the end are empty, however far: the offset is capped instead of overflowing.
  const std::int64_t offset = (std::int64_t{page} - 1) * limit;
  store::TemplateQuery query;
  query.offset = static_cast<int>(std::min<std::int64_t>(offset, std::numeric_limits<int>::max()));
  query.limit = limit;
  query.order = order;
  query.bodies = bodies;
  return store_.ListTemplates(query);
}

core::Result<std::vector<store::Template>> TemplateService::Versions(const std::string& name) {
  return store_.ListTemplateVersions(name);
}

core::Status TemplateService::Delete(const std::string& name) {
  return store_.DeleteTemplate(name);
}

core::Status TemplateService::DeleteById(std::int64_t id) { return store_.DeleteTemplateById(id); }

core::Result<RenderedTemplate> TemplateService::Preview(const std::string& name,
                                                        const nlohmann::json& data,
                                                        std::optional<int> version) {
  auto stored = store_.GetTemplate(name, version);
  if (!stored.ok()) {
    return stored.error();
  }
  return RenderTemplate(*stored, data);
}

core::Result<RenderedTemplate> TemplateService::PreviewDraft(const store::Template& draft,
                                                             const nlohmann::json& data) {
  if (auto valid = ValidateTemplate(draft); !valid.ok()) {
    return valid.error();
  }
  return RenderTemplate(draft, data);
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
