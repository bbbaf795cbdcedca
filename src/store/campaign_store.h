#pragma once
// Campaigns (seed 004): mail to an audience that a manager drafts, an admin approves and outbox
// fans out in the background. Every state change is one atomic write that also appends its audit
// entry; approval binds the content frozen at submission; the fan-out keeps a recipient ledger so
// each audience member is reached once, however often it is interrupted; progress counters move
// in the same write as what they count.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/audit_store.h"
#include "store/types.h"

namespace store {

enum class CampaignStatus {
  kDraft,            // editable
  kPendingApproval,  // submitted: content frozen, waiting for an admin
  kScheduled,        // approved, send_at still ahead
  kSending,          // approved: fanning out and/or delivering
  kPaused,           // stopped by a person; resume continues where it stopped
  kSent,             // fanned out to the end and every email reached a final state
  kCancelled,
};
const char* CampaignStatusName(CampaignStatus status);  // "draft", "pending_approval", ...
std::optional<CampaignStatus> ParseCampaignStatus(const std::string& name);

// Who a campaign goes to: every confirmed, enabled user with role customer, or the subscribers
// of one newsletter list (stored as "customers" or "list:<name>").
inline constexpr char kAudienceCustomers[] = "customers";
inline constexpr char kAudienceListPrefix[] = "list:";

// What a person edits while the campaign is a draft.
struct CampaignContent {
  std::string name;
  std::string subject;
  std::string html;
  std::string text;
  std::string template_name;  // when set, subject/html/text come from this template at submit
  std::string data = "{}";    // the template's data (a JSON object)
  std::string from;           // "" = the server's default sender
  std::string audience = kAudienceCustomers;
  std::optional<TimeMs> send_at;       // not before then; nullopt = on approval
  std::optional<int> rate_per_minute;  // emails released per minute; nullopt = unpaced
  std::string remarks;                 // seed 004's free text
  std::optional<TimeMs> starts_at;     // seed 004's offer period (shown, not acted on)
  std::optional<TimeMs> ends_at;
};

// The content as frozen at submission, resolved (template rendered, sender chosen): what the
// admin approves and what is sent, byte for byte.
struct CampaignVersion {
  int version = 0;   // 1, 2, ... per campaign
  std::string from;  // the From header as given ("Name <a@b>")
  std::string subject;
  std::string html;
  std::string text;
  TimeMs created_at = 0;
};

// Exact counts, moved in the same write as what they count. Every audience member the fan-out
// reached is in exactly one of queued, sent, failed, cancelled, suppressed, unsubscribed.
struct CampaignProgress {
  std::int64_t total = 0;         // audience members reached by the fan-out so far
  std::int64_t sent = 0;          // accepted by the relay
  std::int64_t failed = 0;        // given up
  std::int64_t cancelled = 0;     // their email was cancelled (the campaign or the email)
  std::int64_t suppressed = 0;    // skipped: the address is on the suppression list
  std::int64_t unsubscribed = 0;  // skipped: unsubscribed from campaign mail before the fan-out
  std::int64_t opened = 0;        // recipients whose open pixel was fetched (once each)
  std::int64_t unsubscribes = 0;  // recipients who unsubscribed through this campaign's mail
  std::int64_t queued() const {
    return total - sent - failed - cancelled - suppressed - unsubscribed;
  }
};

struct Campaign {
  std::int64_t id = 0;  // from 1 up; never reused
  CampaignStatus status = CampaignStatus::kDraft;
  CampaignContent content;  // the draft as last edited
  std::string created_by;   // audit actors: "user:<id>", "key:<id>"
  std::string updated_by;
  TimeMs created_at = 0;
  TimeMs updated_at = 0;
  std::string submitted_by;
  std::optional<TimeMs> submitted_at;
  std::string approved_by;
  std::optional<TimeMs> approved_at;
  std::string rejection_note;         // the last rejection's; cleared by the next submission
  int version = 0;                    // the frozen version (submitted or approved); 0 = none yet
  std::optional<TimeMs> started_at;   // the fan-out's first batch
  std::optional<TimeMs> finished_at;  // when it became sent or cancelled
  bool fan_out_done = false;
  CampaignProgress progress;
};

struct CampaignQuery {
  std::optional<CampaignStatus> status;
  std::string cursor;  // "" for the first page; next_cursor of the previous page
  int limit = 50;      // 1..1000
};

struct CampaignPage {
  std::vector<Campaign> campaigns;  // newest (highest id) first
  std::string next_cursor;          // "" after the last page
};

// A state change and its audit entry, written together. The store fills the entry's target
// ("campaign:<id>") and adds {"from": <old status>, "to": <new status>} to its detail object.
struct CampaignAction {
  std::int64_t id = 0;
  AuditEntry audit;  // actor, action ("campaign_submitted", ...), at (= now), address, detail
};

// One audience member as the fan-out sees it.
struct AudienceMember {
  std::string address;                  // bare, lower-cased
  std::optional<std::int64_t> user_id;  // audience "customers"
  std::string name;                     // display name; "" when none
  bool unsubscribed = false;            // unsubscribed from campaign mail: skipped and counted
};

// Builds a recipient's email (given without its body) while the store fans out. `token` is the
// recipient's ledger token (32 hex digits), for their unsubscribe link and open pixel. Runs
// inside the store's write: must be quick and must not call the store. The store sets the
// email's campaign_id, fire_key (the campaign's shared body), run_at pacing and suppression.
using CampaignRecipient = std::function<NewEmail(
    const Campaign& campaign, const AudienceMember& member, const std::string& token)>;

struct CampaignFanOut {
  std::int64_t job_id = 0;  // the fan-out's lease (JobKind::kCampaign); it must still hold
  std::int64_t token = 0;
  int limit = 500;  // audience members per call
  // Everything but each recipient's own headers and tail, rendered once from the approved
  // version; stored with the campaign's first batch (later batches keep the stored one).
  std::string shared_body;
};

struct FanOutStep {
  std::int64_t enqueued = 0;  // emails created in this call
  std::int64_t skipped = 0;   // members skipped (suppressed, unsubscribed) in this call
  bool done = false;          // the audience is exhausted (the campaign may now be sent)
  bool stopped = false;       // the campaign is not sending (paused, cancelled): nothing written
};

// A recipient found by their ledger token (unsubscribe page, open pixel).
struct CampaignRecipientRecord {
  std::int64_t campaign_id = 0;
  std::string address;
  std::optional<std::int64_t> user_id;
  std::string email_id;
  std::optional<TimeMs> opened_at;
  std::optional<TimeMs> unsubscribed_at;
};

class CampaignStore {
 public:
  virtual ~CampaignStore() = default;

  // Drafts --------------------------------------------------------------------------------
  // Stores a new draft created by audit.actor and appends its audit entry (action given by the
  // caller) in one write. kInvalidArgument for an empty name or audience.
  virtual Result<Campaign> CreateCampaign(const CampaignContent& content,
                                          const CampaignAction& action) = 0;
  // Replaces the draft's content. kFailedPrecondition unless the campaign is a draft.
  virtual Result<Campaign> UpdateCampaign(const CampaignContent& content,
                                          const CampaignAction& action) = 0;
  // Deletes the campaign with its versions and ledger (its emails stay). kFailedPrecondition
  // while scheduled, sending or paused (cancel it first).
  virtual Status DeleteCampaign(const CampaignAction& action) = 0;
  // kNotFound for an unknown id.
  virtual Result<Campaign> GetCampaign(std::int64_t id) = 0;
  // kInvalidArgument for a cursor this listing did not return or a limit outside 1..1000.
  virtual Result<CampaignPage> ListCampaigns(const CampaignQuery& query) = 0;
  // kNotFound for an unknown campaign or version.
  virtual Result<CampaignVersion> GetCampaignVersion(std::int64_t id, int version) = 0;

  // Transitions: each kNotFound for an unknown id and kFailedPrecondition (naming the status)
  // when the campaign is not in a state the transition starts from. --------------------
  // draft -> pending_approval: stores `frozen` as the next version (its number is assigned)
  // and clears the rejection note.
  virtual Result<Campaign> SubmitCampaign(const CampaignVersion& frozen,
                                          const CampaignAction& action) = 0;
  // pending_approval -> scheduled (send_at after now) or sending, approving the frozen version:
  // approved_by/at are the action's actor and time, and the fan-out job (JobKind::kCampaign,
  // ref_id = the id, run_at = max(send_at, now)) is queued.
  virtual Result<Campaign> ApproveCampaign(const CampaignAction& action) = 0;
  // pending_approval -> draft with the note.
  virtual Result<Campaign> RejectCampaign(const std::string& note,
                                          const CampaignAction& action) = 0;
  // scheduled or sending -> paused: its fan-out job is cancelled (a batch in flight writes
  // nothing after this commits) and its queued emails are held (not leased until resumed).
  virtual Result<Campaign> PauseCampaign(const CampaignAction& action) = 0;
  // paused -> scheduled (not started, send_at ahead) or sending: the held emails are released,
  // paced from now; the fan-out job is queued again unless the fan-out is done; a campaign with
  // nothing left to deliver becomes sent.
  virtual Result<Campaign> ResumeCampaign(const CampaignAction& action) = 0;
  // draft, pending_approval, scheduled, sending or paused -> cancelled: the fan-out job and
  // every queued email are cancelled (counted as cancelled); emails being sent finish.
  virtual Result<Campaign> CancelCampaign(const CampaignAction& action) = 0;

  // Fan-out -------------------------------------------------------------------------------
  // Enqueues the next up to `limit` audience members of a sending campaign after its cursor, in
  // one write: a ledger row each (a member already in the ledger is skipped, never mailed
  // twice), an email each unless suppressed or unsubscribed (counted instead), the cursor, the
  // counters, and pacing (run_at spaced 60000 / rate_per_minute ms apart). When none are left
  // the fan-out is done, and the campaign becomes sent once nothing is left to deliver (an
  // audit entry "campaign_sent" by actor "system"). stopped (nothing written) when the campaign
  // is not sending. kFailedPrecondition when the lease no longer holds; kNotFound for an
  // unknown id or list.
  virtual Result<FanOutStep> FanOutCampaign(std::int64_t id, const CampaignFanOut& fan_out,
                                            const CampaignRecipient& recipient, TimeMs now) = 0;

  // Recipients ----------------------------------------------------------------------------
  // kNotFound for an unknown token.
  virtual Result<CampaignRecipientRecord> FindCampaignRecipient(const std::string& token) = 0;
  // The recipient's first open: records it and counts it. false when opened before.
  virtual Result<bool> RecordCampaignOpen(const std::string& token, TimeMs now) = 0;
  // Unsubscribes the recipient from campaign mail (a customer: the user's unsubscribed_at; a
  // list subscriber: their subscription ends) and counts it, in one write. false when they
  // had unsubscribed through this token before. kNotFound for an unknown token.
  virtual Result<bool> UnsubscribeCampaignRecipient(const std::string& token, TimeMs now) = 0;
};

}  // namespace store
