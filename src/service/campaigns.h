#pragma once
// Campaigns (seed 004): managers and admins draft mail to an audience (every customer, or a
// newsletter list's subscribers), submit it, and only an admin approves it; the approved version
// is then fanned out in the background, paced, resumable and once per recipient, with one-click
// unsubscribe and open counting. Every transition is in the audit trail.
//
// The fan-out is a leased job (store::JobKind::kCampaign) run by this service's own LeaseLoop: a
// process killed mid-fan-out leaves its lease to expire, and the next holder continues after the
// last committed batch (the store's recipient ledger makes a member's email exist at most once).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/result.h"
#include "queue/lease_loop.h"
#include "service/accounts.h"
#include "service/email_service.h"
#include "service/templates.h"
#include "store/campaign_store.h"
#include "store/job_queue.h"
#include "store/newsletter_store.h"

namespace service {

inline constexpr std::size_t kMaxCampaignName = 200;
inline constexpr std::size_t kMaxCampaignBody = 1 << 20;  // html, text: 1 MiB each
inline constexpr int kMaxRatePerMinute = 1'000'000;
inline constexpr std::size_t kMaxTestRecipients = 10;

struct CampaignOptions {
  std::string default_from;  // the sender when a campaign names none
  int fan_out_batch = 500;   // audience members per store write
  int max_attempts = 5;      // delivery attempts of each campaign email
  core::TimeMs lease_ms = 60'000;
  core::TimeMs retry_ms = 10'000;  // a fan-out that hit a store error runs again after this
};

// Pure: checks a draft (name, audience, sizes, sender, rate, template data) before it is stored;
// kInvalidArgument naming the field.
core::Status ValidateCampaignContent(const store::CampaignContent& content);

class CampaignService : private queue::LeaseHandler {
 public:
  CampaignService(store::CampaignStore& campaigns, store::JobQueue& jobs,
                  store::NewsletterStore& lists, store::AuditStore& audit, EmailService& emails,
                  TemplateService& templates, const core::Clock& clock, core::Logger& logger,
                  std::function<void()> wake_delivery, CampaignOptions options);
  ~CampaignService() override;
  CampaignService(const CampaignService&) = delete;
  CampaignService& operator=(const CampaignService&) = delete;

  // The base of unsubscribe links and open pixels (no trailing '/'). Set once, before Start.
  void SetPublicUrl(std::string url) { public_url_ = std::move(url); }

  // The fan-out workers: one thread leasing campaign jobs. Stop gives back what it holds.
  void Start();
  void Stop();

  // Drafts: `actor` as ActorOf(principal); `client` for the audit trail. ---------------------
  core::Result<store::Campaign> Create(const store::CampaignContent& content,
                                       const std::string& actor, const Client& client);
  // Replaces the draft's content (the caller merges a partial change into Get's content).
  core::Result<store::Campaign> Update(std::int64_t id, const store::CampaignContent& content,
                                       const std::string& actor, const Client& client);
  core::Status Delete(std::int64_t id, const std::string& actor, const Client& client);
  core::Result<store::Campaign> Get(std::int64_t id);
  core::Result<store::CampaignPage> List(const store::CampaignQuery& query);
  // The version frozen at submission (what the admin approves).
  core::Result<store::CampaignVersion> Version(std::int64_t id, int version);

  // Transitions. -----------------------------------------------------------------------------
  // Freezes the draft: renders its template (if any), derives a missing text part from the
  // HTML, chooses the sender, checks a list audience exists, and stores the result as the
  // version the admin will approve.
  core::Result<store::Campaign> Submit(std::int64_t id, const std::string& actor,
                                       const Client& client);
  // The caller checked that `actor` is an admin (auth::Permission::kAdminister).
  core::Result<store::Campaign> Approve(std::int64_t id, const std::string& actor,
                                        const Client& client);
  core::Result<store::Campaign> Reject(std::int64_t id, const std::string& note,
                                       const std::string& actor, const Client& client);
  core::Result<store::Campaign> Pause(std::int64_t id, const std::string& actor,
                                      const Client& client);
  core::Result<store::Campaign> Resume(std::int64_t id, const std::string& actor,
                                       const Client& client);
  core::Result<store::Campaign> Cancel(std::int64_t id, const std::string& actor,
                                       const Client& client);
  // Sends the campaign as it would go out (the frozen version once submitted, else the draft)
  // to at most kMaxTestRecipients addresses, each its own email: subject prefixed "[Test] ",
  // tagged "campaign-test", not counted in the progress. kFailedPrecondition once sent or
  // cancelled. Returns the email ids.
  core::Result<std::vector<std::string>> SendTest(std::int64_t id,
                                                  const std::vector<std::string>& to,
                                                  const auth::Principal& principal,
                                                  const Client& client);

  // The public links in campaign mail. --------------------------------------------------------
  // kNotFound for an unknown token.
  core::Result<store::CampaignRecipientRecord> FindRecipient(const std::string& token);
  core::Result<bool> Unsubscribe(const std::string& token);
  // Unknown tokens and repeat opens change nothing.
  void Opened(const std::string& token);

 private:
  class FanOutBatch;
  std::unique_ptr<queue::LeaseBatch> Open(const std::vector<store::Lease>& leases) override;
  // Runs one fan-out lease to its end (done, stopped, lease lost, or this process stopping).
  void RunFanOut(const store::Lease& lease);
  store::CampaignAction ActionOf(std::int64_t id, const char* action, const std::string& actor,
                                 const Client& client) const;
  core::Result<store::Campaign> Logged(core::Result<store::Campaign> campaign, const char* action);
  // The message as it goes out, resolved from a draft (template rendered, text derived).
  core::Result<store::CampaignVersion> Resolve(const store::CampaignContent& content);
  store::NewEmail RecipientEmail(const store::Campaign& campaign,
                                 const store::AudienceMember& member, const std::string& token,
                                 const store::CampaignVersion& version,
                                 const std::string& envelope_from, const std::string& close);

  store::CampaignStore& campaigns_;
  store::JobQueue& jobs_;
  store::NewsletterStore& lists_;
  store::AuditStore& audit_;
  EmailService& emails_;
  TemplateService& templates_;
  const core::Clock& clock_;
  core::Logger& logger_;
  const std::function<void()> wake_delivery_;
  const CampaignOptions options_;
  std::string public_url_;
  std::unique_ptr<queue::LeaseLoop> loop_;
};

}  // namespace service
