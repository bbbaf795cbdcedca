#pragma once
// The store's campaign tables (sql/012_campaigns.sql): campaigns, their frozen versions and the
// recipient ledger. Writes run on the writer thread as writes.h describes: every transition is one
// such write that checks the status, changes it and appends its audit entry. Reads run on a pooled
// read connection as reads.h describes.
//
// A campaign's emails carry its id (emails.campaign_id), so the email transitions in writes.cpp
// move its counters (and follow its pause or cancel) in their own write: the functions at the end.
#include <cstdint>
#include <string>

#include "core/result.h"
#include "store/sqlite/connection.h"
#include "store/store.h"

namespace store::sqlite {

// The run_at of a held email's job (its campaign is paused): 9999-12-31T23:59:59Z, after any
// `now` a caller passes, so LeaseJobs never takes it until ResumeCampaign sets a real time.
inline constexpr TimeMs kHeldRunAt = 253'402'300'799'000;

// Drafts.
core::Result<Campaign> CreateCampaignInTransaction(Connection& connection,
                                                   const CampaignContent& content,
                                                   const CampaignAction& action);
core::Result<Campaign> UpdateCampaignInTransaction(Connection& connection,
                                                   const CampaignContent& content,
                                                   const CampaignAction& action);
core::Status DeleteCampaignInTransaction(Connection& connection, const CampaignAction& action);

// Transitions.
core::Result<Campaign> SubmitCampaignInTransaction(Connection& connection,
                                                   const CampaignVersion& frozen,
                                                   const CampaignAction& action);
core::Result<Campaign> ApproveCampaignInTransaction(Connection& connection,
                                                    const CampaignAction& action);
core::Result<Campaign> RejectCampaignInTransaction(Connection& connection, const std::string& note,
                                                   const CampaignAction& action);
core::Result<Campaign> PauseCampaignInTransaction(Connection& connection,
                                                  const CampaignAction& action);
core::Result<Campaign> ResumeCampaignInTransaction(Connection& connection,
                                                   const CampaignAction& action);
core::Result<Campaign> CancelCampaignInTransaction(Connection& connection,
                                                   const CampaignAction& action);

// The fan-out.
core::Result<FanOutStep> FanOutCampaignInTransaction(Connection& connection, std::int64_t id,
                                                     const CampaignFanOut& fan_out,
                                                     const CampaignRecipient& recipient,
                                                     TimeMs now);

// Recipients.
core::Result<bool> RecordCampaignOpenInTransaction(Connection& connection, const std::string& token,
                                                   TimeMs now);
core::Result<bool> UnsubscribeCampaignRecipientInTransaction(Connection& connection,
                                                             const std::string& token, TimeMs now);

// What an email transition does to its campaign (for writes.cpp). Each is a no-op for a campaign
// that no longer exists.
enum class CampaignCount { kSent, kFailed, kCancelled };
// Adds `delta` to the campaign's counter, then makes the campaign sent if nothing is left.
void CountCampaignEmail(Connection& connection, std::int64_t campaign_id, CampaignCount counter,
                        int delta, TimeMs now);
// Holds the email job `job_id` (if queued) while its campaign is paused, so it waits for
// ResumeCampaign like the rest (RetryEmail: a person asked for this email again).
void HoldIfCampaignPaused(Connection& connection, std::int64_t campaign_id, std::int64_t job_id);
// An email of the campaign whose job went back to the queue by itself (a retry outcome, a released
// or recovered lease): held while the campaign is paused; cancelled and counted once it is
// cancelled, as CancelCampaign would have done had it been queued then.
void RequeuedCampaignEmail(Connection& connection, std::int64_t campaign_id,
                           const std::string& email_id, std::int64_t job_id, TimeMs now);

// Reads. kNotFound where the named row does not exist.
core::Result<Campaign> ReadCampaign(Connection& connection, std::int64_t id);
core::Result<CampaignPage> ReadCampaignPage(Connection& connection, const CampaignQuery& query);
core::Result<CampaignVersion> ReadCampaignVersion(Connection& connection, std::int64_t id,
                                                  int version);
core::Result<CampaignRecipientRecord> ReadCampaignRecipient(Connection& connection,
                                                            const std::string& token);

}  // namespace store::sqlite
