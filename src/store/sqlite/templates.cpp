#include "store/sqlite/templates.h"

#include <utility>

namespace store::sqlite {
namespace {

struct Current {
  std::int64_t id = 0;
  std::string name;
  int version = 0;
  TimeMs created_at = 0;
};

// The template named `name`, or with id `id` when it is not 0.
std::optional<Current> FindCurrent(Connection& connection, const std::string& name,
                                   std::int64_t id) {
  ScopedStatement select(connection, id != 0 ? "SELECT id, name, version, created_at FROM "
                                               "templates WHERE id = ?"
                                             : "SELECT id, name, version, created_at FROM "
                                               "templates WHERE name = ?");
  if (id != 0) {
    select->bind(1, id);
  } else {
    select->bind(1, name);
  }
  if (!select->executeStep()) {
    return std::nullopt;
  }
  return Current{select->getColumn(0).getInt64(), select->getColumn(1).getString(),
                 select->getColumn(2).getInt(), select->getColumn(3).getInt64()};
}

core::Error NoSuchTemplate(const std::string& name) {
  return core::NotFound("template '" + name + "' does not exist");
}

core::Error NoSuchTemplateId(std::int64_t id) {
  return core::NotFound("template " + std::to_string(id) + " does not exist");
}

// Checks `tmpl.version` as SaveTemplate's precondition against what is stored.
core::Status CheckExpectedVersion(const Template& tmpl, const std::optional<Current>& current) {
  if (tmpl.id != 0 && !current) {
    return NoSuchTemplateId(tmpl.id);
  }
  if (tmpl.version == 0) {
    return {};
  }
  if (tmpl.version == 1) {
    if (current) {
      return core::Error{core::ErrorCode::kAlreadyExists,
                         "template '" + current->name + "' already exists", "name"};
    }
    return {};
  }
  if (!current) {
    return NoSuchTemplate(tmpl.name);
  }
  if (current->version != tmpl.version - 1) {
    return core::FailedPrecondition("template '" + current->name + "' is at version " +
                                    std::to_string(current->version) + ", not " +
                                    std::to_string(tmpl.version - 1));
  }
  return {};
}

// Moves the template `current` to `name` with its versions; kAlreadyExists if the name is taken.
core::Status Rename(Connection& connection, const Current& current, const std::string& name) {
  {
    ScopedStatement taken(connection, "SELECT 1 FROM templates WHERE name = ?");
    taken->bind(1, name);
    if (taken->executeStep()) {
      return core::Error{core::ErrorCode::kAlreadyExists,
                         "a template named '" + name + "' already exists", "name"};
    }
  }
  ScopedStatement rename(connection, "UPDATE templates SET name = ? WHERE id = ?");
  rename->bind(1, name);
  rename->bind(2, current.id);
  rename->exec();
  ScopedStatement versions(connection, "UPDATE template_versions SET name = ? WHERE name = ?");
  versions->bind(1, name);
  versions->bind(2, current.name);
  versions->exec();
  return {};
}

Template TemplateFromRow(ScopedStatement& select) {
  return Template{select->getColumn(0).getInt64(),  select->getColumn(1).getString(),
                  select->getColumn(2).getInt(),    select->getColumn(3).getString(),
                  select->getColumn(4).getString(), select->getColumn(5).getString(),
                  select->getColumn(6).getInt64(),  select->getColumn(7).getInt64()};
}

constexpr char kCurrentColumns[] =
    "SELECT id, name, version, subject, html, text, created_at, updated_at FROM templates ";

}  // namespace

core::Result<Template> SaveTemplateInTransaction(Connection& connection, const Template& tmpl,
                                                 TimeMs now) {
  if (tmpl.name.empty()) {
    return core::InvalidArgument("name", "the template name is empty");
  }
  if (tmpl.version < 0 || tmpl.id < 0) {
    return core::InvalidArgument(tmpl.id < 0 ? "id" : "version",
                                 "the template id or expected version is negative");
  }
  std::optional<Current> current = FindCurrent(connection, tmpl.name, tmpl.id);
  if (core::Status expected = CheckExpectedVersion(tmpl, current); !expected.ok()) {
    return expected.error();
  }
  if (current && current->name != tmpl.name) {
    if (core::Status renamed = Rename(connection, *current, tmpl.name); !renamed.ok()) {
      return renamed.error();
    }
    current->name = tmpl.name;
  }
  Template stored{current ? current->id : 0,
                  tmpl.name,
                  current ? current->version + 1 : 1,
                  tmpl.subject,
                  tmpl.html,
                  tmpl.text,
                  current ? current->created_at : now,
                  now};
  {
    ScopedStatement upsert(connection,
                           "INSERT INTO templates (name, version, subject, html, text, "
                           "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                           "ON CONFLICT (name) DO UPDATE SET version = ?2, subject = ?3, "
                           "html = ?4, text = ?5, updated_at = ?7 RETURNING id");
    upsert->bind(1, stored.name);
    upsert->bind(2, stored.version);
    upsert->bindNoCopy(3, stored.subject);
    upsert->bindNoCopy(4, stored.html);
    upsert->bindNoCopy(5, stored.text);
    upsert->bind(6, stored.created_at);
    upsert->bind(7, stored.updated_at);
    upsert->executeStep();
    stored.id = upsert->getColumn(0).getInt64();
  }
  ScopedStatement insert(connection,
                         "INSERT INTO template_versions (name, version, subject, html, text, "
                         "created_at) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, stored.name);
  insert->bind(2, stored.version);
  insert->bindNoCopy(3, stored.subject);
  insert->bindNoCopy(4, stored.html);
  insert->bindNoCopy(5, stored.text);
  insert->bind(6, now);
  insert->exec();
  return stored;
}

core::Status DeleteTemplateInTransaction(Connection& connection, const std::string& name) {
  ScopedStatement remove(connection, "DELETE FROM templates WHERE name = ?");
  remove->bind(1, name);
  if (remove->exec() == 0) {
    return NoSuchTemplate(name);
  }
  ScopedStatement versions(connection, "DELETE FROM template_versions WHERE name = ?");
  versions->bind(1, name);
  versions->exec();
  return {};
}

core::Status DeleteTemplateByIdInTransaction(Connection& connection, std::int64_t id) {
  std::optional<Current> current = FindCurrent(connection, "", id);
  if (id <= 0 || !current) {
    return NoSuchTemplateId(id);
  }
  return DeleteTemplateInTransaction(connection, current->name);
}

core::Result<Template> ReadTemplate(Connection& connection, const std::string& name,
                                    std::optional<int> version) {
  if (!version) {
    ScopedStatement select(connection, std::string(kCurrentColumns) + "WHERE name = ?");
    select->bind(1, name);
    if (!select->executeStep()) {
      return NoSuchTemplate(name);
    }
    return TemplateFromRow(select);
  }
  ScopedStatement select(connection,
                         "SELECT t.id, v.name, v.version, v.subject, v.html, v.text, "
                         "t.created_at, v.created_at "
                         "FROM template_versions v JOIN templates t ON t.name = v.name "
                         "WHERE v.name = ? AND v.version = ?");
  select->bind(1, name);
  select->bind(2, *version);
  if (!select->executeStep()) {
    return core::NotFound("template '" + name + "' has no version " + std::to_string(*version));
  }
  return TemplateFromRow(select);
}

core::Result<Template> ReadTemplateById(Connection& connection, std::int64_t id) {
  ScopedStatement select(connection, std::string(kCurrentColumns) + "WHERE id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return NoSuchTemplateId(id);
  }
  return TemplateFromRow(select);
}

core::Result<TemplatePage> ReadTemplatePage(Connection& connection, const TemplateQuery& query) {
  if (query.offset < 0 || query.limit < 0) {
    return core::InvalidArgument(query.offset < 0 ? "offset" : "limit", "must not be negative");
  }
  TemplatePage page;
  {
    ScopedStatement count(connection, "SELECT COUNT(*) FROM templates");
    count->executeStep();
    page.total = count->getColumn(0).getInt64();
  }
  const std::string columns = query.bodies
                                  ? "id, name, version, subject, html, text, created_at, updated_at"
                                  : "id, name, version, subject, '', '', created_at, updated_at";
  ScopedStatement select(connection, "SELECT " + columns + " FROM templates ORDER BY " +
                                         (query.order == TemplateOrder::kById ? "id" : "name") +
                                         " LIMIT ? OFFSET ?");
  select->bind(1, query.limit);
  select->bind(2, query.offset);
  while (select->executeStep()) {
    page.templates.push_back(TemplateFromRow(select));
  }
  return page;
}

core::Result<std::vector<Template>> ReadTemplateVersions(Connection& connection,
                                                         const std::string& name) {
  ScopedStatement select(connection,
                         "SELECT t.id, v.version, v.subject, t.created_at, v.created_at "
                         "FROM template_versions v JOIN templates t ON t.name = v.name "
                         "WHERE v.name = ? ORDER BY v.version");
  select->bind(1, name);
  std::vector<Template> versions;
  while (select->executeStep()) {
    Template summary;
    summary.id = select->getColumn(0).getInt64();
    summary.name = name;
    summary.version = select->getColumn(1).getInt();
    summary.subject = select->getColumn(2).getString();
    summary.created_at = select->getColumn(3).getInt64();
    summary.updated_at = select->getColumn(4).getInt64();
    versions.push_back(std::move(summary));
  }
  if (versions.empty()) {
    return NoSuchTemplate(name);
  }
  return versions;
}

}  // namespace store::sqlite
