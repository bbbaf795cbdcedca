#pragma once
// The store's template tables (sql/005_templates.sql, ids from sql/011_seed001.sql). Writes run
// on the writer thread as writes.h describes; reads on a pooled read connection as reads.h
// describes.
#include <cstdint>
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
core::Status DeleteTemplateByIdInTransaction(Connection& connection, std::int64_t id);

// Reads. kNotFound where the named template or version does not exist.
core::Result<Template> ReadTemplate(Connection& connection, const std::string& name,
                                    std::optional<int> version);
core::Result<Template> ReadTemplateById(Connection& connection, std::int64_t id);
core::Result<TemplatePage> ReadTemplatePage(Connection& connection, const TemplateQuery& query);
core::Result<std::vector<Template>> ReadTemplateVersions(Connection& connection,
                                                         const std::string& name);

}  // namespace store::sqlite
