#pragma once
// Email templates, by name, with every saved version.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace store {

// An email template (the SES-compatible API's uploaded HTML files and /v1/templates), by name:
// 1-128 of [A-Za-z0-9_.-], case-sensitive. Every save adds a version; the current one is what
// senders render.
struct Template {
  std::string name;
  int version = 0;        // 1 for the first save
  std::string subject;    // template text; may be empty
  std::string html;       // template text
  std::string text;       // template text; empty: senders derive the text part from the HTML
  TimeMs created_at = 0;  // the first version's save
  TimeMs updated_at = 0;  // this version's save
};

struct TemplatePage {
  std::vector<Template> templates;  // by name, without html and text
  std::int64_t total = 0;           // templates in the store
};

class TemplateStore {
 public:
  virtual ~TemplateStore() = default;

  // Saves `tmpl` (its timestamps are ignored) as the next version of its name, creating the
  // template if needed, and returns it as stored. `tmpl.version` is a precondition: 0 saves
  // whatever is there; 1 only creates (kAlreadyExists if the name exists); n > 1 only follows
  // version n - 1 (kNotFound if there is no template, kFailedPrecondition if another version is
  // current). kInvalidArgument for an empty name or a negative version. Names are checked by
  // the caller.
  virtual Result<Template> SaveTemplate(const Template& tmpl, TimeMs now) = 0;
  // The current version, or the given one. kNotFound if the template or version does not exist.
  virtual Result<Template> GetTemplate(const std::string& name, std::optional<int> version) = 0;
  // Up to `limit` templates by name after skipping `offset`, without html and text, and the total.
  virtual Result<TemplatePage> ListTemplates(int offset, int limit) = 0;
  // Every version, oldest first, without html and text. kNotFound if the template does not exist.
  virtual Result<std::vector<Template>> ListTemplateVersions(const std::string& name) = 0;
  // Deletes the template and all its versions. kNotFound if it does not exist.
  virtual Status DeleteTemplate(const std::string& name) = 0;
};

}  // namespace store
