#pragma once
// The store's template tables (sql/005_templates.sql). Writes run on the writer thread as
// writes.h describes; reads on a pooled read connection as reads.h describes.
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

// Writes.
core::Result<Template> SaveTemplateInTransaction(Connection& connection, const Template& tmpl,
                                                 TimeMs now);
core::Status DeleteTemplateInTransaction(Connection& connection, const std::string& name);

// Reads. kNotFound where the named template or version does not exist.
core::Result<Template> ReadTemplate(Connection& connection, const std::string& name,
                                    std::optional<int> version);
core::Result<TemplatePage> ReadTemplatePage(Connection& connection, int offset, int limit);
core::Result<std::vector<Template>> ReadTemplateVersions(Connection& connection,
                                                         const std::string& name);

}  // namespace store::sqlite
