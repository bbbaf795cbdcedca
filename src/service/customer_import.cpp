#include "service/customer_import.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "auth/roles.h"
#include "core/random.h"
#include "mail/message.h"

namespace service {
namespace {

constexpr std::size_t kRemembered = 20;  // finished imports kept for Get
constexpr std::size_t kMaxNameBytes = 200;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string Trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return "";
  return std::string(text.substr(first, text.find_last_not_of(" \t") - first + 1));
}

bool HasControl(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == '\x7f'; });
}

constexpr const char* kColumns[] = {"email", "name", "first_name", "last_name"};

}  // namespace

core::Result<std::vector<CsvRecord>> ParseCsv(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  std::vector<CsvRecord> records;
  CsvRecord record;
  std::string field;
  std::int64_t line = 1;
  bool in_record = false;  // a field of the current record was started
  const auto end_field = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
  };
  const auto end_record = [&] {
    end_field();
    const bool blank = record.fields.size() == 1 && record.fields[0].empty();
    if (!blank) records.push_back(std::move(record));
    record = {};
    in_record = false;
  };
  const auto invalid = [&](const std::string& what) {
    return core::InvalidArgument("body", "line " + std::to_string(line) + ": " + what);
  };
  std::size_t i = 0;
  while (i < text.size()) {
    if (!in_record) {
      record.line = line;
      in_record = true;
    }
    const char c = text[i];
    if (c == '\0') return invalid("a NUL byte is not allowed");
    if (c == '"' && field.empty()) {
      // A quoted field: up to the closing quote, "" standing for one quote.
      const std::int64_t opened_on = line;
      ++i;
      for (;;) {
        if (i >= text.size()) {
          return core::InvalidArgument(
              "body", "line " + std::to_string(opened_on) + ": a quoted field is not closed");
        }
        if (text[i] == '\0') return invalid("a NUL byte is not allowed");
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return invalid("text after a closing quote");
      }
      continue;
    }
    if (c == ',') {
      end_field();
      ++i;
    } else if (c == '\r' || c == '\n') {
      end_record();
      i += (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ? 2 : 1;
      ++line;
    } else {
      field += c;
      ++i;
    }
  }
  if (in_record) end_record();
  return records;
}

struct CustomerImports::Row {
  std::int64_t line = 0;
  store::User user;
};

CustomerImports::CustomerImports(store::UserStore& users, store::AuditStore& audit,
                                 const core::Clock& clock, core::Logger& logger, int batch)
    : users_(users), audit_(audit), clock_(clock), logger_(logger), batch_(batch) {}

CustomerImports::~CustomerImports() {
  if (worker_.joinable()) worker_.join();
}

core::Result<ImportReport> CustomerImports::Start(std::string_view csv, const std::string& actor,
                                                  const Client& client) {
  auto records = ParseCsv(csv);
  if (!records.ok()) return records.error();
  if (records->empty()) return core::InvalidArgument("body", "the file has no rows");

  // Columns: named by a header row, else email, name.
  std::vector<std::string> columns = {"email", "name"};
  std::size_t first_row = 0;
  const auto is_column = [](const std::string& name) {
    return std::find(std::begin(kColumns), std::end(kColumns), name) != std::end(kColumns);
  };
  std::vector<std::string> header;
  for (const std::string& field : records->front().fields) header.push_back(Lower(Trimmed(field)));
  if (std::all_of(header.begin(), header.end(), is_column)) {
    columns = header;
    first_row = 1;
  }
  if (std::find(columns.begin(), columns.end(), "email") == columns.end()) {
    return core::InvalidArgument("body", "the header row names no email column");
  }

  if (static_cast<std::int64_t>(records->size() - first_row) > kMaxImportRows) {
    return core::InvalidArgument("body", "a file may hold at most 200000 rows; split it");
  }
  const core::TimeMs now = clock_.NowMs();
  ImportReport report;
  report.id = core::TimeOrderedId("imp_", now);
  report.started_at = now;
  std::vector<Row> rows;
  for (std::size_t r = first_row; r < records->size(); ++r) {
    const CsvRecord& record = (*records)[r];
    ++report.rows;
    Row row{record.line, {}};
    row.user.role = std::string(auth::RoleName(auth::Role::kCustomer));
    row.user.created_at = now;
    row.user.confirmed_at = now;  // an admin vouches for the addresses they import
    std::optional<ImportRowError> error;
    for (std::size_t c = 0; c < columns.size() && !error; ++c) {
      const std::string value = c < record.fields.size() ? Trimmed(record.fields[c]) : "";
      if (columns[c] == "email") {
        auto address = mail::ParseSendableAddress(value, "email");
        if (!address.ok() || !address->display_name.empty()) {
          error = ImportRowError{record.line, "email",
                                 "not an email address: '" + value.substr(0, 100) + "'"};
        } else {
          row.user.email = address->address;
        }
        continue;
      }
      if (value.size() > kMaxNameBytes || HasControl(value)) {
        error =
            ImportRowError{record.line, columns[c],
                           columns[c] + " must be at most 200 bytes without control characters"};
        continue;
      }
      if (columns[c] == "name") row.user.name = value;
      if (columns[c] == "first_name") row.user.first_name = value;
      if (columns[c] == "last_name") row.user.last_name = value;
    }
    if (!error && record.fields.size() > columns.size()) {
      error =
          ImportRowError{record.line, "body",
                         "the row has " + std::to_string(record.fields.size()) +
                             " fields; the file's columns are " + std::to_string(columns.size())};
    }
    if (error) {
      ++report.invalid;
      ++report.processed;
      if (report.errors.size() < kMaxImportErrors) report.errors.push_back(std::move(*error));
      continue;
    }
    if (row.user.name.empty() && !(row.user.first_name.empty() && row.user.last_name.empty())) {
      row.user.name = Trimmed(row.user.first_name + " " + row.user.last_name);
    }
    rows.push_back(std::move(row));
  }
  if (report.rows == 0) return core::InvalidArgument("body", "the file has no data rows");

  std::lock_guard lock(mutex_);
  if (running_) {
    return core::Error{core::ErrorCode::kResourceExhausted,
                       "another import is running; wait for it to finish", "body"};
  }
  running_ = true;
  if (worker_.joinable()) worker_.join();  // the last import's thread, which has ended its work
  reports_[report.id] = report;
  order_.push_back(report.id);
  while (order_.size() > kRemembered) {
    reports_.erase(order_.front());
    order_.erase(order_.begin());
  }
  worker_ = std::thread(&CustomerImports::Run, this, report.id, std::move(rows), actor, client);
  return report;
}

core::Result<ImportReport> CustomerImports::Get(const std::string& id) {
  std::lock_guard lock(mutex_);
  const auto found = reports_.find(id);
  if (found == reports_.end()) return core::NotFound("import '" + id + "' not found");
  return found->second;
}

void CustomerImports::Update(const std::string& id,
                             const std::function<void(ImportReport&)>& change) {
  std::lock_guard lock(mutex_);
  if (const auto found = reports_.find(id); found != reports_.end()) change(found->second);
}

void CustomerImports::Run(const std::string& id, std::vector<Row> rows, std::string actor,
                          Client client) {
  std::string failure;
  for (std::size_t start = 0; start < rows.size() && failure.empty();
       start += static_cast<std::size_t>(batch_)) {
    const std::size_t end = std::min(rows.size(), start + static_cast<std::size_t>(batch_));
    std::vector<store::User> users;
    for (std::size_t i = start; i < end; ++i) users.push_back(rows[i].user);
    auto created = users_.CreateUsersIfAbsent(users);
    if (!created.ok()) {
      failure = created.error().message;
      continue;
    }
    const auto made = std::count(created->begin(), created->end(), true);
    Update(id, [&](ImportReport& report) {
      report.created += made;
      report.existing += static_cast<std::int64_t>(created->size()) - made;
      report.processed += static_cast<std::int64_t>(created->size());
    });
  }
  // The audit entry is written first and the report turns final in the same lock that ends
  // the run: a client that sees "done" can start the next import at once.
  ImportReport finished;
  Update(id, [&](ImportReport& report) { finished = report; });
  finished.status = failure.empty() ? "done" : "failed";
  finished.error = failure;
  finished.finished_at = clock_.NowMs();
  store::AuditEntry entry;
  entry.at = *finished.finished_at;
  entry.actor = actor;
  entry.action = "customers_imported";
  entry.target = id;
  entry.address = client.address;
  entry.detail = nlohmann::json{{"rows", finished.rows},
                                {"created", finished.created},
                                {"existing", finished.existing},
                                {"invalid", finished.invalid},
                                {"status", finished.status}}
                     .dump();
  if (!audit_.AppendAudit(entry).ok()) logger_.Warn("audit entry not recorded", {{"import", id}});
  logger_.Info("customer import finished", {{"import", id},
                                            {"status", finished.status},
                                            {"created", finished.created},
                                            {"existing", finished.existing},
                                            {"invalid", finished.invalid}});
  std::lock_guard lock(mutex_);
  if (const auto found = reports_.find(id); found != reports_.end()) {
    found->second.status = finished.status;
    found->second.error = finished.error;
    found->second.finished_at = finished.finished_at;
  }
  running_ = false;
}

}  // namespace service
