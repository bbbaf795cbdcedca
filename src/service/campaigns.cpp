#include "service/campaigns.h"

#include <algorithm>
#include <charconv>

#include "core/json.h"
#include "mail/html_text.h"
#include "mail/message.h"
#include "service/newsletters.h"

namespace service {
namespace {

using core::Result;
using store::Campaign;
using store::CampaignAction;

constexpr const char* kCampaignOwner = "campaigns";
constexpr std::size_t kMaxSubject = 998;
constexpr std::size_t kMaxRemarks = 10'000;

bool HasControl(std::string_view text, bool allow_line_breaks) {
  return std::any_of(text.begin(), text.end(), [allow_line_breaks](char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (allow_line_breaks && (c == '\n' || c == '\r' || c == '\t')) return false;
    return byte < 0x20 || byte == 0x7f;
  });
}

std::string CampaignTarget(std::int64_t id) { return "campaign:" + std::to_string(id); }

}  // namespace

core::Status ValidateCampaignContent(const store::CampaignContent& content) {
  if (content.name.empty() || content.name.size() > kMaxCampaignName ||
      HasControl(content.name, false)) {
    return core::InvalidArgument("name", "name must be 1 to 200 bytes without control characters");
  }
  if (content.subject.size() > kMaxSubject || HasControl(content.subject, false)) {
    return core::InvalidArgument(
        "subject", "subject must be at most 998 bytes without control characters or line breaks");
  }
  if (content.html.size() > kMaxCampaignBody) {
    return core::InvalidArgument("html", "html must be at most 1 MiB");
  }
  if (content.text.size() > kMaxCampaignBody) {
    return core::InvalidArgument("text", "text must be at most 1 MiB");
  }
  if (content.remarks.size() > kMaxRemarks) {
    return core::InvalidArgument("remarks", "remarks must be at most 10000 bytes");
  }
  if (!content.template_name.empty()) {
    if (auto valid = ValidateTemplateName(content.template_name); !valid.ok()) {
      return core::InvalidArgument("template", valid.error().message);
    }
  }
  if (auto data = core::ParseJsonObject(content.data, "data"); !data.ok()) {
    return data.error();
  }
  if (!content.from.empty()) {
    if (auto from = mail::ParseSendableAddress(content.from, "from"); !from.ok()) {
      return from.error();
    }
  }
  if (content.audience != store::kAudienceCustomers) {
    const std::string_view prefix = store::kAudienceListPrefix;
    if (!content.audience.starts_with(prefix) ||
        !ValidateContentTypeName(content.audience.substr(prefix.size())).ok()) {
      return core::InvalidArgument(
          "audience", "audience must be \"customers\" or {\"list\": \"<a list's name>\"}");
    }
  }
  if (content.rate_per_minute &&
      (*content.rate_per_minute < 1 || *content.rate_per_minute > kMaxRatePerMinute)) {
    return core::InvalidArgument("rate_per_minute", "rate_per_minute must be 1 to 1000000");
  }
  if (content.starts_at && content.ends_at && *content.ends_at < *content.starts_at) {
    return core::InvalidArgument("end_time", "the end must not be before the start");
  }
  return {};
}

// A fan-out lease as the loop runs it: each runs to its end on its own.
class CampaignService::FanOutBatch final : public queue::LeaseBatch {
 public:
  FanOutBatch(CampaignService& service, const std::vector<store::Lease>& leases)
      : service_(service), leases_(leases) {}
  void Run(std::size_t index) override { service_.RunFanOut(leases_[index]); }

 private:
  CampaignService& service_;
  const std::vector<store::Lease>& leases_;
};

CampaignService::CampaignService(store::CampaignStore& campaigns, store::JobQueue& jobs,
                                 store::NewsletterStore& lists, store::AuditStore& audit,
                                 EmailService& emails, TemplateService& templates,
                                 const core::Clock& clock, core::Logger& logger,
                                 std::function<void()> wake_delivery, CampaignOptions options)
    : campaigns_(campaigns),
      jobs_(jobs),
      lists_(lists),
      audit_(audit),
      emails_(emails),
      templates_(templates),
      clock_(clock),
      logger_(logger),
      wake_delivery_(std::move(wake_delivery)),
      options_(std::move(options)),
      loop_(std::make_unique<queue::LeaseLoop>(queue::LoopOptions{.kind = store::JobKind::kCampaign,
                                                                  .threads = 1,
                                                                  .lease_batch = 1,
                                                                  .lease_ms = options_.lease_ms,
                                                                  .log_prefix = "campaign "},
                                               jobs, static_cast<queue::LeaseHandler&>(*this),
                                               clock, logger)) {}

// The loop's thread calls into this object: it ends before the members it uses.
CampaignService::~CampaignService() { loop_->Stop(); }

void CampaignService::Start() { loop_->Start(); }
void CampaignService::Stop() { loop_->Stop(); }

std::unique_ptr<queue::LeaseBatch> CampaignService::Open(const std::vector<store::Lease>& leases) {
  return std::make_unique<FanOutBatch>(*this, leases);
}

CampaignAction CampaignService::ActionOf(std::int64_t id, const char* action,
                                         const std::string& actor, const Client& client) const {
  CampaignAction audited;
  audited.id = id;
  audited.audit.at = clock_.NowMs();
  audited.audit.actor = actor;
  audited.audit.action = action;
  audited.audit.address = client.address;
  return audited;
}

Result<Campaign> CampaignService::Logged(Result<Campaign> campaign, const char* action) {
  if (campaign.ok()) {
    logger_.Info(action, {{"campaign", campaign->id},
                          {"status", store::CampaignStatusName(campaign->status)}});
  }
  return campaign;
}

Result<Campaign> CampaignService::Create(const store::CampaignContent& content,
                                         const std::string& actor, const Client& client) {
  if (auto valid = ValidateCampaignContent(content); !valid.ok()) return valid.error();
  return Logged(campaigns_.CreateCampaign(content, ActionOf(0, "campaign_created", actor, client)),
                "campaign created");
}

Result<Campaign> CampaignService::Update(std::int64_t id, const store::CampaignContent& content,
                                         const std::string& actor, const Client& client) {
  if (auto valid = ValidateCampaignContent(content); !valid.ok()) return valid.error();
  return Logged(campaigns_.UpdateCampaign(content, ActionOf(id, "campaign_updated", actor, client)),
                "campaign updated");
}

core::Status CampaignService::Delete(std::int64_t id, const std::string& actor,
                                     const Client& client) {
  auto deleted = campaigns_.DeleteCampaign(ActionOf(id, "campaign_deleted", actor, client));
  if (deleted.ok()) logger_.Info("campaign deleted", {{"campaign", id}});
  return deleted;
}

Result<Campaign> CampaignService::Get(std::int64_t id) { return campaigns_.GetCampaign(id); }

Result<store::CampaignPage> CampaignService::List(const store::CampaignQuery& query) {
  return campaigns_.ListCampaigns(query);
}

Result<store::CampaignVersion> CampaignService::Version(std::int64_t id, int version) {
  return campaigns_.GetCampaignVersion(id, version);
}

Result<store::CampaignVersion> CampaignService::Resolve(const store::CampaignContent& content) {
  store::CampaignVersion version;
  version.subject = content.subject;
  version.html = content.html;
  version.text = content.text;
  if (!content.template_name.empty()) {
    auto data = core::ParseJsonObject(content.data, "data");
    if (!data.ok()) return data.error();
    auto rendered = templates_.Render(content.template_name, *data);
    if (!rendered.ok()) return rendered.error();
    if (version.subject.empty()) version.subject = rendered->subject;
    version.html = rendered->html;
    version.text = rendered->text;
  }
  if (version.subject.empty()) {
    return core::InvalidArgument("subject", "a campaign needs a subject before it is submitted");
  }
  if (version.html.empty() && version.text.empty()) {
    return core::InvalidArgument("html",
                                 "a campaign needs html or text (or a template) before it is "
                                 "submitted");
  }
  if (version.text.empty()) version.text = mail::HtmlToText(version.html);
  version.from = content.from.empty() ? options_.default_from : content.from;
  if (version.from.empty()) {
    return core::FailedPrecondition(
        "campaigns need a sender: give the campaign a from, or set --default-from");
  }
  return version;
}

Result<Campaign> CampaignService::Submit(std::int64_t id, const std::string& actor,
                                         const Client& client) {
  auto campaign = campaigns_.GetCampaign(id);
  if (!campaign.ok()) return campaign.error();
  auto frozen = Resolve(campaign->content);
  if (!frozen.ok()) return frozen.error();
  const std::string& audience = campaign->content.audience;
  if (audience.starts_with(store::kAudienceListPrefix)) {
    const std::string list = audience.substr(std::string_view(store::kAudienceListPrefix).size());
    if (auto found = lists_.GetContentType(list); !found.ok()) {
      if (found.error().code != core::ErrorCode::kNotFound) return found.error();
      return core::InvalidArgument("audience", "there is no list named '" + list + "'");
    }
  }
  frozen->created_at = clock_.NowMs();
  // The store refuses unless the campaign is still the draft that was just resolved.
  return Logged(
      campaigns_.SubmitCampaign(*frozen, ActionOf(id, "campaign_submitted", actor, client)),
      "campaign submitted");
}

Result<Campaign> CampaignService::Approve(std::int64_t id, const std::string& actor,
                                          const Client& client) {
  auto approved =
      Logged(campaigns_.ApproveCampaign(ActionOf(id, "campaign_approved", actor, client)),
             "campaign approved");
  if (approved.ok()) loop_->Notify();
  return approved;
}

Result<Campaign> CampaignService::Reject(std::int64_t id, const std::string& note,
                                         const std::string& actor, const Client& client) {
  if (note.size() > kMaxRemarks || HasControl(note, true)) {
    return core::InvalidArgument("note", "note must be at most 10000 bytes of text");
  }
  return Logged(campaigns_.RejectCampaign(note, ActionOf(id, "campaign_rejected", actor, client)),
                "campaign rejected");
}

Result<Campaign> CampaignService::Pause(std::int64_t id, const std::string& actor,
                                        const Client& client) {
  return Logged(campaigns_.PauseCampaign(ActionOf(id, "campaign_paused", actor, client)),
                "campaign paused");
}

Result<Campaign> CampaignService::Resume(std::int64_t id, const std::string& actor,
                                         const Client& client) {
  auto resumed = Logged(campaigns_.ResumeCampaign(ActionOf(id, "campaign_resumed", actor, client)),
                        "campaign resumed");
  if (resumed.ok()) {
    loop_->Notify();
    wake_delivery_();
  }
  return resumed;
}

Result<Campaign> CampaignService::Cancel(std::int64_t id, const std::string& actor,
                                         const Client& client) {
  return Logged(campaigns_.CancelCampaign(ActionOf(id, "campaign_cancelled", actor, client)),
                "campaign cancelled");
}

Result<std::vector<std::string>> CampaignService::SendTest(std::int64_t id,
                                                           const std::vector<std::string>& to,
                                                           const auth::Principal& principal,
                                                           const Client& client) {
  if (to.empty() || to.size() > kMaxTestRecipients) {
    return core::InvalidArgument("to", "to must list 1 to 10 addresses");
  }
  auto campaign = campaigns_.GetCampaign(id);
  if (!campaign.ok()) return campaign.error();
  if (campaign->status == store::CampaignStatus::kSent ||
      campaign->status == store::CampaignStatus::kCancelled) {
    return core::FailedPrecondition("campaign " + std::to_string(id) + " is " +
                                    store::CampaignStatusName(campaign->status) +
                                    "; test sends are for campaigns not sent yet");
  }
  // Every address is checked before any is sent, so a bad one names its own index and nothing
  // goes out (each send below is its own request, where the address would always be to[0]).
  for (std::size_t i = 0; i < to.size(); ++i) {
    if (auto parsed = mail::ParseSendableAddress(to[i], "to[" + std::to_string(i) + "]");
        !parsed.ok()) {
      return parsed.error();
    }
  }
  auto version = campaign->version > 0 ? campaigns_.GetCampaignVersion(id, campaign->version)
                                       : Resolve(campaign->content);
  if (!version.ok()) return version.error();
  std::vector<std::string> ids;
  for (const std::string& address : to) {
    SendEmailRequest request;
    request.from = version->from;
    request.to = {address};
    request.subject = "[Test] " + version->subject;
    request.html = version->html;
    request.text = version->text;
    request.headers = {{"X-Outbox-Campaign-Test", std::to_string(id)}};
    request.tags = {"campaign-test"};
    request.metadata = {{"campaign", id}, {"test", true}};
    auto sent = emails_.Send(std::move(request), principal, std::nullopt);
    if (!sent.ok()) {
      core::Error error = sent.error();
      if (error.field.starts_with("to")) error.field = "to[" + std::to_string(ids.size()) + "]";
      return error;
    }
    ids.push_back(sent->email_id);
  }
  store::AuditEntry entry = ActionOf(id, "campaign_test_sent", ActorOf(principal), client).audit;
  entry.target = CampaignTarget(id);
  entry.detail = nlohmann::json{{"to", to}, {"emails", ids}}.dump();
  if (auto recorded = audit_.AppendAudit(entry); !recorded.ok()) {
    logger_.Warn("audit entry not recorded", {{"action", entry.action}});
  }
  return ids;
}

Result<store::CampaignRecipientRecord> CampaignService::FindRecipient(const std::string& token) {
  return campaigns_.FindCampaignRecipient(token);
}

Result<bool> CampaignService::Unsubscribe(const std::string& token) {
  auto first = campaigns_.UnsubscribeCampaignRecipient(token, clock_.NowMs());
  if (first.ok() && *first) logger_.Info("unsubscribed from campaign mail by link", {});
  return first;
}

void CampaignService::Opened(const std::string& token) {
  // Unknown tokens and repeat opens change nothing; the pixel answers the same either way.
  static_cast<void>(campaigns_.RecordCampaignOpen(token, clock_.NowMs()));
}

store::NewEmail CampaignService::RecipientEmail(const Campaign& campaign,
                                                const store::AudienceMember& member,
                                                const std::string& token,
                                                const store::CampaignVersion& version,
                                                const std::string& envelope_from,
                                                const std::string& close) {
  store::NewEmail email = BulkRecipientEmail(version.from, envelope_from, version.subject,
                                             mail::Address{member.name, member.address},
                                             public_url_ + "/unsubscribe/" + token, clock_.NowMs());
  email.raw_tail = mail::RenderHtmlTail(
      "<img src=\"" + public_url_ + "/t/" + token + ".gif\" width=\"1\" height=\"1\" alt=\"\">",
      close);
  email.tags = {"campaign"};
  email.metadata = {{"campaign", campaign.id}};
  email.max_attempts = options_.max_attempts;
  email.owner = kCampaignOwner;
  return email;
}

void CampaignService::RunFanOut(const store::Lease& lease) {
  const auto finish = [&](store::DeliveryOutcome::Kind kind, std::string reply) {
    const core::TimeMs now = clock_.NowMs();
    store::DeliveryOutcome outcome{
        kind, std::move(reply),
        kind == store::DeliveryOutcome::Kind::kRetry ? now + options_.retry_ms : 0};
    if (auto done = jobs_.FinishDelivery(lease.job_id, lease.token, outcome, now); !done.ok()) {
      logger_.Warn("campaign fan-out outcome not recorded",
                   {{"campaign", lease.ref_id}, {"error", done.error().message}});
    }
  };
  std::int64_t id = 0;
  const auto [end, parsed] =
      std::from_chars(lease.ref_id.data(), lease.ref_id.data() + lease.ref_id.size(), id);
  if (parsed != std::errc() || end != lease.ref_id.data() + lease.ref_id.size()) {
    return finish(store::DeliveryOutcome::Kind::kFailed, "not a campaign id");
  }
  auto campaign = campaigns_.GetCampaign(id);
  auto version = campaign.ok() ? campaigns_.GetCampaignVersion(id, campaign->version)
                               : Result<store::CampaignVersion>(campaign.error());
  if (!version.ok()) {
    logger_.Error("campaign fan-out cannot start",
                  {{"campaign", id}, {"error", version.error().message}});
    const bool gone = version.error().code == core::ErrorCode::kNotFound;
    return finish(
        gone ? store::DeliveryOutcome::Kind::kFailed : store::DeliveryOutcome::Kind::kRetry,
        version.error().message);
  }
  auto from = mail::ParseAddress(version->from, "from");
  if (!from.ok()) {
    return finish(store::DeliveryOutcome::Kind::kFailed, from.error().message);
  }
  // The message every recipient shares, rendered once; its boundaries are the version's, so the
  // recipients' tails close the body the store keeps from the first batch.
  mail::Message shared;
  shared.from = *from;
  shared.subject = version->subject;
  shared.html = version->html;
  shared.text = version->text;
  shared.date = clock_.NowMs();
  shared.boundary_seed = CampaignTarget(id) + ":v" + std::to_string(version->version);
  mail::OpenHtmlPart part = mail::RenderSharedPartOpenHtml(shared);

  store::CampaignFanOut fan_out{lease.job_id, lease.token, options_.fan_out_batch,
                                std::move(part.shared)};
  const auto recipient = [&](const Campaign& current, const store::AudienceMember& member,
                             const std::string& token) {
    return RecipientEmail(current, member, token, *version, from->address, part.close);
  };
  std::int64_t total = 0;
  for (;;) {
    if (loop_->stopping()) {
      loop_->Release(lease);
      return;
    }
    auto step = campaigns_.FanOutCampaign(id, fan_out, recipient, clock_.NowMs());
    if (!step.ok()) {
      if (step.error().code == core::ErrorCode::kFailedPrecondition) {
        logger_.Info("campaign fan-out lease lost", {{"campaign", id}});
        return;  // another holder (or a pause) took over; nothing was written
      }
      logger_.Error("campaign fan-out failed", {{"campaign", id}, {"error", step.error().message}});
      return finish(store::DeliveryOutcome::Kind::kRetry, step.error().message);
    }
    total += step->enqueued;
    if (step->enqueued > 0) wake_delivery_();
    if (step->done || step->stopped) {
      logger_.Info(step->done ? "campaign fanned out" : "campaign fan-out stopped",
                   {{"campaign", id}, {"emails", total}});
      return finish(store::DeliveryOutcome::Kind::kSent, step->done ? "done" : "stopped");
    }
    const core::TimeMs now = clock_.NowMs();
    if (!jobs_.Heartbeat(lease.job_id, lease.token, now + options_.lease_ms).ok()) {
      logger_.Info("campaign fan-out lease lost", {{"campaign", id}});
      return;
    }
  }
}

}  // namespace service
