#pragma once
// Email templates as a resource. The SES-compatible routes (add-template, list-templates,
// remove-template) and /v1/templates both call this one implementation; senders render a
// template's current version through Render.
//
// A template has an HTML body and optionally a subject and a text body, each in tmpl's syntax
// ({{-NAME-}} and Mustache). Every save is checked (name, syntax, sizes) before it is stored
// and adds a version; the current version is what Render uses.
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/result.h"
#include "store/template_store.h"

namespace service {

// A subject is one header line: RFC 5322's 998 characters at most.
inline constexpr std::size_t kMaxTemplateSubjectBytes = 998;
// The most templates one List call returns.
inline constexpr int kMaxTemplatePageSize = 200;

// Pure: 1-128 of [A-Za-z0-9_.-]; kInvalidArgument (field "name") otherwise.
core::Status ValidateTemplateName(std::string_view name);

// Pure: what Save checks. The name (field "name"); html non-empty (field "html"); a subject of
// one line and at most kMaxTemplateSubjectBytes (field "subject"); the syntax of html (field
// "template", as tmpl::Template::Parse reports it), subject (field "subject") and text (field
// "text"); html and text at most tmpl::kMaxTemplateBytes (kPayloadTooLarge, field "html" or
// "text").
core::Status ValidateTemplate(const store::Template& tmpl);

struct RenderedTemplate {
  std::string subject;  // values inserted verbatim
  std::string html;     // values HTML-escaped
  std::string text;     // the text template with values verbatim, or derived from html
};

// Pure: renders a stored template with `data` (a JSON object; see tmpl::Template::Render): html
// with values HTML-escaped, subject and text verbatim; a template without text gets the text of
// its rendered HTML (HtmlToText). A name the template uses but `data` lacks is kInvalidArgument
// with field "data.NAME"; a rendered subject with a line break is kInvalidArgument, field
// "data" (it would end the header).
core::Result<RenderedTemplate> RenderTemplate(const store::Template& tmpl,
                                              const nlohmann::json& data);

enum class SaveMode {
  kCreateOrUpdate,  // the SES-compatible upload: a new template or a new version
  kCreate,          // kAlreadyExists if the name is taken
  kUpdate,          // kNotFound if there is no such template
};

class TemplateService {
 public:
  TemplateService(store::TemplateStore& store, const core::Clock& clock)
      : store_(store), clock_(clock) {}
  TemplateService(const TemplateService&) = delete;
  TemplateService& operator=(const TemplateService&) = delete;

  // Checks `tmpl` (ValidateTemplate; its version and timestamps are ignored) and stores it as
  // the template's next version. Returns it as stored.
  core::Result<store::Template> Save(const store::Template& tmpl, SaveMode mode);
  // The current version, or the given one. kNotFound if either does not exist.
  core::Result<store::Template> Get(const std::string& name, std::optional<int> version);
  // Page `page` (1-based) of `limit` templates by name, without bodies, and the total.
  // kInvalidArgument: page < 1 (field "page"), limit outside 1..kMaxTemplatePageSize ("limit").
  core::Result<store::TemplatePage> List(int page, int limit);
  // Every version, oldest first, without bodies. kNotFound if the template does not exist.
  core::Result<std::vector<store::Template>> Versions(const std::string& name);
  // Deletes the template and its versions. kNotFound if it does not exist.
  core::Status Delete(const std::string& name);
  // Renders the current version (or the given one) with `data`, as RenderTemplate does.
  core::Result<RenderedTemplate> Preview(const std::string& name, const nlohmann::json& data,
                                         std::optional<int> version = std::nullopt);
  // For senders: the current version rendered with `data`. kNotFound (field "template") if
  // there is no such template; RenderTemplate's errors otherwise.
  core::Result<RenderedTemplate> Render(const std::string& name, const nlohmann::json& data);

 private:
  store::TemplateStore& store_;
  const core::Clock& clock_;
};

}  // namespace service
