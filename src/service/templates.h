#pragma once
// Email templates as a resource. The SES-compatible routes (add-template, list-templates,
// remove-template) and /v1/templates both call this one implementation; senders render a
// template's current version through Render.
//
// A template has an HTML body, a text body or both, and optionally a subject, each in tmpl's
// syntax ({{-NAME-}} and Mustache). Every save is checked (name, syntax, sizes) before it is
// stored and adds a version; the current version is what Render uses. Seed 001's routes know a
// template by its integer id (store::Template::id) and keep only a text body.
#include <cstddef>
#include <cstdint>
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

// The longest template name, in characters (seed 001's limit).
inline constexpr std::size_t kMaxTemplateNameCharacters = 255;

// Pure: 1 to kMaxTemplateNameCharacters characters of valid UTF-8 without control characters
// (C0, DEL, C1) or '/', not "." or "..", with no white space at either end; kInvalidArgument
// (field "name") otherwise. Spaces and punctuation are allowed ("Sample Template 11"): the
// native routes take a name percent-encoded in their paths.
core::Status ValidateTemplateName(std::string_view name);

// Pure: what Save checks. The name (field "name"); html or text non-empty (field "html"); a subject
// of one line and at most kMaxTemplateSubjectBytes (field "subject"); the syntax of html (field
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
// its rendered HTML (HtmlToText); one without html renders none. A name the template uses but
// `data` lacks is kInvalidArgument with field "data.NAME"; a rendered subject with a line break is
// kInvalidArgument, field "data" (it would end the header).
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
  // the template's next version. Returns it as stored. kUpdate with `tmpl.id` set updates that
  // template (renaming it to `tmpl.name` if that differs); otherwise the id is ignored.
  core::Result<store::Template> Save(const store::Template& tmpl, SaveMode mode);
  // The current version, or the given one. kNotFound if either does not exist.
  core::Result<store::Template> Get(const std::string& name, std::optional<int> version);
  // The current version of template `id`. kNotFound if it does not exist.
  core::Result<store::Template> GetById(std::int64_t id);
  // Page `page` (1-based) of `limit` templates in `order`, with html and text if `bodies`, and
  // the total. kInvalidArgument: page < 1 (field "page"), limit outside
  // 1..kMaxTemplatePageSize ("limit").
  core::Result<store::TemplatePage> List(int page, int limit,
                                         store::TemplateOrder order = store::TemplateOrder::kByName,
                                         bool bodies = false);
  // Every version, oldest first, without bodies. kNotFound if the template does not exist.
  core::Result<std::vector<store::Template>> Versions(const std::string& name);
  // Deletes the template and its versions. kNotFound if it does not exist.
  core::Status Delete(const std::string& name);
  core::Status DeleteById(std::int64_t id);
  // Renders the current version (or the given one) with `data`, as RenderTemplate does.
  core::Result<RenderedTemplate> Preview(const std::string& name, const nlohmann::json& data,
                                         std::optional<int> version = std::nullopt);
  // Renders a template being edited, not stored: ValidateTemplate's errors (its version,
  // timestamps and id are ignored), then RenderTemplate's. Stores nothing.
  core::Result<RenderedTemplate> PreviewDraft(const store::Template& draft,
                                              const nlohmann::json& data);
  // For senders: the current version rendered with `data`. kNotFound (field "template") if
  // there is no such template; RenderTemplate's errors otherwise.
  core::Result<RenderedTemplate> Render(const std::string& name, const nlohmann::json& data);

 private:
  store::TemplateStore& store_;
  const core::Clock& clock_;
};

}  // namespace service
