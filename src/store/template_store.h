#pragma once
// Email templates, by name and by id, with every saved version.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

// An email template (the SES-compatible API's uploaded HTML files, /v1/templates and seed 001's
// email-template), known by a unique, case-sensitive name (its rule is the service's) and by an
// integer id. Every save adds a version; the current one is what senders render.
struct Template {
  // Assigned by the store at the first save, positive and increasing; kept by every later
  // version and by a rename; never given to another template, even after a delete.
  std::int64_t id = 0;
  std::string name;
  int version = 0;        // 1 for the first save
  std::string subject;    // template text; may be empty
  std::string html;       // template text; may be empty when text is not
  std::string text;       // template text; empty: senders derive the text part from the HTML
  TimeMs created_at = 0;  // the first version's save
  TimeMs updated_at = 0;  // this version's save
};

enum class TemplateOrder {
  kByName,  // byte order of the names (/v1/templates, the SES-compatible list)
  kById,    // creation order (seed 001's list)
};

struct TemplateQuery {
  int offset = 0;  // templates skipped
  int limit = 50;  // at most this many
  TemplateOrder order = TemplateOrder::kByName;
  bool bodies = false;  // whether html and text are read too
};

struct TemplatePage {
  std::vector<Template> templates;  // html and text empty unless the query asked for bodies
  std::int64_t total = 0;           // templates in the store
};

class TemplateStore {
 public:
  virtual ~TemplateStore() = default;

  // Saves `tmpl` (its timestamps are ignored) as the next version of its template and returns
  // it as stored. Which template: with `tmpl.id` 0 the one named `tmpl.name`, created if
  // needed; with an id, that one (kNotFound if it does not exist), renamed to `tmpl.name` if
  // that differs (kAlreadyExists, field "name", when another template has the name), its
  // versions moving with it. `tmpl.version` is a precondition: 0 saves whatever is there; 1
  // only creates (kAlreadyExists if the template exists); n > 1 only follows version n - 1
  // (kNotFound if there is no template, kFailedPrecondition if another version is current).
  // kInvalidArgument for an empty name, a negative version or id. Names are checked by the
  // caller.
  virtual Result<Template> SaveTemplate(const Template& tmpl, TimeMs now) = 0;
  // The current version, or the given one. kNotFound if the template or version does not exist.
  virtual Result<Template> GetTemplate(const std::string& name, std::optional<int> version) = 0;
  // The current version of the template with this id. kNotFound if there is none.
  virtual Result<Template> GetTemplateById(std::int64_t id) = 0;
  // Up to `query.limit` templates in `query.order` after skipping `query.offset`, and the
  // total. kInvalidArgument for a negative offset or limit.
  virtual Result<TemplatePage> ListTemplates(const TemplateQuery& query) = 0;
  // Every version, oldest first, without html and text. kNotFound if the template does not exist.
  virtual Result<std::vector<Template>> ListTemplateVersions(const std::string& name) = 0;
  // Deletes the template and all its versions. kNotFound if it does not exist.
  virtual Status DeleteTemplate(const std::string& name) = 0;
  // The same, by id.
  virtual Status DeleteTemplateById(std::int64_t id) = 0;
};

}  // namespace store
