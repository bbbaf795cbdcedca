// The campaign area (store/campaign_store.h: drafts, approval, the fan-out with its recipient
// ledger, pacing, pause / resume / cancel, progress and the recipients' tokens) of the store
// contract. Time is passed in; nothing sleeps.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "contract_helpers.h"
#include "core/random.h"
#include "store_contract.h"

namespace store_contract {
namespace {

using store::Campaign;
using store::CampaignStatus;

// After any time a test passes, yet before the far-future run_at a held email waits at: about the
// year 9000.
constexpr TimeMs kYear9000 = 7'030LL * 365 * 86'400'000;
constexpr char kSharedBody[] =
    "Subject: Sale\r\nContent-Type: text/html\r\n\r\n<p>Everything must go</p>";

store::CampaignAction Action(std::int64_t id, const std::string& action, TimeMs at,
                             const std::string& actor = "user:1") {
  store::CampaignAction result;
  result.id = id;
  result.audit.at = at;
  result.audit.actor = actor;
  result.audit.action = action;
  result.audit.address = "192.0.2.1";
  result.audit.detail = R"({"why":"test"})";
  return result;
}

store::CampaignContent Content(const std::string& name,
                               const std::string& audience = store::kAudienceCustomers) {
  store::CampaignContent content;
  content.name = name;
  content.subject = "Sale";
  content.html = "<p>Everything must go</p>";
  content.text = "Everything must go";
  content.from = "Shop <shop@example.org>";
  content.audience = audience;
  return content;
}

store::CampaignVersion Frozen(const std::string& subject) {
  store::CampaignVersion version;
  version.from = "Shop <shop@example.org>";
  version.subject = subject;
  version.html = "<p>" + subject + "</p>";
  version.text = subject;
  return version;
}

Campaign Require(const core::Result<Campaign>& campaign) {
  REQUIRE_MESSAGE(campaign.ok(), campaign.error().message);
  return *campaign;
}

Campaign NewCampaign(store::Store& store, const store::CampaignContent& content, TimeMs at = kT0) {
  return Require(store.CreateCampaign(content, Action(0, "campaign_created", at)));
}

Campaign GetCampaign(store::Store& store, std::int64_t id) {
  return Require(store.GetCampaign(id));
}

Campaign Submit(store::Store& store, std::int64_t id, TimeMs at = kT0,
                const std::string& subject = "Sale") {
  return Require(store.SubmitCampaign(Frozen(subject), Action(id, "campaign_submitted", at)));
}

Campaign Approve(store::Store& store, std::int64_t id, TimeMs at = kT0) {
  return Require(store.ApproveCampaign(Action(id, "campaign_approved", at, "user:2")));
}

// Creates, submits and approves a campaign at `at`.
Campaign Approved(store::Store& store, const store::CampaignContent& content, TimeMs at = kT0) {
  const Campaign created = NewCampaign(store, content, at);
  Submit(store, created.id, at);
  return Approve(store, created.id, at);
}

void CheckRefused(const core::Result<Campaign>& result, const std::string& status) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::kFailedPrecondition);
  CHECK_MESSAGE(result.error().message.find(" is " + status + ";") != std::string::npos,
                result.error().message);
}

std::vector<store::Lease> LeaseCampaignJobs(store::Store& store, TimeMs now,
                                            TimeMs lease_ms = kLeaseMs) {
  core::Result<std::vector<store::Lease>> leases =
      store.LeaseJobs(store::JobKind::kCampaign, 10, now, lease_ms);
  REQUIRE_MESSAGE(leases.ok(), leases.error().message);
  return std::move(leases).value();
}

store::Lease LeaseCampaignJob(store::Store& store, TimeMs now, TimeMs lease_ms = kLeaseMs) {
  std::vector<store::Lease> leases = LeaseCampaignJobs(store, now, lease_ms);
  REQUIRE(leases.size() == 1);
  CHECK(leases.front().kind == "campaign");
  return leases.front();
}

// The campaign's audit entries, oldest first.
std::vector<store::AuditEntry> CampaignAudit(store::Store& store, std::int64_t id) {
  store::AuditQuery query;
  query.limit = 1000;
  core::Result<store::AuditPage> page = store.ListAudit(query);
  REQUIRE_MESSAGE(page.ok(), page.error().message);
  std::vector<store::AuditEntry> entries;
  for (const store::AuditEntry& entry : page->entries) {
    if (entry.target == "campaign:" + std::to_string(id)) {
      entries.push_back(entry);
    }
  }
  std::reverse(entries.begin(), entries.end());
  return entries;
}

// An audit entry's action, actor and the statuses its detail says it went from and to ("" for
// absent).
void CheckEntry(const store::AuditEntry& entry, const std::string& action, const std::string& actor,
                const std::string& from, const std::string& to) {
  CHECK(entry.action == action);
  CHECK(entry.actor == actor);
  const nlohmann::json detail = nlohmann::json::parse(entry.detail);
  REQUIRE(detail.is_object());
  CHECK(detail.value("from", "") == from);
  CHECK(detail.value("to", "") == to);
}

// Builds each recipient's email as a campaign service would and remembers what it made.
class Recipients {
 public:
  store::CampaignRecipient Function() {
    return [this](const Campaign& campaign, const store::AudienceMember& member,
                  const std::string& token) {
      // Runs on the store's writer thread: recorded here, checked by the test.
      statuses.push_back(campaign.status);
      store::NewEmail email;
      email.id = "c" + std::to_string(campaign.id) + "-" + member.address;
      email.from = "Shop <shop@example.org>";
      email.to = {member.address};
      email.envelope_from = "shop@example.org";
      email.envelope_recipients = {member.address};
      email.subject = "Sale";
      email.raw_message = Headers(email.id, member.address);
      email.raw_tail = Tail(token);
      email.priority = store::kPriorityBulk;
      email.max_attempts = 3;
      email.owner = "campaigns";
      token_of[member.address] = token;
      email_of[member.address] = email.id;
      members.push_back(member);
      return email;
    };
  }

  static std::string Headers(const std::string& id, const std::string& address) {
    return "To: " + address + "\r\nMessage-ID: <" + id + "@example.org>\r\n";
  }
  static std::string Tail(const std::string& token) {
    return "<img src=\"https://shop.example/o/" + token + "\">\r\n";
  }

  std::map<std::string, std::string> token_of;  // by address
  std::map<std::string, std::string> email_of;  // by address
  std::vector<store::AudienceMember> members;   // in the order they were mailed
  std::vector<CampaignStatus> statuses;         // of the campaign, as each recipient was built
};

store::FanOutStep FanOut(store::Store& store, std::int64_t id, const store::Lease& lease,
                         Recipients& recipients, TimeMs now, int limit = 500) {
  store::CampaignFanOut fan_out;
  fan_out.job_id = lease.job_id;
  fan_out.token = lease.token;
  fan_out.limit = limit;
  fan_out.shared_body = kSharedBody;
  core::Result<store::FanOutStep> step =
      store.FanOutCampaign(id, fan_out, recipients.Function(), now);
  REQUIRE_MESSAGE(step.ok(), step.error().message);
  return *step;
}

core::Result<store::FanOutStep> TryFanOut(store::Store& store, std::int64_t id,
                                          const store::Lease& lease, Recipients& recipients,
                                          TimeMs now, int limit = 500) {
  store::CampaignFanOut fan_out;
  fan_out.job_id = lease.job_id;
  fan_out.token = lease.token;
  fan_out.limit = limit;
  fan_out.shared_body = kSharedBody;
  return store.FanOutCampaign(id, fan_out, recipients.Function(), now);
}

// Customers "<prefix>1@example.org" ... "<prefix><n>@example.org", confirmed and enabled.
std::vector<store::User> AddCustomers(store::Store& store, int n,
                                      const std::string& prefix = "customer") {
  std::vector<store::User> users;
  for (int i = 1; i <= n; ++i) {
    users.push_back(AddUser(store, prefix + std::to_string(i) + "@example.org"));
  }
  return users;
}

// progress.queued() is the number of the campaign's emails that are not final.
void CheckQueued(store::Store& store, std::int64_t id, const Recipients& recipients) {
  std::int64_t open = 0;
  for (const auto& [address, email_id] : recipients.email_of) {
    const store::Email email = Get(store, email_id);
    if (email.status != EmailStatus::kSent && email.status != EmailStatus::kFailed &&
        email.status != EmailStatus::kCancelled && email.status != EmailStatus::kSuppressed) {
      ++open;
    }
  }
  CHECK(GetCampaign(store, id).progress.queued() == open);
}

void Finish(store::Store& store, const store::Lease& lease, DeliveryOutcome::Kind kind,
            TimeMs now) {
  CheckOk(store.FinishDelivery(lease.job_id, lease.token, Outcome(kind, "reply"), now));
}

store::NewSubscription ListSubscription(const std::string& list, const std::string& address,
                                        const std::string& frequency = "@daily") {
  store::NewSubscription subscription;
  subscription.content_type = list;
  subscription.user_id = address;
  subscription.frequency = frequency;
  subscription.subject = "News";
  subscription.content = "<p>News</p>";
  subscription.unsubscribe_token = core::RandomHex(16);
  return subscription;
}

}  // namespace

void RunCampaignContract(const BackendFactory& factory) {
  std::unique_ptr<Backend> backend = factory();
  std::unique_ptr<store::Store> opened = OpenStore(*backend);
  store::Store& store = *opened;

  SUBCASE("drafts: create, get, list newest first by status and cursor") {
    store::CampaignContent content = Content("Spring sale");
    content.send_at = kT0 + 3'600'000;
    content.rate_per_minute = 120;
    content.remarks = "for the spring";
    content.starts_at = kT0 + 1;
    content.ends_at = kT0 + 2;
    content.template_name = "sale";
    content.data = R"({"discount":10})";
    const Campaign first = NewCampaign(store, content, kT0);
    CHECK(first.id >= 1);
    CHECK(first.status == CampaignStatus::kDraft);
    CHECK(first.created_by == "user:1");
    CHECK(first.updated_by == "user:1");
    CHECK(first.created_at == kT0);
    CHECK(first.updated_at == kT0);
    CHECK(first.version == 0);
    CHECK_FALSE(first.started_at);
    CHECK_FALSE(first.fan_out_done);
    CHECK(first.progress.total == 0);

    const Campaign got = GetCampaign(store, first.id);
    CHECK(got.content.name == "Spring sale");
    CHECK(got.content.subject == "Sale");
    CHECK(got.content.html == content.html);
    CHECK(got.content.text == content.text);
    CHECK(got.content.template_name == "sale");
    CHECK(got.content.data == R"({"discount":10})");
    CHECK(got.content.from == content.from);
    CHECK(got.content.audience == "customers");
    CHECK(got.content.send_at == content.send_at);
    CHECK(got.content.rate_per_minute == 120);
    CHECK(got.content.remarks == "for the spring");
    CHECK(got.content.starts_at == kT0 + 1);
    CHECK(got.content.ends_at == kT0 + 2);

    const std::vector<store::AuditEntry> audit = CampaignAudit(store, first.id);
    REQUIRE(audit.size() == 1);
    CheckEntry(audit[0], "campaign_created", "user:1", "", "draft");
    CHECK(audit[0].at == kT0);
    CHECK(audit[0].address == "192.0.2.1");
    CHECK(nlohmann::json::parse(audit[0].detail).value("why", "") == "test");

    const Campaign second = NewCampaign(store, Content("Second"), kT0 + 1);
    const Campaign third = NewCampaign(store, Content("Third"), kT0 + 2);
    CHECK(second.id > first.id);
    CHECK(third.id > second.id);
    Submit(store, second.id, kT0 + 3);

    store::CampaignQuery query;
    query.limit = 2;
    core::Result<store::CampaignPage> page = store.ListCampaigns(query);
    REQUIRE(page.ok());
    REQUIRE(page->campaigns.size() == 2);
    CHECK(page->campaigns[0].id == third.id);
    CHECK(page->campaigns[1].id == second.id);
    CHECK(page->campaigns[1].status == CampaignStatus::kPendingApproval);
    REQUIRE_FALSE(page->next_cursor.empty());
    query.cursor = page->next_cursor;
    page = store.ListCampaigns(query);
    REQUIRE(page.ok());
    REQUIRE(page->campaigns.size() == 1);
    CHECK(page->campaigns[0].id == first.id);
    CHECK(page->next_cursor.empty());

    store::CampaignQuery drafts;
    drafts.status = CampaignStatus::kDraft;
    page = store.ListCampaigns(drafts);
    REQUIRE(page.ok());
    REQUIRE(page->campaigns.size() == 2);
    CHECK(page->campaigns[0].id == third.id);
    CHECK(page->campaigns[1].id == first.id);
    drafts.status = CampaignStatus::kSent;
    page = store.ListCampaigns(drafts);
    REQUIRE(page.ok());
    CHECK(page->campaigns.empty());

    for (const std::string& bad : {"abc"s, "-1"s, "0"s, "12x"s}) {
      store::CampaignQuery bad_cursor;
      bad_cursor.cursor = bad;
      CHECK(store.ListCampaigns(bad_cursor).error().code == ErrorCode::kInvalidArgument);
    }
    for (int bad : {0, 1001}) {
      store::CampaignQuery bad_limit;
      bad_limit.limit = bad;
      CHECK(store.ListCampaigns(bad_limit).error().code == ErrorCode::kInvalidArgument);
    }
    CHECK(store.GetCampaign(third.id + 100).error().code == ErrorCode::kNotFound);
  }

  SUBCASE("drafts: a name and a valid audience are required") {
    CHECK(store.CreateCampaign(Content(""), Action(0, "campaign_created", kT0)).error().code ==
          ErrorCode::kInvalidArgument);
    for (const std::string& audience : {""s, "everyone"s, "list:"s}) {
      CHECK(store.CreateCampaign(Content("x", audience), Action(0, "campaign_created", kT0))
                .error()
                .code == ErrorCode::kInvalidArgument);
    }
    store::CampaignContent zero_rate = Content("x");
    zero_rate.rate_per_minute = 0;
    CHECK(store.CreateCampaign(zero_rate, Action(0, "campaign_created", kT0)).error().code ==
          ErrorCode::kInvalidArgument);
    store::CampaignAction bad_detail = Action(0, "campaign_created", kT0);
    bad_detail.audit.detail = "[1]";
    CHECK(store.CreateCampaign(Content("x"), bad_detail).error().code ==
          ErrorCode::kInvalidArgument);
    store::CampaignQuery query;
    CHECK(store.ListCampaigns(query)->campaigns.empty());  // nothing was stored
  }

  SUBCASE("drafts: only a draft can be updated") {
    const Campaign draft = NewCampaign(store, Content("First name"));
    store::CampaignContent changed = Content("Second name", "list:news");
    changed.subject = "New subject";
    const Campaign updated = Require(
        store.UpdateCampaign(changed, Action(draft.id, "campaign_updated", kT0 + 5, "user:3")));
    CHECK(updated.content.name == "Second name");
    CHECK(updated.content.audience == "list:news");
    CHECK(updated.content.subject == "New subject");
    CHECK(updated.updated_by == "user:3");
    CHECK(updated.updated_at == kT0 + 5);
    CHECK(updated.created_by == "user:1");
    CHECK(updated.created_at == kT0);
    const std::vector<store::AuditEntry> audit = CampaignAudit(store, draft.id);
    REQUIRE(audit.size() == 2);
    CheckEntry(audit[1], "campaign_updated", "user:3", "draft", "draft");

    CHECK(store.UpdateCampaign(Content(""), Action(draft.id, "campaign_updated", kT0 + 6))
              .error()
              .code == ErrorCode::kInvalidArgument);
    Submit(store, draft.id, kT0 + 7);
    CheckRefused(store.UpdateCampaign(changed, Action(draft.id, "campaign_updated", kT0 + 8)),
                 "pending_approval");
    CHECK(store.UpdateCampaign(changed, Action(draft.id + 1, "campaign_updated", kT0 + 8))
              .error()
              .code == ErrorCode::kNotFound);
  }

  SUBCASE("submit freezes a version; reject returns the draft with a note; resubmit is v2") {
    const Campaign draft = NewCampaign(store, Content("Sale"));
    const Campaign submitted = Submit(store, draft.id, kT0 + 10, "First subject");
    CHECK(submitted.status == CampaignStatus::kPendingApproval);
    CHECK(submitted.version == 1);
    CHECK(submitted.submitted_by == "user:1");
    CHECK(submitted.submitted_at == kT0 + 10);
    core::Result<store::CampaignVersion> v1 = store.GetCampaignVersion(draft.id, 1);
    REQUIRE(v1.ok());
    CHECK(v1->version == 1);
    CHECK(v1->subject == "First subject");
    CHECK(v1->html == "<p>First subject</p>");
    CHECK(v1->text == "First subject");
    CHECK(v1->from == "Shop <shop@example.org>");
    CHECK(v1->created_at == kT0 + 10);
    CHECK(store.GetCampaignVersion(draft.id, 2).error().code == ErrorCode::kNotFound);
    CHECK(store.GetCampaignVersion(draft.id + 1, 1).error().code == ErrorCode::kNotFound);

    CheckRefused(store.SubmitCampaign(Frozen("x"), Action(draft.id, "campaign_submitted", kT0)),
                 "pending_approval");
    CheckRefused(store.PauseCampaign(Action(draft.id, "campaign_paused", kT0)), "pending_approval");
    CheckRefused(store.ResumeCampaign(Action(draft.id, "campaign_resumed", kT0)),
                 "pending_approval");

    const Campaign rejected = Require(store.RejectCampaign(
        "too loud", Action(draft.id, "campaign_rejected", kT0 + 20, "user:2")));
    CHECK(rejected.status == CampaignStatus::kDraft);
    CHECK(rejected.rejection_note == "too loud");
    CHECK(rejected.version == 1);
    CheckRefused(store.RejectCampaign("again", Action(draft.id, "campaign_rejected", kT0)),
                 "draft");
    CheckRefused(store.ApproveCampaign(Action(draft.id, "campaign_approved", kT0)), "draft");
    CHECK(store.ApproveCampaign(Action(draft.id + 1, "campaign_approved", kT0)).error().code ==
          ErrorCode::kNotFound);

    Require(store.UpdateCampaign(Content("Quieter sale"),
                                 Action(draft.id, "campaign_updated", kT0 + 25)));
    const Campaign resubmitted = Submit(store, draft.id, kT0 + 30, "Second subject");
    CHECK(resubmitted.version == 2);
    CHECK(resubmitted.rejection_note.empty());
    CHECK(store.GetCampaignVersion(draft.id, 2)->subject == "Second subject");
    CHECK(store.GetCampaignVersion(draft.id, 1)->subject == "First subject");

    const std::vector<store::AuditEntry> audit = CampaignAudit(store, draft.id);
    REQUIRE(audit.size() == 5);
    CheckEntry(audit[1], "campaign_submitted", "user:1", "draft", "pending_approval");
    CheckEntry(audit[2], "campaign_rejected", "user:2", "pending_approval", "draft");
    CheckEntry(audit[4], "campaign_submitted", "user:1", "draft", "pending_approval");
  }

  SUBCASE("approve with send_at ahead: scheduled, one campaign job leased at send_at") {
    AddCustomers(store, 1);
    store::CampaignContent content = Content("Later");
    content.send_at = kT0 + 60'000;
    const Campaign created = NewCampaign(store, content);
    Submit(store, created.id);
    const Campaign approved = Approve(store, created.id, kT0 + 5);
    CHECK(approved.status == CampaignStatus::kScheduled);
    CHECK(approved.approved_by == "user:2");
    CHECK(approved.approved_at == kT0 + 5);
    CheckRefused(store.ApproveCampaign(Action(created.id, "campaign_approved", kT0)), "scheduled");
    CheckRefused(store.SubmitCampaign(Frozen("x"), Action(created.id, "campaign_submitted", kT0)),
                 "scheduled");

    CHECK(store.NextRunAt(store::JobKind::kCampaign)->value_or(0) == kT0 + 60'000);
    CHECK(LeaseCampaignJobs(store, kT0 + 59'999).empty());
    CHECK(Lease(store, 10, kYear9000).empty());  // an email worker never sees it
    const store::Lease lease = LeaseCampaignJob(store, kT0 + 60'000);
    CHECK(lease.ref_id == std::to_string(created.id));
    CHECK(LeaseCampaignJobs(store, kT0 + 60'000).empty());  // exactly one job

    Recipients recipients;
    const store::FanOutStep step = FanOut(store, created.id, lease, recipients, kT0 + 60'001);
    CHECK(step.enqueued == 1);
    CHECK(step.done);
    CHECK_FALSE(step.stopped);
    const Campaign sending = GetCampaign(store, created.id);
    CHECK(sending.status == CampaignStatus::kSending);
    CHECK(sending.started_at == kT0 + 60'001);
    CHECK(recipients.statuses == std::vector<CampaignStatus>{CampaignStatus::kSending});
    const std::vector<store::AuditEntry> audit = CampaignAudit(store, created.id);
    REQUIRE(audit.size() == 4);
    CheckEntry(audit[2], "campaign_approved", "user:2", "pending_approval", "scheduled");
    CheckEntry(audit[3], "campaign_started", "system", "scheduled", "sending");
    CHECK(audit[3].at == kT0 + 60'001);
  }

  SUBCASE("approve without send_at: sending, its job due now; the job finishes as done") {
    AddCustomers(store, 2);
    const Campaign approved = Approved(store, Content("Now"), kT0);
    CHECK(approved.status == CampaignStatus::kSending);
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    const store::FanOutStep step = FanOut(store, approved.id, lease, recipients, kT0);
    CHECK(step.enqueued == 2);
    CHECK(step.done);
    // No scheduled -> sending step: no campaign_started entry.
    CHECK(CampaignAudit(store, approved.id).size() == 3);
    CHECK(GetCampaign(store, approved.id).started_at == kT0);
    // The fan-out's worker marks its job done; it is never leased again.
    Finish(store, lease, DeliveryOutcome::Kind::kSent, kT0 + 1);
    CHECK(LeaseCampaignJobs(store, kYear9000).empty());
    CHECK(Stats(store, kT0 + 1).queued == 2);  // the queue stats count email jobs only
  }

  SUBCASE("fan-out in batches: limit 2 over 5 customers takes 3 calls") {
    const std::vector<store::User> users = AddCustomers(store, 5);
    const Campaign approved = Approved(store, Content("Batches"));
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    store::FanOutStep step = FanOut(store, approved.id, lease, recipients, kT0, 2);
    CHECK(step.enqueued == 2);
    CHECK_FALSE(step.done);
    CHECK(GetCampaign(store, approved.id).progress.total == 2);
    CheckQueued(store, approved.id, recipients);
    step = FanOut(store, approved.id, lease, recipients, kT0 + 1, 2);
    CHECK(step.enqueued == 2);
    CHECK_FALSE(step.done);
    step = FanOut(store, approved.id, lease, recipients, kT0 + 2, 2);
    CHECK(step.enqueued == 1);
    CHECK(step.done);
    const Campaign done = GetCampaign(store, approved.id);
    CHECK(done.fan_out_done);
    CHECK(done.status == CampaignStatus::kSending);
    CHECK(done.progress.total == 5);
    CHECK(done.progress.queued() == 5);
    CheckQueued(store, approved.id, recipients);
    REQUIRE(recipients.members.size() == 5);
    for (std::size_t i = 0; i < users.size(); ++i) {
      CHECK(recipients.members[i].user_id == users[i].id);
      CHECK(recipients.members[i].address == "customer" + std::to_string(i + 1) + "@example.org");
      CHECK(recipients.members[i].name == users[i].name);
      CHECK_FALSE(recipients.members[i].unsubscribed);
    }
    CHECK(Stats(store, kT0 + 2).enqueued_total == 5);

    // Done: another call writes nothing.
    step = FanOut(store, approved.id, lease, recipients, kT0 + 3, 2);
    CHECK(step.enqueued == 0);
    CHECK(step.done);
    CHECK(recipients.members.size() == 5);
    CHECK(GetCampaign(store, approved.id).progress.total == 5);

    // Each email is the recipient's, with its campaign's id and shared body.
    const store::Email email = Get(store, recipients.email_of.at("customer3@example.org"));
    CHECK(email.to == std::vector<std::string>{"customer3@example.org"});
    CHECK(email.status == EmailStatus::kQueued);
  }

  SUBCASE("the fan-out's lease must hold; a member is never mailed twice") {
    const std::vector<store::User> users = AddCustomers(store, 5);
    const Campaign approved = Approved(store, Content("Leases"));
    const store::Lease first = LeaseCampaignJob(store, kT0, 1'000);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, first, recipients, kT0, 2).enqueued == 2);

    // The lease expires and another worker takes the job: the first token no longer holds.
    const store::Lease second = LeaseCampaignJob(store, kT0 + 1'000);
    CHECK(second.job_id == first.job_id);
    CHECK(second.token > first.token);
    const core::Result<store::FanOutStep> stale =
        TryFanOut(store, approved.id, first, recipients, kT0 + 1'001, 2);
    REQUIRE_FALSE(stale.ok());
    CHECK(stale.error().code == ErrorCode::kFailedPrecondition);
    CHECK(GetCampaign(store, approved.id).progress.total == 2);
    CHECK(recipients.members.size() == 2);
    store::Lease wrong = second;
    wrong.job_id += 1000;
    CHECK(TryFanOut(store, approved.id, wrong, recipients, kT0 + 1'001).error().code ==
          ErrorCode::kFailedPrecondition);
    CHECK(TryFanOut(store, approved.id + 1, second, recipients, kT0 + 1'001).error().code ==
          ErrorCode::kNotFound);

    // The third customer is reached; then leaves and signs up again under a new id, after the
    // cursor: the ledger knows the address, so they are not mailed twice nor counted twice.
    CHECK(FanOut(store, approved.id, second, recipients, kT0 + 1'002, 1).enqueued == 1);
    CheckOk(store.DeleteUser(users[2].id));
    AddUser(store, "Customer3@Example.org");
    const store::FanOutStep rest = FanOut(store, approved.id, second, recipients, kT0 + 1'003);
    CHECK(rest.enqueued == 2);
    CHECK(rest.done);
    CHECK(recipients.members.size() == 5);
    std::set<std::string> addresses;
    for (const store::AudienceMember& member : recipients.members) {
      addresses.insert(member.address);
    }
    CHECK(addresses.size() == 5);
    const Campaign done = GetCampaign(store, approved.id);
    CHECK(done.progress.total == 5);
    CheckQueued(store, approved.id, recipients);
  }

  SUBCASE("the audience: suppressed and unsubscribed customers counted, others left out") {
    AddUser(store, "a@example.org");
    store::User unsubscribed = MakeUser("u@example.org");
    unsubscribed.unsubscribed_at = kT0;
    AddUser(store, unsubscribed);
    AddUser(store, "S@Example.org");
    CheckOk(store.Suppress({"s@example.org", "bounce", "", kT0}));
    store::User unconfirmed = MakeUser("x@example.org");
    unconfirmed.confirmed_at.reset();
    AddUser(store, unconfirmed);
    store::User disabled = MakeUser("y@example.org");
    disabled.disabled_at = kT0;
    AddUser(store, disabled);
    AddUser(store, "manager@example.org", "manager");
    AddUser(store, "b@example.org");

    const Campaign approved = Approved(store, Content("Audience"));
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    store::FanOutStep step = FanOut(store, approved.id, lease, recipients, kT0, 3);
    CHECK(step.enqueued == 1);  // a; u unsubscribed, s suppressed
    CHECK(step.skipped == 2);
    CHECK_FALSE(step.done);
    step = FanOut(store, approved.id, lease, recipients, kT0, 3);
    CHECK(step.enqueued == 1);  // b
    CHECK(step.skipped == 0);
    CHECK(step.done);
    CHECK(std::set<std::string>{"a@example.org", "b@example.org"} ==
          std::set<std::string>{recipients.members[0].address, recipients.members[1].address});
    const Campaign done = GetCampaign(store, approved.id);
    CHECK(done.progress.total == 4);
    CHECK(done.progress.suppressed == 1);
    CHECK(done.progress.unsubscribed == 1);
    CHECK(done.progress.queued() == 2);
    CheckQueued(store, approved.id, recipients);
    CHECK(Stats(store, kT0).enqueued_total == 2);
  }

  SUBCASE("a list audience: its subscribers by address; an unknown list is kNotFound") {
    CHECK(store.Subscribe(ListSubscription("news", "carol@example.org"), kT0).ok());
    CHECK(store.Subscribe(ListSubscription("news", "Ada@Example.org", "@weekly"), kT0).ok());
    CHECK(store.Subscribe(ListSubscription("news", "bob@example.org"), kT0).ok());
    CHECK(store.Subscribe(ListSubscription("other", "dave@example.org"), kT0).ok());
    const Campaign approved = Approved(store, Content("List", "list:news"));
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, lease, recipients, kT0, 2).enqueued == 2);
    const store::FanOutStep step = FanOut(store, approved.id, lease, recipients, kT0, 2);
    CHECK(step.enqueued == 1);
    CHECK(step.done);
    REQUIRE(recipients.members.size() == 3);
    CHECK(recipients.members[0].address == "ada@example.org");
    CHECK(recipients.members[1].address == "bob@example.org");
    CHECK(recipients.members[2].address == "carol@example.org");
    CHECK_FALSE(recipients.members[0].user_id);

    const Campaign missing = Approved(store, Content("Missing", "list:nosuch"));
    const store::Lease missing_lease = LeaseCampaignJob(store, kT0);
    CHECK(TryFanOut(store, missing.id, missing_lease, recipients, kT0).error().code ==
          ErrorCode::kNotFound);
    CHECK(GetCampaign(store, missing.id).status == CampaignStatus::kSending);  // nothing written
    CHECK_FALSE(GetCampaign(store, missing.id).started_at);
  }

  SUBCASE("pacing: rate 60 spaces the emails 1000 ms apart across batches") {
    AddCustomers(store, 3);
    store::CampaignContent content = Content("Paced");
    content.rate_per_minute = 60;
    const Campaign approved = Approved(store, content);
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, lease, recipients, kT0, 2).enqueued == 2);
    CHECK(FanOut(store, approved.id, lease, recipients, kT0 + 500, 2).enqueued == 1);
    CHECK(Get(store, recipients.email_of.at("customer1@example.org")).next_attempt_at == kT0);
    CHECK(Get(store, recipients.email_of.at("customer2@example.org")).next_attempt_at ==
          kT0 + 1'000);
    CHECK(Get(store, recipients.email_of.at("customer3@example.org")).next_attempt_at ==
          kT0 + 2'000);
    CHECK(Lease(store, 10, kT0).size() == 1);
    CHECK(Lease(store, 10, kT0 + 999).empty());
    CHECK(Lease(store, 10, kT0 + 1'000).size() == 1);
    CHECK(Lease(store, 10, kT0 + 1'999).empty());
    CHECK(Lease(store, 10, kT0 + 2'000).size() == 1);
  }

  SUBCASE("pacing: a fan-out that fell behind its pace starts a new one from now") {
    AddCustomers(store, 3);
    store::CampaignContent content = Content("Behind");
    content.rate_per_minute = 30;  // 2000 ms apart
    const Campaign approved = Approved(store, content);
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, lease, recipients, kT0, 1).enqueued == 1);
    CHECK(FanOut(store, approved.id, lease, recipients, kT0 + 10'000, 2).enqueued == 2);
    CHECK(Get(store, recipients.email_of.at("customer2@example.org")).next_attempt_at ==
          kT0 + 10'000);
    CHECK(Get(store, recipients.email_of.at("customer3@example.org")).next_attempt_at ==
          kT0 + 12'000);
  }

  SUBCASE("a campaign email's message: its headers, the shared body, its tail") {
    AddCustomers(store, 2);
    const Campaign approved = Approved(store, Content("Message"));
    Recipients recipients;
    FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0);
    const std::string address = "customer2@example.org";
    const std::string& id = recipients.email_of.at(address);
    const std::string expected = Recipients::Headers(id, address) + kSharedBody +
                                 Recipients::Tail(recipients.token_of.at(address));
    core::Result<store::EmailStore::RawMessage> message = store.GetRawMessage(id);
    REQUIRE(message.ok());
    CHECK(message->data == expected);
    CHECK(message->envelope_recipients == std::vector<std::string>{address});
    core::Result<std::vector<std::optional<store::EmailStore::RawMessage>>> batch =
        store.GetRawMessages({id, "unknown"}, SIZE_MAX);
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == 2);
    REQUIRE((*batch)[0].has_value());
    CHECK((*batch)[0]->data == expected);
    CHECK_FALSE((*batch)[1].has_value());
    CHECK(recipients.token_of.at(address).size() == 32);

    // Other emails have no tail.
    Create(store, MakeEmail("plain"));
    CHECK(store.GetRawMessage("plain")->data == MakeEmail("plain").raw_message);

    // A byte budget stops the batch after the message that reaches it; the first is always read.
    batch = store.GetRawMessages({id, "plain"}, 1);
    REQUIRE(batch.ok());
    REQUIRE(batch->size() == 1);
    CHECK((*batch)[0]->data == expected);
    batch = store.GetRawMessages({id, "plain"}, expected.size() + 1);
    REQUIRE(batch.ok());
    CHECK(batch->size() == 2);
  }

  SUBCASE("deliveries move the counters; the last makes the campaign sent") {
    AddCustomers(store, 3);
    const Campaign approved = Approved(store, Content("Deliveries"));
    const store::Lease fan_out_lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, fan_out_lease, recipients, kT0).done);
    Finish(store, fan_out_lease, DeliveryOutcome::Kind::kSent, kT0);
    std::vector<store::Lease> leases = Lease(store, 10, kT0 + 1);
    REQUIRE(leases.size() == 3);
    CheckQueued(store, approved.id, recipients);
    core::Result<std::vector<core::Status>> finished = store.FinishDeliveries(
        {{leases[0].job_id, leases[0].token, Outcome(DeliveryOutcome::Kind::kSent, "250")},
         {leases[1].job_id, leases[1].token,
          Outcome(DeliveryOutcome::Kind::kRetry, "451", kT0 + 60'000)}},
        kT0 + 2);
    REQUIRE(finished.ok());
    Campaign progress = GetCampaign(store, approved.id);
    CHECK(progress.progress.sent == 1);
    CHECK(progress.progress.failed == 0);
    CHECK(progress.progress.queued() == 2);
    CheckQueued(store, approved.id, recipients);
    Finish(store, leases[2], DeliveryOutcome::Kind::kFailed, kT0 + 3);
    progress = GetCampaign(store, approved.id);
    CHECK(progress.progress.failed == 1);
    CHECK(progress.status == CampaignStatus::kSending);
    CheckQueued(store, approved.id, recipients);

    const store::Lease retried = LeaseOne(store, kT0 + 60'000);
    Finish(store, retried, DeliveryOutcome::Kind::kSent, kT0 + 60'001);
    const Campaign sent = GetCampaign(store, approved.id);
    CHECK(sent.status == CampaignStatus::kSent);
    CHECK(sent.finished_at == kT0 + 60'001);
    CHECK(sent.progress.sent == 2);
    CHECK(sent.progress.failed == 1);
    CHECK(sent.progress.queued() == 0);
    CheckQueued(store, approved.id, recipients);
    const std::vector<store::AuditEntry> audit = CampaignAudit(store, approved.id);
    REQUIRE_FALSE(audit.empty());
    CheckEntry(audit.back(), "campaign_sent", "system", "sending", "sent");
    CHECK(audit.back().at == kT0 + 60'001);
    CheckRefused(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0)), "sent");
    CheckRefused(store.CancelCampaign(Action(approved.id, "campaign_cancelled", kT0)), "sent");
  }

  SUBCASE("cancelling one email counts it; RetryEmail moves a failed one back to queued") {
    AddCustomers(store, 3);
    const Campaign approved = Approved(store, Content("One by one"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    CheckOk(store.CancelEmail(recipients.email_of.at("customer1@example.org"), kT0 + 1));
    CHECK(GetCampaign(store, approved.id).progress.cancelled == 1);
    CheckQueued(store, approved.id, recipients);

    std::vector<store::Lease> leases = Lease(store, 10, kT0 + 2);
    REQUIRE(leases.size() == 2);
    Finish(store, leases[0], DeliveryOutcome::Kind::kFailed, kT0 + 3);
    CHECK(GetCampaign(store, approved.id).progress.failed == 1);
    CheckOk(store.RetryEmail(leases[0].ref_id, kT0 + 4));
    Campaign progress = GetCampaign(store, approved.id);
    CHECK(progress.progress.failed == 0);
    CHECK(progress.progress.queued() == 2);
    CheckQueued(store, approved.id, recipients);

    Finish(store, leases[1], DeliveryOutcome::Kind::kSent, kT0 + 5);
    Finish(store, LeaseOne(store, kT0 + 6), DeliveryOutcome::Kind::kSent, kT0 + 7);
    const Campaign sent = GetCampaign(store, approved.id);
    CHECK(sent.status == CampaignStatus::kSent);
    CHECK(sent.progress.sent == 2);
    CHECK(sent.progress.cancelled == 1);
    CheckQueued(store, approved.id, recipients);
  }

  SUBCASE("pause holds queued emails and stops the fan-out; resume releases them paced") {
    AddCustomers(store, 5);
    store::CampaignContent content = Content("Pause");
    content.rate_per_minute = 60;
    const Campaign approved = Approved(store, content);
    const store::Lease old_lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, old_lease, recipients, kT0, 2).enqueued == 2);
    const store::Lease in_flight = LeaseOne(store, kT0);  // customer1's, due at kT0

    const Campaign paused =
        Require(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0 + 100)));
    CHECK(paused.status == CampaignStatus::kPaused);
    CheckRefused(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0 + 100)), "paused");
    CheckRefused(store.ApproveCampaign(Action(approved.id, "campaign_approved", kT0 + 100)),
                 "paused");
    CHECK(store.DeleteCampaign(Action(approved.id, "campaign_deleted", kT0 + 100)).error().code ==
          ErrorCode::kFailedPrecondition);

    // A batch in flight writes nothing now.
    core::Result<store::FanOutStep> stopped =
        TryFanOut(store, approved.id, old_lease, recipients, kT0 + 200, 2);
    CHECK((!stopped.ok() ? stopped.error().code == ErrorCode::kFailedPrecondition
                         : stopped->stopped && stopped->enqueued == 0));
    CHECK(GetCampaign(store, approved.id).progress.total == 2);
    CHECK(recipients.members.size() == 2);
    CHECK(LeaseCampaignJobs(store, kYear9000).empty());

    // The email being sent finishes; the other is held, however late a worker looks.
    Finish(store, in_flight, DeliveryOutcome::Kind::kSent, kT0 + 300);
    CHECK(GetCampaign(store, approved.id).status == CampaignStatus::kPaused);
    CHECK(Lease(store, 10, kYear9000).empty());
    CheckQueued(store, approved.id, recipients);
    CHECK(GetCampaign(store, approved.id).progress.queued() == 1);

    const Campaign resumed =
        Require(store.ResumeCampaign(Action(approved.id, "campaign_resumed", kT0 + 10'000)));
    CHECK(resumed.status == CampaignStatus::kSending);
    CHECK(Get(store, recipients.email_of.at("customer2@example.org")).next_attempt_at ==
          kT0 + 10'000);
    CheckRefused(store.ResumeCampaign(Action(approved.id, "campaign_resumed", kT0 + 10'000)),
                 "sending");

    // The fan-out job is queued again and continues after the released emails' pace.
    const store::Lease new_lease = LeaseCampaignJob(store, kT0 + 10'000);
    CHECK(new_lease.job_id != old_lease.job_id);
    CHECK(TryFanOut(store, approved.id, old_lease, recipients, kT0 + 10'000).error().code ==
          ErrorCode::kFailedPrecondition);
    const store::FanOutStep rest = FanOut(store, approved.id, new_lease, recipients, kT0 + 10'000);
    CHECK(rest.enqueued == 3);
    CHECK(rest.done);
    CHECK(Get(store, recipients.email_of.at("customer3@example.org")).next_attempt_at ==
          kT0 + 11'000);
    CHECK(Get(store, recipients.email_of.at("customer5@example.org")).next_attempt_at ==
          kT0 + 13'000);
    CheckQueued(store, approved.id, recipients);

    const std::vector<store::AuditEntry> audit = CampaignAudit(store, approved.id);
    REQUIRE(audit.size() == 5);
    CheckEntry(audit[3], "campaign_paused", "user:1", "sending", "paused");
    CheckEntry(audit[4], "campaign_resumed", "user:1", "paused", "sending");
  }

  SUBCASE("pause: an email retried or released while paused stays held") {
    AddCustomers(store, 2);
    const Campaign approved = Approved(store, Content("Held"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    std::vector<store::Lease> leases = Lease(store, 10, kT0);
    REQUIRE(leases.size() == 2);
    Finish(store, leases[0], DeliveryOutcome::Kind::kFailed, kT0 + 1);
    Require(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0 + 2)));
    CheckOk(store.RetryEmail(leases[0].ref_id, kT0 + 3));
    CheckOk(store.ReleaseLease(leases[1].job_id, leases[1].token, kT0 + 4, kT0 + 4));
    CHECK(Lease(store, 10, kYear9000).empty());
    CheckQueued(store, approved.id, recipients);

    Require(store.ResumeCampaign(Action(approved.id, "campaign_resumed", kT0 + 5)));
    CHECK(Lease(store, 10, kT0 + 5).size() == 2);
  }

  SUBCASE("pause before the start: resume returns to scheduled with its job at send_at") {
    AddCustomers(store, 1);
    store::CampaignContent content = Content("Scheduled");
    content.send_at = kT0 + 60'000;
    const Campaign approved = Approved(store, content);
    CHECK(approved.status == CampaignStatus::kScheduled);
    CHECK(Require(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0 + 1))).status ==
          CampaignStatus::kPaused);
    CHECK(LeaseCampaignJobs(store, kYear9000).empty());
    const Campaign resumed =
        Require(store.ResumeCampaign(Action(approved.id, "campaign_resumed", kT0 + 2)));
    CHECK(resumed.status == CampaignStatus::kScheduled);
    CHECK(LeaseCampaignJobs(store, kT0 + 59'999).empty());
    const store::Lease lease = LeaseCampaignJob(store, kT0 + 60'000);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, lease, recipients, kT0 + 60'000).enqueued == 1);
    CHECK(GetCampaign(store, approved.id).status == CampaignStatus::kSending);
  }

  SUBCASE("resume with nothing left to deliver makes the campaign sent") {
    AddCustomers(store, 1);
    const Campaign approved = Approved(store, Content("Nothing left"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    const store::Lease in_flight = LeaseOne(store, kT0);
    Require(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0 + 1)));
    Finish(store, in_flight, DeliveryOutcome::Kind::kSent, kT0 + 2);
    CHECK(GetCampaign(store, approved.id).status == CampaignStatus::kPaused);
    const Campaign resumed =
        Require(store.ResumeCampaign(Action(approved.id, "campaign_resumed", kT0 + 3)));
    CHECK(resumed.status == CampaignStatus::kSent);
    CHECK(resumed.finished_at == kT0 + 3);
    CHECK(LeaseCampaignJobs(store, kYear9000).empty());  // the fan-out was done: no new job
    const std::vector<store::AuditEntry> audit = CampaignAudit(store, approved.id);
    REQUIRE(audit.size() == 6);
    CheckEntry(audit[4], "campaign_resumed", "user:1", "paused", "sending");
    CheckEntry(audit[5], "campaign_sent", "system", "sending", "sent");
  }

  SUBCASE("cancel cancels the fan-out and every queued email, and counts them") {
    AddCustomers(store, 3);
    const Campaign approved = Approved(store, Content("Cancel"));
    const store::Lease fan_out_lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, fan_out_lease, recipients, kT0, 2).enqueued == 2);
    const store::Lease in_flight = LeaseOne(store, kT0);
    const Campaign cancelled =
        Require(store.CancelCampaign(Action(approved.id, "campaign_cancelled", kT0 + 5)));
    CHECK(cancelled.status == CampaignStatus::kCancelled);
    CHECK(cancelled.finished_at == kT0 + 5);
    CHECK(cancelled.progress.cancelled == 1);
    CHECK(cancelled.progress.queued() == 1);  // the one being sent
    CheckQueued(store, approved.id, recipients);
    const std::string queued_id = recipients.email_of.at("customer2@example.org");
    CHECK(Get(store, queued_id).status == EmailStatus::kCancelled);
    CHECK(EventTypes(store, queued_id).back() == "cancelled");
    CheckRefused(store.CancelCampaign(Action(approved.id, "campaign_cancelled", kT0 + 6)),
                 "cancelled");
    CheckRefused(store.ResumeCampaign(Action(approved.id, "campaign_resumed", kT0 + 6)),
                 "cancelled");

    const core::Result<store::FanOutStep> after =
        TryFanOut(store, approved.id, fan_out_lease, recipients, kT0 + 6);
    CHECK((!after.ok() ? after.error().code == ErrorCode::kFailedPrecondition
                       : after->stopped && after->enqueued == 0));
    CHECK(GetCampaign(store, approved.id).progress.total == 2);

    Finish(store, in_flight, DeliveryOutcome::Kind::kSent, kT0 + 7);
    const Campaign finished = GetCampaign(store, approved.id);
    CHECK(finished.status == CampaignStatus::kCancelled);
    CHECK(finished.progress.sent == 1);
    CHECK(finished.progress.queued() == 0);
    CheckQueued(store, approved.id, recipients);
    const std::vector<store::AuditEntry> audit = CampaignAudit(store, approved.id);
    CheckEntry(audit.back(), "campaign_cancelled", "user:1", "sending", "cancelled");
  }

  SUBCASE("cancel: an email in flight that comes back to the queue is cancelled, not sent") {
    AddCustomers(store, 2);
    const Campaign approved = Approved(store, Content("Back"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    std::vector<store::Lease> leases = Lease(store, 10, kT0);
    REQUIRE(leases.size() == 2);
    const Campaign cancelled =
        Require(store.CancelCampaign(Action(approved.id, "campaign_cancelled", kT0 + 1)));
    CHECK(cancelled.progress.cancelled == 0);
    CHECK(cancelled.progress.queued() == 2);
    CheckOk(store.FinishDelivery(leases[0].job_id, leases[0].token,
                                 Outcome(DeliveryOutcome::Kind::kRetry, "451", kT0 + 60'000),
                                 kT0 + 2));
    CheckOk(store.ReleaseLease(leases[1].job_id, leases[1].token, kT0 + 3, kT0 + 3));
    CHECK(Lease(store, 10, kYear9000).empty());
    const Campaign finished = GetCampaign(store, approved.id);
    CHECK(finished.status == CampaignStatus::kCancelled);
    CHECK(finished.progress.cancelled == 2);
    CHECK(finished.progress.queued() == 0);
    CheckQueued(store, approved.id, recipients);
    CHECK(EventTypes(store, leases[0].ref_id).back() == "cancelled");
    CHECK(Get(store, leases[1].ref_id).status == EmailStatus::kCancelled);
  }

  SUBCASE("cancel from draft and pending approval; a paused campaign's held emails too") {
    const Campaign draft = NewCampaign(store, Content("Draft"));
    CHECK(Require(store.CancelCampaign(Action(draft.id, "campaign_cancelled", kT0))).status ==
          CampaignStatus::kCancelled);
    const Campaign pending = NewCampaign(store, Content("Pending"));
    Submit(store, pending.id);
    CHECK(Require(store.CancelCampaign(Action(pending.id, "campaign_cancelled", kT0))).status ==
          CampaignStatus::kCancelled);

    AddCustomers(store, 2);
    const Campaign approved = Approved(store, Content("Paused"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    Require(store.PauseCampaign(Action(approved.id, "campaign_paused", kT0 + 1)));
    const Campaign cancelled =
        Require(store.CancelCampaign(Action(approved.id, "campaign_cancelled", kT0 + 2)));
    CHECK(cancelled.progress.cancelled == 2);
    CHECK(cancelled.progress.queued() == 0);
    CheckQueued(store, approved.id, recipients);
    CHECK(Stats(store, kT0 + 2).cancelled == 2);
  }

  SUBCASE("delete: refused while scheduled, sending or paused; takes versions and ledger") {
    AddCustomers(store, 1);
    const Campaign approved = Approved(store, Content("Delete"));
    CHECK(store.DeleteCampaign(Action(approved.id, "campaign_deleted", kT0)).error().code ==
          ErrorCode::kFailedPrecondition);
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    CHECK(store.DeleteCampaign(Action(approved.id, "campaign_deleted", kT0)).error().code ==
          ErrorCode::kFailedPrecondition);
    Require(store.CancelCampaign(Action(approved.id, "campaign_cancelled", kT0 + 1)));
    CheckOk(store.DeleteCampaign(Action(approved.id, "campaign_deleted", kT0 + 2)));
    CHECK(store.GetCampaign(approved.id).error().code == ErrorCode::kNotFound);
    CHECK(store.GetCampaignVersion(approved.id, 1).error().code == ErrorCode::kNotFound);
    const std::string token = recipients.token_of.at("customer1@example.org");
    CHECK(store.FindCampaignRecipient(token).error().code == ErrorCode::kNotFound);
    CHECK(store.RecordCampaignOpen(token, kT0 + 3).error().code == ErrorCode::kNotFound);
    // Its emails stay.
    CHECK(Get(store, recipients.email_of.at("customer1@example.org")).status ==
          EmailStatus::kCancelled);
    const std::vector<store::AuditEntry> audit = CampaignAudit(store, approved.id);
    CheckEntry(audit.back(), "campaign_deleted", "user:1", "cancelled", "");
    CHECK(store.DeleteCampaign(Action(approved.id, "campaign_deleted", kT0 + 4)).error().code ==
          ErrorCode::kNotFound);

    const Campaign draft = NewCampaign(store, Content("Draft"));
    CheckOk(store.DeleteCampaign(Action(draft.id, "campaign_deleted", kT0)));
    // Ids are never reused.
    CHECK(NewCampaign(store, Content("Next")).id > draft.id);
  }

  SUBCASE("recipients: found by token; opens counted once; unsubscribing a customer") {
    const std::vector<store::User> users = AddCustomers(store, 2);
    const Campaign approved = Approved(store, Content("Tokens"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    const std::string token = recipients.token_of.at("customer1@example.org");

    core::Result<store::CampaignRecipientRecord> record = store.FindCampaignRecipient(token);
    REQUIRE(record.ok());
    CHECK(record->campaign_id == approved.id);
    CHECK(record->address == "customer1@example.org");
    CHECK(record->user_id == users[0].id);
    CHECK(record->email_id == recipients.email_of.at("customer1@example.org"));
    CHECK_FALSE(record->opened_at);
    CHECK_FALSE(record->unsubscribed_at);
    CHECK(store.FindCampaignRecipient("unknown").error().code == ErrorCode::kNotFound);
    CHECK(store.FindCampaignRecipient("").error().code == ErrorCode::kNotFound);

    CHECK(store.RecordCampaignOpen(token, kT0 + 10).value() == true);
    CHECK(store.RecordCampaignOpen(token, kT0 + 20).value() == false);
    CHECK(store.RecordCampaignOpen("unknown", kT0).error().code == ErrorCode::kNotFound);
    CHECK(store.FindCampaignRecipient(token)->opened_at == kT0 + 10);
    CHECK(GetCampaign(store, approved.id).progress.opened == 1);

    CHECK(store.UnsubscribeCampaignRecipient(token, kT0 + 30).value() == true);
    CHECK(store.UnsubscribeCampaignRecipient(token, kT0 + 40).value() == false);
    CHECK(store.UnsubscribeCampaignRecipient("unknown", kT0).error().code == ErrorCode::kNotFound);
    CHECK(store.FindCampaignRecipient(token)->unsubscribed_at == kT0 + 30);
    CHECK(store.GetUser(users[0].id)->unsubscribed_at == kT0 + 30);
    CHECK_FALSE(store.GetUser(users[1].id)->unsubscribed_at);
    CHECK(GetCampaign(store, approved.id).progress.unsubscribes == 1);

    // The next campaign counts them as unsubscribed instead of mailing them.
    const Campaign next = Approved(store, Content("Next"), kT0 + 50);
    Recipients next_recipients;
    const store::FanOutStep step =
        FanOut(store, next.id, LeaseCampaignJob(store, kT0 + 50), next_recipients, kT0 + 50);
    CHECK(step.enqueued == 1);
    CHECK(GetCampaign(store, next.id).progress.unsubscribed == 1);
  }

  SUBCASE("recipients: unsubscribing a list subscriber ends their subscription") {
    CHECK(store.Subscribe(ListSubscription("news", "ada@example.org", "@weekly"), kT0).ok());
    CHECK(store.Subscribe(ListSubscription("news", "bob@example.org"), kT0).ok());
    const Campaign approved = Approved(store, Content("List", "list:news"));
    Recipients recipients;
    CHECK(FanOut(store, approved.id, LeaseCampaignJob(store, kT0), recipients, kT0).done);
    const std::string token = recipients.token_of.at("ada@example.org");
    CHECK_FALSE(store.FindCampaignRecipient(token)->user_id);
    CHECK(store.UnsubscribeCampaignRecipient(token, kT0 + 1).value() == true);
    CHECK(store.CountSubscribers("news").value() == 1);
    // Ada was the only weekly subscriber: that schedule group is gone.
    const std::vector<store::Schedule> schedules = store.ListSchedules().value();
    CHECK(std::none_of(schedules.begin(), schedules.end(),
                       [](const store::Schedule& group) { return group.frequency == "@weekly"; }));
    CHECK(store.UnsubscribeCampaignRecipient(token, kT0 + 2).value() == false);
    CHECK(GetCampaign(store, approved.id).progress.unsubscribes == 1);
  }

  SUBCASE("retention keeps a running campaign's shared body, even before its first email") {
    AddUser(store, "s@example.org");
    AddUser(store, "t@example.org");
    CheckOk(store.Suppress({"s@example.org", "manual", "", kT0}));
    const Campaign approved = Approved(store, Content("Retention"));
    const store::Lease lease = LeaseCampaignJob(store, kT0);
    Recipients recipients;
    const store::FanOutStep first = FanOut(store, approved.id, lease, recipients, kT0, 1);
    CHECK(first.enqueued == 0);
    CHECK(first.skipped == 1);
    CHECK(store.PurgeBefore(store::PurgeKind::kFires, kYear9000, 100).value() == 0);
    CHECK(FanOut(store, approved.id, lease, recipients, kT0 + 1, 1).enqueued == 1);
    const std::string& id = recipients.email_of.at("t@example.org");
    CHECK(store.GetRawMessage(id)->data.find(kSharedBody) != std::string::npos);
  }
}

}  // namespace store_contract
