#include "store/sqlite/campaigns.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/json.h"
#include "core/random.h"
#include "store/sqlite/accounts.h"
#include "store/sqlite/columns.h"
#include "store/sqlite/newsletters.h"
#include "store/sqlite/writes.h"

namespace store::sqlite {
namespace {

// Pages of campaigns hold 1..kMaxPageSize rows (CampaignQuery).
constexpr int kMaxPageSize = 1000;
// The fan-out job is retried until the audience is exhausted, so its attempts are no budget.
constexpr int kFanOutMaxAttempts = 1'000'000;
// The actor of what the store does on its own (the fan-out starting, a campaign becoming sent).
constexpr char kSystemActor[] = "system";
// 16 random bytes: a recipient's ledger token is 32 hex digits.
constexpr std::size_t kTokenBytes = 16;
constexpr std::int64_t kMinuteMs = 60'000;

// A campaign row: what Campaign shows plus the fan-out's own state.
struct StoredCampaign {
  Campaign campaign;
  std::string cursor;
  std::string fire_key;  // "" before the first batch
  std::optional<std::int64_t> job_id;
  TimeMs paced_from = 0;
  std::int64_t paced_count = 0;
};

constexpr char kCampaignColumns[] =
    "id, status, name, subject, html, text, template, data, sender, audience, send_at, "
    "rate_per_minute, remarks, starts_at, ends_at, created_by, updated_by, created_at, "
    "updated_at, submitted_by, submitted_at, approved_by, approved_at, rejection_note, version, "
    "started_at, finished_at, fan_out_done, total, sent, failed, cancelled, suppressed, "
    "unsubscribed, opened, unsubscribes, cursor, fire_key, job_id, paced_from, paced_count";

// Reads a row's columns left to right.
class RowReader {
 public:
  explicit RowReader(SQLite::Statement& row) : row_(row) {}

  std::string Text() { return row_.getColumn(next_++).getString(); }
  std::int64_t Int() { return row_.getColumn(next_++).getInt64(); }
  std::optional<std::int64_t> OptionalInt() { return TimeColumn(row_, next_++); }

 private:
  SQLite::Statement& row_;
  int next_ = 0;
};

core::Result<StoredCampaign> CampaignFromRow(SQLite::Statement& row) {
  RowReader read(row);
  StoredCampaign stored;
  Campaign& campaign = stored.campaign;
  campaign.id = read.Int();
  const std::string status = read.Text();
  const std::optional<CampaignStatus> parsed = ParseCampaignStatus(status);
  if (!parsed) {
    return core::Internal("campaign " + std::to_string(campaign.id) + " has an unknown status '" +
                          status + "'");
  }
  campaign.status = *parsed;
  CampaignContent& content = campaign.content;
  content.name = read.Text();
  content.subject = read.Text();
  content.html = read.Text();
  content.text = read.Text();
  content.template_name = read.Text();
  content.data = read.Text();
  content.from = read.Text();
  content.audience = read.Text();
  content.send_at = read.OptionalInt();
  if (const std::optional<std::int64_t> rate = read.OptionalInt()) {
    content.rate_per_minute = static_cast<int>(*rate);
  }
  content.remarks = read.Text();
  content.starts_at = read.OptionalInt();
  content.ends_at = read.OptionalInt();
  campaign.created_by = read.Text();
  campaign.updated_by = read.Text();
  campaign.created_at = read.Int();
  campaign.updated_at = read.Int();
  campaign.submitted_by = read.Text();
  campaign.submitted_at = read.OptionalInt();
  campaign.approved_by = read.Text();
  campaign.approved_at = read.OptionalInt();
  campaign.rejection_note = read.Text();
  campaign.version = static_cast<int>(read.Int());
  campaign.started_at = read.OptionalInt();
  campaign.finished_at = read.OptionalInt();
  campaign.fan_out_done = read.Int() != 0;
  CampaignProgress& progress = campaign.progress;
  progress.total = read.Int();
  progress.sent = read.Int();
  progress.failed = read.Int();
  progress.cancelled = read.Int();
  progress.suppressed = read.Int();
  progress.unsubscribed = read.Int();
  progress.opened = read.Int();
  progress.unsubscribes = read.Int();
  stored.cursor = read.Text();
  stored.fire_key = read.Text();  // NULL reads as ""
  stored.job_id = read.OptionalInt();
  stored.paced_from = read.Int();
  stored.paced_count = read.Int();
  return stored;
}

core::Error NoSuchCampaign(std::int64_t id) {
  return core::NotFound("campaign " + std::to_string(id) + " does not exist");
}

core::Result<StoredCampaign> LoadCampaign(Connection& connection, std::int64_t id) {
  ScopedStatement select(
      connection, std::string("SELECT ") + kCampaignColumns + " FROM campaigns WHERE id = ?");
  select->bind(1, id);
  if (!select->executeStep()) {
    return NoSuchCampaign(id);
  }
  return CampaignFromRow(*select);
}

// "campaign 3 is sending; only a draft can be submitted"
core::Error WrongStatus(const Campaign& campaign, std::string_view what) {
  return core::FailedPrecondition("campaign " + std::to_string(campaign.id) + " is " +
                                  CampaignStatusName(campaign.status) + "; " + std::string(what));
}

bool IsOneOf(CampaignStatus status, std::initializer_list<CampaignStatus> statuses) {
  return std::find(statuses.begin(), statuses.end(), status) != statuses.end();
}

core::Status ValidateContent(const CampaignContent& content) {
  if (content.name.empty()) {
    return core::InvalidArgument("name", "the campaign name is empty");
  }
  if (content.audience.empty()) {
    return core::InvalidArgument("audience", "the audience is empty");
  }
  const std::string_view audience = content.audience;
  const std::string_view list_prefix = kAudienceListPrefix;
  const bool list =
      audience.size() > list_prefix.size() && audience.substr(0, list_prefix.size()) == list_prefix;
  if (audience != kAudienceCustomers && !list) {
    return core::InvalidArgument("audience", "the audience is neither \"customers\" nor " +
                                                 std::string(kAudienceListPrefix) + "<name>");
  }
  if (content.rate_per_minute && *content.rate_per_minute <= 0) {
    return core::InvalidArgument("rate_per_minute", "the rate per minute must be positive");
  }
  return {};
}

// Binds the draft's columns as parameters 1..13, in kContentColumns order.
constexpr char kContentColumns[] =
    "name, subject, html, text, template, data, sender, audience, send_at, rate_per_minute, "
    "remarks, starts_at, ends_at";

void BindContent(SQLite::Statement& statement, const CampaignContent& content) {
  statement.bind(1, content.name);
  statement.bind(2, content.subject);
  statement.bind(3, content.html);
  statement.bind(4, content.text);
  statement.bind(5, content.template_name);
  statement.bind(6, content.data.empty() ? std::string("{}") : content.data);
  statement.bind(7, content.from);
  statement.bind(8, content.audience);
  BindTime(statement, 9, content.send_at);
  if (content.rate_per_minute) {
    statement.bind(10, *content.rate_per_minute);
  } else {
    statement.bind(10);
  }
  statement.bind(11, content.remarks);
  BindTime(statement, 12, content.starts_at);
  BindTime(statement, 13, content.ends_at);
}

// Appends a campaign's audit entry: the target is the campaign, and the detail object gets the
// statuses it went from and to (either may be absent: a creation has no "from", a deletion no
// "to"). kInvalidArgument if the given detail is not a JSON object.
core::Status AppendCampaignAudit(Connection& connection, AuditEntry entry, std::int64_t id,
                                 std::optional<CampaignStatus> from,
                                 std::optional<CampaignStatus> to) {
  nlohmann::json detail = nlohmann::json::object();
  if (!entry.detail.empty()) {
    core::Result<nlohmann::json> parsed = core::ParseJsonObject(entry.detail, "detail");
    if (!parsed.ok()) {
      return parsed.error();
    }
    detail = std::move(parsed).value();
  }
  if (from) {
    detail["from"] = CampaignStatusName(*from);
  }
  if (to) {
    detail["to"] = CampaignStatusName(*to);
  }
  entry.target = "campaign:" + std::to_string(id);
  entry.detail = DumpJson(detail);
  return AppendAuditInTransaction(connection, entry);
}

// Sets the status and who changed the campaign when, with the audit entry of the change.
core::Status Transition(Connection& connection, const Campaign& campaign, CampaignStatus to,
                        const CampaignAction& action) {
  {
    ScopedStatement update(connection,
                           "UPDATE campaigns SET status = ?, updated_by = ?, updated_at = ? "
                           "WHERE id = ?");
    update->bind(1, CampaignStatusName(to));
    update->bind(2, action.audit.actor);
    update->bind(3, action.audit.at);
    update->bind(4, campaign.id);
    update->exec();
  }
  return AppendCampaignAudit(connection, action.audit, campaign.id, campaign.status, to);
}

// The campaign as it is now, for a write to return.
core::Result<Campaign> Reread(Connection& connection, std::int64_t id) {
  core::Result<StoredCampaign> stored = LoadCampaign(connection, id);
  if (!stored.ok()) {
    return stored.error();
  }
  return std::move(stored->campaign);
}

// Queues a fan-out job of the campaign and returns its id.
std::int64_t QueueFanOutJob(Connection& connection, std::int64_t id, TimeMs run_at, TimeMs now) {
  ScopedStatement insert(connection,
                         "INSERT INTO jobs (kind, ref_id, state, priority, run_at, attempts, "
                         "max_attempts, created_at, updated_at) "
                         "VALUES (?, ?, 'queued', ?, ?, 0, ?, ?, ?)");
  insert->bind(1, JobKindName(JobKind::kCampaign));
  insert->bind(2, std::to_string(id));
  insert->bind(3, kPriorityBulk);
  insert->bind(4, run_at);
  insert->bind(5, kFanOutMaxAttempts);
  insert->bind(6, now);
  insert->bind(7, now);
  insert->exec();
  return connection.db.getLastInsertRowid();
}

// When the fan-out (re)starts: at send_at, or now if that has passed or was not set.
TimeMs FanOutRunAt(const Campaign& campaign, TimeMs now) {
  return std::max(campaign.content.send_at.value_or(now), now);
}

// Cancels the campaign's fan-out job if it is queued or leased: its lease stops holding, so a
// batch in flight writes nothing.
void CancelFanOutJob(Connection& connection, const StoredCampaign& stored, TimeMs now) {
  if (!stored.job_id) {
    return;
  }
  ScopedStatement update(connection,
                         "UPDATE jobs SET state = 'cancelled', lease_expires_at = NULL, "
                         "updated_at = ? WHERE id = ? AND state IN ('queued', 'leased')");
  update->bind(1, now);
  update->bind(2, *stored.job_id);
  update->exec();
}

// A campaign becomes sent once its fan-out is done and every member it reached is accounted
// for; the audit entry is the system's.
void CompleteIfDone(Connection& connection, std::int64_t id, TimeMs now) {
  bool completed = false;
  {
    ScopedStatement update(connection,
                           "UPDATE campaigns SET status = 'sent', finished_at = ?1 "
                           "WHERE id = ?2 AND status = 'sending' AND fan_out_done = 1 "
                           "AND total = sent + failed + cancelled + suppressed + unsubscribed "
                           "RETURNING id");
    update->bind(1, now);
    update->bind(2, id);
    completed = update->executeStep();
  }
  if (completed) {
    AuditEntry entry;
    entry.at = now;
    entry.actor = kSystemActor;
    entry.action = "campaign_sent";
    // Cannot fail: the action is set and the detail is built here.
    static_cast<void>(AppendCampaignAudit(connection, entry, id, CampaignStatus::kSending,
                                          CampaignStatus::kSent));
  }
}

// The jobs of the campaign's held emails in the order the emails were created (8 bytes each,
// so even a campaign of millions fits).
std::vector<std::int64_t> HeldJobs(Connection& connection, std::int64_t id) {
  // emails_by_campaign gives the job ids in creation order; each job is one primary-key probe.
  ScopedStatement select(connection,
                         "SELECT e.job_id FROM emails e JOIN jobs j ON j.id = e.job_id "
                         "WHERE e.campaign_id = ? AND j.state = 'queued' AND j.run_at >= ? "
                         "ORDER BY e.job_id");
  select->bind(1, id);
  select->bind(2, kHeldRunAt);
  std::vector<std::int64_t> jobs;
  while (select->executeStep()) {
    jobs.push_back(select->getColumn(0).getInt64());
  }
  return jobs;
}

// Cancels every queued email of the campaign as CancelEmail would (job, status, "cancelled"
// event), set-wise so a large campaign costs no memory; returns how many.
std::int64_t CancelQueuedEmails(Connection& connection, std::int64_t id, TimeMs now) {
  // Each statement walks emails_by_campaign and probes the jobs by primary key; the events and
  // emails go first, while their jobs are still queued.
  {
    ScopedStatement insert(connection,
                           "INSERT INTO email_events (email_id, at, type, detail) "
                           "SELECT e.id, ?1, 'cancelled', '' FROM emails e "
                           "JOIN jobs j ON j.id = e.job_id "
                           "WHERE e.campaign_id = ?2 AND j.state = 'queued' ORDER BY e.job_id");
    insert->bind(1, now);
    insert->bind(2, id);
    insert->exec();
  }
  {
    ScopedStatement update(connection,
                           "UPDATE emails SET status = 'cancelled', updated_at = ?1 "
                           "WHERE campaign_id = ?2 AND EXISTS (SELECT 1 FROM jobs j "
                           "WHERE j.id = emails.job_id AND j.state = 'queued')");
    update->bind(1, now);
    update->bind(2, id);
    update->exec();
  }
  ScopedStatement update(connection,
                         "UPDATE jobs SET state = 'cancelled', updated_at = ?1 WHERE id IN "
                         "(SELECT job_id FROM emails WHERE campaign_id = ?2) "
                         "AND state = 'queued'");
  update->bind(1, now);
  update->bind(2, id);
  return update->exec();
}

// Fan-out.

bool IsListAudience(const std::string& audience) {
  return audience.rfind(kAudienceListPrefix, 0) == 0;
}

// The next up to `limit` members of the audience after `cursor` (which becomes the last one's
// key). kNotFound for a list that does not exist.
core::Result<std::vector<AudienceMember>> NextMembers(Connection& connection,
                                                      const std::string& audience, int limit,
                                                      std::string& cursor) {
  std::vector<AudienceMember> members;
  if (audience == kAudienceCustomers) {
    std::int64_t after = 0;
    if (!cursor.empty()) {
      const auto [end, error] =
          std::from_chars(cursor.data(), cursor.data() + cursor.size(), after);
      if (error != std::errc() || end != cursor.data() + cursor.size()) {
        return core::Internal("corrupt campaign cursor '" + cursor + "'");
      }
    }
    // users_by_role (role, id); unsubscribed customers are read too, to be counted.
    ScopedStatement select(connection,
                           "SELECT id, email, name, unsubscribed_at IS NOT NULL FROM users "
                           "WHERE role = 'customer' AND confirmed_at IS NOT NULL "
                           "AND disabled_at IS NULL AND id > ? ORDER BY id LIMIT ?");
    select->bind(1, after);
    select->bind(2, limit);
    while (select->executeStep()) {
      AudienceMember member;
      member.user_id = select->getColumn(0).getInt64();
      member.address = LowerAscii(select->getColumn(1).getString());
      member.name = select->getColumn(2).getString();
      member.unsubscribed = select->getColumn(3).getInt() != 0;
      members.push_back(std::move(member));
    }
    if (!members.empty()) {
      cursor = std::to_string(*members.back().user_id);
    }
    return members;
  }
  if (!IsListAudience(audience)) {
    return core::Internal("unknown campaign audience '" + audience + "'");
  }
  const std::string list = audience.substr(std::string_view(kAudienceListPrefix).size());
  if (core::Result<ContentType> type = ReadContentType(connection, list); !type.ok()) {
    return core::NotFound("list '" + list + "' does not exist");
  }
  // The primary key (content_type, user_id): every schedule of the list, by address.
  ScopedStatement select(connection,
                         "SELECT user_id FROM subscriptions WHERE content_type = ? "
                         "AND user_id > ? ORDER BY user_id LIMIT ?");
  select->bind(1, list);
  select->bind(2, cursor);
  select->bind(3, limit);
  while (select->executeStep()) {
    AudienceMember member;
    member.address = select->getColumn(0).getString();
    members.push_back(std::move(member));
  }
  if (!members.empty()) {
    cursor = members.back().address;
  }
  return members;
}

bool InLedger(Connection& connection, std::int64_t id, const std::string& address) {
  ScopedStatement select(connection,
                         "SELECT 1 FROM campaign_recipients WHERE campaign_id = ? AND address = ?");
  select->bind(1, id);
  select->bind(2, address);
  return select->executeStep();
}

bool IsSuppressed(Connection& connection, const std::string& address) {
  ScopedStatement select(connection, "SELECT 1 FROM suppressions WHERE address = ?");
  select->bind(1, address);
  return select->executeStep();
}

// A ledger row; email_id and token are "" (NULL) for a member who was skipped.
void InsertLedgerRow(Connection& connection, std::int64_t id, const AudienceMember& member,
                     const char* outcome, const std::string& email_id, const std::string& token) {
  ScopedStatement insert(connection,
                         "INSERT INTO campaign_recipients (campaign_id, address, user_id, outcome, "
                         "email_id, token) VALUES (?, ?, ?, ?, ?, ?)");
  insert->bind(1, id);
  insert->bind(2, member.address);
  if (member.user_id) {
    insert->bind(3, *member.user_id);
  } else {
    insert->bind(3);
  }
  insert->bind(4, outcome);
  if (email_id.empty()) {
    insert->bind(5);
    insert->bind(6);
  } else {
    insert->bind(5, email_id);
    insert->bind(6, token);
  }
  insert->exec();
}

// The campaign's shared body as a fires row (done from the start, so the newsletter scheduler
// never fans it out), stored with the first batch and again if it has vanished. Returns its key.
core::Result<std::string> EnsureFire(Connection& connection, const StoredCampaign& stored,
                                     const std::string& shared_body, TimeMs now) {
  const Campaign& campaign = stored.campaign;
  const std::string key = stored.fire_key.empty() ? "campaign:" + std::to_string(campaign.id) +
                                                        ":v" + std::to_string(campaign.version)
                                                  : stored.fire_key;
  {
    ScopedStatement select(connection, "SELECT 1 FROM fires WHERE key = ?");
    select->bind(1, key);
    if (select->executeStep()) {
      return key;
    }
  }
  core::Result<CampaignVersion> version =
      ReadCampaignVersion(connection, campaign.id, campaign.version);
  if (!version.ok()) {
    return version.error();
  }
  ScopedStatement insert(connection,
                         "INSERT INTO fires (key, content_type, scheduled_at, sender, subject, "
                         "body, done, created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?)");
  insert->bind(1, key);
  insert->bind(2, "campaign:" + std::to_string(campaign.id));
  insert->bind(3, now);
  insert->bind(4, version->from);
  insert->bind(5, version->subject);
  insert->bindNoCopy(6, shared_body.data(), static_cast<int>(shared_body.size()));
  insert->bind(7, now);
  insert->exec();
  return key;
}

// Whether the lease `fan_out` names is the latest one of the campaign's fan-out job.
bool LeaseHolds(Connection& connection, std::int64_t id, const CampaignFanOut& fan_out) {
  ScopedStatement select(connection,
                         "SELECT 1 FROM jobs WHERE id = ? AND kind = ? AND ref_id = ? "
                         "AND state = 'leased' AND lease_token = ?");
  select->bind(1, fan_out.job_id);
  select->bind(2, JobKindName(JobKind::kCampaign));
  select->bind(3, std::to_string(id));
  select->bind(4, fan_out.token);
  return select->executeStep();
}

// Recipients.

struct LedgerRow {
  std::int64_t campaign_id = 0;
  std::string address;
  std::optional<TimeMs> unsubscribed_at;
  std::optional<std::int64_t> user_id;
  std::string audience;
};

std::optional<LedgerRow> FindLedgerRow(Connection& connection, const std::string& token) {
  if (token.empty()) {
    return std::nullopt;
  }
  ScopedStatement select(connection,
                         "SELECT r.campaign_id, r.address, r.unsubscribed_at, r.user_id, "
                         "c.audience FROM campaign_recipients r "
                         "JOIN campaigns c ON c.id = r.campaign_id WHERE r.token = ?");
  select->bind(1, token);
  if (!select->executeStep()) {
    return std::nullopt;
  }
  return LedgerRow{select->getColumn(0).getInt64(), select->getColumn(1).getString(),
                   TimeColumn(*select, 2), TimeColumn(*select, 3),
                   select->getColumn(4).getString()};
}

core::Error NoSuchRecipient() { return core::NotFound("no campaign recipient has this token"); }

// One transition: loads the campaign, refuses (kFailedPrecondition, `refusal`) unless it is in
// one of `from`, lets `effects` write what the transition changes besides the status and return
// the status it moves to, records the move with its audit entry, and completes a campaign that
// now sends with nothing left to send (a resumed one whose mail all finished while paused).
core::Result<Campaign> Move(
    Connection& connection, const CampaignAction& action,
    std::initializer_list<CampaignStatus> from, std::string_view refusal,
    const std::function<core::Result<CampaignStatus>(const StoredCampaign&)>& effects) {
  core::Result<StoredCampaign> stored = LoadCampaign(connection, action.id);
  if (!stored.ok()) {
    return stored.error();
  }
  const Campaign& campaign = stored->campaign;
  if (!IsOneOf(campaign.status, from)) {
    return WrongStatus(campaign, refusal);
  }
  core::Result<CampaignStatus> to = effects(*stored);
  if (!to.ok()) {
    return to.error();
  }
  if (core::Status moved = Transition(connection, campaign, *to, action); !moved.ok()) {
    return moved.error();
  }
  CompleteIfDone(connection, campaign.id, action.audit.at);
  return Reread(connection, campaign.id);
}

}  // namespace

core::Result<Campaign> CreateCampaignInTransaction(Connection& connection,
                                                   const CampaignContent& content,
                                                   const CampaignAction& action) {
  if (core::Status valid = ValidateContent(content); !valid.ok()) {
    return valid.error();
  }
  {
    ScopedStatement insert(connection, std::string("INSERT INTO campaigns (") + kContentColumns +
                                           ", status, created_by, updated_by, created_at, "
                                           "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
                                           "?9, ?10, ?11, ?12, ?13, 'draft', ?14, ?14, ?15, ?15)");
    BindContent(*insert, content);
    insert->bind(14, action.audit.actor);
    insert->bind(15, action.audit.at);
    insert->exec();
  }
  const std::int64_t id = connection.db.getLastInsertRowid();
  if (core::Status audited =
          AppendCampaignAudit(connection, action.audit, id, std::nullopt, CampaignStatus::kDraft);
      !audited.ok()) {
    return audited.error();
  }
  return Reread(connection, id);
}

core::Result<Campaign> UpdateCampaignInTransaction(Connection& connection,
                                                   const CampaignContent& content,
                                                   const CampaignAction& action) {
  if (core::Status valid = ValidateContent(content); !valid.ok()) {
    return valid.error();
  }
  return Move(connection, action, {CampaignStatus::kDraft}, "only a draft can be edited",
              [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
                ScopedStatement update(
                    connection,
                    "UPDATE campaigns SET name = ?1, subject = ?2, html = ?3, text = ?4, "
                    "template = ?5, data = ?6, sender = ?7, audience = ?8, send_at = ?9, "
                    "rate_per_minute = ?10, remarks = ?11, starts_at = ?12, ends_at = ?13 "
                    "WHERE id = ?14");
                BindContent(*update, content);
                update->bind(14, stored.campaign.id);
                update->exec();
                return CampaignStatus::kDraft;
              });
}

core::Status DeleteCampaignInTransaction(Connection& connection, const CampaignAction& action) {
  core::Result<StoredCampaign> stored = LoadCampaign(connection, action.id);
  if (!stored.ok()) {
    return stored.error();
  }
  const Campaign& campaign = stored->campaign;
  if (IsOneOf(campaign.status,
              {CampaignStatus::kScheduled, CampaignStatus::kSending, CampaignStatus::kPaused})) {
    return WrongStatus(campaign, "cancel it before deleting it");
  }
  // Its versions and ledger go by ON DELETE CASCADE (the writer runs with foreign keys on); its
  // emails and their shared body stay.
  ScopedStatement remove(connection, "DELETE FROM campaigns WHERE id = ?");
  remove->bind(1, campaign.id);
  remove->exec();
  return AppendCampaignAudit(connection, action.audit, campaign.id, campaign.status, std::nullopt);
}

core::Result<Campaign> SubmitCampaignInTransaction(Connection& connection,
                                                   const CampaignVersion& frozen,
                                                   const CampaignAction& action) {
  return Move(
      connection, action, {CampaignStatus::kDraft}, "only a draft can be submitted",
      [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
        const std::int64_t id = stored.campaign.id;
        std::int64_t version = 0;
        {
          ScopedStatement select(connection,
                                 "SELECT COALESCE(MAX(version), 0) + 1 FROM campaign_versions "
                                 "WHERE campaign_id = ?");
          select->bind(1, id);
          select->executeStep();
          version = select->getColumn(0).getInt64();
        }
        {
          ScopedStatement insert(connection,
                                 "INSERT INTO campaign_versions (campaign_id, version, sender, "
                                 "subject, html, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
          insert->bind(1, id);
          insert->bind(2, version);
          insert->bind(3, frozen.from);
          insert->bind(4, frozen.subject);
          insert->bind(5, frozen.html);
          insert->bind(6, frozen.text);
          insert->bind(7, action.audit.at);
          insert->exec();
        }
        ScopedStatement update(connection,
                               "UPDATE campaigns SET version = ?1, submitted_by = ?2, "
                               "submitted_at = ?3, rejection_note = '' WHERE id = ?4");
        update->bind(1, version);
        update->bind(2, action.audit.actor);
        update->bind(3, action.audit.at);
        update->bind(4, id);
        update->exec();
        return CampaignStatus::kPendingApproval;
      });
}

core::Result<Campaign> ApproveCampaignInTransaction(Connection& connection,
                                                    const CampaignAction& action) {
  return Move(connection, action, {CampaignStatus::kPendingApproval},
              "only a campaign pending approval can be approved",
              [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
                const Campaign& campaign = stored.campaign;
                const TimeMs now = action.audit.at;
                const std::int64_t job_id =
                    QueueFanOutJob(connection, campaign.id, FanOutRunAt(campaign, now), now);
                ScopedStatement update(connection,
                                       "UPDATE campaigns SET approved_by = ?1, approved_at = ?2, "
                                       "job_id = ?3 WHERE id = ?4");
                update->bind(1, action.audit.actor);
                update->bind(2, now);
                update->bind(3, job_id);
                update->bind(4, campaign.id);
                update->exec();
                return campaign.content.send_at && *campaign.content.send_at > now
                           ? CampaignStatus::kScheduled
                           : CampaignStatus::kSending;
              });
}

core::Result<Campaign> RejectCampaignInTransaction(Connection& connection, const std::string& note,
                                                   const CampaignAction& action) {
  return Move(connection, action, {CampaignStatus::kPendingApproval},
              "only a campaign pending approval can be rejected",
              [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
                ScopedStatement update(connection,
                                       "UPDATE campaigns SET rejection_note = ? WHERE id = ?");
                update->bind(1, note);
                update->bind(2, stored.campaign.id);
                update->exec();
                return CampaignStatus::kDraft;
              });
}

core::Result<Campaign> PauseCampaignInTransaction(Connection& connection,
                                                  const CampaignAction& action) {
  return Move(connection, action, {CampaignStatus::kScheduled, CampaignStatus::kSending},
              "only a scheduled or sending campaign can be paused",
              [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
                const TimeMs now = action.audit.at;
                CancelFanOutJob(connection, stored, now);
                // Held, not cancelled: they keep their place (and their ledger rows) until
                // resumed. Emails being sent finish; one that is retried or released later is
                // held then (writes.cpp).
                ScopedStatement update(connection,
                                       "UPDATE jobs SET run_at = ?1, updated_at = ?2 WHERE id IN "
                                       "(SELECT job_id FROM emails WHERE campaign_id = ?3) "
                                       "AND state = 'queued'");
                update->bind(1, kHeldRunAt);
                update->bind(2, now);
                update->bind(3, stored.campaign.id);
                update->exec();
                return CampaignStatus::kPaused;
              });
}

core::Result<Campaign> ResumeCampaignInTransaction(Connection& connection,
                                                   const CampaignAction& action) {
  return Move(
      connection, action, {CampaignStatus::kPaused}, "only a paused campaign can be resumed",
      [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
        const Campaign& campaign = stored.campaign;
        const TimeMs now = action.audit.at;
        // The held emails go out again in the order they were created, paced from now.
        std::int64_t released = 0;
        for (const std::int64_t held : HeldJobs(connection, campaign.id)) {
          const TimeMs run_at = campaign.content.rate_per_minute
                                    ? now + released * kMinuteMs / *campaign.content.rate_per_minute
                                    : now;
          ScopedStatement update(connection,
                                 "UPDATE jobs SET run_at = ?, updated_at = ? WHERE id = ?");
          update->bind(1, run_at);
          update->bind(2, now);
          update->bind(3, held);
          update->exec();
          ++released;
        }
        std::optional<std::int64_t> job_id = stored.job_id;
        if (!campaign.fan_out_done) {
          job_id = QueueFanOutJob(connection, campaign.id, FanOutRunAt(campaign, now), now);
        }
        ScopedStatement update(connection,
                               "UPDATE campaigns SET paced_from = ?1, paced_count = ?2, "
                               "job_id = ?3 WHERE id = ?4");
        update->bind(1, now);
        update->bind(2, released);
        if (job_id) {
          update->bind(3, *job_id);
        } else {
          update->bind(3);
        }
        update->bind(4, campaign.id);
        update->exec();
        const bool not_started =
            !campaign.started_at && campaign.content.send_at && *campaign.content.send_at > now;
        return not_started ? CampaignStatus::kScheduled : CampaignStatus::kSending;
      });
}

core::Result<Campaign> CancelCampaignInTransaction(Connection& connection,
                                                   const CampaignAction& action) {
  return Move(connection, action,
              {CampaignStatus::kDraft, CampaignStatus::kPendingApproval, CampaignStatus::kScheduled,
               CampaignStatus::kSending, CampaignStatus::kPaused},
              "only an unfinished campaign can be cancelled",
              [&](const StoredCampaign& stored) -> core::Result<CampaignStatus> {
                const TimeMs now = action.audit.at;
                CancelFanOutJob(connection, stored, now);
                const std::int64_t cancelled =
                    CancelQueuedEmails(connection, stored.campaign.id, now);
                ScopedStatement update(connection,
                                       "UPDATE campaigns SET cancelled = cancelled + ?1, "
                                       "finished_at = ?2 WHERE id = ?3");
                update->bind(1, cancelled);
                update->bind(2, now);
                update->bind(3, stored.campaign.id);
                update->exec();
                return CampaignStatus::kCancelled;
              });
}

core::Result<FanOutStep> FanOutCampaignInTransaction(Connection& connection, std::int64_t id,
                                                     const CampaignFanOut& fan_out,
                                                     const CampaignRecipient& recipient,
                                                     TimeMs now) {
  if (fan_out.limit < 1) {
    return core::InvalidArgument("limit", "the fan-out limit must be at least 1");
  }
  core::Result<StoredCampaign> stored = LoadCampaign(connection, id);
  if (!stored.ok()) {
    return stored.error();
  }
  Campaign& campaign = stored->campaign;
  // A paused or cancelled campaign has no job whose lease could hold; saying "stopped" tells its
  // worker why better than a lost lease would. Either way nothing is written.
  if (!IsOneOf(campaign.status, {CampaignStatus::kScheduled, CampaignStatus::kSending})) {
    FanOutStep step;
    step.stopped = true;
    step.done = campaign.fan_out_done;
    return step;
  }
  if (!LeaseHolds(connection, id, fan_out)) {
    return core::FailedPrecondition("lease lost: job " + std::to_string(fan_out.job_id) +
                                    " is no longer held by token " + std::to_string(fan_out.token));
  }
  if (campaign.fan_out_done) {
    FanOutStep step;
    step.done = true;
    return step;
  }

  if (campaign.status == CampaignStatus::kScheduled) {
    {
      ScopedStatement update(connection, "UPDATE campaigns SET status = 'sending' WHERE id = ?");
      update->bind(1, id);
      update->exec();
    }
    AuditEntry entry;
    entry.at = now;
    entry.actor = kSystemActor;
    entry.action = "campaign_started";
    if (core::Status audited =
            AppendCampaignAudit(connection, entry, id, campaign.status, CampaignStatus::kSending);
        !audited.ok()) {
      return audited.error();
    }
    campaign.status = CampaignStatus::kSending;
  }
  if (!campaign.started_at) {
    campaign.started_at = now;
    stored->paced_from = now;
    stored->paced_count = 0;
  }
  core::Result<std::string> fire_key = EnsureFire(connection, *stored, fan_out.shared_body, now);
  if (!fire_key.ok()) {
    return fire_key.error();
  }

  const std::optional<int> rate = campaign.content.rate_per_minute;
  TimeMs paced_from = stored->paced_from;
  std::int64_t paced_count = stored->paced_count;
  const auto next_slot = [&] { return paced_from + paced_count * kMinuteMs / *rate; };
  // A fan-out that fell behind its pace (it was interrupted, or the workers were busy) starts a
  // new pace from now rather than releasing the backlog at once.
  if (rate && next_slot() < now) {
    paced_from = now;
    paced_count = 0;
  }

  std::string cursor = stored->cursor;
  core::Result<std::vector<AudienceMember>> members =
      NextMembers(connection, campaign.content.audience, fan_out.limit, cursor);
  if (!members.ok()) {
    return members.error();
  }
  FanOutStep step;
  std::int64_t reached = 0, suppressed = 0, unsubscribed = 0;
  for (const AudienceMember& member : *members) {
    if (InLedger(connection, id, member.address)) {
      continue;  // reached before: never mailed twice
    }
    ++reached;
    if (member.unsubscribed) {
      InsertLedgerRow(connection, id, member, "unsubscribed", "", "");
      ++unsubscribed;
      continue;
    }
    if (IsSuppressed(connection, member.address)) {
      InsertLedgerRow(connection, id, member, "suppressed", "", "");
      ++suppressed;
      continue;
    }
    const std::string token = core::RandomHex(kTokenBytes);
    NewEmail email = recipient(campaign, member, token);
    email.campaign_id = id;
    email.fire_key = *fire_key;
    email.suppressed = false;
    if (rate) {
      email.send_at = next_slot();
      ++paced_count;
    } else {
      email.send_at = now;
    }
    if (core::Status inserted = PrepareAndInsertEmailInTransaction(connection, email, now);
        !inserted.ok()) {
      return inserted.error();
    }
    InsertLedgerRow(connection, id, member, "queued", email.id, token);
    ++step.enqueued;
  }
  step.skipped = suppressed + unsubscribed;
  step.done = static_cast<int>(members->size()) < fan_out.limit;
  if (step.enqueued > 0) {
    AddToCounter(connection, "enqueued_total", step.enqueued);
  }
  {
    ScopedStatement update(connection,
                           "UPDATE campaigns SET cursor = ?1, total = total + ?2, "
                           "suppressed = suppressed + ?3, unsubscribed = unsubscribed + ?4, "
                           "paced_from = ?5, paced_count = ?6, fan_out_done = ?7, "
                           "started_at = ?8, fire_key = ?9 WHERE id = ?10");
    update->bind(1, cursor);
    update->bind(2, reached);
    update->bind(3, suppressed);
    update->bind(4, unsubscribed);
    update->bind(5, paced_from);
    update->bind(6, paced_count);
    update->bind(7, step.done ? 1 : 0);
    update->bind(8, *campaign.started_at);
    update->bind(9, *fire_key);
    update->bind(10, id);
    update->exec();
  }
  if (step.done) {
    CompleteIfDone(connection, id, now);
  }
  return step;
}

core::Result<bool> RecordCampaignOpenInTransaction(Connection& connection, const std::string& token,
                                                   TimeMs now) {
  const std::optional<LedgerRow> row = FindLedgerRow(connection, token);
  if (!row) {
    return NoSuchRecipient();
  }
  bool first = false;
  {
    ScopedStatement update(connection,
                           "UPDATE campaign_recipients SET opened_at = ? "
                           "WHERE token = ? AND opened_at IS NULL");
    update->bind(1, now);
    update->bind(2, token);
    first = update->exec() > 0;
  }
  if (first) {
    ScopedStatement update(connection, "UPDATE campaigns SET opened = opened + 1 WHERE id = ?");
    update->bind(1, row->campaign_id);
    update->exec();
  }
  return first;
}

core::Result<bool> UnsubscribeCampaignRecipientInTransaction(Connection& connection,
                                                             const std::string& token, TimeMs now) {
  const std::optional<LedgerRow> row = FindLedgerRow(connection, token);
  if (!row) {
    return NoSuchRecipient();
  }
  if (row->unsubscribed_at) {
    return false;
  }
  {
    ScopedStatement update(connection,
                           "UPDATE campaign_recipients SET unsubscribed_at = ? WHERE token = ?");
    update->bind(1, now);
    update->bind(2, token);
    update->exec();
  }
  {
    ScopedStatement update(connection,
                           "UPDATE campaigns SET unsubscribes = unsubscribes + 1 WHERE id = ?");
    update->bind(1, row->campaign_id);
    update->exec();
  }
  if (IsListAudience(row->audience)) {
    // Their subscription ends as a newsletter unsubscribe would end it (an emptied schedule
    // group goes too); already gone is fine.
    const std::string list = row->audience.substr(std::string_view(kAudienceListPrefix).size());
    core::Result<Subscriber> removed = UnsubscribeInTransaction(connection, list, row->address);
    if (!removed.ok() && removed.error().code != core::ErrorCode::kNotFound) {
      return removed.error();
    }
  } else if (row->user_id) {
    ScopedStatement update(connection,
                           "UPDATE users SET unsubscribed_at = ? WHERE id = ? "
                           "AND unsubscribed_at IS NULL");
    update->bind(1, now);
    update->bind(2, *row->user_id);
    update->exec();
  }
  return true;
}

void CountCampaignEmail(Connection& connection, std::int64_t campaign_id, CampaignCount counter,
                        int delta, TimeMs now) {
  // One statement per counter: the column name cannot be a parameter.
  const char* sql = nullptr;
  switch (counter) {
    case CampaignCount::kSent: sql = "UPDATE campaigns SET sent = sent + ? WHERE id = ?"; break;
    case CampaignCount::kFailed:
      sql = "UPDATE campaigns SET failed = failed + ? WHERE id = ?";
      break;
    case CampaignCount::kCancelled:
      sql = "UPDATE campaigns SET cancelled = cancelled + ? WHERE id = ?";
      break;
  }
  {
    ScopedStatement update(connection, sql);
    update->bind(1, delta);
    update->bind(2, campaign_id);
    update->exec();
  }
  CompleteIfDone(connection, campaign_id, now);
}

void HoldIfCampaignPaused(Connection& connection, std::int64_t campaign_id, std::int64_t job_id) {
  ScopedStatement update(connection,
                         "UPDATE jobs SET run_at = ?1 WHERE id = ?2 AND state = 'queued' "
                         "AND EXISTS (SELECT 1 FROM campaigns WHERE id = ?3 "
                         "AND status = 'paused')");
  update->bind(1, kHeldRunAt);
  update->bind(2, job_id);
  update->bind(3, campaign_id);
  update->exec();
}

void RequeuedCampaignEmail(Connection& connection, std::int64_t campaign_id,
                           const std::string& email_id, std::int64_t job_id, TimeMs now) {
  std::optional<CampaignStatus> status;
  {
    ScopedStatement select(connection, "SELECT status FROM campaigns WHERE id = ?");
    select->bind(1, campaign_id);
    if (select->executeStep()) {
      status = ParseCampaignStatus(select->getColumn(0).getString());
    }
  }
  if (status == CampaignStatus::kPaused) {
    HoldIfCampaignPaused(connection, campaign_id, job_id);
  } else if (status == CampaignStatus::kCancelled) {
    CancelQueuedEmail(connection, email_id, job_id, now);
    CountCampaignEmail(connection, campaign_id, CampaignCount::kCancelled, 1, now);
  }
}

core::Result<Campaign> ReadCampaign(Connection& connection, std::int64_t id) {
  return Reread(connection, id);
}

core::Result<CampaignPage> ReadCampaignPage(Connection& connection, const CampaignQuery& query) {
  if (query.limit < 1 || query.limit > kMaxPageSize) {
    return core::InvalidArgument("limit", "the limit must be 1.." + std::to_string(kMaxPageSize));
  }
  core::Result<std::optional<std::int64_t>> cursor = ParseIdCursor(query.cursor);
  if (!cursor.ok()) {
    return cursor.error();
  }
  // Newest first: down the rowid, or down campaigns_by_status for one status.
  ScopedStatement select(connection, std::string("SELECT ") + kCampaignColumns +
                                         " FROM campaigns WHERE " +
                                         (query.status ? "status = ?3 AND " : "") +
                                         "id < ?1 ORDER BY id DESC LIMIT ?2");
  select->bind(1, cursor->value_or(std::numeric_limits<std::int64_t>::max()));
  select->bind(2, query.limit + 1);  // one row more than asked tells whether another page exists
  if (query.status) {
    select->bind(3, CampaignStatusName(*query.status));
  }
  CampaignPage page;
  while (select->executeStep()) {
    if (static_cast<int>(page.campaigns.size()) == query.limit) {
      page.next_cursor = std::to_string(page.campaigns.back().id);
      break;
    }
    core::Result<StoredCampaign> stored = CampaignFromRow(*select);
    if (!stored.ok()) {
      return stored.error();
    }
    page.campaigns.push_back(std::move(stored->campaign));
  }
  return page;
}

core::Result<CampaignVersion> ReadCampaignVersion(Connection& connection, std::int64_t id,
                                                  int version) {
  ScopedStatement select(connection,
                         "SELECT sender, subject, html, text, created_at FROM campaign_versions "
                         "WHERE campaign_id = ? AND version = ?");
  select->bind(1, id);
  select->bind(2, version);
  if (!select->executeStep()) {
    return core::NotFound("campaign " + std::to_string(id) + " has no version " +
                          std::to_string(version));
  }
  CampaignVersion found;
  found.version = version;
  found.from = select->getColumn(0).getString();
  found.subject = select->getColumn(1).getString();
  found.html = select->getColumn(2).getString();
  found.text = select->getColumn(3).getString();
  found.created_at = select->getColumn(4).getInt64();
  return found;
}

core::Result<CampaignRecipientRecord> ReadCampaignRecipient(Connection& connection,
                                                            const std::string& token) {
  if (token.empty()) {
    return NoSuchRecipient();
  }
  ScopedStatement select(connection,
                         "SELECT campaign_id, address, user_id, email_id, opened_at, "
                         "unsubscribed_at FROM campaign_recipients WHERE token = ?");
  select->bind(1, token);
  if (!select->executeStep()) {
    return NoSuchRecipient();
  }
  CampaignRecipientRecord record;
  record.campaign_id = select->getColumn(0).getInt64();
  record.address = select->getColumn(1).getString();
  record.user_id = TimeColumn(*select, 2);
  record.email_id = select->getColumn(3).getString();
  record.opened_at = TimeColumn(*select, 4);
  record.unsubscribed_at = TimeColumn(*select, 5);
  return record;
}

}  // namespace store::sqlite
