#include "store/sqlite/templates.h"

#include <utility>

namespace store::sqlite {
namespace {

struct Current {
  int version = 0;
  TimeMs created_at = 0;
};

std::optional<Current> FindCurrent(Connection& connection, const std::string& name) {
  ScopedStatement select(connection, "SELECT version, created_at FROM templates WHERE name = ?");
  select->bind(1, name);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  return Current{select->getColumn(0).getInt(), select->getColumn(1).getInt64()};
}

core::Error NoSuchTemplate(const std::string& name) {
  return core::NotFound("template '" + name + "' does not exist");
}

// Checks `tmpl.version` as SaveTemplate's precondition against what is stored.
core::Status CheckExpectedVersion(const Template& tmpl, const std::optional<Current>& current) {
  if (tmpl.version == 0) {
    return {};
  }
  if (tmpl.version == 1) {
    if (current) {
      return core::Error{core::ErrorCode::kAlreadyExists,
                         "template '" + tmpl.name + "' already exists", "name"};
    }
    return {};
  }
  if (!current) {
    return NoSuchTemplate(tmpl.name);
  }
  if (current->version != tmpl.version - 1) {
    return core::FailedPrecondition("template '" + tmpl.name + "' is at version " +
                                    std::to_string(current->version) + ", not " +
                                    std::to_string(tmpl.version - 1));
  }
  return {};
}

}  // namespace

core::Result<Template> SaveTemplateInTransaction(Connection& connection, const Template& tmpl,
                                                 TimeMs now) {
  if (tmpl.name.empty()) {
    return core::InvalidArgument("name", "the template name is empty");
  }
  if (tmpl.version < 0) {
    return core::InvalidArgument("version", "the expected version is negative");
  }
  const std::optional<Current> current = FindCurrent(connection, tmpl.name);
  if (core::Status expected = CheckExpectedVersion(tmpl, current); !expected.ok()) {
    return expected.error();
  }
  Template stored{tmpl.name, current ? current->version + 1 : 1,  tmpl.subject, tmpl.html,
                  tmpl.text, current ? current->created_at : now, now};
  {
    ScopedStatement upsert(connection,
                           "INSERT INTO templates (name, version, subject, html, text, "
                           "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                           "ON CONFLICT (name) DO UPDATE SET version = ?2, subject = ?3, "
                           "html = ?4, text = ?5, updated_at = ?7");
    upsert->bind(1, stored.name);
    upsert->bind(2, stored.version);
    upsert->bindNoCopy(3, stored.subject);
    upsert->bindNoCopy(4, stored.html);
    upsert->bindNoCopy(5, stored.text);
    upsert->bind(6, stored.created_at);
    upsert->bind(7, stored.updated_at);
    upsert->exec();
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

core::Result<Template> ReadTemplate(Connection& connection, const std::string& name,
                                    std::optional<int> version) {
  if (!version) {
    ScopedStatement select(connection,
                           "SELECT version, subject, html, text, created_at, updated_at "
                           "FROM templates WHERE name = ?");
    select->bind(1, name);
    if (!select->executeStep()) {
      return NoSuchTemplate(name);
    }
    return Template{name,
                    select->getColumn(0).getInt(),
                    select->getColumn(1).getString(),
                    select->getColumn(2).getString(),
                    select->getColumn(3).getString(),
                    select->getColumn(4).getInt64(),
                    select->getColumn(5).getInt64()};
  }
  ScopedStatement select(connection,
                         "SELECT v.subject, v.html, v.text, t.created_at, v.created_at "
                         "FROM template_versions v JOIN templates t ON t.name = v.name "
                         "WHERE v.name = ? AND v.version = ?");
  select->bind(1, name);
  select->bind(2, *version);
  if (!select->executeStep()) {
    return core::NotFound("template '" + name + "' has no version " + std::to_string(*version));
  }
  return Template{name,
                  *version,
                  select->getColumn(0).getString(),
                  select->getColumn(1).getString(),
                  select->getColumn(2).getString(),
                  select->getColumn(3).getInt64(),
                  select->getColumn(4).getInt64()};
}

core::Result<TemplatePage> ReadTemplatePage(Connection& connection, int offset, int limit) {
  if (offset < 0 || limit < 0) {
    return core::InvalidArgument(offset < 0 ? "offset" : "limit", "must not be negative");
  }
  TemplatePage page;
  {
    ScopedStatement count(connection, "SELECT COUNT(*) FROM templates");
    count->executeStep();
    page.total = count->getColumn(0).getInt64();
  }
  ScopedStatement select(connection,
                         "SELECT name, version, subject, created_at, updated_at FROM templates "
                         "ORDER BY name LIMIT ? OFFSET ?");
  select->bind(1, limit);
  select->bind(2, offset);
  while (select->executeStep()) {
    Template summary;
    summary.name = select->getColumn(0).getString();
    summary.version = select->getColumn(1).getInt();
    summary.subject = select->getColumn(2).getString();
    summary.created_at = select->getColumn(3).getInt64();
    summary.updated_at = select->getColumn(4).getInt64();
    page.templates.push_back(std::move(summary));
  }
  return page;
}

core::Result<std::vector<Template>> ReadTemplateVersions(Connection& connection,
                                                         const std::string& name) {
  ScopedStatement select(connection,
                         "SELECT v.version, v.subject, t.created_at, v.created_at "
                         "FROM template_versions v JOIN templates t ON t.name = v.name "
                         "WHERE v.name = ? ORDER BY v.version");
  select->bind(1, name);
  std::vector<Template> versions;
  while (select->executeStep()) {
    Template summary;
    summary.name = name;
    summary.version = select->getColumn(0).getInt();
    summary.subject = select->getColumn(1).getString();
    summary.created_at = select->getColumn(2).getInt64();
    summary.updated_at = select->getColumn(3).getInt64();
    versions.push_back(std::move(summary));
  }
  if (versions.empty()) {
    return NoSuchTemplate(name);
  }
  return versions;
}

}  // namespace store::sqlite
